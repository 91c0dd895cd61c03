/**
 * {@linkcode Condition}: a condition variable in shared memory.
 *
 * @module
 */

import {
  describeValue,
  fromHandle,
  holdEventLoop,
  isIsolateAlive,
  type Shareable,
  type SharedHandle,
  TimeoutError,
  toHandle,
} from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import * as robust from "./_mutex.ts";
import type { Hold } from "./hold.ts";
import { Lock } from "./lock.ts";
import type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";
import { RLock } from "./rlock.ts";

// Words (after Schmidt's "generation count" condition variable):
// GEN    the futex word waiters sleep on; every notify that wakes someone increments it. A
//        waiter may only take a wake-up once GEN differs from its value at registration, so a
//        notify never wakes a waiter that started waiting after it (no stolen wake-ups).
// COUNTS waiting (registered, not yet departed) << 16 | released (wake-ups not yet taken), in
//        one word so that taking a wake-up (both minus one) is one CAS. Registering, notifying
//        and leaving on timeout happen under the lock; taking a wake-up does not.
const GEN = 0;
const COUNTS = 1;
const ONE_WAITER = 1 << 16;
const MAX_WAITERS = 0xffff;

/**
 * A condition variable in shared memory: Python's `threading.Condition`. Isolates that share it
 * (pass it to a `Thread` or any worker task as an argument) wait for a state change with
 * {@linkcode Condition.wait} (a worker, blocking) or {@linkcode Condition.waitAsync} (anywhere,
 * never blocking the event loop), and announce it with {@linkcode Condition.notify} or
 * {@linkcode Condition.notifyAll}, all while holding the condition's lock.
 *
 * The lock is a shared {@linkcode Lock} or {@linkcode RLock}. The default is a new `Lock`, as
 * in `asyncio.Condition` (Python's `threading.Condition` defaults to an `RLock`): an `RLock` is
 * owned by an isolate, so it cannot keep two async functions of the main thread apart.
 * `acquire`, `acquireAsync`, `release`, `hold` and `holdAsync` act on it.
 *
 * Guarantees:
 * - No lost wake-up: a notify reaches the waiters that were waiting when it was made, including
 *   one that has released the lock but not yet gone to sleep.
 * - No stolen wake-up: a notify never wakes a wait that started after it.
 * - `notify(n)` wakes `min(n, waiting)` waits; which of the eligible waiters wake is not
 *   specified (as in Python). A wait whose timeout runs out at the moment it is notified reports
 *   the notification (returns `true`) when it took it, and otherwise leaves it to another waiter.
 * - `wait` re-acquires the lock before it returns or throws, on every path (timeout, abort).
 * - At most 65535 waits at once.
 * - If a waiting worker dies, a notification may be spent on it: other waiters then wake at the
 *   next notify, or spuriously, which a loop on the predicate (see
 *   {@linkcode Condition.waitFor}) absorbs.
 *
 * @example A worker-free round trip on the main thread
 * ```ts
 * import { Condition } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const ready = new Condition();
 * let value = 0;
 * const waiter = (async () => {
 *   await using _held = await ready.holdAsync();
 *   await ready.waitForAsync(() => value > 0, { timeout: 1000 });
 *   return value;
 * })();
 * {
 *   await using _held = await ready.holdAsync();
 *   value = 42;
 *   ready.notifyAll();
 * }
 * assert.equal(await waiter, 42);
 * ```
 */
export class Condition implements Shareable {
  #lock: Lock | RLock;
  #mutex: robust.MutexBackend;
  #cells: futex.SharedWords;

  /**
   * Creates a condition over `lock`. Python: `threading.Condition(lock=None)`.
   *
   * @param lock A shared {@linkcode Lock} or {@linkcode RLock}; a new `Lock` by default.
   * @throws {TypeError} If `lock` is not a tandem `Lock` or `RLock`.
   */
  constructor(lock?: Lock | RLock) {
    const chosen = lock ?? new Lock();
    const mutex = robust.backends.get(chosen);
    if (mutex === undefined) {
      throw new TypeError(
        "Cannot create Condition: 'lock' must be a Lock or RLock from @tandem/tandem/threads, " +
          `received ${describeValue(lock)}`,
      );
    }
    this.#lock = chosen;
    this.#mutex = mutex;
    this.#cells = futex.allocate(2);
  }

