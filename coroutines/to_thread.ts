/**
 * {@linkcode toThread}: run a blocking task off the event loop, on a shared worker pool.
 *
 * @module
 */

import { checkNotBootstrapping, type Future, type Task } from "@tandem/tandem/futures";
import { WorkerPoolExecutor } from "@tandem/tandem/parallel";

/** How long an idle worker of the shared pool lives (idle workers never keep the process alive). */
const IDLE_MS = 5000;

let pool: WorkerPoolExecutor | undefined;

/**
 * Runs `task(...args)` in a worker of a shared default {@linkcode WorkerPoolExecutor} and returns
 * its future, so blocking or CPU-heavy work leaves the event loop free. Python:
 * `asyncio.to_thread(func, *args)` and `loop.run_in_executor(None, func, *args)`.
 *
 * The shared pool starts on first use with one worker per core. Idle workers never keep the
 * process alive, and they retire after 5 s idle;
 * {@linkcode shutdownDefaultExecutor} ends them at once (Python's
 * `loop.shutdown_default_executor()`). Arguments and results are structured-cloned; shareable
 * objects (a `Lock`, a `SharedQueue`) arrive live.
 *
 * @typeParam A The task's parameter types.
 * @typeParam R The task's result type.
 * @param task A task made with `task(import.meta.url, fn)`.
 * @param args Its arguments, type-checked against the task.
 * @returns The task's future: `await` it for the result.
 * @throws {TypeError} If `task` is not a task.
 *
 * @example A blocking call that leaves the loop free
 * ```ts
 * import { shutdownDefaultExecutor, toThread } from "@tandem/tandem/coroutines";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await toThread(gcd, [1963309, 2265973]), 1);
 * await shutdownDefaultExecutor();
 * ```
 */
export function toThread<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R> {
  checkNotBootstrapping("call toThread");
  pool ??= new WorkerPoolExecutor({ idleTimeout: IDLE_MS });
  return pool.submit(task, ...args);
}

/**
 * Shuts the shared pool of {@linkcode toThread} down, waiting for its running tasks, and
 * terminates its workers. A later `toThread` starts a new pool. Python:
 * `loop.shutdown_default_executor()`.
 *
 * @returns A promise that resolves when the workers are gone.
 *
 * @example
 * ```ts
 * import { shutdownDefaultExecutor } from "@tandem/tandem/coroutines";
 *
 * await shutdownDefaultExecutor(); // harmless when no pool was started
 * ```
 */
export async function shutdownDefaultExecutor(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.shutdown({ wait: true });
}
