// Private: what threads' primitives add to the hub's futex layer: their owner id, word
// allocation and handle checks.
import { currentIsolateId, type SharedWords } from "@tandem/tandem/futures";

// Kept here for the files that import them from this module (threads/thread.ts).
export { checkTimeout, timeoutError } from "@tandem/tandem/futures";

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