  /** The lock this condition waits with. */
  get lock(): Lock | RLock {
    return this.#lock;
  }

  /**
   * Acquires the underlying lock (blocking, workers only); see `Lock.acquire`.
   *
   * @param options `blocking` and `timeout`.
   * @returns Whether the lock was acquired.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const condition = new Condition();
   * assert.equal(condition.acquire({ blocking: false }), true);
   * condition.release();
   * ```
   */
  acquire(options?: AcquireOptions): boolean {
    return this.#lock.acquire(options);
  }

  /**
   * Acquires the underlying lock without blocking the event loop; see `Lock.acquireAsync`.
   *
   * @param options `timeout` and `signal`.
   * @returns A promise that resolves once the lock is held.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   *
   * const condition = new Condition();
   * await condition.acquireAsync();
   * condition.release();
   * ```
   */
  acquireAsync(options?: AsyncWaitOptions): Promise<void> {
    return this.#lock.acquireAsync(options);
  }

  /**
   * Releases the underlying lock.
   *
   * @throws {Error} If this isolate does not hold it.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.throws(() => new Condition().release(), /not locked/);
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Holds the underlying lock (blocking, workers only) for a `using` scope. Python: `with cond:`.
   *
   * @param options `timeout` (ms).
   * @returns A `Hold` that releases the lock when disposed.
   *
   * @example In a worker task
   * ```ts ignore
   * using _held = condition.hold();
   * condition.waitFor(() => queue.length > 0);
   * ```
   */
  hold(options?: BlockingWaitOptions): Hold {
    return this.#lock.hold(options);
  }

  /**
   * Holds the underlying lock without blocking the event loop, for an `await using` scope.
   *
   * @param options `timeout` and `signal`.
   * @returns A `Hold` that releases the lock when disposed.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   *
   * const condition = new Condition();
   * await using _held = await condition.holdAsync();
   * condition.notify();
   * ```
   */
  holdAsync(options?: AsyncWaitOptions): Promise<Hold> {
    return this.#lock.holdAsync(options);
  }

