/**
 * The queue module's error classes: what a {@linkcode Queue} throws when it is empty, full, or
 * shut down.
 *
 * @module
 */

/**
 * Thrown by `getNowait()` when the queue has no item. Python: `asyncio.QueueEmpty` (and
 * `queue.Empty`).
 *
 * @example Taking from an empty queue without waiting
 * ```ts
 * import { Queue, QueueEmpty } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>();
 * assert.throws(() => queue.getNowait(), QueueEmpty);
 * ```
 */
export class QueueEmpty extends Error {
  /**
   * Creates the error.
   *
   * @param message What could not be taken.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The queue is empty", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueEmpty";
  }
}

/**
 * Thrown by `putNowait()` when the queue holds `maxsize` items. Python: `asyncio.QueueFull`
 * (and `queue.Full`).
 *
 * @example Putting on a full queue without waiting
 * ```ts
 * import { Queue, QueueFull } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>(1);
 * queue.putNowait(1);
 * assert.throws(() => queue.putNowait(2), QueueFull);
 * ```
 */
export class QueueFull extends Error {
  /**
   * Creates the error.
   *
   * @param message What could not be put.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueFull";
  }
}

/**
 * Thrown when putting on a queue that was closed or shut down, and when getting from one that
 * was closed or shut down and has no item left. Python 3.13: `asyncio.QueueShutDown` (and
 * `queue.ShutDown`).
 *
 * `for await` over a queue ends quietly on this error instead of throwing it.
 *
 * @example Putting after close
 * ```ts
 * import { Queue, QueueShutDown } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>();
 * queue.close();
 * await assert.rejects(queue.put(1), QueueShutDown);
 * ```
 */
export class QueueShutDown extends Error {
  /**
   * Creates the error.
   *
   * @param message Which operation was refused, and why.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "The queue is shut down", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueShutDown";
  }
}
