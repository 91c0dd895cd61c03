/**
 * {@linkcode asCompleted}: futures in the order they finish.
 *
 * @module
 */

import { type Future, onDone } from "./future.ts";
import { checkTimeout, waitForWake } from "./_wait.ts";

/** Options for {@linkcode asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Milliseconds, counted from the call, after which the iteration throws a `TimeoutError` if
   * futures remain unfinished.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * Stops the iteration with `signal.reason` when aborted.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Yields each future as it completes (finishes or is cancelled), in completion order; futures
 * already done come first. Python: `concurrent.futures.as_completed(fs, timeout)`.
 *
 * A future listed twice is yielded once. Leaving the loop early leaves the futures untouched.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures to watch.
 * @param options `timeout` (ms, counted from the call) and `signal`.
 * @returns An async iterator of the futures themselves; read each with `await future`.
 * @throws {TimeoutError} From the iteration, if `timeout` passes with futures unfinished; the
 * message says how many.
 * @throws {RangeError} If `timeout` is negative.
 *
 * @example Results as they arrive
 * ```ts
 * import { asCompleted, Future } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const slow = new Future<string>();
 * const fast = new Future<string>();
 * setTimeout(() => slow.setResult("slow"), 20);
 * setTimeout(() => fast.setResult("fast"), 5);
 * const order: string[] = [];
 * for await (const future of asCompleted([slow, fast])) order.push(await future);
 * assert.deepEqual(order, ["fast", "slow"]);
 * ```
 */
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<Future<T>> {
  checkTimeout("iterate asCompleted", options.timeout);
  const unique = [...new Set(futures)];
  const deadline = options.timeout === undefined ? undefined : performance.now() + options.timeout;
  return iterate(unique, deadline, options.signal);
}

// Not an async generator: `yield` in one awaits thenables, and a Future is one, so the loop would
// receive results instead of futures. This iterator hands out the futures themselves.
function iterate<T>(
  futures: Future<T>[],
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<Future<T>> {
  const finished: Future<T>[] = [];
  const pending = new Set<Future<T>>();
  for (const future of futures) {
    if (future.done()) finished.push(future);
    else pending.add(future);
  }
  let wake: (() => void) | undefined;
  let unsubscribes: (() => void)[] | undefined = [...pending].map((future) =>
    onDone(future, () => {
      pending.delete(future);
      finished.push(future);
      wake?.();
    })
  );
  const stop = (): IteratorResult<Future<T>> => {
    unsubscribes?.forEach((unsubscribe) => unsubscribe());
    unsubscribes = undefined;
    finished.length = 0;
    pending.clear();
    return { done: true, value: undefined };
  };
  const total = futures.length;
  const next = async (): Promise<IteratorResult<Future<T>>> => {
    if (finished.length === 0 && pending.size > 0) {
      const timeout = deadline === undefined
        ? undefined
        : Math.max(0, deadline - performance.now());
      try {
        await waitForWake(
          (w) => {
            wake = w;
            return () => (wake = undefined);
          },
          { timeout, signal },
          () => `asCompleted timed out: ${pending.size} (of ${total}) futures unfinished`,
        );
      } catch (error) {
        stop();
        throw error;
      }
    }
    if (finished.length > 0) return { done: false, value: finished.shift()! };
    return stop();
  };
  return {
    next,
    return: () => Promise.resolve(stop()),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
