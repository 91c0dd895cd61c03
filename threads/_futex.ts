// Private: the kernel as threads' primitives use it (`import * as futex from "./_futex.ts"`):
// the hub's wait kernel, their owner id, word allocation and handle checks, and the two ways a
// primitive's wait runs (blocking in a worker, async anywhere), written once.
import {
  assertCanBlock,
  canBlock,
  checkTimeout,
  currentIsolateId,
  deadlineOf,
  type SharedWords,
  TIMED_OUT,
  timeoutError,
  type WaitStep,
  waitUntil,
  waitUntilAsync,
} from "@tandem/tandem/futures";

export {
  assertCanBlock,
  canBlock,
  checkInteger,
  checkOptions,
  checkTimeout,
  deadlineOf,
  type SharedWords,
  Sleep,
  sleepOn,
  TIMED_OUT,
  timeoutError,
  typeError,
  type WaitStep,
  waitUntil,
  waitUntilAsync,
} from "@tandem/tandem/futures";

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

/**
 * A primitive's blocking wait (workers only; a `timeout` of 0 is allowed anywhere): checks the
 * timeout, refuses the main thread naming `instead`, and drives the step made by `start` (called
 * after the checks) until it gives a value or the time runs out.
 */
export function blockingWait<T>(
  what: string,
  instead: string,
  timeout: number | undefined,
  start: () => WaitStep<T>,
): T | typeof TIMED_OUT {
  checkTimeout(what, timeout);
  if (timeout !== 0 && !canBlock) assertCanBlock(what, instead);
  return waitUntil(start(), deadlineOf(timeout));
}

/**
 * A primitive's async wait: checks the timeout, and drives the step made by `start` without
 * blocking the event loop; rejects with the one TimeoutError wording when the time runs out.
 */
export async function asyncWait<T>(
  what: string,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
  start: () => WaitStep<T>,
): Promise<T> {
  checkTimeout(what, timeout);
  const result = await waitUntilAsync(start(), deadlineOf(timeout), signal);
  if (result === TIMED_OUT) throw timeoutError(what, timeout);
  return result;
}
