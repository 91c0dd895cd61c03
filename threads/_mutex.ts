// Private: the robust futex mutex under Lock, RLock and Condition.
//
// One word per mutex, like Linux's robust futexes: 0 when unlocked, otherwise the owner's isolate
// id, with WAITERS set once someone may be sleeping on it and OWNER_DIED set when the holder took
// it over from an owner that died. Uncontended acquire and release are one compare-and-swap each
// (Drepper, "Futexes are tricky", mutex 2, with the owner id in place of the 1). Contended
// acquirers mark WAITERS and sleep in bounded slices; release wakes one sleeper when WAITERS was
// set. A sleeper re-checks the owner's liveness after every slice, so a lock whose owner died is
// taken over, never held forever.
import { isIsolateAlive } from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import { Hold } from "./hold.ts";
import type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

/** The owner's isolate id. */
export const ID_MASK = 0x3fffffff;
/** Set while the holder took the lock over from a dead owner (cleared by release). */
export const OWNER_DIED = 0x40000000;
/** Set when a sleeper may be waiting: release must wake one. */
export const WAITERS = 1 << 31;

/** Acquired normally. */
export const LOCKED = 0;
/** Acquired, taken over from an owner that died holding it. */
export const RECOVERED = 1;
/** Not acquired before the deadline. */
export const TIMED_OUT_RESULT = 2;

/** How a lock attempt ended. */
export type LockResult = typeof LOCKED | typeof RECOVERED | typeof TIMED_OUT_RESULT;

/** One compare-and-swap: takes the mutex if it is free. */
export function tryLock(cells: futex.SharedWords, index: number): boolean {
  return Atomics.compareExchange(cells, index, 0, futex.SELF) === 0;
}

/**
 * A contended acquire of the mutex at `cells[index]`, as a wait step: takes the mutex if free
 * (marking WAITERS, since others may be asleep), takes it over if its owner died, or marks
 * WAITERS and says to sleep on the word. It reuses one Sleep, so a contended acquire allocates
 * nothing per sleep.
 */
class Contender {
  cells: futex.SharedWords;
  index: number;
  readonly #sleep: futex.Sleep;

  constructor(cells: futex.SharedWords, index: number) {
    this.cells = cells;
    this.index = index;
    this.#sleep = new futex.Sleep(cells, index, 0);
  }

  /** Points this contender (and its Sleep) at another mutex word. */
  aim(cells: futex.SharedWords, index: number): this {
    this.cells = this.#sleep.words = cells;
    this.index = this.#sleep.index = index;
    return this;
  }

  readonly step = (): LockResult | futex.Sleep => {
    const { cells, index } = this;
    let c = Atomics.load(cells, index);
    for (;;) {
      if (c === 0) {
        c = Atomics.compareExchange(cells, index, 0, futex.SELF | WAITERS);
        if (c === 0) return LOCKED;
        continue;
      }
      if (!isIsolateAlive(c & ID_MASK)) {
        const prev = Atomics.compareExchange(
          cells,
          index,
          c,
          futex.SELF | OWNER_DIED | (c & WAITERS),
        );
        if (prev === c) return RECOVERED;
        c = prev;
        continue;
      }
      if ((c & WAITERS) === 0) {
        const prev = Atomics.compareExchange(cells, index, c, c | WAITERS);
        if (prev !== c) {
          c = prev;
          continue;
        }
        c |= WAITERS;
      }
      this.#sleep.expected = c;
      return this.#sleep;
    }
  };
}

// Blocking acquires are synchronous, so one contender serves them all in this isolate.
const blocking = new Contender(new Int32Array(new SharedArrayBuffer(4)), 0);

/**
 * Acquires the mutex, blocking (workers only), until `deadline`. No spinning before the first
 * sleep: measured on a 2-core machine with 5 contending workers, spinning only stole time from
 * the holder.
 */
export function lock(cells: futex.SharedWords, index: number, deadline: number): LockResult {
  const result = futex.waitUntil(blocking.aim(cells, index).step, deadline);
  return result === futex.TIMED_OUT ? TIMED_OUT_RESULT : result;
}

