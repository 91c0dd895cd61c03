/**
 * {@linkcode PriorityQueue}: a {@linkcode Queue} that serves the smallest item first.
 *
 * @module
 */

import { checkFunction, checkOptions } from "../futures/checks.ts";
import { Queue, type QueueOptions, replaceStore } from "./queue.ts";
import { Heap } from "./_store.ts";

/** Options for creating a {@linkcode PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders the items: negative when `a` comes out before `b`, positive when after, `0` when they
   * have the same priority (those come out in the order they were put). It must not throw; if
   * it does, the `put` that called it fails and the queue is unchanged.
   *
   * @default {naturalOrder} (`<` on numbers, strings and bigints; arrays compared element by
   * element like Python tuples, so `[priority, data]` pairs work)
   */
  compare?: (a: T, b: T) => number;
}

/**
 * Python's ordering for priority items: arrays element by element (like tuples), everything else
 * with `<` and `>`. Values that are neither smaller nor larger (including incomparable objects)
 * count as equal, so they keep their insertion order in a {@linkcode PriorityQueue}.
 *
 * @param a One value.
 * @param b The other.
 * @returns Negative if `a` sorts first, positive if `b` does, `0` otherwise.
 *
 * @example
 * ```ts
 * import { naturalOrder } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * assert.ok(naturalOrder([1, "z"], [2, "a"]) < 0);
 * assert.equal(naturalOrder({}, {}), 0);
 * ```
 */
export function naturalOrder(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const order = naturalOrder(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  // deno-lint-ignore no-explicit-any
  const x = a as any, y = b as any;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A queue that serves the item with the lowest priority first: Python's `asyncio.PriorityQueue`
 * (a binary heap). Unlike Python's, it is stable: items of equal priority come out in the order
 * they were put, and the items themselves are never compared beyond what `compare` looks at.
 *
 * Everything else is {@linkcode Queue}'s: `maxsize`, waiting with `timeout`/`signal`,
 * `taskDone`/`join`, `close`/`shutdown`, `for await`, and first-come-first-served waiting getters
 * and putters. An item put while a getter waits on the empty queue goes straight to that getter.
 *
 * @typeParam T The type of the items.
 *
 * @example Jobs by priority, equal priorities in arrival order
 * ```ts
 * import { PriorityQueue } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * interface Job {
 *   priority: number;
 *   name: string;
 * }
 * const jobs = new PriorityQueue<Job>({ compare: (a, b) => a.priority - b.priority });
 * jobs.putNowait({ priority: 2, name: "b1" });
 * jobs.putNowait({ priority: 1, name: "a" });
 * jobs.putNowait({ priority: 2, name: "b2" });
 * const order = [jobs.getNowait(), jobs.getNowait(), jobs.getNowait()].map((job) => job.name);
 * assert.deepEqual(order, ["a", "b1", "b2"]);
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  /**
   * Creates an empty priority queue ordered by {@linkcode naturalOrder}. Python:
   * `asyncio.PriorityQueue(maxsize=0)`.
   *
   * @param maxsize The most items the queue holds; `0` (the default) means no limit.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(maxsize?: number);
  /**
   * Creates an empty priority queue from options: `new PriorityQueue<T>({ compare, maxsize })`.
   *
   * @param options `compare` and `maxsize`.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number or `compare` is not a function.
   */
  constructor(options?: PriorityQueueOptions<T>);
  constructor(maxsizeOrOptions?: number | PriorityQueueOptions<T>) {
    const what = "create PriorityQueue";
    const options = typeof maxsizeOrOptions === "object" && maxsizeOrOptions !== null
      ? checkOptions<PriorityQueueOptions<T>>(what, maxsizeOrOptions, ["maxsize", "compare"])
      : { maxsize: maxsizeOrOptions };
    super(options.maxsize);
    const compare = options.compare ?? naturalOrder;
    checkFunction(what, "compare", compare);
    replaceStore(this, new Heap<T>(compare));
  }
}
