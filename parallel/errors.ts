/**
 * The error a bounded pool throws when its queue is full.
 *
 * @module
 */

/**
 * Thrown by `submit` (and `submitWith`) of a pool created with `maxQueue` when that many tasks
 * are already waiting for a worker. Catch it to shed load, or use `submitAsync`, which waits for
 * room instead. Python has no counterpart (its executors' queues are unbounded); it plays the
 * part of `queue.Full`.
 *
 * @example Shedding load when the pool is saturated
 * ```ts
 * import { PoolQueueFullError, WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { sleepThen } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
 * const running = pool.submit(sleepThen, 50, "a");
 * const waiting = pool.submit(sleepThen, 0, "b");
 * assert.throws(() => pool.submit(sleepThen, 0, "c"), PoolQueueFullError);
 * assert.deepEqual([await running, await waiting], ["a", "b"]);
 * ```
 */
export class PoolQueueFullError extends Error {
  /**
   * Creates the error.
   *
   * @param message Which task was refused, and the limit.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The pool's queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "PoolQueueFullError";
  }
}