/** Acquires the mutex without blocking the event loop, until `deadline` or an abort. */
export async function lockAsync(
  cells: futex.SharedWords,
  index: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<LockResult> {
  const contender = new Contender(cells, index);
  const result = await futex.waitUntilAsync(contender.step, deadline, signal);
  return result === futex.TIMED_OUT ? TIMED_OUT_RESULT : result;
}

/**
 * Releases the mutex if this isolate holds it, waking one sleeper if any may wait. Returns false
 * (changing nothing) when this isolate does not hold it.
 */
export function unlock(cells: futex.SharedWords, index: number): boolean {
  let c = Atomics.load(cells, index);
  for (;;) {
    if (c === 0 || (c & ID_MASK) !== futex.SELF) return false;
    const prev = Atomics.compareExchange(cells, index, c, 0);
    if (prev === c) {
      if ((c & WAITERS) !== 0) Atomics.notify(cells, index, 1);
      return true;
    }
    c = prev;
  }
}

/** Whether this isolate holds the mutex. */
export function heldBySelf(cells: futex.SharedWords, index: number): boolean {
  const c = Atomics.load(cells, index);
  return c !== 0 && (c & ID_MASK) === futex.SELF;
}

/** Whether the mutex's holder took it over from a dead owner. */
export function ownerDied(cells: futex.SharedWords, index: number): boolean {
  return (Atomics.load(cells, index) & OWNER_DIED) !== 0;
}

/**
 * What a Condition needs from the lock it is built on, kept out of the public classes: the
 * mutex word, and for an RLock its recursion count (word 1).
 */
export interface MutexBackend {
  readonly cells: futex.SharedWords;
  readonly reentrant: boolean;
}

/** Lock and RLock register their backend here when constructed. */
export const backends: WeakMap<object, MutexBackend> = new WeakMap();

/**
 * Validates the options of a blocking acquire and refuses to block the main thread (a
 * non-blocking attempt, `blocking: false` or `timeout: 0`, is fine there).
 */
export function checkAcquire(what: string, instead: string, options: AcquireOptions): void {
  const { blocking = true, timeout } = options;
  futex.checkTimeout(what, timeout);
  if (!blocking) {
    if (timeout !== undefined) {
      throw new TypeError(`Cannot ${what}: 'timeout' cannot be combined with 'blocking: false'`);
    }
    return;
  }
  if (timeout !== 0 && !futex.canBlock) futex.assertCanBlock(what, instead);
}

/** The blocking acquire with options, shared by Lock, RLock and Condition. */
export function acquireWith(
  cells: futex.SharedWords,
  index: number,
  what: string,
  instead: string,
  options: AcquireOptions,
): LockResult {
  checkAcquire(what, instead, options);
  const { blocking = true, timeout } = options;
  if (!blocking || timeout === 0) return tryOrRecover(cells, index);
  return lock(cells, index, futex.deadlineOf(timeout));
}

/** The async acquire, shared by Lock, RLock and Condition; rejects with TimeoutError. */
export async function acquireAsyncWith(
  cells: futex.SharedWords,
  index: number,
  what: string,
  options: AsyncWaitOptions = {},
): Promise<LockResult> {
  const { timeout, signal } = options;
  futex.checkTimeout(what, timeout);
  signal?.throwIfAborted();
  if (Atomics.compareExchange(cells, index, 0, futex.SELF) === 0) return 0;
  const result = await lockAsync(cells, index, futex.deadlineOf(timeout), signal);
  if (result === TIMED_OUT_RESULT) throw futex.timeoutError(what, timeout);
  return result;
}

/** The blocking `hold`, shared by Lock and Condition: throws TimeoutError on timeout. */
export function holdWith(
  owner: { release(): void },
  cells: futex.SharedWords,
  index: number,
  what: string,
  instead: string,
  options: BlockingWaitOptions = {},
): Hold {
  const result = acquireWith(cells, index, what, instead, { timeout: options.timeout });
  if (result === TIMED_OUT_RESULT) throw futex.timeoutError(what, options.timeout);
  return new Hold(() => owner.release(), result === RECOVERED);
}

/**
 * Takes the mutex if it is free or if its owner died; never waits. (Taking over a dead owner's
 * lock never waits, so even a non-blocking attempt does it.)
 */
export function tryOrRecover(cells: futex.SharedWords, index: number): LockResult {
  let c = Atomics.load(cells, index);
  for (;;) {
    if (c === 0) {
      c = Atomics.compareExchange(cells, index, 0, futex.SELF);
      if (c === 0) return LOCKED;
      continue;
    }
    if (isIsolateAlive(c & ID_MASK)) return TIMED_OUT_RESULT;
    const prev = Atomics.compareExchange(cells, index, c, futex.SELF | OWNER_DIED | (c & WAITERS));
    if (prev === c) return RECOVERED;
    c = prev;
  }
}

/** The error for releasing a mutex this isolate does not hold. */
export function releaseError(kind: string, cells: futex.SharedWords): Error {
  const c = Atomics.load(cells, 0);
  if (c === 0) return new Error(`Cannot release ${kind} that is not locked`);
  return new Error(
    `Cannot release ${kind} held by isolate ${c & ID_MASK} from isolate ${futex.SELF}: only the ` +
      "isolate that acquired it may release it",
  );
}
