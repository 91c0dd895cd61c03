/**
 * Small example tasks used by the documentation's examples: each is exported under its own name,
 * so any executor can run it in a worker or a child process.
 *
 * @module
 */

import { task } from "../futures/task.ts";
import { transfer } from "../futures/transfer.ts";

/** Doubles a number. */
export const double = task(import.meta.url, function double(n: number): number {
  return n * 2;
});

/** Throws a `RangeError` with the given message. */
export const fail = task(import.meta.url, function fail(message: string): never {
  throw new RangeError(message);
});

/** Resolves with `value` after `ms` milliseconds. */
export const sleepThen = task(
  import.meta.url,
  function sleepThen<T>(ms: number, value: T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value), ms));
  },
);

/** Inverts every byte in place and moves the bytes back to the caller (see `transfer`). */
export const invertBytes = task(
  import.meta.url,
  function invertBytes(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i++) bytes[i] = 255 - bytes[i];
    return transfer(bytes);
  },
);

/** Returns `bytes` as they are: moved back to the caller with `move`, else copied. */
export const returnBytes = task(
  import.meta.url,
  function returnBytes(bytes: Uint8Array, move: boolean): Uint8Array {
    return move ? transfer(bytes) : bytes;
  },
);

/** The book's naive greatest common divisor (item 64): counts down from the smaller number. */
export const gcd = task(import.meta.url, function gcd(pair: [number, number]): number {
  const [a, b] = pair;
  const low = Math.min(a, b);
  for (let i = low; i > 0; i--) {
    if (a % i === 0 && b % i === 0) return i;
  }
  return 1;
});

/** Moves every number from `inbox` to `outbox`, doubled, until `inbox` is closed and empty. */
export const doubleAll = task(
  import.meta.url,
  function doubleAll(inbox: Iterable<number>, outbox: { put(n: number): void }): void {
    for (const n of inbox) outbox.put(n * 2);
  },
);

/** In a worker: doubles `n` by calling the main thread's `double` through a bridge. */
export const callDouble = task(
  import.meta.url,
  function callDouble(
    bridge: { call(name: "double", args: [number]): number },
    n: number,
  ): number {
    return bridge.call("double", [n]);
  },
);

/** Yields 1, 2, ..., `n`: a task to stream (`pool.stream(countTo, n)`). */
export const countTo = task(
  import.meta.url,
  async function* countTo(n: number): AsyncGenerator<number, void, undefined> {
    for (let i = 1; i <= n; i++) yield i;
  },
);
