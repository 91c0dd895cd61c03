/**
 * Async queues for the event loop, and pipelines built from them: Python's `asyncio.Queue`
 * family (items 55 and 58 of Effective Python).
 *
 * - {@linkcode Queue}: first in, first out, with `maxsize`, waiting `put`/`get` (each with
 *   `timeout` and `signal`), `putNowait`/`getNowait`, `taskDone`/`join`, `close()` and Python
 *   3.13's `shutdown()`, and `for await` iteration that marks each item done (the book's
 *   `ClosableQueue`, without a sentinel).
 * - {@linkcode LifoQueue} and {@linkcode PriorityQueue} (stable: equal priorities keep their
 *   order).
 * - {@linkcode pipeline}: stages of concurrent workers joined by bounded queues, with
 *   backpressure, ordered or unordered output, error propagation or an error handler, and stages
 *   that run tasks on any `Executor` from `@tandem/tandem/futures`.
 * - {@linkcode SharedQueue}: the same queue shared between the main thread and workers through a
 *   `SharedArrayBuffer` (pass it to a `Thread` like a `Lock`): blocking `put`/`get`/`join` and
 *   `for (const item of queue)` in workers, `putAsync`/`getAsync`/`joinAsync` and `for await`
 *   on the main thread; items are structured-clonable values, serialized into a ring buffer.
 * - Errors: {@linkcode QueueEmpty}, {@linkcode QueueFull}, {@linkcode QueueShutDown}; waits that
 *   run out of time throw the hub's `TimeoutError`.
 *
 * `Queue` and its variants live on one event loop; `SharedQueue` follows their semantics
 * (exactly-once delivery, `taskDone`/`join`, close and shutdown) across isolates.
 *
 * @example The book's pipeline, one stage
 * ```ts
 * import { Queue } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const inbox = new Queue<number>(10);
 * const outbox = new Queue<number>();
 * const workers = Array.from({ length: 3 }, async () => {
 *   for await (const n of inbox) await outbox.put(n * 2);
 * });
 * for (let n = 0; n < 100; n++) await inbox.put(n);
 * inbox.close(); // no more input: the workers drain the queue and stop
 * await inbox.join();
 * await Promise.all(workers);
 * assert.equal(outbox.qsize(), 100);
 * ```
 *
 * @module
 */

export { QueueEmpty, QueueFull, QueueShutDown } from "./errors.ts";
export {
  Queue,
  type QueueIterateOptions,
  type QueueOptions,
  type QueueShutdownOptions,
  type QueueWaitOptions,
} from "./queue.ts";
export {
  type BlockingQueueWaitOptions,
  SharedQueue,
  type SharedQueueOptions,
} from "./shared_queue.ts";
export { LifoQueue } from "./lifo_queue.ts";
export { naturalOrder, PriorityQueue, type PriorityQueueOptions } from "./priority_queue.ts";
export {
  type ExecutorStageOptions,
  type Pipeline,
  pipeline,
  type PipelineRunOptions,
  type StageContext,
  type StageExecutor,
  type StageFailure,
  type StageFunction,
  type StageOptions,
} from "./pipeline.ts";
