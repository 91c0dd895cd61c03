/**
 * {@linkcode Barrier}: a reusable rendezvous point in shared memory, and
 * {@linkcode BrokenBarrierError}.
 *
 * @module
 */

import {
  fromHandle,
  isIsolateAlive,
  isTask,
  isThenable,
  resolveTask,
  type Shareable,
  type SharedHandle,
  toHandle,
} from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import type { AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

// Words:
// STATE   the futex word: BROKEN (sign bit) | generation (15 bits) << 16 | arrivals (16 bits).
//         Arrivals reaching `parties` means the generation is tripping (its action runs).
// HISTORY bit (g % 32) tells how generation g ended: 1 broken (reset, failed action), 0 tripped.
//         A waiter of generation g that wakes after g ended reads its outcome there.
// PARTIES the number of parties.
// TRIPPER the isolate running the action, 0 when none.
const STATE = 0;
const HISTORY = 1;
const PARTIES = 2;
const TRIPPER = 3;

const COUNT = 0xffff;
const BROKEN = 1 << 31;
const GEN_BITS = 0x7fff;
const MAX_PARTIES = COUNT;

function generation(s: number): number {
  return (s >>> 16) & GEN_BITS;
}

function arrivals(s: number): number {
  return s & COUNT;
}

function next(s: number, broken: boolean): number {
  return (((generation(s) + 1) & GEN_BITS) << 16) | (broken ? BROKEN : 0);
}

function bit(g: number): number {
  return 1 << (g & 31);
}

/**
 * Thrown by {@linkcode Barrier.wait} and {@linkcode Barrier.waitAsync} when the barrier is, or
 * becomes, broken while waiting: a party timed out or was aborted, `abort()` or `reset()` was
 * called, or the action threw. Python: `threading.BrokenBarrierError`.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * barrier.abort();
 * await assert.rejects(barrier.waitAsync(), BrokenBarrierError);
 * ```
 */
export class BrokenBarrierError extends Error {
  /**
   * Creates the error.
   *
   * @param message Why the barrier is broken.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The barrier is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}

/** Options for {@linkcode Barrier}. */
export interface BarrierOptions {
  /**
   * Called once per generation when the barrier trips, by the last party to arrive, in its
   * isolate, before any party is released. If it throws, the barrier breaks: the last party
   * gets the error, the others a {@linkcode BrokenBarrierError}. It must be synchronous (a
   * returned promise breaks the barrier with a `TypeError`).
   *
   * Functions do not cross isolates, so where it runs depends on what it is:
   * - a task (`task(import.meta.url, fn)`, exported): it runs in whichever isolate trips the
   *   barrier, as in Python, since every isolate can load it;
   * - a plain function: the barrier then stays in this isolate; passing it to a worker throws a
   *   `TypeError` (make the function a task).
   *
   * @default {undefined}
   */
  action?: () => unknown;
  /**
   * The default `timeout` (ms) of every wait that gives none. Python: `timeout`.
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
}

/**
 * A barrier in shared memory: Python's `threading.Barrier`. `parties` isolates (or async
 * functions) call {@linkcode Barrier.wait} (a worker, blocking) or {@linkcode Barrier.waitAsync}
 * (anywhere, never blocking the event loop); each waits until all have arrived, then all are
 * released together. The barrier then starts over (a new generation), so it can be reused. Pass
 * it to a `Thread` or any worker task as an argument and it arrives there live.
 *
 * Each wait returns its arrival index, `0` for the first to arrive up to `parties - 1` for the
 * last (which runs the `action`, if any).
 *
 * Breaking: a wait that times out (its own `timeout`, or the barrier's default) or is aborted
 * breaks the barrier, as do {@linkcode Barrier.abort} and an action that throws. Every party
 * waiting in that generation, and every later arrival, then fails with a
 * {@linkcode BrokenBarrierError}, until {@linkcode Barrier.reset} (which also fails the parties
 * still waiting) starts a fresh generation.
 *
 * Guarantees: a generation's parties all pass or all fail; a waiter learns its generation's
 * outcome even if later generations have run, as long as fewer than 32 have (a waiter woken but
 * not scheduled for 32 generations may misread it); at most 65535 parties. A party whose worker
 * dies while waiting counts as arrived: the others are not told (use a timeout).
 *
 * @example Three async parties on the main thread
 * ```ts
 * import { Barrier } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(3);
 * const indexes = await Promise.all([1, 2, 3].map(() => barrier.waitAsync({ timeout: 1000 })));
 * assert.deepEqual(indexes.sort(), [0, 1, 2]);
 * ```
 */
export class Barrier implements Shareable {
  #cells: futex.SharedWords;
  #timeout: number | undefined;
  #action: (() => unknown) | undefined;

  /**
   * Creates a barrier for `parties` parties. Python: `threading.Barrier(parties, action=None,
   * timeout=None)`.
   *
   * @param parties How many parties must arrive to trip it: 1 to 65535.
   * @param options `action` and `timeout`.
   * @throws {RangeError} If `parties` is not an integer from 1 to 65535, or `timeout` is
   * negative.
   * @throws {TypeError} If `action` is not a function.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    const what = "create Barrier";
    futex.checkInteger(what, "parties", parties, { min: 1, max: MAX_PARTIES });
    const { action, timeout } = futex.checkOptions<BarrierOptions>(what, options, [
      "action",
      "timeout",
    ]);
    futex.checkTimeout(what, timeout);
    if (action !== undefined && typeof action !== "function") {
      futex.typeError(what, "action", "a function or a task", action);
    }
    this.#cells = futex.allocate(4);
    this.#cells[PARTIES] = parties;
    this.#timeout = timeout;
    this.#action = action;
  }

  /** How many parties trip the barrier. Python: `Barrier.parties`. */
  get parties(): number {
    return this.#cells[PARTIES];
  }

  /**
   * How many parties are waiting in the current generation (a snapshot). Python:
   * `Barrier.n_waiting`.
   */
  get nWaiting(): number {
    const s = Atomics.load(this.#cells, STATE);
    const n = arrivals(s);
    return (s & BROKEN) !== 0 || n === this.parties ? 0 : n;
  }

  /** Whether the barrier is broken. Python: `Barrier.broken`. */
  get broken(): boolean {
    return (Atomics.load(this.#cells, STATE) & BROKEN) !== 0;
  }

  /**
   * Waits (blocking, workers only) until all parties have arrived. Python:
   * `Barrier.wait(timeout)`.
   *
   * @param options `timeout` (ms), instead of the barrier's default.
   * @returns This party's arrival index, from `0` to `parties - 1`.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, including by this wait
   * timing out (the error's `cause` is then a `TimeoutError`).
   * @throws The action's error, in the party that ran it.
   * @throws {Error} On the main thread: use {@linkcode Barrier.waitAsync}.
   *
   * @example In each worker task
   * ```ts ignore
   * const index = barrier.wait({ timeout: 5000 });
   * ```
   */
  wait(options: BlockingWaitOptions = {}): number {
    const timeout = options.timeout ?? this.#timeout;
    futex.checkTimeout("wait at a Barrier", timeout);
    if (!futex.canBlock) futex.assertCanBlock("wait at a Barrier", "'await barrier.waitAsync()'");
    const deadline = futex.deadlineOf(timeout);
    const step = this.#arrival(deadline, timeout, { generation: -1 });
    const index = futex.waitUntil(step, deadline);
    // Past the deadline, the step itself breaks the barrier (or sees the generation end).
    return index !== futex.TIMED_OUT ? index : futex.waitUntil(step, Infinity) as number;
  }

  /**
   * Waits, without blocking the event loop, until all parties have arrived. Python:
   * `await asyncio.Barrier.wait()`.
   *
   * @param options `timeout` (ms), instead of the barrier's default, and `signal`.
   * @returns A promise for this party's arrival index.
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, including by this wait
   * timing out.
   * @throws `signal.reason` if aborted first; the abort breaks the barrier, unless the
   * generation was already complete.
   *
   * @example
   * ```ts
   * import { Barrier } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(1);
   * assert.equal(await barrier.waitAsync(), 0);
   * ```
   */
  async waitAsync(options: AsyncWaitOptions = {}): Promise<number> {
    const timeout = options.timeout ?? this.#timeout;
    const { signal } = options;
    futex.checkTimeout("wait at a Barrier", timeout);
    signal?.throwIfAborted();
    const deadline = futex.deadlineOf(timeout);
    const arrived = { generation: -1 };
    const step = this.#arrival(deadline, timeout, arrived);
    try {
      const index = await futex.waitUntilAsync(step, deadline, signal);
      return index !== futex.TIMED_OUT
        ? index
        : await futex.waitUntilAsync(step, Infinity, signal) as number;
    } catch (error) {
      // Aborted: leaving breaks this party's generation, unless it is complete already.
      if (arrived.generation >= 0) this.#breakFilling(arrived.generation);
      throw error;
    }
  }

  /**
   * Breaks the barrier: every party waiting now, and every later arrival, fails with a
   * {@linkcode BrokenBarrierError} until {@linkcode Barrier.reset}. Python: `Barrier.abort()`.
   * Aborting while the action runs lets that generation pass and breaks the next one.
   *
   * @example
   * ```ts
   * import { Barrier } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * assert.equal(barrier.broken, true);
   * ```
   */
  abort(): void {
    const cells = this.#cells;
    let s = Atomics.load(cells, STATE);
    while ((s & BROKEN) === 0) {
      const prev = Atomics.compareExchange(cells, STATE, s, s | BROKEN);
      if (prev === s) {
        Atomics.notify(cells, STATE);
        return;
      }
      s = prev;
    }
  }

  /**
   * Returns the barrier to its empty, unbroken state; parties waiting now fail with a
   * {@linkcode BrokenBarrierError}. Python: `Barrier.reset()`. Resetting while the action runs
   * does not fail that generation (it is complete), and undoes an `abort()` made meanwhile.
   *
   * @example
   * ```ts
   * import { Barrier } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(1);
   * barrier.abort();
   * barrier.reset();
   * assert.equal(barrier.broken, false);
   * assert.equal(await barrier.waitAsync(), 0);
   * ```
   */
  reset(): void {
    const cells = this.#cells;
    const parties = cells[PARTIES];
    let s = Atomics.load(cells, STATE);
    for (;;) {
      const n = arrivals(s);
      if (n === parties) {
        // Tripping: the generation is complete and the next one starts empty; only an abort
        // made meanwhile needs undoing.
        if ((s & BROKEN) === 0) return;
        const prev = Atomics.compareExchange(cells, STATE, s, s & ~BROKEN);
        if (prev === s) return;
        s = prev;
        continue;
      }
      if ((s & BROKEN) === 0) {
        if (n === 0) return;
        // Break the filling generation first: its outcome is then settled.
        const prev = Atomics.compareExchange(cells, STATE, s, s | BROKEN);
        if (prev !== s) {
          s = prev;
          continue;
        }
        s |= BROKEN;
      }
      // Broken: record the generation's outcome, then start the next one.
      Atomics.or(cells, HISTORY, bit(generation(s)));
      const prev = Atomics.compareExchange(cells, STATE, s, next(s, false));
      if (prev === s) {
        Atomics.notify(cells, STATE);
        return;
      }
      s = prev;
    }
  }

  /**
   * Describes the barrier for another isolate.
   *
   * @returns The handle.
   * @throws {TypeError} If the barrier's action is a plain function rather than a task.
   */
  [toHandle](): SharedHandle {
    const action = this.#action;
    if (action !== undefined && !isTask(action)) {
      throw new TypeError(
        "Cannot pass a Barrier to another isolate: its 'action' is a plain function, which " +
          "cannot cross isolates; make it a task (task(import.meta.url, fn), exported)",
      );
    }
    return {
      module: import.meta.url,
      name: "Barrier",
      state: {
        cells: this.#cells,
        timeout: this.#timeout,
        action: action === undefined ? null : { module: action.module, name: action.name },
      },
    };
  }

  /**
   * Rebuilds a barrier over the same memory from a handle's `state`. When the barrier has a task
   * as its action, the task is loaded first and a promise is returned (tandem awaits it).
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A barrier over the same memory, or a promise for it.
   * @throws {TypeError} If `state` is not a barrier's state.
   */
  static [fromHandle](state: unknown): Barrier | Promise<Barrier> {
    const s = (typeof state === "object" && state !== null ? state : {}) as Record<
      string,
      unknown
    >;
    const cells = futex.cellsFrom("a Barrier", s.cells, 4);
    const timeout = typeof s.timeout === "number" ? s.timeout : undefined;
    const build = (action: (() => unknown) | undefined) => {
      const rebuilt = new Barrier(1);
      rebuilt.#cells = cells;
      rebuilt.#timeout = timeout;
      rebuilt.#action = action;
      return rebuilt;
    };
    const ref = s.action as { module?: unknown; name?: unknown } | null | undefined;
    if (ref === null || ref === undefined) return build(undefined);
    if (typeof ref.module !== "string" || typeof ref.name !== "string") {
      throw new TypeError("Cannot rebuild a Barrier from its handle: bad action reference");
    }
    return resolveTask({ module: ref.module, name: ref.name }).then((action) =>
      build(action as () => unknown)
    );
  }

  /**
   * The wait's step, shared by the blocking and the async form: arrive (recording the
   * generation in `arrived`), then wait for the generation to end. Returns the arrival index,
   * throws a BrokenBarrierError, or says to sleep on STATE. Past `deadline`, it breaks the
   * generation it waits in.
   */
  #arrival(
    deadline: number,
    timeout: number | undefined,
    arrived: { generation: number },
  ): futex.WaitStep<number> {
    const cells = this.#cells;
    const parties = cells[PARTIES];
    let index = -1;
    return () => {
      for (;;) {
        const s = Atomics.load(cells, STATE);
        if (index < 0) {
          if ((s & BROKEN) !== 0) throw brokenError();
          if (arrivals(s) === parties) {
            // The previous generation is tripping: arrive in the next one.
            this.#rescueTrip(s);
            return futex.sleepOn(cells, STATE, s);
          }
          if (Atomics.compareExchange(cells, STATE, s, s + 1) !== s) continue;
          index = arrivals(s);
          arrived.generation = generation(s);
          if (index + 1 === parties) return this.#trip(arrived.generation, index);
          continue;
        }
        const g = arrived.generation;
        if (generation(s) !== g) {
          if ((Atomics.load(cells, HISTORY) & bit(g)) !== 0) throw brokenError();
          return index;
        }
        if (arrivals(s) === parties) {
          this.#rescueTrip(s);
          return futex.sleepOn(cells, STATE, s);
        }
        if ((s & BROKEN) !== 0) throw brokenError();
        if (performance.now() >= deadline) {
          if (Atomics.compareExchange(cells, STATE, s, s | BROKEN) === s) {
            Atomics.notify(cells, STATE);
            throw brokenError(futex.timeoutError("wait at a Barrier", timeout));
          }
          continue;
        }
        return futex.sleepOn(cells, STATE, s);
      }
    };
  }

  /** Run by the last party: the action, then the next generation; wakes everyone. */
  #trip(g: number, index: number): number {
    const cells = this.#cells;
    let failure: { error: unknown } | undefined;
    const action = this.#action;
    if (action !== undefined) {
      Atomics.store(cells, TRIPPER, futex.SELF);
      try {
        const result = action();
        if (isThenable(result)) {
          result.then(undefined, () => {});
          throw new TypeError(
            "A Barrier's action must be synchronous: it returned a promise, which the " +
              "barrier cannot wait for",
          );
        }
      } catch (error) {
        failure = { error };
      } finally {
        Atomics.store(cells, TRIPPER, 0);
      }
    }
    if (failure === undefined) Atomics.and(cells, HISTORY, ~bit(g));
    else Atomics.or(cells, HISTORY, bit(g));
    let s = Atomics.load(cells, STATE);
    while (generation(s) === g) {
      const prev = Atomics.compareExchange(
        cells,
        STATE,
        s,
        next(s, failure !== undefined || (s & BROKEN) !== 0),
      );
      if (prev === s) break;
      s = prev;
    }
    Atomics.notify(cells, STATE);
    if (failure !== undefined) throw failure.error;
    return index;
  }

  /** A trip whose isolate died while running the action is ended as broken. */
  #rescueTrip(s: number): void {
    const cells = this.#cells;
    const tripper = Atomics.load(cells, TRIPPER);
    if (tripper === 0 || isIsolateAlive(tripper)) return;
    Atomics.or(cells, HISTORY, bit(generation(s)));
    if (Atomics.compareExchange(cells, STATE, s, next(s, true)) === s) {
      Atomics.notify(cells, STATE);
    }
  }

  /** Breaks generation `g` if it is still filling (an aborted waiter leaves). */
  #breakFilling(g: number): void {
    const cells = this.#cells;
    const parties = cells[PARTIES];
    let s = Atomics.load(cells, STATE);
    while ((s & BROKEN) === 0 && generation(s) === g && arrivals(s) < parties) {
      const prev = Atomics.compareExchange(cells, STATE, s, s | BROKEN);
      if (prev === s) {
        Atomics.notify(cells, STATE);
        return;
      }
      s = prev;
    }
  }
}

function brokenError(cause?: unknown): BrokenBarrierError {
  return new BrokenBarrierError(
    cause === undefined ? "The barrier is broken" : "The barrier broke: a wait timed out",
    cause === undefined ? undefined : { cause },
  );
}
