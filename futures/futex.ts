/**
 * The low-level layer under every shared-memory primitive of tandem: waiting on one word of an
 * `Int32Array` over a `SharedArrayBuffer` until another isolate changes it (a futex, in Linux
 * terms). Use it to build your own shared-memory structure; a `Lock`, an `Event` or a
 * `SharedQueue` is usually what you want instead.
 *
 * Guarantees, for every wait here:
 * - **Bounded slices.** A single sleep lasts at most 50 ms, then returns so that the caller
 *   re-checks its condition. So a sleeper notices a dead lock owner, a lost wake-up or its own
 *   termination without anyone notifying it, and without burning a core.
 * - **The main thread never blocks.** `Atomics.wait` works on Deno's main thread but freezes its
 *   event loop: block only in workers ({@linkcode canBlock}), and use the async form elsewhere.
 * - **Termination is noticed.** Deno stops a worker only when it returns to its event loop, so a
 *   worker that tandem terminated while it sleeps in a blocking wait is made to leave it (the wait
 *   throws).
 *
 * @module
 */
import { isIsolateAlive } from "@tandem/tandem/futures";
import { SELF } from "./_futex.ts";

/**
 * Words of shared memory: what every wait here sleeps on. Make one with
 * `new Int32Array(new SharedArrayBuffer(4 * count))`; pass it to a worker and both isolates see
 * the same words.
 *
 * @example
 * ```ts
 * import type { SharedWords } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words: SharedWords = new Int32Array(new SharedArrayBuffer(8));
 * assert.equal(words.length, 2);
 * ```
 */
export type SharedWords = Int32Array<SharedArrayBuffer>;

/**
 * Whether this code runs in a worker, where blocking waits ({@linkcode waitWord}) are allowed.
 * It is `false` on the main thread, which must not block: `Atomics.wait` works there in Deno, but
 * it would freeze the event loop (timers, I/O, promises) for as long as it sleeps. Python has no
 * such rule: any of its threads may block.
 *
 * @example Doc examples run on the main thread
 * ```ts
 * import { canBlock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * assert.equal(canBlock, false);
 * ```
 */
export const canBlock: boolean = "WorkerGlobalScope" in globalThis;

/** The longest single sleep: how late a sleeper may notice a dead owner or its own end. */
const SLICE_MS = 50;

/**
 * Throws unless this isolate may block ({@linkcode canBlock}): call it at the top of a blocking
 * operation, so that the main thread gets a clear error instead of a frozen event loop.
 *
 * @param what What could not be done, completing "Cannot ...", e.g. `"acquire a Lock"`.
 * @param instead The async form to use on the main thread, e.g. `"acquireAsync()"`.
 * @throws {Error} On the main thread: `Cannot <what> on the main thread: ...`, naming `instead`.
 *
 * @example
 * ```ts
 * import { assertCanBlock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => assertCanBlock("take a slot", "takeAsync()"),
 *   /Cannot take a slot on the main thread: .* Use takeAsync\(\) there/,
 * );
 * ```
 */
export function assertCanBlock(what: string, instead: string): void {
  if (!canBlock) {
    throw new Error(
      `Cannot ${what} on the main thread: a blocking wait (Atomics.wait) would freeze the ` +
        `event loop. Use ${instead} there; the blocking form is for workers (Thread, pools)`,
    );
  }
}

/**
 * The deadline of a wait of `timeout` milliseconds from now, on this isolate's
 * `performance.now()` clock: what {@linkcode waitWord} and {@linkcode waitWordAsync} take, so
 * that a loop of slices keeps one deadline however often it wakes.
 *
 * @param timeout Milliseconds; `undefined` or `Infinity` for no limit. Not validated.
 * @returns `performance.now() + timeout`, or `Infinity`.
 *
 * @example
 * ```ts
 * import { deadlineOf } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * assert.equal(deadlineOf(undefined), Infinity);
 * assert.ok(deadlineOf(100) > performance.now());
 * ```
 */
export function deadlineOf(timeout: number | undefined): number {
  return timeout === undefined || timeout === Infinity ? Infinity : performance.now() + timeout;
}

function sliceUntil(deadline: number): number {
  if (deadline === Infinity) return SLICE_MS;
  return Math.min(SLICE_MS, deadline - performance.now());
}

function terminated(): Error {
  return new Error(
    `Worker ${SELF} was terminated while waiting on shared memory; leaving the wait so that it ` +
      "can stop",
  );
}

/**
 * Sleeps, blocking, while `words[index] === expected`, for one slice at most (50 ms) and not
 * past `deadline`: one step of a wait loop, which re-checks its condition after each call. Wakes
 * early on `Atomics.notify(words, index)`, or at once if the word already differs.
 *
 * Blocking is for workers: call {@linkcode assertCanBlock} first (a main thread may only use it
 * for a wait known to last microseconds, such as a mutex that guards a few stores).
 *
 * @param words The shared words.
 * @param index Which word to sleep on.
 * @param expected The value seen last: sleep only while the word still holds it.
 * @param deadline When to give up (see {@linkcode deadlineOf}).
 * @returns `false`, without sleeping, once `deadline` has passed; otherwise `true` (woken, the
 * word differs, or the slice ended: the caller re-checks).
 * @throws {Error} If tandem terminated this worker meanwhile, so that it leaves its wait loop.
 *
 * @example A wait loop (in a worker), and the steps that never sleep
 * ```ts
 * import { deadlineOf, waitWord } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * // In a worker: sleep until another isolate sets words[0] to something other than 0.
 * function waitForFlag(words: Int32Array<SharedArrayBuffer>, timeout?: number): boolean {
 *   const deadline = deadlineOf(timeout);
 *   while (Atomics.load(words, 0) === 0) {
 *     if (!waitWord(words, 0, 0, deadline)) return false;
 *   }
 *   return true;
 * }
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * assert.equal(waitForFlag(words, 0), false); // the deadline has passed: no sleep
 * Atomics.store(words, 0, 1);
 * assert.equal(waitForFlag(words), true); // the flag is set: no sleep
 * ```
 */
