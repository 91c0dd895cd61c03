/**
 * {@linkcode LifoQueue}: a {@linkcode Queue} that serves the newest item first.
 *
 * @module
 */

import { Queue, type QueueOptions, replaceStore } from "./queue.ts";
import { Stack } from "./_store.ts";

/**
 * A last-in, first-out queue: `get` takes the item put most recently. Python:
 * `asyncio.LifoQueue`.
 *
 * Everything else is {@linkcode Queue}'s: `maxsize`, waiting with `timeout`/`signal`,
 * `taskDone`/`join`, `close`/`shutdown`, `for await`, and the fairness guarantees (waiting
 * getters and putters are still served first come, first served; only the order of the items
 * is reversed). An item put while a getter waits on the empty queue goes straight to that getter.
 *
 * @typeParam T The type of the items.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const stack = new LifoQueue<number>();
 * for (const n of [1, 2, 3]) stack.putNowait(n);
 * assert.deepEqual([stack.getNowait(), stack.getNowait(), stack.getNowait()], [3, 2, 1]);
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  /**
   * Creates an empty LIFO queue. Python: `asyncio.LifoQueue(maxsize=0)`.
   *
   * @param maxsize The most items the queue holds; `0` (the default) means no limit.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(maxsize?: number);
  /**
   * Creates an empty LIFO queue from options: `new LifoQueue<T>({ maxsize: 100 })`.
   *
   * @param options `maxsize`.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(options?: QueueOptions);
  constructor(maxsizeOrOptions?: number | QueueOptions) {
    super(maxsizeOrOptions as QueueOptions);
    replaceStore(this, new Stack<T>());
  }
}
