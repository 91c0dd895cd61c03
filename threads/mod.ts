/**
 * Threads for Deno: Python's `threading` on Web Workers and shared memory (Effective Python,
 * items 53, 54 and 57).
 *
 * - {@linkcode Thread} runs a task in a worker of its own; `join()` gives its result, or its
 *   exception.
 * - {@linkcode Lock}, {@linkcode RLock}, {@linkcode Condition}, {@linkcode Semaphore},
 *   {@linkcode BoundedSemaphore}, {@linkcode Event} and {@linkcode Barrier} live in a
 *   `SharedArrayBuffer`. Pass one to a `Thread` or to any worker task as an argument and the
 *   worker gets the same object, over the same memory.
 *
 * Every primitive waits two ways. In a worker, the blocking form (`acquire`, `wait`, `hold`)
 * sleeps in `Atomics.wait`, as Python's threads do. On the main thread, which must never block,
 * the async form (`acquireAsync`, `waitAsync`, `holdAsync`) sleeps in `Atomics.waitAsync` and
 * takes a `timeout` and an `AbortSignal`; the blocking form throws there, naming the async one.
 * Both forms work on the same object at once. Blocking forms return `false` on timeout, as in
 * Python; async forms reject with a `TimeoutError`.
 *
 * Locks record their owner's isolate: a lock whose worker died holding it is taken over by the
 * next acquirer, which is told (`ownerDied`), instead of blocking everyone forever.
 *
 * Below them is the hub's wait kernel, re-exported here: one step function per wait
 * ({@linkcode WaitStep}, {@linkcode sleepOn}) driven blocking ({@linkcode waitUntil}) or async
 * ({@linkcode waitUntilAsync}), over {@linkcode waitWord} and {@linkcode waitWordAsync} (with
 * {@linkcode canBlock}, {@linkcode assertCanBlock}, {@linkcode deadlineOf} and
 * {@linkcode holdEventLoop}): waiting on words of shared memory in bounded slices, for building
 * your own shared-memory structures.
 *
 * These primitives work in the isolates that tandem starts (`Thread`, `TaskWorker`, the pools),
 * which share tandem's isolate registry.
 *
 * @example The book's LockingCounter, on the main thread
 * ```ts
 * import { Lock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * await Promise.all([1, 2, 3].map(async () => {
 *   for (let i = 0; i < 100; i++) {
 *     await using _held = await lock.holdAsync();
 *     const seen = counter[0];
 *     await Promise.resolve(); // another task could run here, but not inside the lock
 *     counter[0] = seen + 1;
 *   }
 * }));
 * assert.equal(counter[0], 300);
 * ```
 *
 * @module
 */

// The hub's shared-object protocol, which every primitive here implements: re-exported so that
// an object built from these primitives can describe and rebuild itself (see `Lock[fromHandle]`).
export { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
export { Barrier, type BarrierOptions, BrokenBarrierError } from "./barrier.ts";
export { Condition } from "./condition.ts";
export { Event } from "./event.ts";
// The hub's futex layer and wait kernel, which every primitive here is built on.
export {
  assertCanBlock,
  canBlock,
  deadlineOf,
  holdEventLoop,
  type SharedWords,
  Sleep,
  sleepOn,
  TIMED_OUT,
  type WaitStep,
  waitUntil,
  waitUntilAsync,
  waitWord,
  waitWordAsync,
} from "@tandem/tandem/futures";
export { Hold } from "./hold.ts";
export { Lock } from "./lock.ts";
export type { AcquireOptions, AsyncWaitOptions, BlockingWaitOptions } from "./options.ts";
export { RLock } from "./rlock.ts";
export { BoundedSemaphore, Semaphore } from "./semaphore.ts";
export { Thread } from "./thread.ts";
