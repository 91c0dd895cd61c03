/**
 * {@linkcode Lock}: a mutual-exclusion lock in shared memory, usable from every isolate it is
 * passed to.
 *
 * @module
 */

import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
import { allocate, assertCanBlock, canBlock, cellsFrom, SELF, type SharedWords } from "./_futex.ts";
import * as robust from "./_mutex.ts";
import { Hold } from "./hold.ts";
import type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

/**
 * A lock in shared memory: Python's `threading.Lock`, for Web Workers. At most one holder at a
 * time, across every isolate the lock is passed to (as an argument of a `Thread` or of any worker
 * task, it arrives there live, over the same memory).
 *
 * Two ways to wait, on one object:
 * - in a worker, {@linkcode Lock.acquire} blocks the worker (`Atomics.wait`), like Python;
 * - anywhere, and always on the main thread, {@linkcode Lock.acquireAsync} waits without blocking
 *   the event loop (`Atomics.waitAsync`) and takes a `timeout` and a `signal`.
 *
 * Scoped use releases on every exit path: `using _ = lock.hold()` (worker) or
 * `await using _ = await lock.holdAsync()`.
 *
 * Guarantees:
 * - Mutual exclusion; an uncontended acquire or release is a single compare-and-swap.
 * - Waiters sleep (no spinning), never busy-wait; a release wakes one sleeper. No FIFO
 *   order: a newcomer may take a just-released lock before a woken sleeper (as with Python's
 *   lock and POSIX mutexes).
 * - Owned: the lock records its holder's isolate and only that isolate may release it (Python's
 *   `Lock` lets any thread release it; here a release from elsewhere throws). On the main thread
 *   all async code shares one isolate, so any of it may release the lock that another async
 *   function of the main thread acquired.
 * - Robust: if the holder's worker dies (it crashed or was terminated, so tandem marks its
 *   isolate dead), the next acquirer takes the lock over instead of waiting forever, within one
 *   sleep slice (50 ms), and {@linkcode Lock.ownerDied} (and `Hold.ownerDied`) tells it that the
 *   protected data may be half-updated. Deno stops a terminated worker only when it returns to
 *   its event loop or waits on a tandem primitive; a worker terminated in the middle of a pure
 *   computation may still run it for a while.
 * - Not reentrant: a worker that acquires a lock it already holds waits until `timeout` (use an
 *   `RLock`).
 *
 * @example Waiting for the lock without blocking the main thread
 * ```ts
 * import { Lock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * await lock.acquireAsync();
 * assert.equal(lock.locked(), true);
 * setTimeout(() => lock.release(), 10);
 * await lock.acquireAsync({ timeout: 1000 }); // waits for the release above
 * lock.release();
 * ```
 *
 * @example Scoped use: released however the block ends
 * ```ts
 * import { Lock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * try {
 *   await using _held = await lock.holdAsync();
 *   throw new Error("boom");
 * } catch {
 *   // the lock was released before we got here
 * }
 * assert.equal(lock.locked(), false);
 * ```
 */
export class Lock implements Shareable {
  #cells: SharedWords;

