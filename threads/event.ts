/**
 * {@linkcode Event}: a flag in shared memory that isolates can wait for.
 *
 * @module
 */

import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
import * as futex from "./_futex.ts";
import type { AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";

// Words: FLAG (1 while set) and GEN (counts the sets). Waiters sleep on GEN, so that a set
// followed at once by a clear still wakes them: they see GEN move even if FLAG is down again.
const FLAG = 0;
const GEN = 1;

/** The wait's step: done when the flag is up, or once it was raised after the wait began. */
function raised(cells: futex.SharedWords): futex.WaitStep<true> {
  const gen = Atomics.load(cells, GEN);
  return () => {
    if (Atomics.load(cells, FLAG) !== 0) return true;
    const now = Atomics.load(cells, GEN);
    return now !== gen ? true : futex.sleepOn(cells, GEN, now);
  };
}

/**
 * A flag in shared memory: Python's `threading.Event`. {@linkcode Event.set} raises it and wakes
 * every waiter; {@linkcode Event.clear} lowers it; {@linkcode Event.wait} (a worker, blocking)
 * and {@linkcode Event.waitAsync} (anywhere, never blocking the event loop) wait until it is
 * raised. Pass it to a `Thread` or any worker task as an argument and it arrives there live.
 *
 * The name shadows the DOM's global `Event` in a module that imports it; import it under another
 * name (`import { Event as SharedEvent }`) if that module also needs the DOM one.
 *
 * Guarantees: every wait that is pending when the flag is raised returns `true` (resolves), even
 * if `clear` follows at once, before the waiter runs (as in Python since 3.x, gh-57711); a wait
 * that starts while the flag is raised returns at once.
 *
 * @example Raising the flag from a timer
 * ```ts
 * import { Event } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const started = new Event();
 * setTimeout(() => started.set(), 10);
 * await started.waitAsync({ timeout: 1000 });
 * assert.equal(started.isSet(), true);
 * ```
 */
export class Event implements Shareable {
  #cells: futex.SharedWords = futex.allocate(2);

  /** Creates a lowered flag in a new `SharedArrayBuffer`. Python: `threading.Event()`. */
  constructor() {}

  /**
   * Whether the flag is raised. Python: `Event.is_set()`.
   *
   * @returns `true` after {@linkcode Event.set}, until {@linkcode Event.clear}.
   *
   * @example
   * ```ts
   * import { Event } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Event().isSet(), false);
   * ```
   */
  isSet(): boolean {
    return Atomics.load(this.#cells, FLAG) !== 0;
  }

  /**
   * Raises the flag and wakes every waiter, in every isolate. Python: `Event.set()`.
   *
   * @example
   * ```ts
   * import { Event } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * assert.equal(event.isSet(), true);
   * ```
   */
  set(): void {
    const cells = this.#cells;
    if (Atomics.exchange(cells, FLAG, 1) !== 0) return;
    Atomics.add(cells, GEN, 1);
    Atomics.notify(cells, GEN);
  }

  /**
   * Lowers the flag: later waits wait again. Python: `Event.clear()`.
   *
   * @example
   * ```ts
   * import { Event } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.clear();
   * assert.equal(event.isSet(), false);
   * ```
   */
  clear(): void {
    Atomics.store(this.#cells, FLAG, 0);
  }

  /**
   * Blocks this worker until the flag is raised. Python: `Event.wait(timeout)`.
   *
   * @param options `timeout` (ms).
   * @returns `true` once the flag is raised; `false` if the timeout ran out first.
   * @throws {Error} On the main thread, unless `timeout` is `0`: use {@linkcode Event.waitAsync}.
   * @throws {RangeError} If `timeout` is negative or not a number.
   *
   * @example
   * ```ts
   * import { Event } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Event().wait({ timeout: 0 }), false);
   * ```
   */
  wait(options: BlockingWaitOptions = {}): boolean {
    const what = "wait for an Event";
    const step = () => raised(this.#cells);
    return futex.blockingWait(what, "'await event.waitAsync()'", options.timeout, step) === true;
  }

  /**
   * Waits, without blocking the event loop, until the flag is raised. Python:
   * `await asyncio.Event.wait()`.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once the flag is raised.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws `signal.reason` if aborted first.
   *
   * @example
   * ```ts
   * import { Event } from "@tandem/tandem/threads";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * await assert.rejects(new Event().waitAsync({ timeout: 10 }), TimeoutError);
   * ```
   */
  async waitAsync(options: AsyncWaitOptions = {}): Promise<void> {
    const { timeout, signal } = options;
    await futex.asyncWait("wait for an Event", timeout, signal, () => raised(this.#cells));
  }

  /**
   * Describes the event for another isolate.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    return { module: import.meta.url, name: "Event", state: this.#cells };
  }

  /**
   * Rebuilds an event over the same memory from a handle's `state`.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns An event over the same memory.
   * @throws {TypeError} If `state` is not an event's state.
   */
  static [fromHandle](state: unknown): Event {
    const event = new Event();
    event.#cells = futex.cellsFrom("an Event", state, 2);
    return event;
  }
}
