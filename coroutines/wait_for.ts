/**
 * {@linkcode waitFor}: await work with a time limit, aborting it when the limit passes.
 *
 * @module
 */

import { checkOptions, Future, onAbort, timeoutError, typeError } from "@tandem/tandem/futures";
import { TimeoutScope } from "./timeout.ts";
import { checkDelay, checkSignal, isThenable } from "./_validate.ts";

/** Options for {@linkcode waitFor}. */
export interface WaitForOptions {
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`; a function's signal fires too.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Waits for `work` for at most `timeout` milliseconds: Python's `asyncio.wait_for(aw, timeout)`.
 *
 * `work` is either a function or a promise, and they behave differently because only a function
 * can be told to stop:
 * - **A function** `(signal) => work` is called at once with a signal that fires with a
 *   `TimeoutError` at the deadline (or with `options.signal`'s reason). As in Python, `waitFor`
 *   then waits for the function's promise to settle, so its cleanup has run, and settles with:
 *   the `TimeoutError` if the work rejected with its signal's reason; the work's own error if it
 *   failed otherwise; its result if it finished anyway. Work that ignores its signal therefore
 *   delays the `TimeoutError` until it ends.
 * - **A promise** (or any `PromiseLike`) cannot be aborted: at the deadline `waitFor` rejects with
 *   a `TimeoutError` at once and leaves the promise running (its later rejection is handled). A
 *   tandem `Future` is also cancelled, which stops it if it has not started, like Python.
 *
 * Boundaries: the deadline is a timer, so work that settles in a microtask before that timer
 * fires wins, even with `timeout` 0 (an already-resolved promise is returned, as Python returns
 * the result of a done future); of two timers due at the same time, the one created first fires
 * first. `timeout` may be `Infinity` (no limit).
 *
 * @typeParam T The result type.
 * @param work A promise, or a function that receives an `AbortSignal`.
 * @param timeout The limit in milliseconds, or `Infinity`.
 * @param options `signal`.
 * @returns The work's result.
 * @throws {TimeoutError} When the limit passes first (see above).
 * @throws {TypeError} If `work` is neither a function nor a promise, `timeout` is not a number or
 * `signal` is not an `AbortSignal` (thrown at once, not as a rejection).
 * @throws {RangeError} If `timeout` is negative or too large for a timer.
 * @throws `options.signal.reason` if aborted.
 *
 * @example A function is aborted at the deadline
 * ```ts
 * import { sleep, waitFor } from "@tandem/tandem/coroutines";
 * import { TimeoutError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * let aborted = false;
 * await assert.rejects(
 *   waitFor(async (signal) => {
 *     try {
 *       await sleep(10_000, { signal });
 *     } finally {
 *       aborted = signal.aborted;
 *     }
 *   }, 10),
 *   TimeoutError,
 * );
 * assert.equal(aborted, true);
 * assert.equal(await waitFor(Promise.resolve("fast"), 10), "fast");
 * ```
 */
export function waitFor<T>(
  work: PromiseLike<T> | ((signal: AbortSignal) => T | PromiseLike<T>),
  timeout: number,
  options: WaitForOptions = {},
): Promise<T> {
  checkDelay("waitFor", "timeout", timeout, true);
  options = checkOptions<WaitForOptions>("waitFor", options, ["signal"]);
  checkSignal("waitFor", options.signal);
  if (typeof work === "function") return runFunction(work, new TimeoutScope(timeout, options));
  if (!isThenable(work)) {
    typeError("waitFor", "work", "a promise or a function that takes an AbortSignal", work);
  }
  return racePromise(work, timeout, options.signal);
}

async function runFunction<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  scope: TimeoutScope,
): Promise<T> {
  using _ = scope;
  return await fn(scope.signal);
}

function racePromise<T>(
  work: PromiseLike<T>,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal?.aborted) {
    work.then(undefined, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = () => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      unlisten();
    };
    if (timeout !== Infinity) {
      timer = setTimeout(() => {
        timer = undefined;
        finish();
        if (work instanceof Future) work.cancel();
        reject(timeoutError("waitFor", timeout));
      }, timeout);
    }
    const unlisten = onAbort(signal, (reason) => {
      finish();
      reject(reason);
    });
    work.then(
      (value) => {
        if (done) return;
        finish();
        resolve(value);
      },
      (error) => {
        if (done) return;
        finish();
        reject(error);
      },
    );
  });
}