  /** Creates an unlocked lock in a new `SharedArrayBuffer`. */
  constructor() {
    this.#cells = allocate(1);
    robust.backends.set(this, { cells: this.#cells, reentrant: false });
  }

  /**
   * Acquires the lock, blocking this worker until it is free. Python: `Lock.acquire(blocking,
   * timeout)`.
   *
   * @param options `blocking: false` to try once without waiting (allowed on the main thread);
   * `timeout` (ms) to give up after a while.
   * @returns `true` once acquired; `false` if the lock was not free (`blocking: false`) or the
   * timeout ran out.
   * @throws {Error} On the main thread, unless `blocking` is `false` or `timeout` is `0`: use
   * {@linkcode Lock.acquireAsync} there.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws {TypeError} If `timeout` is given with `blocking: false`.
   *
   * @example Trying the lock without waiting
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.acquire({ blocking: false }), true);
   * assert.equal(lock.acquire({ blocking: false }), false);
   * lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): boolean {
    // The fast path stays small so that it inlines into the caller's loop: one CAS for the two
    // forms whose uncontended outcome needs no other check, `acquire()` in a worker and
    // `acquire({ blocking: false })` anywhere. Everything else, including the validation of other
    // options and the takeover of a dead owner's lock, is on the slow path, which retries the CAS.
    if (
      (options === undefined
        ? canBlock
        : options.blocking === false && options.timeout === undefined) &&
      Atomics.compareExchange(this.#cells, 0, 0, SELF) === 0
    ) return true;
    return this.#acquireSlow(options);
  }

  /**
   * Acquires the lock without blocking the event loop: the form for the main thread, also fine
   * in workers. Python: `await asyncio.Lock.acquire()` (with `asyncio.timeout` for `timeout`).
   *
   * @param options `timeout` (ms) and `signal` limit the wait.
   * @returns A promise that resolves once this isolate holds the lock.
   * @throws {TimeoutError} If `timeout` ms pass first (the lock is then not held).
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws `signal.reason` if aborted first.
   *
   * @example Giving up after a timeout
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * await lock.acquireAsync();
   * await assert.rejects(lock.acquireAsync({ timeout: 20 }), TimeoutError);
   * lock.release();
   * ```
   */
  async acquireAsync(options?: AsyncWaitOptions): Promise<void> {
    await robust.acquireAsyncWith(this.#cells, 0, "acquire a Lock", options);
  }

  /**
   * Releases the lock, waking one waiter if any. Python: `Lock.release()`.
   *
   * @throws {Error} If the lock is not locked, or is held by another isolate (Python raises
   * `RuntimeError` for the first case; its `Lock` allows the second).
   *
   * @example
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.throws(() => lock.release(), /not locked/);
   * ```
   */
  release(): void {
    if (Atomics.compareExchange(this.#cells, 0, SELF, 0) !== SELF) this.#releaseSlow();
  }

  /**
   * Whether the lock is held, by anyone. Python: `Lock.locked()`.
   *
   * @returns `true` while some isolate holds the lock.
   *
   * @example
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Lock().locked(), false);
   * ```
   */
  locked(): boolean {
    return Atomics.load(this.#cells, 0) !== 0;
  }

  /**
   * Whether the current holder took the lock over from an isolate that died holding it (a
   * robust mutex's `EOWNERDEAD`). Read it right after acquiring: the data the lock protects may
   * be half-updated and need repair. It stays `true` until the holder releases the lock.
   *
   * @example
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * await lock.acquireAsync();
   * assert.equal(lock.ownerDied, false);
   * lock.release();
   * ```
   */
  get ownerDied(): boolean {
    return robust.ownerDied(this.#cells, 0);
  }

  /**
   * Acquires the lock (blocking, workers only) for a `using` scope. Python: `with lock:`.
   *
   * @param options `timeout` (ms).
   * @returns A {@linkcode Hold} that releases the lock when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {Error} On the main thread: use {@linkcode Lock.holdAsync} there.
   *
   * @example In a worker task
   * ```ts ignore
   * using _held = lock.hold();
   * counter[0] += 1;
   * ```
   */
  hold(options?: BlockingWaitOptions): Hold {
    return robust.holdWith(
      this,
      this.#cells,
      0,
      "hold a Lock",
      "'await lock.holdAsync()'",
      options,
    );
  }

  /**
   * Acquires the lock without blocking the event loop, for an `await using` scope.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A {@linkcode Hold} that releases the lock when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * {
   *   await using held = await lock.holdAsync({ timeout: 1000 });
   *   assert.equal(held.ownerDied, false);
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  async holdAsync(options?: AsyncWaitOptions): Promise<Hold> {
    const result = await robust.acquireAsyncWith(this.#cells, 0, "hold a Lock", options);
    return new Hold(() => this.release(), result === robust.RECOVERED);
  }

  /**
   * Describes the lock for another isolate (the shared word). Called by tandem when the lock is
   * passed to a worker.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    return { module: import.meta.url, name: "Lock", state: this.#cells };
  }

  #acquireSlow(options: AcquireOptions | undefined): boolean {
    const what = "acquire a Lock";
    const instead = "'await lock.acquireAsync()'";
    if (options !== undefined) {
      return robust.acquireWith(this.#cells, 0, what, instead, options) !== robust.TIMED_OUT_RESULT;
    }
    if (!canBlock) assertCanBlock(what, instead);
    return robust.lock(this.#cells, 0, Infinity) !== robust.TIMED_OUT_RESULT;
  }

  #releaseSlow(): void {
    if (!robust.unlock(this.#cells, 0)) throw robust.releaseError("a Lock", this.#cells);
  }

  /**
   * Rebuilds a lock over the same memory from a handle's `state`. Called by tandem in the
   * receiving isolate; also lets a shareable object that contains a lock rebuild it.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A lock over the same memory.
   * @throws {TypeError} If `state` is not a lock's state.
   */
  static [fromHandle](state: unknown): Lock {
    const rebuilt = new Lock();
    rebuilt.#cells = cellsFrom("a Lock", state, 1);
    robust.backends.set(rebuilt, { cells: rebuilt.#cells, reentrant: false });
    return rebuilt;
  }
}
