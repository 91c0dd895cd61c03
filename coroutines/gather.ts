/**
 * {@linkcode gather}: run awaitables concurrently and collect their results in order.
 *
 * @module
 */

import { checkOptions, onAbort, typeError } from "@tandem/tandem/futures";
import { checkSignal } from "./_validate.ts";

/** Options for {@linkcode gather}. */
export interface GatherOptions {
  /**
   * Return failures in place of results instead of rejecting on the first one. Python:
   * `return_exceptions=True`.
   *
   * @default {false}
   */
  returnExceptions?: boolean;
  /**
   * Cancels the gather: the functions' shared signal fires with `signal.reason`, and `gather`
   * rejects with it once those functions have settled.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What {@linkcode gather} accepts: a promise (or any value), or a function given a signal. */
export type Gatherable<T> = PromiseLike<T> | ((signal: AbortSignal) => T | PromiseLike<T>) | T;

/** The result of one item of {@linkcode gather}: what its promise or function resolves to. */
export type GatherResult<I> = I extends (signal: AbortSignal) => infer R ? Awaited<R>
  : Awaited<I>;

/** The results of {@linkcode gather}, item by item. */
export type GatherResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: GatherResult<T[K]>;
};

/** The results of {@linkcode gather} with `returnExceptions: true`: a result or an error each. */
export type GatherSettled<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: GatherResult<T[K]> | Error;
};

/**
 * Waits for several pieces of work running at the same time and returns their results in the
 * order given: Python's `asyncio.gather(*aws, return_exceptions=False)`.
 *
 * Each item is a promise (already running), a function `(signal) => work` that `gather` calls at
 * once, or a plain value (returned as is, like `Promise.all`). All functions share one signal.
 *
 * - **`returnExceptions: false`** (default): the first failure rejects `gather` at once. As in
 *   Python, the other items are **not** cancelled: they keep running, their results are
 *   dropped and their later failures are handled (no unhandled rejection). For fail-fast with
 *   cancellation of the rest, use a {@linkcode TaskGroup}, as Python's documentation also
 *   advises.
 * - **`returnExceptions: true`**: never rejects because of an item; a failed item's error takes
 *   its place in the results. (A rejection value that is not an `Error` is returned as is,
 *   although the type says `Error`.)
 * - **`signal`**: aborting it fires the functions' signal, waits until every function's promise
 *   has settled (so their cleanup ran), then rejects with `signal.reason`. Promises that were
 *   passed in cannot be cancelled and are not waited for.
 *
 * @typeParam T The items' types; results keep the order and per-item types.
 * @param items The work, as an array.
 * @param options `returnExceptions` and `signal`.
 * @returns The results, in the order of `items`.
 * @throws {TypeError} If `items` is not iterable or `signal` is not an `AbortSignal`.
 * @throws The first failure, unless `returnExceptions`; `signal.reason` if aborted.
 *
 * @example Results in order, with and without returnExceptions
 * ```ts
 * import { gather, sleep } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = await gather([
 *   sleep(5).then(() => "slow"),
 *   async (signal: AbortSignal) => (await sleep(1, { signal }), 2),
 * ]);
 * assert.equal(a, "slow");
 * assert.equal(b, 2);
 *
 * const mixed = await gather([Promise.resolve(1), Promise.reject(new Error("no"))], {
 *   returnExceptions: true,
 * });
 * assert.equal(mixed[0], 1);
 * assert.equal((mixed[1] as Error).message, "no");
 * ```
 */
export function gather<const T extends readonly unknown[]>(
  items: T,
  options?: GatherOptions & { returnExceptions?: false },
): Promise<GatherResults<T>>;
/**
 * {@linkcode gather} with `returnExceptions: true`: failed items return their error in place.
 *
 * @typeParam T The items' types.
 * @param items The work, as an array.
 * @param options `returnExceptions: true`, and `signal`.
 * @returns One result or error per item, in order.
 * @throws {TypeError} If `items` is not iterable or `signal` is not an `AbortSignal`.
 * @throws `signal.reason` if aborted.
 *
 * @example
 * ```ts
 * import { gather } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const [ok, failed] = await gather([() => 1, () => Promise.reject(new RangeError("x"))], {
 *   returnExceptions: true,
 * });
 * assert.equal(ok, 1);
 * assert.ok(failed instanceof RangeError);
 * ```
 */
export function gather<const T extends readonly unknown[]>(
  items: T,
  options: GatherOptions & { returnExceptions: true },
): Promise<GatherSettled<T>>;
/**
 * {@linkcode gather} with `returnExceptions` known only at run time.
 *
 * @typeParam T The items' types.
 * @param items The work, as an array.
 * @param options `returnExceptions` and `signal`.
 * @returns The results (or errors, with `returnExceptions`), in order.
 * @throws {TypeError} If `items` is not iterable or `signal` is not an `AbortSignal`.
 */
export function gather<const T extends readonly unknown[]>(
  items: T,
  options?: GatherOptions,
): Promise<GatherResults<T> | GatherSettled<T>>;
export function gather(items: Iterable<unknown>, options: GatherOptions = {}): Promise<unknown[]> {
  if (items === null || typeof (items as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    typeError("gather", "items", "an array of promises or functions", items);
  }
  const { signal } = checkOptions<GatherOptions>("gather", options, ["signal", "returnExceptions"]);
  checkSignal("gather", signal);
  if (signal?.aborted) return Promise.reject(signal.reason);
  const list = Array.isArray(items) ? items : [...items];
  // Call the functions (all with one shared signal) and keep their promises, then let the
  // platform's Promise.all / allSettled do the fan-in: they are as fast as it gets, and
  // Promise.all already has Python's semantics (first failure rejects, the rest keep running and
  // their rejections are handled).
  let controller: AbortController | undefined;
  let started: Promise<unknown>[] | undefined;
  let values = list;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== "function") continue;
    if (controller === undefined) {
      controller = new AbortController();
      started = [];
      values = list.slice();
    }
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve((item as (signal: AbortSignal) => unknown)(controller.signal));
    } catch (error) {
      promise = Promise.reject(error);
    }
    values[i] = promise;
    started!.push(promise);
  }
  const combined = options.returnExceptions === true
    ? Promise.allSettled(values).then((outcomes) =>
      outcomes.map((outcome) => outcome.status === "fulfilled" ? outcome.value : outcome.reason)
    )
    : Promise.all(values);
  if (signal === undefined) return combined;
  return new Promise<unknown[]>((resolve, reject) => {
    let cancelled = false;
    const unlisten = onAbort(signal, (reason) => {
      cancelled = true;
      controller?.abort(reason);
      // Settle only once every function has: their cleanup has run when gather rejects.
      Promise.allSettled(started ?? []).then(() => reject(reason));
    });
    combined.then(
      (results) => {
        if (cancelled) return;
        unlisten();
        resolve(results);
      },
      (error) => {
        if (cancelled) return;
        unlisten();
        reject(error);
      },
    );
  });
}
