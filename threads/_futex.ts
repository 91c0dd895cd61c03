// Private: what threads' primitives add to the public futex layer (./futex.ts): their owner id,
// word allocation, handle and argument checks, and their TimeoutError.
import { currentIsolateId, TimeoutError } from "@tandem/tandem/futures";
import type { SharedWords } from "./futex.ts";

/** This isolate's number (see `currentIsolateId`): the owner id that locks record. */
export const SELF: number = currentIsolateId();

/** Allocates `count` words, zeroed, in their own cache line(s) to avoid false sharing. */
export function allocate(count: number): SharedWords {
  const bytes = Math.max(64, Math.ceil((count * 4) / 64) * 64);
  return new Int32Array(new SharedArrayBuffer(bytes), 0, count);
}

/** Checks the state a handle carries: `count` words over shared memory. */
export function cellsFrom(what: string, state: unknown, count: number): SharedWords {
  if (
    !(state instanceof Int32Array) || !(state.buffer instanceof SharedArrayBuffer) ||
    state.length !== count
  ) {
    throw new TypeError(
      `Cannot rebuild ${what} from its handle: the state must be an Int32Array of ${count} ` +
        "words over a SharedArrayBuffer",
    );
  }
  return state as SharedWords;
}

/** Throws a RangeError naming `what` unless `timeout` is undefined or a number >= 0. */
export function checkTimeout(what: string, timeout: number | undefined): void {
  if (timeout === undefined) return;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${what}: 'timeout' must be a non-negative number of milliseconds, received ${
        String(timeout)
      }`,
    );
  }
}

/** The TimeoutError every async form rejects with. */
export function timeoutError(what: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(`Timed out after ${timeout} ms waiting to ${what}`);
}

/** Checks that `n` is a positive integer (for `release(n)`, `notify(n)`). */
export function checkCount(what: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot ${what}: '${name}' must be a positive integer, received ${n}`);
  }
}
