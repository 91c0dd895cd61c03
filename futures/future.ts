/**
 * {@linkcode Future}: the result of work that may not have finished yet.
 *
 * @module
 */

import { CancelledError, InvalidStateError } from "./errors.ts";
import { checkFunction, checkOptions, checkSignal, checkTimeout, timeoutError } from "./checks.ts";
import { waitForWake } from "./_wait.ts";

/**
 * The state of a {@linkcode Future}, as in Python's `concurrent.futures._base`:
 * `"pending"` (not started; can be cancelled), `"running"`, `"cancelled"` or `"finished"`
 * (with a result or an exception).
 */
export type FutureState = "pending" | "running" | "cancelled" | "finished";

/** Options for the waiting methods of a {@linkcode Future}. */
export interface FutureWaitOptions {
  /**
   * How long to wait, in milliseconds, before rejecting with a `TimeoutError`. The future itself
   * is unaffected by the timeout.
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`. The future itself is unaffected.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** A function called with the future once it is done (finished or cancelled). */
export type DoneCallback<T> = (future: Future<T>) => void;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

let subscribe: <T>(future: Future<T>, wake: () => void) => () => void;
let peek: <T>(future: Future<T>) => Outcome<T> | undefined;

/**
 * The eventual result of a piece of work: Python's `concurrent.futures.Future`, which is also a
 * `PromiseLike` so `await future` works.
 *
 * A future moves from `"pending"` to `"running"` (when an executor starts the work) and then to
 * `"finished"`, or from `"pending"` straight to `"cancelled"`. It settles exactly once: a second
 * {@linkcode Future.setResult} or {@linkcode Future.setException} throws an
 * {@linkcode InvalidStateError}. Done callbacks run synchronously, in the order they were added,
 * at the moment the future settles; a callback added to a done future runs at once.
 *
 * Executors create futures; user code reads them. Code that implements an executor calls
 * {@linkcode Future.setRunningOrNotifyCancel} before starting the work and then
 * `setResult`/`setException`.
 *
 * @typeParam T The type of the result.
 *
 * @example Settling a future and reading it
 * ```ts
 * import { Future } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<string>();
 * setTimeout(() => future.setResult("done"), 10);
 * assert.equal(await future, "done");
 * assert.equal(future.state, "finished");
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  #state: FutureState = "pending";
  #outcome: Outcome<T> | undefined = undefined;
  #callbacks: DoneCallback<T>[] = [];
  #progress: ((value: unknown) => void)[] | undefined = undefined;
  #waiters = new Set<() => void>();
  #promise: Promise<T> | undefined = undefined;

  static {
    subscribe = <T>(future: Future<T>, wake: () => void) => {
      if (future.done()) {
        wake();
        return () => {};
      }
      future.#waiters.add(wake);
      return () => future.#waiters.delete(wake);
    };
    peek = <T>(future: Future<T>) => future.#outcome;
  }

  /** The current state: `"pending"`, `"running"`, `"cancelled"` or `"finished"`. */
  get state(): FutureState {
    return this.#state;
  }

