/**
 * {@linkcode asCompleted}: futures in the order they finish.
 *
 * @module
 */

import { type Future, onDone } from "./future.ts";
import { checkOptions, checkSignal, checkTimeout } from "./checks.ts";
import { waitForWake } from "./_wait.ts";

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
 * One step of {@linkcode asCompleted}: a future that is done, and where it stood in the input.
 *
 * The future comes wrapped because a `Future` is thenable: `for await` would otherwise replace
 * it by its result (at the type level, and in any promise that carried it).
 */
export interface Completion<T> {
  /** The future, now done (finished or cancelled). */
  future: Future<T>;
  /** Its position in the input (the first one, if it was listed twice). */
  index: number;
}

/**
 * Yields each future as it completes (finishes or is cancelled), in completion order; futures
 * already done come first. Python: `concurrent.futures.as_completed(fs, timeout)`.
 *
 * Each step is a {@linkcode Completion}: `{ future, index }`, so the loop can tell which input
 * finished without a lookup table. A future listed twice is yielded once. Leaving the loop
 * early leaves the futures untouched.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures to watch.
 * @param options `timeout` (ms, counted from the call) and `signal`.
 * @returns An async iterator of `{ future, index }`; read the result with `await future`.
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
 * for await (const { future, index } of asCompleted([slow, fast])) {
 *   order.push(`${index}:${await future}`);
 * }
 * assert.deepEqual(order, ["1:fast", "0:slow"]);
 * ```
 */
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<Completion<T>> {
  const what = "iterate asCompleted";
  options = checkOptions<AsCompletedOptions>(what, options, ["timeout", "signal"]);
  checkTimeout(what, options.timeout);
  checkSignal(what, options.signal);
  const unique = new Map<Future<T>, number>();
  let position = 0;
  for (const future of futures) {
    if (!unique.has(future)) unique.set(future, position);
    position++;
  }
  const deadline = options.timeout === undefined ? undefined : performance.now() + options.timeout;
  return iterate(unique, deadline, options.signal);
}

function iterate<T>(
  futures: Map<Future<T>, number>,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<Completion<T>> {
  const finished: Future<T>[] = [];
  const pending = new Set<Future<T>>();
  for (const future of futures.keys()) {
    if (future.done()) finished.push(future);
    else pending.add(future);
  }
  let head = 0;
  let wake: (() => void) | undefined;
  let unsubscribes: (() => void)[] | undefined = [...pending].map((future) =>
    onDone(future, () => {
      pending.delete(future);
      finished.push(future);
      wake?.();
    })
  );
  const stop = (): IteratorResult<Completion<T>> => {
    unsubscribes?.forEach((unsubscribe) => unsubscribe());
    unsubscribes = undefined;
    finished.length = 0;
    pending.clear();
    return { done: true, value: undefined };
  };
  const total = futures.size;
  const next = async (): Promise<IteratorResult<Completion<T>>> => {
    if (head === finished.length && pending.size > 0) {
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
    const future = head < finished.length ? finished[head++] : undefined;
    if (future !== undefined) {
      return { done: false, value: { future, index: futures.get(future)! } };
    }
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
