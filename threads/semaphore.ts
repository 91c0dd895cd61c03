/**
 * {@linkcode Semaphore} and {@linkcode BoundedSemaphore}: counters of permits in shared memory.
 *
 * @module
 */

import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import { Hold } from "./hold.ts";
import type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

// Words: VALUE (the permits; sleepers wait on it while it is 0), SLEEPERS (how many may be
// asleep, so that release skips the notify when none is), BOUND (a BoundedSemaphore's initial
// value; -1 when unbounded).
const VALUE = 0;
const SLEEPERS = 1;
const BOUND = 2;
const MAX = 0x7fffffff;

/**
 * A semaphore in shared memory: Python's `threading.Semaphore`. It holds a number of permits;
 * `acquire` takes one (waiting while there are none), `release` gives permits back. Pass it to a
 * `Thread` or any worker task as an argument and it arrives there live, so it can bound how many
 * workers do something at once.
 *
 * Waiting works as with `Lock`: {@linkcode Semaphore.acquire} blocks a worker,
 * {@linkcode Semaphore.acquireAsync} never blocks the event loop, `hold`/`holdAsync` take one
 * permit for a scope.
 *
 * Guarantees: permits are never lost or duplicated; a release wakes as many sleepers as permits
 * it gives back; the order in which waiters get permits is not specified (as in Python). A
 * semaphore has no owner: any isolate may release, and a permit held by a worker that dies is not
 * given back (use timeouts where that matters).
 *
 * @example Two permits
 * ```ts
 * import { Semaphore } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.acquire({ blocking: false }), true);
 * assert.equal(slots.acquire({ blocking: false }), true);
 * assert.equal(slots.acquire({ blocking: false }), false);
 * slots.release();
 * assert.equal(slots.value, 1);
 * ```
 */
export class Semaphore implements Shareable {
  #cells: futex.SharedWords;

  /**
   * Creates a semaphore with `value` permits. Python: `threading.Semaphore(value=1)`.
   *
   * @param value The initial number of permits.
   * @throws {RangeError} If `value` is not a non-negative integer (below 2^31).
   */
  constructor(value = 1) {
    const name = new.target === BoundedSemaphore ? "BoundedSemaphore" : "Semaphore";
    futex.checkInteger(`create ${name}`, "value", value, { max: MAX });
    this.#cells = futex.allocate(3);
    this.#cells[VALUE] = value;
    this.#cells[BOUND] = new.target === BoundedSemaphore ? value : -1;
  }