  /**
   * Cancels the work if it has not started. Python: `Future.cancel()`.
   *
   * @returns `true` if the future is now cancelled (it was pending, or already cancelled);
   * `false` if it is running or finished, in which case nothing changes.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * assert.equal(future.cancel(), true);
   * assert.equal(future.cancelled(), true);
   * ```
   */
  cancel(): boolean {
    if (this.#state === "cancelled") return true;
    if (this.#state !== "pending") return false;
    this.#settle("cancelled", undefined);
    return true;
  }

  /**
   * Whether the future was cancelled. Python: `Future.cancelled()`.
   *
   * @returns `true` once {@linkcode Future.cancel} succeeded.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Future<number>().cancelled(), false);
   * ```
   */
  cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /**
   * Whether the work is running now. Python: `Future.running()`.
   *
   * @returns `true` between the executor starting the work and the future settling.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setRunningOrNotifyCancel();
   * assert.equal(future.running(), true);
   * ```
   */
  running(): boolean {
    return this.#state === "running";
  }

  /**
   * Whether the future is done: finished with a result or an exception, or cancelled. Python:
   * `Future.done()`.
   *
   * @returns `true` once the future has settled.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setResult(3);
   * assert.equal(future.done(), true);
   * ```
   */
  done(): boolean {
    return this.#state === "cancelled" || this.#state === "finished";
  }

  /**
   * Waits for the result. Python: `Future.result(timeout)`.
   *
   * @param options `timeout` (ms) and `signal` limit the wait, not the work.
   * @returns The result of the work.
   * @throws {CancelledError} If the future was cancelled.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws The work's own exception, if it failed; `signal.reason` if aborted.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setResult(42);
   * assert.equal(await future.result({ timeout: 100 }), 42);
   * ```
   */
  async result(options: FutureWaitOptions = {}): Promise<T> {
    await this.#wait("read the result of a Future", options);
    const outcome = this.#outcome;
    if (outcome === undefined) throw new CancelledError();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Waits for the future and returns the exception it failed with. Python:
   * `Future.exception(timeout)`.
   *
   * @param options `timeout` (ms) and `signal` limit the wait, not the work.
   * @returns The exception, or `undefined` if the work succeeded.
   * @throws {CancelledError} If the future was cancelled.
   * @throws {TimeoutError} If `timeout` ms pass first.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setException(new Error("boom"));
   * assert.equal(((await future.exception()) as Error).message, "boom");
   * ```
   */
  async exception(options: FutureWaitOptions = {}): Promise<unknown> {
    await this.#wait("read the exception of a Future", options);
    const outcome = this.#outcome;
    if (outcome === undefined) throw new CancelledError();
    return outcome.ok ? undefined : outcome.error;
  }

  /**
   * Calls `fn(future)` when the future is done, or at once if it already is. Python:
   * `Future.add_done_callback(fn)`.
   *
   * Callbacks run synchronously in the order they were added. A callback that throws does not
   * affect the future or the other callbacks: its error is reported with `console.error`, as
   * Python logs it.
   *
   * @param fn The callback.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const seen: string[] = [];
   * const future = new Future<string>();
   * future.addDoneCallback((f) => seen.push(f.state));
   * future.setResult("x");
   * assert.deepEqual(seen, ["finished"]);
   * ```
   */
  addDoneCallback(fn: DoneCallback<T>): void {
    checkFunction("add done callback", "fn", fn);
    if (this.done()) this.#invoke(fn);
    else this.#callbacks.push(fn);
  }

  /**
   * Marks the future as running, unless it was cancelled. Python:
   * `Future.set_running_or_notify_cancel()`. Executors call it just before starting the work.
   *
   * @returns `true` if the work should start; `false` if the future was cancelled.
   * @throws {InvalidStateError} If the future is already running or finished.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.cancel();
   * assert.equal(future.setRunningOrNotifyCancel(), false);
   * ```
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === "cancelled") return false;
    if (this.#state !== "pending") {
      throw new InvalidStateError(`Cannot start a Future that is ${this.#state}`);
    }
    this.#state = "running";
    return true;
  }

  /**
   * Finishes the future with a result. Python: `Future.set_result(result)`.
   *
   * @param value The result.
   * @throws {InvalidStateError} If the future is already done.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setResult(7);
   * assert.equal(await future, 7);
   * ```
   */
  setResult(value: T): void {
    this.#checkNotDone("set the result of");
    this.#settle("finished", { ok: true, value });
  }

  /**
   * Finishes the future with an exception. Python: `Future.set_exception(exception)`.
   *
   * @param error The exception.
   * @throws {InvalidStateError} If the future is already done.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setException(new RangeError("bad"));
   * await assert.rejects(future.result(), RangeError);
   * ```
   */
  setException(error: unknown): void {
    this.#checkNotDone("set the exception of");
    this.#settle("finished", { ok: false, error });
  }

  /**
   * Calls `fn` with the progress values the task reports (with `taskContext().progress(value)`),
   * in order, until the future is done. Values from a worker or process are coalesced: a slow
   * listener is not called for every value, but always for the latest one, and for the task's
   * last value before the future settles (see `TaskContext.progress`). A listener that throws
   * is reported with `console.error` and stays registered. tandem's addition; Python's futures
   * have no progress.
   *
   * @param fn The listener.
   * @returns A function that removes the listener.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<void>();
   * const seen: unknown[] = [];
   * const stop = future.onProgress((value) => seen.push(value));
   * future.notifyProgress(0.5);
   * stop();
   * future.notifyProgress(1);
   * assert.deepEqual(seen, [0.5]);
   * ```
   */
  onProgress(fn: (value: unknown) => void): () => void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot listen for progress: 'fn' must be a function, received ${typeof fn}`,
      );
    }
    (this.#progress ??= []).push(fn);
    return () => {
      const at = this.#progress?.indexOf(fn) ?? -1;
      if (at >= 0) this.#progress!.splice(at, 1);
    };
  }

  /**
   * Reports a progress value to the {@linkcode Future.onProgress} listeners; executors call it.
   * It does nothing once the future is done.
   *
   * @param value The task's progress value.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * let last: unknown;
   * future.onProgress((value) => last = value);
   * future.notifyProgress("half");
   * assert.equal(last, "half");
   * ```
   */
  notifyProgress(value: unknown): void {
    const listeners = this.#progress;
    if (listeners === undefined || this.done()) return;
    for (const fn of [...listeners]) {
      try {
        fn(value);
      } catch (error) {
        console.error("Exception in a progress listener of", this, error);
      }
    }
  }

  /**
   * Makes the future awaitable: `await future` gives the result or throws like
   * {@linkcode Future.result}.
   *
   * @typeParam R1 The fulfilment handler's result.
   * @typeParam R2 The rejection handler's result.
   * @param onfulfilled Called with the result.
   * @param onrejected Called with the exception, or a `CancelledError`.
   * @returns A promise for the handler's result.
   *
   * @example
   * ```ts
   * import { Future } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>();
   * future.setResult(1);
   * assert.equal(await future.then((n) => n + 1), 2);
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#promise ??= this.result();
    return this.#promise.then(onfulfilled, onrejected);
  }

  /** The string tag, so the future prints as `[object Future]`. */
  get [Symbol.toStringTag](): string {
    return "Future";
  }

  #checkNotDone(what: string): void {
    if (this.done()) {
      throw new InvalidStateError(`Cannot ${what} a Future that is already ${this.#state}`);
    }
  }

  #wait(what: string, options: FutureWaitOptions): Promise<void> {
    const limits = checkOptions<FutureWaitOptions>(what, options, ["timeout", "signal"]);
    checkTimeout(what, limits.timeout);
    checkSignal(what, limits.signal);
    return waitForWake(
      (wake) => subscribe(this, wake),
      limits,
      () => `${timeoutError(what, limits.timeout).message} (the Future is ${this.#state})`,
    );
  }

  #settle(state: FutureState, outcome: Outcome<T> | undefined): void {
    this.#state = state;
    this.#outcome = outcome;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const fn of callbacks) this.#invoke(fn);
  }

  #invoke(fn: DoneCallback<T>): void {
    try {
      fn(this);
    } catch (error) {
      console.error("tandem: a done callback of a Future threw:", error);
    }
  }
}

/**
 * Calls `wake` once `future` is done (at once if it already is) and returns a function that
 * stops the subscription. For the hub's waiting helpers; not part of the public API.
 */
export function onDone<T>(future: Future<T>, wake: () => void): () => void {
  return subscribe(future, wake);
}

/** Whether `future` finished with an exception (false while not done, or if cancelled). */
export function hasFailed<T>(future: Future<T>): boolean {
  return peek(future)?.ok === false;
}
