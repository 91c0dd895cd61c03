// Private: the waiting side of a Queue. A waiter is settled exactly once, by whichever comes
// first: a hand-off (an item for a getter, space for a putter), its timeout, its signal, or a
// shutdown. Settling is synchronous and removes the timer and the abort listener at once, so a
// waiter that has been handed an item can no longer be aborted, and an aborted waiter can no
// longer be handed one: that is what makes an abort at the moment of hand-off lose nothing.
import { checkOptions, checkSignal, checkTimeout } from "../futures/checks.ts";
import { Deque } from "./_store.ts";

/** One call waiting on a queue: a blocked `get`, `put` or `join`. */
export interface Waiter<V> {
  settled: boolean;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Removes the abort listener, if any (see `onAbort`). */
  unlisten: (() => void) | undefined;
}

/** A blocked `put`, holding the item it waits to add. */
export interface Putter<T> extends Waiter<void> {
  item: T;
}

/** Marks `waiter` settled and drops its timer and abort listener; the caller then resolves it. */
export function release<V>(waiter: Waiter<V>): void {
  waiter.settled = true;
  if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  if (waiter.unlisten !== undefined) waiter.unlisten();
}

const COMPACT_AT = 32;

/**
 * Waiters in arrival order (first come, first served). A waiter that leaves early (timeout,
 * abort) is only marked settled and skipped later, so leaving is O(1); the list is compacted
 * when skipped entries outnumber live ones.
 */
export class WaiterList<W extends Waiter<never>> {
  #deque = new Deque<W>();
  #live = 0;

  /** How many waiters are still waiting. */
  get size(): number {
    return this.#live;
  }

  push(waiter: W): void {
    this.#deque.add(waiter);
    this.#live++;
  }

  /** Removes and returns the longest-waiting live waiter (not yet settled), if any. */
  shift(): W | undefined {
    const deque = this.#deque;
    while (deque.length > 0) {
      const waiter = deque.take();
      if (!waiter.settled) {
        this.#live--;
        return waiter;
      }
    }
    return undefined;
  }

  /** Records that a waiter in the list settled on its own (timeout or abort). */
  left(): void {
    this.#live--;
    const deque = this.#deque;
    if (deque.length >= COMPACT_AT && deque.length > 2 * this.#live) {
      const kept = new Deque<W>();
      while (deque.length > 0) {
        const waiter = deque.take();
        if (!waiter.settled) kept.add(waiter);
      }
      this.#deque = kept;
    }
  }

  /** Removes and returns every live waiter, in order. */
  drain(): W[] {
    const waiters: W[] = [];
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) {
      waiters.push(waiter);
    }
    return waiters;
  }
}

/** The options of a wait, or the error they deserve (a wait rejects rather than throws). */
export function waitOptions(
  what: string,
  options: unknown,
): { timeout?: number; signal?: AbortSignal } | { error: unknown } {
  try {
    const opts = checkOptions<{ timeout?: number; signal?: AbortSignal }>(what, options, [
      "timeout",
      "signal",
    ]);
    checkTimeout(what, opts.timeout);
    checkSignal(what, opts.signal);
    return opts;
  } catch (error) {
    return { error };
  }
}
