// Private: the queue-specific part of SharedQueue's synchronization, over the hub's futex
// layer. A short-held mutex word (Drepper, "Futexes are tricky", mutex 2) guards the queue's
// header and ring buffer; waiters for items, space or join sleep (with `waitWord` or
// `waitWordAsync`) on sequence words that every change bumps.
import { type SharedWords, waitWord } from "../futures/futex.ts";

/**
 * Takes the mutex at `words[index]` (0 free, 1 held, 2 held with sleepers). The holder only
 * copies bytes (never runs user code, never awaits), so a contended acquire sleeps for
 * microseconds; that short wait is allowed on the main thread too, like the lock inside Python's
 * `queue.Queue.put_nowait`. Unlike threads' robust Lock it records no owner: no code that could
 * die runs while it is held.
 */
export function lock(words: SharedWords, index: number): void {
  let c = Atomics.compareExchange(words, index, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(words, index, 2);
  while (c !== 0) {
    waitWord(words, index, 2, Infinity);
    c = Atomics.exchange(words, index, 2);
  }
}

/** Releases the mutex, waking one sleeper if any. */
export function unlock(words: SharedWords, index: number): void {
  if (Atomics.sub(words, index, 1) !== 1) {
    Atomics.store(words, index, 0);
    Atomics.notify(words, index, 1);
  }
}

/** Bumps the sequence word at `index` and wakes everyone sleeping on it. */
export function bump(words: SharedWords, index: number): void {
  Atomics.add(words, index, 1);
  Atomics.notify(words, index);
}
