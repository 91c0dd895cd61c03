/**
 * {@linkcode AsyncPoolExecutor}: bounded concurrency on the event loop, for I/O-bound tasks.
 *
 * @module
 */

import { BaseExecutor, type Future, type Task } from "@tandem/tandem/futures";
import { Ring } from "./_ring.ts";
import { optionsObject, positiveInteger } from "./_validate.ts";

/** Options for {@linkcode AsyncPoolExecutor}. */
export interface AsyncPoolExecutorOptions {
  /**
   * The most tasks that run at once; the rest wait in submission order. Python:
   * `ThreadPoolExecutor(max_workers)`, whose default this copies.
   *
   * @default {Math.min(32, navigator.hardwareConcurrency + 4)}
   */
  maxWorkers?: number;
}

interface Pending {
  future: Future<unknown>;
  task: Task<unknown[], unknown>;
  args: unknown[];
}

/**
 * Runs tasks in this isolate, at most `maxWorkers` at a time: the role of Python's
 * `ThreadPoolExecutor` (item 59) for I/O-bound work. A task here is an ordinary (sync or async)
 * function made with `task(...)`; it is called directly, with its arguments as they are (nothing
 * is cloned), and a running async task yields the event loop whenever it awaits, so many I/O
 * tasks overlap. Like Python's threads under the GIL, CPU-bound tasks gain nothing: use
 * `WorkerPoolExecutor` for those.
 *
 * Guarantees: tasks start in submission order, each in a microtask after `submit` returns,
 * never more than `maxWorkers` at once; a task that throws (or rejects) fails only its own
 * future; a future cancelled before its task starts never runs. A running task cannot be
 * stopped (as in Python). `shutdown()` waits for submitted work; this pool holds no resources,
 * so nothing outlives it.
 *
 * @example Fanning out I/O-bound tasks and fanning the futures back in (item 59)
 * ```ts
 * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
 * import { sleepThen } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new AsyncPoolExecutor({ maxWorkers: 10 });
 * const futures = Array.from({ length: 10 }, (_, i) => pool.submit(sleepThen, 50, i));
 * assert.ok(pool.running <= 10);
 * assert.deepEqual(await Promise.all(futures), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export class AsyncPoolExecutor extends BaseExecutor {
  readonly #maxWorkers: number;
  #running = 0;
  #queue = new Ring<Pending>();

  /**
   * Creates the pool.
   *
   * @param options `maxWorkers`.
   * @throws {RangeError} If `maxWorkers` is not a positive integer.
   * @throws {TypeError} If `options` is not an object.
   */
  constructor(options: AsyncPoolExecutorOptions = {}) {
    super();
    const what = "create AsyncPoolExecutor";
    const opts = optionsObject<AsyncPoolExecutorOptions>(what, options);
    this.#maxWorkers = positiveInteger(
      what,
      "maxWorkers",
      opts.maxWorkers ?? Math.min(32, (navigator.hardwareConcurrency || 1) + 4),
    );
  }

  /** The most tasks that run at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many tasks are running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs the task now if fewer than `maxWorkers` are running, else queues it. Called by
   * `submit`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The task's future.
   * @param task The task.
   * @param args Its arguments.
   */
  protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
    const pending: Pending = {
      future: future as Future<unknown>,
      task: task as unknown as Task<unknown[], unknown>,
      args,
    };
    if (this.#running < this.#maxWorkers) this.#run(pending);
    else this.#queue.push(pending);
  }

  /**
   * Nothing to release: `shutdown` has already waited for the tasks.
   *
   * @returns A resolved promise.
   */
  protected close(): Promise<void> {
    return Promise.resolve();
  }

  #run(pending: Pending): void {
    this.#running++;
    queueMicrotask(() => {
      const { future, task, args } = pending;
      if (!future.setRunningOrNotifyCancel()) {
        this.#next();
        return;
      }
      let result: unknown;
      try {
        result = task(...args);
      } catch (error) {
        future.setException(error);
        this.#next();
        return;
      }
      if (
        (typeof result !== "object" && typeof result !== "function") || result === null ||
        typeof (result as PromiseLike<unknown>).then !== "function"
      ) {
        future.setResult(result);
        this.#next();
        return;
      }
      Promise.resolve(result).then(
        (value) => {
          future.setResult(value);
          this.#next();
        },
        (error) => {
          future.setException(error);
          this.#next();
        },
      );
    });
  }

  #next(): void {
    this.#running--;
    while (this.#queue.length > 0 && this.#running < this.#maxWorkers) {
      const pending = this.#queue.shift()!;
      if (pending.future.cancelled()) continue;
      this.#run(pending);
    }
  }
}
