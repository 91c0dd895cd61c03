/**
 * {@linkcode wait}: block until some or all of a set of futures are done.
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";
import { type Future, hasFailed, onDone } from "./future.ts";
import { checkOptions, checkSignal, checkTimeout, rangeError } from "./checks.ts";
import { waitForWake } from "./_wait.ts";

/** Return as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** Return as soon as any future finishes with an exception, or when all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** Return when every future is done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When {@linkcode wait} returns: Python's `return_when` constants. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options for {@linkcode wait}. */
export interface WaitOptions {
  /**
   * The most milliseconds to wait. Unlike `Future.result`, running out of time is not an error:
   * `wait` returns what is done by then.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * When to return.
   *
   * @default {"ALL_COMPLETED"}
   */
  returnWhen?: ReturnWhen;
  /**
   * Stops waiting with `signal.reason` when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** The two sets {@linkcode wait} returns. Python: `DoneAndNotDoneFutures`. */
export interface DoneAndNotDone<T> {
  /** Futures that finished or were cancelled. */
  done: Set<Future<T>>;
  /** Futures still pending or running. */
  notDone: Set<Future<T>>;
}

/**
 * Waits until the condition `returnWhen` holds or `timeout` passes, then splits the futures into
 * `done` and `notDone`. Python: `concurrent.futures.wait(fs, timeout, return_when)`.
 *
 * `FIRST_EXCEPTION` counts only futures that finished with an exception (not cancelled ones);
 * if none fails it behaves like `ALL_COMPLETED`. A timeout is not an error.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures; duplicates count once.
 * @param options `timeout` (ms), `returnWhen` and `signal`.
 * @returns The `done` and `notDone` sets.
 * @throws {RangeError} If `timeout` is negative or `returnWhen` is unknown.
 *
 * @example Waiting for the first of two
 * ```ts
 * import { FIRST_COMPLETED, Future, wait } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const fast = new Future<number>();
 * const never = new Future<number>();
 * setTimeout(() => fast.setResult(1), 5);
 * const { done, notDone } = await wait([fast, never], { returnWhen: FIRST_COMPLETED });
 * assert.deepEqual([...done], [fast]);
 * assert.deepEqual([...notDone], [never]);
 * ```
 */
export async function wait<T>(
  futures: Iterable<Future<T>>,
  options: WaitOptions = {},
): Promise<DoneAndNotDone<T>> {
  const what = "wait for futures";
  const { timeout, returnWhen = ALL_COMPLETED, signal } = checkOptions<WaitOptions>(
    what,
    options,
    ["timeout", "returnWhen", "signal"],
  );
  checkTimeout(what, timeout);
  checkSignal(what, signal);
  if (
    returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED
  ) {
    rangeError(what, "returnWhen", "FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED", returnWhen);
  }
  const all = new Set(futures);
  const notDoneYet = [...all].filter((future) => !future.done());
  let remaining = notDoneYet.length;
  const isMet = (future: Future<T>) =>
    remaining === 0 || (future.done() &&
      (returnWhen === FIRST_COMPLETED || (returnWhen === FIRST_EXCEPTION && hasFailed(future))));
  const metAlready = remaining === 0 || [...all].some((future) => isMet(future));
  if (!metAlready) {
    try {
      await waitForWake(
        (wake) => {
          const unsubscribes = notDoneYet.map((future) =>
            onDone(future, () => {
              remaining--;
              if (isMet(future)) wake();
            })
          );
          return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
        },
        { timeout, signal },
        () => "wait timed out",
      );
    } catch (error) {
      // Running out of time is not an error for wait(): it reports what is done by then.
      if (!(error instanceof TimeoutError)) throw error;
    }
  }
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  for (const future of all) (future.done() ? done : notDone).add(future);
  return { done, notDone };
}
