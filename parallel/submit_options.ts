/**
 * Options for submitting one task to a pool with a cancellation signal or a time limit, and for
 * waiting for room in a bounded pool.
 *
 * @module
 */

/**
 * Options for `submitWith` of `WorkerPoolExecutor` and `ProcessPoolExecutor`: ways to
 * stop one task, even while it runs. Python's futures cannot be cancelled once running; a pool
 * of workers or processes can stop one by ending the worker that runs it and starting another.
 *
 * A task submitted with a `signal` or a `timeout` runs alone on its worker (no other task is
 * handed to that worker until it ends), so stopping it never touches another task.
 */
export interface SubmitOptions {
  /**
   * Aborting it fails the task's future with `signal.reason`. Before the task starts, the task
   * is dropped from the queue and never runs; while it runs, its worker (or process) is
   * terminated and replaced. After the task has ended, aborting does nothing.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The most milliseconds the task may take once it is handed to a worker (for a worker that
   * is just starting, its start-up counts). When it runs out, the future fails with a
   * `TimeoutError` and the worker (or process) is terminated and replaced. Time spent waiting
   * in the queue does not count; bound that with `signal: AbortSignal.timeout(ms)`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
}

/** Options for `ready` of a bounded pool. */
export interface ReadyOptions {
  /**
   * How long to wait for room, in milliseconds, before rejecting with a `TimeoutError`.
   *
   * @default {undefined} (as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}
