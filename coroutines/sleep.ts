/**
 * {@linkcode sleep}: wait a number of milliseconds without blocking the event loop.
 *
 * @module
 */

import { checkOptions, onAbort } from "@tandem/tandem/futures";
import { checkDelay, checkSignal } from "./_validate.ts";

/** Options for {@linkcode sleep}. */
export interface SleepOptions {
  /**
   * Ends the sleep early: the promise rejects with `signal.reason` and the timer is cleared.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Resolves after `delay` milliseconds: Python's `asyncio.sleep(delay)`. `sleep(0)` yields to the
 * event loop for one timer turn, letting other callbacks and I/O run.
 *
 * On abort the timer is cleared at once (nothing is left to keep the process alive) and the
 * promise rejects with `signal.reason`; an already-aborted signal rejects without starting a
 * timer. Timers in Deno, as in browsers, may fire late but never early, and nested zero-delay
 * timers are clamped to a few milliseconds.
 *
 * @param delay Milliseconds, from 0 to 2^31 - 1.
 * @param options `signal`.
 * @returns A promise that resolves (with nothing) when the time is up.
 * @throws {TypeError} If `delay` is not a number or `signal` is not an `AbortSignal`.
 * @throws {RangeError} If `delay` is negative or too large for a timer.
 * @throws `signal.reason` when aborted.
 *
 * @example Sleeping, and being woken early
 * ```ts
 * import { sleep } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * await sleep(5);
 * const controller = new AbortController();
 * const nap = sleep(60_000, { signal: controller.signal });
 * controller.abort(new Error("wake up"));
 * await assert.rejects(nap, { message: "wake up" });
 * ```
 */
export function sleep(delay: number, options: SleepOptions = {}): Promise<void> {
  checkDelay("sleep", "delay", delay, false);
  const { signal } = checkOptions<SleepOptions>("sleep", options, ["signal"]);
  checkSignal("sleep", signal);
  if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, delay));
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unlisten();
      resolve();
    }, delay);
    const unlisten = onAbort(signal, (reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  });
}
