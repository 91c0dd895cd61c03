/**
 * {@linkcode RLock}: a reentrant lock in shared memory.
 *
 * @module
 */

import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import * as robust from "./_mutex.ts";
import { Hold } from "./hold.ts";
import type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

// Word 0: the mutex (owner id and flags, see _mutex.ts); word 1: the recursion level, written
// only by the holder and meaningful only while the lock is held (a release from level 1 leaves
// it at 1; every first acquire sets it to 1).
const MUTEX = 0;
const LEVEL = 1;

/**
 * A reentrant lock in shared memory: Python's `threading.RLock`. The isolate that holds it may
 * acquire it again; it is released when every acquire has been matched by a release. Pass it to
 * a `Thread` or any worker task as an argument and it arrives there live.
 *
 * The owner is an isolate (`currentIsolateId()`), since each isolate runs one JavaScript thread.
 * On the main thread every async function runs in the same isolate, so they all count as the one
 * owner: an `RLock` does not keep two async functions of the main thread apart (a `Lock` does).
 *
 * Waiting works as with {@linkcode Lock}: `acquire` blocks a worker, `acquireAsync` never blocks
 * the event loop, `hold`/`holdAsync` scope an acquisition. The same guarantees hold, including
 * the takeover of a lock whose owner died ({@linkcode RLock.ownerDied}; the recursion level
 * restarts at 1).
 *
 * @example Reentry, then release by the same isolate
 * ```ts
 * import { RLock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const rlock = new RLock();
 * await rlock.acquireAsync();
 * await rlock.acquireAsync(); // the same isolate: enters again at once
 * rlock.release();
 * assert.equal(rlock.locked(), true);
 * rlock.release();
 * assert.equal(rlock.locked(), false);
 * assert.throws(() => rlock.release(), /not locked/);
 * ```
 */
export class RLock implements Shareable {
  #cells: futex.SharedWords;