  /**
   * Releases the lock, blocks this worker until notified (or the timeout runs out), and
   * re-acquires the lock. Python: `Condition.wait(timeout)`.
   *
   * @param options `timeout` (ms).
   * @returns `true` if notified; `false` if the timeout ran out. The lock is held again either
   * way.
   * @throws {Error} If this isolate does not hold the lock, or on the main thread (use
   * {@linkcode Condition.waitAsync}).
   * @throws {RangeError} If `timeout` is negative or not a number.
   *
   * @example In a worker task
   * ```ts ignore
   * using _held = condition.hold();
   * while (!ready[0]) condition.wait();
   * ```
   */
  wait(options: BlockingWaitOptions = {}): boolean {
    const { timeout } = options;
    futex.checkTimeout("wait on a Condition", timeout);
    if (!futex.canBlock) {
      futex.assertCanBlock("wait on a Condition", "'await condition.waitAsync()'");
    }
    this.#checkOwned("wait on");
    const deadline = futex.deadlineOf(timeout);
    const cells = this.#cells;
    const generation = Atomics.load(cells, GEN);
    const saved = this.#enter();
    let notified = false;
    try {
      notified = futex.waitUntil(this.#notifiedSince(generation), deadline) !== futex.TIMED_OUT;
    } finally {
      // Re-acquire on every path (a deadline of Infinity never times out), except in a worker
      // that was terminated meanwhile: it leaves without taking the lock.
      if (isIsolateAlive(futex.SELF)) {
        robust.lock(this.#mutex.cells, 0, Infinity);
        this.#restore(saved);
      }
    }
    return notified || this.#leave();
  }

  /**
   * Releases the lock, waits without blocking the event loop until notified, and re-acquires
   * the lock. Python: `await asyncio.Condition.wait()`.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once notified, with the lock held again.
   * @throws {TimeoutError} If `timeout` ms pass first; the lock is held again.
   * @throws `signal.reason` if aborted first; the lock is held again. A notification that raced
   * with the abort is passed on to another waiter.
   * @throws {Error} If this isolate does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const condition = new Condition();
   * await using _held = await condition.holdAsync();
   * await assert.rejects(condition.waitAsync({ timeout: 10 }), TimeoutError);
   * assert.equal(condition.lock.locked(), true);
   * ```
   */
  async waitAsync(options: AsyncWaitOptions = {}): Promise<void> {
    const { timeout, signal } = options;
    futex.checkTimeout("wait on a Condition", timeout);
    this.#checkOwned("wait on");
    signal?.throwIfAborted();
    const deadline = futex.deadlineOf(timeout);
    const cells = this.#cells;
    const generation = Atomics.load(cells, GEN);
    const saved = this.#enter();
    let notified = false;
    let failure: { error: unknown } | undefined;
    using _held = holdEventLoop(); // until the lock is ours again
    try {
      const step = this.#notifiedSince(generation);
      notified = await futex.waitUntilAsync(step, deadline, signal) !== futex.TIMED_OUT;
    } catch (error) {
      failure = { error };
    } finally {
      // Re-acquire on every path, ignoring the signal, as asyncio does.
      const cells = this.#mutex.cells;
      if (!robust.tryLock(cells, 0)) await robust.lockAsync(cells, 0, Infinity, undefined);
      this.#restore(saved);
    }
    if (!notified) notified = this.#leave();
    if (failure !== undefined) {
      // Taken a notification meant for someone, then failed: hand it on.
      if (notified) this.notify(1);
      throw failure.error;
    }
    if (!notified) throw futex.timeoutError("be notified on a Condition", timeout);
  }

  /**
   * Waits (blocking, workers only) until `predicate()` is truthy, re-checking after every
   * notification. Python: `Condition.wait_for(predicate, timeout)`.
   *
   * @typeParam T The predicate's result.
   * @param predicate Called with the lock held.
   * @param options `timeout` (ms) for the whole wait.
   * @returns The predicate's last result: truthy, or falsy if the timeout ran out.
   * @throws {Error} If this isolate does not hold the lock, or on the main thread.
   *
   * @example In a worker task
   * ```ts ignore
   * using _held = condition.hold();
   * condition.waitFor(() => items.length > 0, { timeout: 1000 });
   * ```
   */
  waitFor<T>(predicate: () => T, options: BlockingWaitOptions = {}): T {
    const { timeout } = options;
    futex.checkTimeout("wait on a Condition", timeout);
    const deadline = futex.deadlineOf(timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.wait(deadline === Infinity ? {} : { timeout: left });
      result = predicate();
    }
    return result;
  }

  /**
   * Waits without blocking the event loop until `predicate()` is truthy. Python:
   * `await asyncio.Condition.wait_for(predicate)`.
   *
   * @typeParam T The predicate's result.
   * @param predicate Called with the lock held.
   * @param options `timeout` (ms) for the whole wait, and `signal`.
   * @returns The predicate's truthy result.
   * @throws {TimeoutError} If `timeout` ms pass first (the lock is held again).
   * @throws `signal.reason` if aborted first (the lock is held again).
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const condition = new Condition();
   * await using _held = await condition.holdAsync();
   * assert.equal(await condition.waitForAsync(() => "already true"), "already true");
   * ```
   */
  async waitForAsync<T>(predicate: () => T, options: AsyncWaitOptions = {}): Promise<T> {
    const { timeout, signal } = options;
    futex.checkTimeout("wait on a Condition", timeout);
    const deadline = futex.deadlineOf(timeout);
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) throw futex.timeoutError("see a Condition's predicate become true", timeout);
      await this.waitAsync(deadline === Infinity ? { signal } : { timeout: left, signal }).catch(
        (error) => {
          if (!(error instanceof TimeoutError)) throw error;
        },
      );
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters. They return from their wait once they get the lock, that is after
   * the caller releases it. Python: `Condition.notify(n=1)`.
   *
   * @param n How many waiters to wake, at most.
   * @throws {Error} If this isolate does not hold the lock.
   * @throws {RangeError} If `n` is not a non-negative integer.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   *
   * const condition = new Condition();
   * await using _held = await condition.holdAsync();
   * condition.notify(); // nobody waits: does nothing
   * ```
   */
  notify(n = 1): void {
    futex.checkInteger("notify a Condition", "n", n);
    this.#checkOwned("notify");
    const cells = this.#cells;
    let s = Atomics.load(cells, COUNTS);
    let k: number;
    for (;;) {
      // Waiters not yet covered by a wake-up; a concurrent take lowers both counts alike.
      k = Math.min(n, (s >>> 16) - (s & 0xffff));
      if (k <= 0) return;
      const prev = Atomics.compareExchange(cells, COUNTS, s, s + k);
      if (prev === s) break;
      s = prev;
    }
    Atomics.add(cells, GEN, 1);
    Atomics.notify(cells, GEN, k);
  }

  /**
   * Wakes every waiter. Python: `Condition.notify_all()`.
   *
   * @throws {Error} If this isolate does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition } from "@tandem/tandem/threads";
   *
   * const condition = new Condition();
   * await using _held = await condition.holdAsync();
   * condition.notifyAll();
   * ```
   */
  notifyAll(): void {
    this.notify(MAX_WAITERS);
  }

  /**
   * Describes the condition (its lock and its words) for another isolate.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    return {
      module: import.meta.url,
      name: "Condition",
      state: {
        lock: this.#mutex.cells,
        reentrant: this.#mutex.reentrant,
        cells: this.#cells,
      },
    };
  }

  /**
   * Rebuilds a condition, and its lock, over the same memory from a handle's `state`.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A condition over the same memory.
   * @throws {TypeError} If `state` is not a condition's state.
   */
  static [fromHandle](state: unknown): Condition {
    const s = (typeof state === "object" && state !== null ? state : {}) as Record<
      string,
      unknown
    >;
    const lock = s.reentrant === true
      ? RLock[fromHandle](s.lock)
      : s.reentrant === false
      ? Lock[fromHandle](s.lock)
      : undefined;
    if (lock === undefined) {
      throw new TypeError(
        "Cannot rebuild a Condition from its handle: the state has no lock description",
      );
    }
    const rebuilt = new Condition(lock);
    rebuilt.#cells = futex.cellsFrom("a Condition", s.cells, 2);
    return rebuilt;
  }

  #checkOwned(what: string): void {
    if (!robust.heldBySelf(this.#mutex.cells, 0)) {
      throw new Error(
        `Cannot ${what} a Condition: its lock is not held by this isolate (acquire it first)`,
      );
    }
  }

  /** Registers as a waiter and releases the lock fully; returns the RLock level to restore. */
  #enter(): number {
    const { cells, reentrant } = this.#mutex;
    if (Atomics.load(this.#cells, COUNTS) >>> 16 === MAX_WAITERS) {
      throw new RangeError(`Cannot wait on a Condition: ${MAX_WAITERS} waiters already wait`);
    }
    Atomics.add(this.#cells, COUNTS, ONE_WAITER);
    let level = 0;
    if (reentrant) {
      level = cells[1];
      cells[1] = 0;
    }
    robust.unlock(cells, 0);
    return level;
  }

  /** Called with the lock re-acquired: puts back the RLock level. */
  #restore(level: number): void {
    if (this.#mutex.reentrant) this.#mutex.cells[1] = level;
  }

  /** Takes one wake-up, if any is left, and departs. */
  /** The wait's step: done once a notify made after `generation` is taken by this waiter. */
  #notifiedSince(generation: number): futex.WaitStep<true> {
    const cells = this.#cells;
    return () => {
      const g = Atomics.load(cells, GEN);
      return g !== generation && this.#take() ? true : futex.sleepOn(cells, GEN, g);
    };
  }

  #take(): boolean {
    const cells = this.#cells;
    let s = Atomics.load(cells, COUNTS);
    while ((s & 0xffff) > 0) {
      const prev = Atomics.compareExchange(cells, COUNTS, s, s - ONE_WAITER - 1);
      if (prev === s) return true;
      s = prev;
    }
    return false;
  }

  /**
   * Called with the lock held by a waiter that timed out or was aborted: departs. If the
   * wake-ups outnumber the waiters left, one of them was this waiter's: it takes it and reports
   * being notified. Otherwise it leaves any wake-up to the others, and wakes one sleeper in case
   * the futex wake-up went to this waiter.
   */
  #leave(): boolean {
    const cells = this.#cells;
    let s = Atomics.load(cells, COUNTS);
    for (;;) {
      const waiting = s >>> 16;
      const released = s & 0xffff;
      const notified = released >= waiting;
      const prev = Atomics.compareExchange(
        cells,
        COUNTS,
        s,
        s - ONE_WAITER - (notified ? 1 : 0),
      );
      if (prev === s) {
        if (!notified && released > 0) Atomics.notify(cells, GEN, 1);
        return notified;
      }
      s = prev;
    }
  }
}
