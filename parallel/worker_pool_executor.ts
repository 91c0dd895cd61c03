/**
 * {@linkcode WorkerPoolExecutor}: a pool of worker threads for CPU-bound tasks.
 *
 * @module
 */

import { TaskWorker } from "@tandem/tandem/futures";
import { PoolExecutor, type PoolExecutorOptions } from "./pool_executor.ts";
import type { Runner, RunnerHooks } from "./runner.ts";

/** Options for {@linkcode WorkerPoolExecutor}: those of every pool. */
export type WorkerPoolExecutorOptions = PoolExecutorOptions;

/**
 * Runs tasks on a pool of worker threads (isolates), in parallel on all cores: Python's
 * `concurrent.futures.ProcessPoolExecutor` role, with threads instead of processes. Use it for
 * CPU-bound work; for I/O-bound work `AsyncPoolExecutor` is cheaper, and for work that may
 * crash the whole isolate (exhaust memory) `ProcessPoolExecutor` isolates it.
 *
 * Tasks are functions made with `task(import.meta.url, fn)` and exported from their module;
 * arguments and results are structured-cloned (a `Map`, a `Date`, an `Error` survive; a function
 * does not, and submitting one fails the future at once with a `TypeError` naming the task and
 * the argument). Shareable objects (a `Lock`, a shared counter) arrive live in the worker. Every
 * guarantee of {@linkcode PoolExecutor} holds: lazy workers with a start handshake, crash
 * isolation, `submitWith` limits, and an idle pool that never keeps the process alive.
 *
 * Workers are `node:worker_threads` Workers (Deno, Bun and Node all have them), so that a
 * worker's end is always seen and a terminated worker stops even in the middle of a computation.
 * They run with the permissions of the process; to sandbox tasks, use `ProcessPoolExecutor`
 * with `denoArgs`.
 *
 * @example The book's item 64: gcd of pairs of numbers, in parallel
 * ```ts
 * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const NUMBERS: [number, number][] = [[1963309, 2265973], [2030677, 3814172]];
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * const results: number[] = [];
 * for await (const result of pool.map(gcd, NUMBERS)) results.push(result);
 * assert.deepEqual(results, [1, 1]);
 * ```
 */
export class WorkerPoolExecutor extends PoolExecutor {
  /**
   * Creates the pool; no worker starts until work is submitted.
   *
   * @param options `maxWorkers`, `maxTasksPerWorker`, `idleTimeout`, `maxQueue`.
   * @throws {RangeError} If an option is out of range, naming it and the value received.
   * @throws {TypeError} If `options` is not an object or has an unknown key.
   * @throws {Error} If called while a worker imports a task module to find a task.
   */
  constructor(options: WorkerPoolExecutorOptions = {}) {
    super(
      {
        owner: "WorkerPoolExecutor",
        noun: "worker",
        destination: "isolate",
        extraOptions: [],
        queueAheadMs: 1,
      },
      options,
    );
  }

  /**
   * Starts one `TaskWorker`.
   *
   * @param hooks What the worker reports.
   * @returns The worker.
   */
  protected spawnRunner(hooks: RunnerHooks): Runner {
    return new TaskWorker({ name: "tandem-pool-worker", ...hooks });
  }
}