  /** Creates an unlocked reentrant lock in a new `SharedArrayBuffer`. */
  constructor() {
    this.#cells = futex.allocate(2);
    robust.backends.set(this, { cells: this.#cells, reentrant: true });
  }

  /**
   * Acquires the lock, or enters it again if this isolate holds it; blocks this worker while
   * another isolate holds it. Python: `RLock.acquire(blocking, timeout)`.
   *
   * @param options `blocking: false` to try once (allowed on the main thread); `timeout` (ms).
   * @returns `true` once acquired; `false` if not free (`blocking: false`) or timed out.
   * @throws {Error} On the main thread unless `blocking` is `false` or `timeout` is `0`: use
   * {@linkcode RLock.acquireAsync} there.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws {TypeError} If `timeout` is given with `blocking: false`.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * assert.equal(rlock.acquire({ blocking: false }), true);
   * assert.equal(rlock.acquire({ blocking: false }), true);
   * rlock.release();
   * rlock.release();
   * ```
   */
  acquire(options?: AcquireOptions): boolean {
    // As in Lock: `acquire()` in a worker and `acquire({ blocking: false })` anywhere need no
    // check before the CAS; every other form, and a dead owner's takeover, take the slow path.
    if (
      options === undefined
        ? futex.canBlock
        : options.blocking === false && options.timeout === undefined
    ) {
      const cells = this.#cells;
      const c = Atomics.compareExchange(cells, MUTEX, 0, futex.SELF);
      if (c === 0) {
        cells[LEVEL] = 1;
        return true;
      }
      if ((c & robust.ID_MASK) === futex.SELF) {
        cells[LEVEL]++;
        return true;
      }
    }
    return this.#enter("acquire an RLock", "'await rlock.acquireAsync()'", options ?? {}) !==
      robust.TIMED_OUT_RESULT;
  }

  /**
   * Acquires the lock (or enters it again) without blocking the event loop.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once this isolate holds the lock.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   *
   * const rlock = new RLock();
   * await rlock.acquireAsync({ timeout: 1000 });
   * rlock.release();
   * ```
   */
  async acquireAsync(options?: AsyncWaitOptions): Promise<void> {
    await this.#enterAsync("acquire an RLock", options);
  }

  /**
   * Leaves the lock once; releases it when the level drops to zero. Python: `RLock.release()`.
   *
   * @throws {Error} If the lock is not locked, or another isolate holds it (Python:
   * `RuntimeError: cannot release un-acquired lock`).
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.throws(() => new RLock().release(), Error);
   * ```
   */
  release(): void {
    const cells = this.#cells;
    // Leaving the outermost level is one CAS, which also proves that this isolate holds the lock
    // (the level word is only read here: another isolate's level 1 fails the CAS). The level
    // stays 1: it means something only while the lock is held, and every first acquire sets it.
    if (
      cells[LEVEL] === 1 && Atomics.compareExchange(cells, MUTEX, futex.SELF, 0) === futex.SELF
    ) return;
    this.#releaseSlow(cells);
  }

  #releaseSlow(cells: futex.SharedWords): void {
    const c = Atomics.load(cells, MUTEX);
    if (c === 0 || (c & robust.ID_MASK) !== futex.SELF) {
      throw robust.releaseError("an RLock", cells);
    }
    const level = cells[LEVEL] - 1;
    cells[LEVEL] = level;
    if (level > 0) return;
    if (Atomics.compareExchange(cells, MUTEX, futex.SELF, 0) !== futex.SELF) {
      robust.unlock(cells, MUTEX);
    }
  }

  /**
   * Whether some isolate holds the lock.
   *
   * @returns `true` while held.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new RLock().locked(), false);
   * ```
   */
  locked(): boolean {
    return Atomics.load(this.#cells, MUTEX) !== 0;
  }

  /**
   * Whether this isolate holds the lock. Python: `RLock._is_owned()`.
   *
   * @returns `true` if the current isolate holds it.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * await rlock.acquireAsync();
   * assert.equal(rlock.owned(), true);
   * rlock.release();
   * ```
   */
  owned(): boolean {
    return robust.heldBySelf(this.#cells, MUTEX);
  }

  /**
   * Whether the current holder took the lock over from an isolate that died holding it; see
   * `Lock.ownerDied`.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new RLock().ownerDied, false);
   * ```
   */
  get ownerDied(): boolean {
    return robust.ownerDied(this.#cells, MUTEX);
  }

  /**
   * Acquires (blocking, workers only) for a `using` scope. Python: `with rlock:`.
   *
   * @param options `timeout` (ms).
   * @returns A {@linkcode Hold} that releases once when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {Error} On the main thread: use {@linkcode RLock.holdAsync}.
   *
   * @example In a worker task
   * ```ts ignore
   * using _outer = rlock.hold();
   * using _inner = rlock.hold(); // reentry
   * ```
   */
  hold(options: BlockingWaitOptions = {}): Hold {
    const { timeout } = options;
    const result = this.#enter("hold an RLock", "'await rlock.holdAsync()'", { timeout });
    if (result === robust.TIMED_OUT_RESULT) throw futex.timeoutError("hold an RLock", timeout);
    return new Hold(() => this.release(), result === robust.RECOVERED);
  }

  /**
   * Acquires without blocking the event loop, for an `await using` scope.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A {@linkcode Hold} that releases once when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { RLock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * {
   *   await using _outer = await rlock.holdAsync();
   *   await using _inner = await rlock.holdAsync();
   *   assert.equal(rlock.owned(), true);
   * }
   * assert.equal(rlock.locked(), false);
   * ```
   */
  async holdAsync(options?: AsyncWaitOptions): Promise<Hold> {
    const result = await this.#enterAsync("hold an RLock", options);
    return new Hold(() => this.release(), result === robust.RECOVERED);
  }

  /**
   * Describes the lock for another isolate. Called by tandem when the lock is passed to a
   * worker.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    return { module: import.meta.url, name: "RLock", state: this.#cells };
  }

  /**
   * Rebuilds a reentrant lock over the same memory from a handle's `state`.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns An RLock over the same memory.
   * @throws {TypeError} If `state` is not an RLock's state.
   */
  static [fromHandle](state: unknown): RLock {
    const rebuilt = new RLock();
    rebuilt.#cells = futex.cellsFrom("an RLock", state, 2);
    robust.backends.set(rebuilt, { cells: rebuilt.#cells, reentrant: true });
    return rebuilt;
  }

  #enter(what: string, instead: string, options: AcquireOptions): robust.LockResult {
    const cells = this.#cells;
    if (robust.heldBySelf(cells, MUTEX)) {
      robust.checkAcquire(what, instead, options);
      cells[LEVEL]++;
      return robust.LOCKED;
    }
    const result = robust.acquireWith(cells, MUTEX, what, instead, options);
    if (result !== robust.TIMED_OUT_RESULT) cells[LEVEL] = 1;
    return result;
  }

  async #enterAsync(what: string, options?: AsyncWaitOptions): Promise<robust.LockResult> {
    const cells = this.#cells;
    if (robust.heldBySelf(cells, MUTEX)) {
      futex.checkTimeout(what, options?.timeout);
      options?.signal?.throwIfAborted();
      cells[LEVEL]++;
      return robust.LOCKED;
    }
    const result = await robust.acquireAsyncWith(cells, MUTEX, what, options);
    cells[LEVEL] = 1;
    return result;
  }
}
