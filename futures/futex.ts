/**
 * The low-level layer under every shared-memory primitive of tandem: waiting on one word of an
 * `Int32Array` over a `SharedArrayBuffer` until another isolate changes it (a futex, in Linux
 * terms). Use it to build your own shared-memory structure; a `Lock`, an `Event` or a
 * `SharedQueue` is usually what you want instead.
 *
 * The kernel is {@linkcode waitUntil} (blocking, for workers) and {@linkcode waitUntilAsync}
 * (never blocking the event loop): both drive one *step* function, which either returns the
 * wait's value or says which word to sleep on ({@linkcode sleepOn}). Every primitive of
 * `threads` and `SharedQueue` writes its wait once, as such a step.
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
import type * as NodeThreads from "node:worker_threads";
import { onAbort } from "./checks.ts";
import { currentIsolateId, isIsolateAlive } from "./isolates.ts";

/** This isolate's number (see `currentIsolateId`): the owner id that locks record. */
const SELF: number = currentIsolateId();

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
export const canBlock: boolean = "WorkerGlobalScope" in globalThis || !onMainThread();

// Under Deno, only a worker's global scope has postMessage (a node:worker_threads worker has no
// WorkerGlobalScope); asking node:worker_threads instead would load Deno's Node layer, about 12 ms
// for every isolate that imports the hub. Elsewhere, node:worker_threads says.
function onMainThread(): boolean {
  const g = globalThis as {
    Deno?: unknown;
    postMessage?: unknown;
    process?: { getBuiltinModule(id: "node:worker_threads"): typeof NodeThreads };
  };
  if (g.Deno !== undefined) return typeof g.postMessage !== "function";
  return g.process!.getBuiltinModule("node:worker_threads").isMainThread;
}

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
 * pending work is such a wait ends ("promise never resolved"). Hold the event loop for the whole
 * wait loop (`using _ = holdEventLoop()`), or use {@linkcode waitUntilAsync}, which does.
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
 * import { deadlineOf, holdEventLoop, waitWordAsync } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * async function waitForFlag(
 *   words: Int32Array<SharedArrayBuffer>,
 *   timeout?: number,
 * ): Promise<boolean> {
 *   const deadline = deadlineOf(timeout);
 *   using _held = holdEventLoop();
 *   while (Atomics.load(words, 0) === 0) {
 *     if (!(await waitWordAsync(words, 0, 0, deadline))) return false;
 *   }
 *   return true;
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
    const stop = onAbort(signal, reject);
    // An abandoned waitAsync ends by itself within one slice; it may swallow one notify, which
    // every sleeper's next slice makes up for.
    result.value.then(() => {
      stop();
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

function release(): void {
  if (--holders === 0) {
    clearInterval(holdTimer);
    holdTimer = undefined;
  }
}

/**
 * Keeps this isolate's event loop alive until the returned hold is disposed: hold it for the
 * whole of an async wait, since in Deno a pending `Atomics.waitAsync` does not, and a top-level
 * `await` on one would end the program ("promise never resolved"). Reference-counted: one long
 * timer serves every holder of the isolate, and it is cleared when the last hold is disposed, so
 * nothing idle keeps the process alive. Disposing a hold twice releases it once.
 *
 * @returns A hold: `using _held = holdEventLoop()` releases it however the scope ends.
 *
 * @example
 * ```ts
 * import { holdEventLoop } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * {
 *   using _held = holdEventLoop();
 *   assert.equal(await Promise.resolve(42), 42); // an async wait goes here
 * } // released here: the test sanitizer would report a leaked timer otherwise
 * ```
 */
export function holdEventLoop(): Disposable {
  if (holders++ === 0) holdTimer = setInterval(noop, 1 << 30);
  let held = true;
  return {
    [Symbol.dispose](): void {
      if (!held) return;
      held = false;
      release();
    },
  };
}

/**
 * What a wait step returns when it must sleep: the word, and the value it saw there. Made by
 * {@linkcode sleepOn}; read by {@linkcode waitUntil} and {@linkcode waitUntilAsync}.
 *
 * @example
 * ```ts
 * import { type Sleep, sleepOn } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * const sleep: Sleep = sleepOn(words, 0, 0);
 * assert.equal(sleep.index, 0);
 * ```
 */
export class Sleep {
  /** The shared words. */
  words: SharedWords;
  /** Which word to sleep on. */
  index: number;
  /**
   * The value seen there: sleep only while the word still holds it. A step on a hot path may
   * return the same `Sleep` every time with this updated, to allocate nothing per sleep: the
   * drivers read it as soon as the step returns.
   */
  expected: number;

  /**
   * Describes one sleep. Use {@linkcode sleepOn}.
   *
   * @param words The shared words.
   * @param index Which word.
   * @param expected The value seen last.
   */
  constructor(words: SharedWords, index: number, expected: number) {
    this.words = words;
    this.index = index;
    this.expected = expected;
  }
}

/**
 * Says, from a wait step, "not yet: sleep while `words[index]` still holds `expected`, then call
 * me again".
 *
 * @param words The shared words.
 * @param index Which word to sleep on.
 * @param expected The value the step saw there.
 * @returns The sleep, for the step to return.
 *
 * @example See {@linkcode waitUntil}.
 * ```ts
 * import { sleepOn } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * assert.equal(sleepOn(words, 0, 0).expected, 0);
 * ```
 */
export function sleepOn(words: SharedWords, index: number, expected: number): Sleep {
  return new Sleep(words, index, expected);
}

/** What {@linkcode waitUntil} and {@linkcode waitUntilAsync} return when the deadline passed. */
export const TIMED_OUT: unique symbol = Symbol("tandem.timedOut");

/**
 * One step of a wait: returns the wait's value when it is done, or {@linkcode sleepOn}'s answer
 * when it must sleep first. Called again after every wake-up, so it must re-read the shared
 * state each time, and it must not undo anything when it says to sleep.
 *
 * @typeParam T The value of the wait.
 *
 * @example
 * ```ts
 * import { sleepOn, type WaitStep } from "@tandem/tandem/threads";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * const flagRaised: WaitStep<true> = () => {
 *   const seen = Atomics.load(words, 0);
 *   return seen !== 0 ? true : sleepOn(words, 0, seen);
 * };
 * void flagRaised;
 * ```
 */
export type WaitStep<T> = () => T | Sleep;

/**
 * The blocking driver of a wait (workers only; call {@linkcode assertCanBlock} first): runs
 * `step` until it returns a value, sleeping in `Atomics.wait` on the word it names between
 * steps, in slices of at most 50 ms, until `deadline`.
 *
 * @typeParam T The value of the wait.
 * @param step The wait's step.
 * @param deadline When to give up (see {@linkcode deadlineOf}).
 * @returns The step's value, or {@linkcode TIMED_OUT}.
 * @throws {Error} If tandem terminated this worker meanwhile, so that it leaves its wait.
 *
 * @example A flag, waited for (the steps here never need to sleep)
 * ```ts
 * import { deadlineOf, sleepOn, TIMED_OUT, waitUntil } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * const raised = () => {
 *   const seen = Atomics.load(words, 0);
 *   return seen !== 0 ? seen : sleepOn(words, 0, seen);
 * };
 * assert.equal(waitUntil(raised, deadlineOf(0)), TIMED_OUT);
 * Atomics.store(words, 0, 7);
 * assert.equal(waitUntil(raised, deadlineOf(undefined)), 7);
 * ```
 */
export function waitUntil<T>(step: WaitStep<T>, deadline: number): T | typeof TIMED_OUT {
  for (;;) {
    const next = step();
    if (!(next instanceof Sleep)) return next;
    if (!waitWord(next.words, next.index, next.expected, deadline)) return TIMED_OUT;
  }
}

/**
 * The async driver of a wait, for the main thread (or async code anywhere): runs `step` until it
 * returns a value, sleeping in `Atomics.waitAsync` on the word it names between steps, until
 * `deadline` or an abort. It keeps the event loop alive while it sleeps
 * ({@linkcode holdEventLoop}), and never blocks it.
 *
 * @typeParam T The value of the wait.
 * @param step The wait's step.
 * @param deadline When to give up (see {@linkcode deadlineOf}).
 * @param signal Aborts the wait: it rejects with `signal.reason`.
 * @returns The step's value, or {@linkcode TIMED_OUT}.
 * @throws `signal.reason` if `signal` is or gets aborted.
 *
 * @example Wait for a flag that another isolate (here, a timer) raises
 * ```ts
 * import { deadlineOf, sleepOn, waitUntilAsync } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(new SharedArrayBuffer(4));
 * setTimeout(() => {
 *   Atomics.store(words, 0, 1);
 *   Atomics.notify(words, 0);
 * }, 10);
 * const value = await waitUntilAsync(() => {
 *   const seen = Atomics.load(words, 0);
 *   return seen !== 0 ? "raised" : sleepOn(words, 0, seen);
 * }, deadlineOf(10_000));
 * assert.equal(value, "raised");
 * ```
 */
export async function waitUntilAsync<T>(
  step: WaitStep<T>,
  deadline: number,
  signal?: AbortSignal,
): Promise<T | typeof TIMED_OUT> {
  signal?.throwIfAborted();
  let next = step();
  if (!(next instanceof Sleep)) return next;
  using _held = holdEventLoop();
  for (;;) {
    const woke = waitWordAsync(next.words, next.index, next.expected, deadline, signal);
    if (!(woke === true || await woke)) return TIMED_OUT;
    next = step();
    if (!(next instanceof Sleep)) return next;
  }
}
