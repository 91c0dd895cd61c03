/**
 * The options that the waiting methods of `threads` share.
 *
 * @module
 */

/** Options for the blocking `acquire` of `Lock`, `RLock`, `Condition` and `Semaphore`. */
export interface AcquireOptions {
  /**
   * Whether to wait for the lock. With `false`, `acquire` takes the lock only if it is free and
   * returns at once; this form is allowed on the main thread too. Python: `blocking`.
   *
   * @default {true}
   */
  blocking?: boolean;
  /**
   * The longest wait, in milliseconds; when it runs out, `acquire` returns `false`. Not allowed
   * with `blocking: false`. Python: `timeout` (in seconds there).
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
}

/** Options for the blocking waits of workers (`wait`, `hold`). */
export interface BlockingWaitOptions {
  /**
   * The longest wait, in milliseconds. Python: `timeout` (in seconds there).
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
}

/** Options for the async forms (`acquireAsync`, `holdAsync`, `waitAsync`, `join`). */
export interface AsyncWaitOptions {
  /**
   * The longest wait, in milliseconds, before the promise rejects with a `TimeoutError` (from
   * `@tandem/tandem/futures`).
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted: the promise rejects with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}