  /** The number of permits available now (a snapshot: other isolates may change it). */
  get value(): number {
    return Atomics.load(this.#cells, VALUE);
  }

  /**
   * Takes a permit, blocking this worker while there is none. Python:
   * `Semaphore.acquire(blocking, timeout)`.
   *
   * @param options `blocking: false` to try once (allowed on the main thread); `timeout` (ms).
   * @returns `true` once a permit is taken; `false` if none was free (`blocking: false`) or the
   * timeout ran out.
   * @throws {Error} On the main thread unless `blocking` is `false` or `timeout` is `0`: use
   * {@linkcode Semaphore.acquireAsync}.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws {TypeError} If `timeout` is given with `blocking: false`.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const none = new Semaphore(0);
   * assert.equal(none.acquire({ timeout: 0 }), false);
   * ```
   */
  acquire(options?: AcquireOptions): boolean {
    if (options === undefined) {
      if (!futex.canBlock) {
        futex.assertCanBlock("acquire a Semaphore", "'await semaphore.acquireAsync()'");
      }
    } else this.#check(options);
    if (this.#tryTake()) return true;
    const { blocking = true, timeout } = options ?? {};
    if (!blocking || timeout === 0) return false;
    const cells = this.#cells;
    Atomics.add(cells, SLEEPERS, 1);
    try {
      return futex.waitUntil(this.#take, futex.deadlineOf(timeout)) !== futex.TIMED_OUT;
    } finally {
      Atomics.sub(cells, SLEEPERS, 1);
    }
  }

  /**
   * Takes a permit without blocking the event loop. Python: `await asyncio.Semaphore.acquire()`.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once a permit is taken.
   * @throws {TimeoutError} If `timeout` ms pass first (no permit is taken).
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@tandem/tandem/threads";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const none = new Semaphore(0);
   * await assert.rejects(none.acquireAsync({ timeout: 10 }), TimeoutError);
   * ```
   */
  async acquireAsync(options: AsyncWaitOptions = {}): Promise<void> {
    const { timeout, signal } = options;
    const what = "acquire a Semaphore";
    futex.checkTimeout(what, timeout);
    signal?.throwIfAborted();
    if (this.#tryTake()) return;
    const cells = this.#cells;
    Atomics.add(cells, SLEEPERS, 1);
    try {
      await futex.asyncWait(what, timeout, signal, () => this.#take);
    } finally {
      Atomics.sub(cells, SLEEPERS, 1);
    }
  }

  /**
   * Gives `n` permits back, waking up to `n` waiters. Python: `Semaphore.release(n=1)`.
   *
   * @param n How many permits.
   * @throws {RangeError} If `n` is not a positive integer, or the count would pass 2^31 - 1.
   * @throws {Error} For a {@linkcode BoundedSemaphore}, if the count would exceed its initial
   * value (Python: `ValueError: Semaphore released too many times`).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(0);
   * semaphore.release(3);
   * assert.equal(semaphore.value, 3);
   * ```
   */
  release(n = 1): void {
    const cells = this.#cells;
    const kind = cells[BOUND] >= 0 ? "BoundedSemaphore" : "Semaphore";
    futex.checkInteger(`release a ${kind}`, "n", n, { min: 1 });
    const bound = cells[BOUND] >= 0 ? cells[BOUND] : MAX;
    let v = Atomics.load(cells, VALUE);
    for (;;) {
      if (v + n > bound) {
        if (bound === MAX) {
          throw new RangeError(
            `Cannot release a Semaphore: the count would exceed 2^31 - 1 (${v} + ${n})`,
          );
        }
        throw new Error(
          `Cannot release a BoundedSemaphore: released too many times (${v} + ${n} permits ` +
            `would exceed its initial value ${bound})`,
        );
      }
      const prev = Atomics.compareExchange(cells, VALUE, v, v + n);
      if (prev === v) break;
      v = prev;
    }
    if (Atomics.load(cells, SLEEPERS) > 0) Atomics.notify(cells, VALUE, n);
  }

  /**
   * Takes a permit (blocking, workers only) for a `using` scope. Python: `with semaphore:`.
   *
   * @param options `timeout` (ms).
   * @returns A `Hold` that gives the permit back when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {Error} On the main thread: use {@linkcode Semaphore.holdAsync}.
   *
   * @example In a worker task
   * ```ts ignore
   * using _slot = downloads.hold();
   * fetchSync(url);
   * ```
   */
  hold(options: BlockingWaitOptions = {}): Hold {
    const { timeout } = options;
    if (!this.acquire({ timeout })) throw futex.timeoutError("hold a Semaphore", timeout);
    return new Hold(() => this.release());
  }

  /**
   * Takes a permit without blocking the event loop, for an `await using` scope.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A `Hold` that gives the permit back when disposed.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const slots = new Semaphore(1);
   * {
   *   await using _slot = await slots.holdAsync();
   *   assert.equal(slots.value, 0);
   * }
   * assert.equal(slots.value, 1);
   * ```
   */
  async holdAsync(options?: AsyncWaitOptions): Promise<Hold> {
    await this.acquireAsync(options);
    return new Hold(() => this.release());
  }

  /**
   * Describes the semaphore for another isolate.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    const name = this.#cells[BOUND] >= 0 ? "BoundedSemaphore" : "Semaphore";
    return { module: import.meta.url, name, state: this.#cells };
  }

  /**
   * Rebuilds a semaphore over the same memory from a handle's `state`.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A semaphore over the same memory.
   * @throws {TypeError} If `state` is not a semaphore's state.
   */
  static [fromHandle](state: unknown): Semaphore {
    const cells = futex.cellsFrom("a Semaphore", state, 3);
    const semaphore = cells[BOUND] >= 0 ? new BoundedSemaphore(0) : new Semaphore(0);
    semaphore.#cells = cells;
    return semaphore;
  }

  /** The wait's step: a permit taken, or sleep while there is none. */
  readonly #take = (): true | futex.Sleep =>
    this.#tryTake() ? true : futex.sleepOn(this.#cells, VALUE, 0);

  #tryTake(): boolean {
    const cells = this.#cells;
    let v = Atomics.load(cells, VALUE);
    while (v > 0) {
      const prev = Atomics.compareExchange(cells, VALUE, v, v - 1);
      if (prev === v) return true;
      v = prev;
    }
    return false;
  }

  #check(options: AcquireOptions): void {
    const { blocking = true, timeout } = options;
    futex.checkTimeout("acquire a Semaphore", timeout);
    if (!blocking) {
      if (timeout !== undefined) {
        throw new TypeError(
          "Cannot acquire a Semaphore: 'timeout' cannot be combined with 'blocking: false'",
        );
      }
      return;
    }
    if (timeout !== 0 && !futex.canBlock) {
      futex.assertCanBlock("acquire a Semaphore", "'await semaphore.acquireAsync()'");
    }
  }
}

/**
 * A semaphore that refuses to be released above its initial value: Python's
 * `threading.BoundedSemaphore`, which catches a release without a matching acquire.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const slots = new BoundedSemaphore(1);
 * assert.throws(() => slots.release(), /released too many times/);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a bounded semaphore with `value` permits, which is also its maximum.
   *
   * @param value The initial and maximum number of permits.
   * @throws {RangeError} If `value` is not a non-negative integer.
   */
  constructor(value = 1) {
    super(value);
  }

  /**
   * Rebuilds a bounded semaphore over the same memory from a handle's `state`.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A bounded semaphore over the same memory.
   * @throws {TypeError} If `state` is not a bounded semaphore's state.
   */
  static override [fromHandle](state: unknown): BoundedSemaphore {
    const semaphore = Semaphore[fromHandle](state);
    if (!(semaphore instanceof BoundedSemaphore)) {
      throw new TypeError("Cannot rebuild a BoundedSemaphore from the state of a Semaphore");
    }
    return semaphore;
  }
}
