/**
 * The hub of tandem: task references, {@linkcode Future}, the {@linkcode Executor} interface
 * (and {@linkcode StreamingExecutor}, whose `stream` yields a task's values as a
 * {@linkcode TaskStream}),
 * {@linkcode asCompleted} and {@linkcode wait}, the error classes, the worker host that runs
 * tasks in workers ({@linkcode TaskWorker}), the protocol by which shared-memory objects
 * cross into workers, the wait kernel over shared memory ({@linkcode waitUntil},
 * {@linkcode waitUntilAsync}) and the argument checks every module shares
 * ({@linkcode checkOptions}, {@linkcode checkTimeout}, ...). Python: `concurrent.futures`.
 *
 * Every topic module (`subprocess`, `threads`, `queue`, `coroutines`, `parallel`) builds on
 * these names, so a task written once runs on any executor.
 *
 * @example A future, awaited
 * ```ts
 * import { Future } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * queueMicrotask(() => future.setResult(42));
 * assert.equal(await future, 42);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export { type DoneCallback, Future, type FutureState, type FutureWaitOptions } from "./future.ts";
export {
  checkTask,
  describeTask,
  isTask,
  resolveTask,
  type Task,
  task,
  type TaskOf,
  type TaskOptions,
  type TaskReference,
} from "./task.ts";
export * from "./executor.ts";
export { ChunkFailure } from "./chunk.ts";
export * from "./as_completed.ts";
export * from "./wait.ts";
export * from "./shareable.ts";
export { currentIsolateId, isIsolateAlive } from "./isolates.ts";
export {
  type CallOptions,
  type TaskOutcome,
  TaskWorker,
  type TaskWorkerOptions,
} from "./task_worker.ts";
export { checkNotBootstrapping } from "./bootstrap.ts";
export { unrefTimer } from "./timers.ts";
export { runtimeName } from "./runtime.ts";
export { type TaskContext, taskContext } from "./context.ts";
export {
  checkStreamOptions,
  pumpStream,
  type PumpStreamOptions,
  type StreamingExecutor,
  type StreamOptions,
  type StreamSink,
  TaskStream,
} from "./task_stream.ts";
export { type ArgumentDestination, checkTaskArguments } from "./arguments.ts";
export { type ErrorRecord, errorToRecord, recordToError } from "./error_record.ts";
export { decodeValue, encodeValue } from "./value_bytes.ts";
export { transfer } from "./transfer.ts";
export * from "./checks.ts";
export * from "./futex.ts";
