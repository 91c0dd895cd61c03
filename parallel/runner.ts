/**
 * The runner contract: what a pool needs from one worker, whatever carries its tasks (a
 * `TaskWorker`, a child process over stdio frames, a worker on another machine).
 *
 * @module
 */

import type {
  BrokenExecutorError,
  CallOptions,
  ChunkFailure,
  Task,
  TaskOutcome,
} from "@tandem/tandem/futures";

/**
 * What a runner reports to its pool. A runner calls each hook at most once.
 *
 * @example A runner that says it started
 * ```ts
 * import type { RunnerHooks } from "@tandem/tandem/parallel";
 *
 * const hooks: RunnerHooks = { onReady() {}, onBroken(error, started) { void error; void started; } };
 * hooks.onReady();
 * ```
 */
export interface RunnerHooks {
  /** The runner has started (its handshake is done) and runs calls. */
  onReady(): void;
  /**
   * The runner has ended on its own or been stopped. `started` says whether it had become ready:
   * a runner that breaks before that could not start. Called after every call it held settled.
   */
  onBroken(error: BrokenExecutorError, started: boolean): void;
}

/**
 * One worker of a pool: it runs calls one at a time, in the order they were given, and reports
 * each call's outcome, or `undefined` for a call that never started because the runner broke
 * first (the pool then runs it elsewhere). A `TaskWorker` is one.
 *
 * @example A TaskWorker is a runner
 * ```ts
 * import type { Runner } from "@tandem/tandem/parallel";
 * import { TaskWorker } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * using worker = new TaskWorker();
 * const runner: Runner = worker;
 * assert.deepEqual(await runner.attempt(double, [2]), { ok: true, value: 4 });
 * ```
 */
export interface Runner {
  /** A number that names the runner in messages (an isolate id, a process id). */
  readonly id: number;
  /**
   * Runs one call; `options` may cancel it cooperatively and listen to its progress.
   *
   * @returns Its outcome, or `undefined` if it never started.
   */
  attempt<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options?: CallOptions,
  ): Promise<TaskOutcome<R> | undefined>;
  /**
   * Runs `task(item)` once per item (a chunk of `map`), in one message, and reports as `map`
   * takes a chunk: each call's result in place, a `ChunkFailure` where one failed, and the array
   * cut after the last call that started.
   *
   * @returns The calls' results, in order, up to the last call that started.
   */
  attemptChunk<T, R>(task: Task<[T], R>, items: T[]): Promise<(R | ChunkFailure)[]>;
  /** Stops the runner at once; the calls it held settle as after a break. */
  terminate(): void;
  /** Cancels every call it holds cooperatively (see `CallOptions.signal`); optional. */
  cancelAll?(): void;
  /** Resolves once the runner has fully ended (its process reaped); optional. */
  readonly exited?: Promise<void>;
}
