/**
 * The hub's error classes: what a {@linkcode Future} or an executor throws when work is
 * cancelled, runs out of time, is used in the wrong state, or loses its executor.
 *
 * @module
 */

/**
 * Thrown by {@linkcode Future.result} when the future was cancelled. Python:
 * `concurrent.futures.CancelledError`.
 *
 * @example Awaiting a cancelled future
 * ```ts
 * import { CancelledError, Future } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.cancel();
 * await assert.rejects(future.result(), CancelledError);
 * ```
 */
export class CancelledError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was cancelled.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The future was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * Thrown when a wait with a `timeout` runs out of time before the awaited work is done. Python:
 * `concurrent.futures.TimeoutError` (an alias of the built-in `TimeoutError`).
 *
 * @example A result that is not ready in time
 * ```ts
 * import { Future, TimeoutError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * await assert.rejects(future.result({ timeout: 10 }), TimeoutError);
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Creates the error.
   *
   * @param message What timed out, and after how long.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The operation timed out", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * Thrown when an operation is not allowed in the current state, such as setting the result of a
 * future that is already done. Python: `concurrent.futures.InvalidStateError`.
 *
 * @example Setting a result twice
 * ```ts
 * import { Future, InvalidStateError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * assert.throws(() => future.setResult(2), InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Creates the error.
   *
   * @param message Which operation was refused, and in which state.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "Invalid state for this operation", options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * Thrown when an executor can no longer run work: it was shut down, or the worker or process
 * that ran a task died. Python: `concurrent.futures.BrokenExecutor` (and its subclasses
 * `BrokenThreadPool`, `BrokenProcessPool`).
 *
 * @example Recognising a broken executor
 * ```ts
 * import { BrokenExecutorError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const error = new BrokenExecutorError("worker 3 died while running task 'gcd'");
 * assert.equal(error.name, "BrokenExecutorError");
 * ```
 */
export class BrokenExecutorError extends Error {
  /**
   * Creates the error.
   *
   * @param message What broke, and what was running when it did.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The executor is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenExecutorError";
  }
}
