/**
 * {@linkcode taskContext}: what a running task can ask of its caller: whether it was cancelled
 * (a check that costs nanoseconds, and an `AbortSignal`), and a way to report progress.
 *
 * @module
 */

import { CancelledError } from "./errors.ts";

/** The context of the task running now, as a task sees it. */
export interface TaskContext {
  /**
   * Aborts when the task is cancelled (its future's limit runs out, its signal aborts, or its
   * pool shuts down with `cancelFutures`), with a `CancelledError`. For async code: `fetch`,
   * timers, tandem's own waits.
   */
  readonly signal: AbortSignal;
  /**
   * Whether the task has been cancelled: one atomic load from shared memory, no event-loop turn,
   * so a CPU-bound loop can check it as often as it likes.
   */
  cancelled(): boolean;
  /** Throws a `CancelledError` if the task has been cancelled. */
  throwIfCancelled(): void;
  /**
   * Reports a progress value (structured-clonable) to the caller, who sees it through
   * `future.onProgress(fn)`. Call it as often as you like: values are **coalesced**. They
   * arrive in order, each at most once; while the caller keeps up (up to 8 messages in flight)
   * every value arrives, and when it falls behind the values in between are dropped and only
   * the latest waits to be sent, so a task that reports a million times costs the caller a
   * handful of calls. The last value reported before the task returns or throws arrives before
   * its future settles.
   *
   * Cost: one message per value sent (in a process, one frame more); a value held back costs
   * one atomic load. A value is copied when it is sent, which may be after the call: report a
   * fresh object or a primitive, not one the task goes on changing. A value that cannot be
   * cloned throws a `TypeError` here, or fails the task when it ends if it was held back.
   * Nothing happens when the task runs where no caller listens (the main thread, an
   * `AsyncPoolExecutor`).
   */
  progress(value: unknown): void;
}

const PROVIDER: unique symbol = Symbol.for("tandem.taskContextProvider");

/** A context for code that runs outside a tandem host: never cancelled, progress goes nowhere. */
const DETACHED: TaskContext = {
  signal: new AbortController().signal,
  cancelled: () => false,
  throwIfCancelled: () => {},
  progress: () => {},
};

/**
 * The context of the task running now in this worker or process: see {@linkcode TaskContext}.
 * A tandem worker runs one task at a time, so a task calls it once, at its start, and keeps
 * the result. Called where no tandem host runs a task (the main thread, an `AsyncPoolExecutor`),
 * it returns a context that is never cancelled and whose progress goes nowhere, so the same task
 * runs unchanged everywhere.
 *
 * Cancelling a running task is cooperative first: the pool sets the flag and aborts the signal,
 * waits `cancelGrace` milliseconds for the task to end, and only then stops its worker (or
 * process). A task that honours the cancel keeps its worker warm and runs its `finally` blocks.
 *
 * @returns The running task's context.
 *
 * @example A CPU-bound loop that stops when cancelled, and reports progress
 * ```ts
 * import { taskContext } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * function count(limit: number): number {
 *   const context = taskContext();
 *   let n = 0;
 *   for (; n < limit; n++) {
 *     if (n % 1000 === 0) {
 *       context.throwIfCancelled();
 *       context.progress(n / limit);
 *     }
 *   }
 *   return n;
 * }
 * assert.equal(count(5000), 5000); // on the main thread: never cancelled
 * ```
 */
export function taskContext(): TaskContext {
  const provider = (globalThis as { [PROVIDER]?: () => TaskContext })[PROVIDER];
  return provider?.() ?? DETACHED;
}

/** Installs the host's context provider (the worker host calls it once). */
export function provideTaskContext(provider: () => TaskContext): void {
  (globalThis as { [PROVIDER]?: () => TaskContext })[PROVIDER] = provider;
}

/**
 * The error a cancelled task's context throws.
 *
 * @param what The task, described.
 * @returns The error.
 */
export function cancelledError(what: string): CancelledError {
  return new CancelledError(`Task ${what} was cancelled`);
}