export function waitWord(
  words: SharedWords,
  index: number,
  expected: number,
  deadline: number,
): boolean {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  Atomics.wait(words, index, expected, ms);
  if (!isIsolateAlive(SELF)) throw terminated();
  return true;
}

/**
 * The async twin of {@linkcode waitWord}, for the main thread (or async code anywhere): sleeps
 * in `Atomics.waitAsync` while `words[index] === expected`, for one slice at most (50 ms) and not
 * past `deadline`, never blocking the event loop.
 *
 * In Deno a pending `Atomics.waitAsync` does not keep the event loop alive: a program whose only
 * pending work is such a wait ends ("promise never resolved"). Wrap the whole wait loop in
 * {@linkcode holdEventLoop} / {@linkcode releaseEventLoop}.
 *
 * @param words The shared words.
 * @param index Which word to sleep on.
 * @param expected The value seen last: sleep only while the word still holds it.
 * @param deadline When to give up (see {@linkcode deadlineOf}).
 * @param signal Aborts the wait: it rejects with `signal.reason`.
 * @returns `false`, at once, once `deadline` has passed; otherwise `true` (at once if the word
 * differs, or a promise of it when woken or the slice ends: the caller re-checks).
 * @throws `signal.reason` if `signal` is or gets aborted.
 *
 * @example Wait for a flag that another isolate (here, a timer) sets
 * ```ts
 * import {
 *   deadlineOf,
 *   holdEventLoop,
 *   releaseEventLoop,
 *   waitWordAsync,
 * } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * async function waitForFlag(
 *   words: Int32Array<SharedArrayBuffer>,
 *   timeout?: number,
 * ): Promise<boolean> {
 *   const deadline = deadlineOf(timeout);
 *   holdEventLoop();
 *   try {
 *     while (Atomics.load(words, 0) === 0) {
 *       if (!(await waitWordAsync(words, 0, 0, deadline))) return false;
 *     }
 *     return true;
 *   } finally {
 *     releaseEventLoop();
 *   }
 * }
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * const timer = setTimeout(() => {
 *   Atomics.store(words, 0, 1);
 *   Atomics.notify(words, 0);
 * }, 10);
 * assert.equal(await waitForFlag(words, 10_000), true);
 * clearTimeout(timer);
 * ```
 */
export function waitWordAsync(
  words: SharedWords,
  index: number,
  expected: number,
  deadline: number,
  signal?: AbortSignal,
): boolean | Promise<boolean> {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  signal?.throwIfAborted();
  const result = Atomics.waitAsync(words, index, expected, ms);
  if (!result.async) return true;
  if (signal === undefined) return result.value.then(yes);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    // An abandoned waitAsync ends by itself within one slice; it may swallow one notify, which
    // every sleeper's next slice makes up for.
    result.value.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
  });
}

function yes(): boolean {
  return true;
}

let holders = 0;
let holdTimer: ReturnType<typeof setInterval> | undefined;

function noop(): void {}

/**
 * Keeps this isolate's event loop alive until the matching {@linkcode releaseEventLoop}: hold it
 * for the whole of an async wait, since in Deno a pending `Atomics.waitAsync` does not, and a
 * top-level `await` on one would end the program ("promise never resolved"). Reference-counted:
 * one long timer serves every holder of the isolate, and it is cleared when the last one
 * releases, so nothing idle keeps the process alive.
 *
 * @example Always pair it with a release in `finally`
 * ```ts
 * import { holdEventLoop, releaseEventLoop } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * holdEventLoop();
 * try {
 *   assert.equal(await Promise.resolve(42), 42); // an async wait goes here
 * } finally {
 *   releaseEventLoop();
 * }
 * ```
 */
export function holdEventLoop(): void {
  if (holders++ === 0) holdTimer = setInterval(noop, 1 << 30);
}

/**
 * Ends one {@linkcode holdEventLoop}; the last release lets the event loop end again. Call it
 * exactly once per hold, in a `finally`.
 *
 * @example
 * ```ts
 * import {
 *   deadlineOf,
 *   holdEventLoop,
 *   releaseEventLoop,
 *   waitWordAsync,
 * } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * holdEventLoop();
 * try {
 *   // The word is 0, not 1: no sleep at all.
 *   assert.equal(await waitWordAsync(words, 0, 1, deadlineOf(1000)), true);
 * } finally {
 *   releaseEventLoop(); // leaks no timer: the test sanitizer would report one
 * }
 * ```
 */
export function releaseEventLoop(): void {
  if (--holders === 0) {
    clearInterval(holdTimer);
    holdTimer = undefined;
  }
}
