/**
 * {@linkcode SharedQueue}: the first-in, first-out queue of item 55, shared between the main
 * thread and workers through a `SharedArrayBuffer`.
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";
// The hub's files, not its entrypoint: a program that uses only queues loads no worker host.
import { checkInteger, checkOptions, checkSignal, checkTimeout } from "../futures/checks.ts";
import {
  assertCanBlock,
  canBlock,
  deadlineOf,
  type SharedWords,
  sleepOn,
  TIMED_OUT,
  type WaitStep,
  waitUntil,
  waitUntilAsync,
} from "../futures/futex.ts";
import { fromHandle, type Shareable, type SharedHandle, toHandle } from "../futures/shareable.ts";
import { QueueEmpty, QueueFull, QueueShutDown } from "./errors.ts";
import type { QueueShutdownOptions, QueueWaitOptions } from "./queue.ts";
import { bump, lock, unlock } from "./_shared_sync.ts";
import { DoneMarkingIterator, timedOut } from "./_common.ts";

/** Options for the blocking waits of a {@linkcode SharedQueue} in workers (`put`, `get`, `join`). */
export interface BlockingQueueWaitOptions {
  /**
   * How long to block, in milliseconds, before throwing a `TimeoutError`. `0` means do not wait
   * at all (allowed on the main thread too).
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
}

/** Options for creating a {@linkcode SharedQueue}. */
export interface SharedQueueOptions {
  /**
   * The most items the queue holds; `put` waits while it is full. `0` means no limit on the
   * count (the byte capacity still limits the queue), as in Python.
   *
   * @default {0}
   */
  maxsize?: number;
  /**
   * The size in bytes of the ring buffer that holds the serialized items (each takes its
   * `node:v8` serialization plus 4 bytes). `put` waits while the next item does not fit; an item
   * that could never fit is refused with a `RangeError`.
   *
   * @default {1048576} (1 MiB)
   */
  byteCapacity?: number;
}

const MUTEX = 0;
const COUNT = 1;
const HEAD = 2;
const USED = 3;
const UNFINISHED = 4;
const STATE = 5;
const SEQ_GET = 6;
const SEQ_PUT = 7;
const SEQ_JOIN = 8;
const PUTTERS = 9;
const WORDS = 16; // one cache line

const OPEN = 0;
const CLOSED = 1;
const SHUT_DOWN = 2;

const PREFIX = 4;
const DEFAULT_CAPACITY = 1 << 20;

const WAIT: unique symbol = Symbol("wait");
type Attempt<R> = () => R | typeof WAIT;

interface SharedQueueState {
  header: SharedWords;
  data: Uint8Array<SharedArrayBuffer>;
  maxsize: number;
}

/**
 * A queue shared between threads: Python's `queue.Queue` (with `shutdown` from Python 3.13),
 * for Web Workers, with the semantics of this module's {@linkcode Queue} and `close()` plus
 * iteration in the style of the book's `ClosableQueue` (item 55).
 *
 * Pass it to a `Thread` (from `@tandem/tandem/threads`) or to any worker task as an argument,
 * like a `Lock`: the worker gets a live queue over the same memory. Items are structured-clonable
 * values, serialized with `node:v8` into a ring buffer of `byteCapacity` bytes; each `get` gives a
 * fresh copy.
 *
 * Two ways to wait, on one object, following the threads module's naming:
 * - in a worker, {@linkcode SharedQueue.put}, {@linkcode SharedQueue.get},
 *   {@linkcode SharedQueue.join} and `for (const item of queue)` block the worker
 *   (`Atomics.wait`), like Python's `queue.Queue`;
 * - anywhere, and always on the main thread, {@linkcode SharedQueue.putAsync},
 *   {@linkcode SharedQueue.getAsync}, {@linkcode SharedQueue.joinAsync} and
 *   `for await (const item of queue)` wait without blocking the event loop
 *   (`Atomics.waitAsync`) and take a `timeout` and a `signal`. The blocking forms throw on the
 *   main thread, naming the async form (except with `timeout: 0`, which never waits).
 * - `putNowait`, `getNowait`, `taskDone`, `close`, `shutdown`, `qsize`, `empty` and `full` work
 *   everywhere.
 *
 * Guarantees:
 * - **Order.** Items come out in the order they went in. Unlike {@linkcode Queue}, waiters are
 *   not served in arrival order: when an item arrives, every waiting getter wakes and one of them
 *   takes it (as with Python's `queue.Queue`, whose condition variables promise no order).
 * - **Exactly once.** Every item put is delivered to exactly one getter, or dropped by
 *   `shutdown({ immediate: true })`. A timed-out or aborted `put` added nothing; a timed-out or
 *   aborted `get` took nothing.
 * - **No busy waiting.** Waiters sleep on shared words and wake on every change (or re-check
 *   after at most 50 ms). A short internal lock guards the buffer while an item's bytes are
 *   copied; the main thread may wait for it for the length of a copy, never for an item.
 * - **Timeouts** throw (blocking forms) or reject with (async forms) the hub's `TimeoutError`
 *   (Python's blocking queue raises `Full`/`Empty` instead).
 * - **Deadlocks.** As with {@linkcode Queue}: `join` waits forever if a consumer forgets
 *   `taskDone()`, `get` waits forever if nobody puts or closes. A worker blocked in `get` can only
 *   be stopped by `close()`/`shutdown()` (Deno's `Worker.terminate()` does not interrupt a
 *   blocking wait until it wakes), so close the queue when producers are done.
 *
 * @typeParam T The type of the items (structured-clonable).
 *
 * @example Main thread and a worker thread, joined by two queues
 * ```ts
 * import { SharedQueue } from "@tandem/tandem/queue";
 * import { Thread } from "@tandem/tandem/threads";
 * // A task that runs `for (const n of inbox) outbox.put(n * 2)` in its worker.
 * import { doubleAll } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const inbox = new SharedQueue<number>({ maxsize: 4 });
 * const outbox = new SharedQueue<number>();
 * const thread = new Thread(doubleAll, inbox, outbox);
 * thread.start();
 * for (let n = 0; n < 10; n++) await inbox.putAsync(n); // waits while 4 items are queued
 * inbox.close(); // the worker's loop ends once the queue is empty
 * await inbox.joinAsync();
 * await thread.join();
 * assert.equal(outbox.qsize(), 10);
 * assert.equal(outbox.getNowait(), 0);
 * assert.equal(outbox.getNowait(), 2);
 * ```
 */
export class SharedQueue<T> implements Shareable, Iterable<T>, AsyncIterable<T> {
  #header: SharedWords;
  #data: Uint8Array<SharedArrayBuffer>;
  #capacity: number;
  #maxsize: number;

  /**
   * Creates an empty queue in new shared memory. Python: `queue.Queue(maxsize=0)`.
   *
   * @param maxsize The most items the queue holds; `0` (the default) means no limit.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(maxsize?: number);
  /**
   * Creates an empty queue from options: `new SharedQueue<T>({ maxsize: 100, byteCapacity })`.
   *
   * @param options `maxsize` and `byteCapacity`.
   * @throws {RangeError} If `maxsize` is negative or not an integer, or `byteCapacity` is not an
   * integer of at least 8.
   * @throws {TypeError} If either is not a number.
   */
  constructor(options?: SharedQueueOptions);
  constructor(maxsizeOrOptions?: number | SharedQueueOptions) {
    const what = "create SharedQueue";
    const options = typeof maxsizeOrOptions === "object" && maxsizeOrOptions !== null
      ? checkOptions<SharedQueueOptions>(what, maxsizeOrOptions, ["maxsize", "byteCapacity"])
      : { maxsize: maxsizeOrOptions };
    this.#maxsize = checkInteger(what, "maxsize", options.maxsize ?? 0);
    const capacity = options.byteCapacity ?? DEFAULT_CAPACITY;
    checkInteger(what, "byteCapacity", capacity, { min: 8 });
    this.#header = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    this.#data = new Uint8Array(new SharedArrayBuffer(capacity));
    this.#capacity = this.#data.length;
  }

  /** The most items the queue holds; `0` means no limit. Python: `Queue.maxsize`. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** The size in bytes of the buffer that holds the serialized items. */
  get byteCapacity(): number {
    return this.#capacity;
  }

  /**
   * Whether {@linkcode SharedQueue.close} or {@linkcode SharedQueue.shutdown} was called, in any
   * isolate: no more items can be put.
   */
  get closed(): boolean {
    return Atomics.load(this.#header, STATE) !== OPEN;
  }

  /**
   * The number of items in the queue (a snapshot: other threads may change it at once). Python:
   * `Queue.qsize()`.
   *
   * @returns How many items are in the queue.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<string>();
   * queue.putNowait("a");
   * assert.equal(queue.qsize(), 1);
   * ```
   */
  qsize(): number {
    return Atomics.load(this.#header, COUNT);
  }

  /**
   * Whether the queue has no item (a snapshot). Python: `Queue.empty()`.
   *
   * @returns `true` when `qsize()` is 0.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedQueue<number>().empty(), true);
   * ```
   */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (a snapshot). Python: `Queue.full()`. A queue whose
   * byte buffer is full but that holds fewer than `maxsize` items is not `full()`, though `put`
   * waits.
   *
   * @returns `true` when `maxsize > 0` and `qsize() >= maxsize`.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<number>(1);
   * queue.putNowait(1);
   * assert.equal(queue.full(), true);
   * ```
   */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * Puts an item, blocking this worker while the queue is full. Python: `Queue.put(item,
   * timeout=...)`.
   *
   * @param item The item (structured-clonable).
   * @param options `timeout` (ms); `0` tries once without waiting (allowed on the main thread).
   * @throws {Error} On the main thread (unless `timeout` is `0`): use
   * {@linkcode SharedQueue.putAsync} there.
   * @throws {QueueShutDown} If the queue was closed or shut down before the item got in. (A put
   * already waiting when `close()` is called still completes; `shutdown()` refuses it.)
   * @throws {TimeoutError} If the queue stays full for `timeout` ms.
   * @throws {RangeError} If the serialized item is larger than the buffer, or `timeout` is
   * invalid.
   * @throws {TypeError} If the item is not structured-clonable.
   *
   * @example In a worker task
   * ```ts ignore
   * for (const n of inbox) outbox.put(n * 2, { timeout: 1000 });
   * ```
   */
  put(item: T, options?: BlockingQueueWaitOptions): void {
    const { timeout } = waitOptions("put on", options, ["timeout"]);
    this.#checkBlocking("put on", "'await queue.putAsync(item)'", timeout);
    const bytes = this.#serialize(item);
    const putter = this.#putter(bytes, true);
    try {
      this.#blocking(putter.attempt, SEQ_PUT, "put on", timeout);
    } finally {
      putter.leave();
    }
  }

  /**
   * Puts an item, waiting without blocking the event loop while the queue is full: the form for
   * the main thread, also fine in workers. Python: `await asyncio.Queue.put(item)`.
   *
   * @param item The item (structured-clonable).
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once the item is in the queue.
   * @throws {QueueShutDown} If the queue was closed or shut down before the item got in.
   * @throws {TimeoutError} If the queue stays full for `timeout` ms.
   * @throws {RangeError} If the serialized item is larger than the buffer, or `timeout` is
   * invalid.
   * @throws {TypeError} If the item is not structured-clonable.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example Waiting for space
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<string>(1);
   * await queue.putAsync("first");
   * const second = queue.putAsync("second"); // waits: the queue is full
   * assert.equal(await queue.getAsync(), "first");
   * await second;
   * assert.equal(await queue.getAsync(), "second");
   * ```
   */
  async putAsync(item: T, options?: QueueWaitOptions): Promise<void> {
    const { timeout, signal } = waitOptions("put on", options, ["timeout", "signal"]);
    signal?.throwIfAborted();
    const bytes = this.#serialize(item);
    const putter = this.#putter(bytes, true);
    try {
      await this.#waitAsync(putter.attempt, SEQ_PUT, "put on", timeout, signal);
    } finally {
      putter.leave();
    }
  }

  /**
   * Puts an item if there is room, without waiting. Python: `Queue.put_nowait(item)`.
   *
   * @param item The item (structured-clonable).
   * @throws {QueueFull} If the queue holds `maxsize` items or the buffer has no room for it.
   * @throws {QueueShutDown} If the queue was closed or shut down.
   * @throws {RangeError} If the serialized item is larger than the buffer.
   * @throws {TypeError} If the item is not structured-clonable.
   *
   * @example
   * ```ts
   * import { QueueFull, SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<number>(1);
   * queue.putNowait(1);
   * assert.throws(() => queue.putNowait(2), QueueFull);
   * ```
   */
  putNowait(item: T): void {
    const bytes = this.#serialize(item);
    if (this.#once(this.#putter(bytes, false).attempt) === WAIT) {
      throw new QueueFull("Cannot put on the SharedQueue: it is full");
    }
  }

  /**
   * Takes the next item, blocking this worker while the queue is empty. Python:
   * `Queue.get(timeout=...)`.
   *
   * @param options `timeout` (ms); `0` tries once without waiting (allowed on the main thread).
   * @returns The next item.
   * @throws {Error} On the main thread (unless `timeout` is `0`): use
   * {@linkcode SharedQueue.getAsync} there.
   * @throws {QueueShutDown} If the queue was closed or shut down and is empty.
   * @throws {TimeoutError} If the queue stays empty for `timeout` ms.
   * @throws {RangeError} If `timeout` is invalid.
   *
   * @example In a worker task
   * ```ts ignore
   * const job = inbox.get({ timeout: 1000 });
   * ```
   */
  get(options?: BlockingQueueWaitOptions): T {
    const { timeout } = waitOptions("get from", options, ["timeout"]);
    this.#checkBlocking("get from", "'await queue.getAsync()'", timeout);
    return deserialize(this.#blocking(this.#getter, SEQ_GET, "get from", timeout));
  }

  /**
   * Takes the next item, waiting without blocking the event loop while the queue is empty: the
   * form for the main thread, also fine in workers. Python: `await asyncio.Queue.get()`.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise for the next item.
   * @throws {QueueShutDown} If the queue was closed or shut down and is empty.
   * @throws {TimeoutError} If the queue stays empty for `timeout` ms.
   * @throws {RangeError} If `timeout` is invalid.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example Waiting with a timeout
   * ```ts
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<string>();
   * await assert.rejects(queue.getAsync({ timeout: 10 }), TimeoutError);
   * setTimeout(() => queue.putNowait("late"), 10);
   * assert.equal(await queue.getAsync({ timeout: 1000 }), "late");
   * ```
   */
  async getAsync(options?: QueueWaitOptions): Promise<T> {
    const { timeout, signal } = waitOptions("get from", options, ["timeout", "signal"]);
    signal?.throwIfAborted();
    return deserialize(await this.#waitAsync(this.#getter, SEQ_GET, "get from", timeout, signal));
  }

  /**
   * Takes the next item if there is one, without waiting. Python: `Queue.get_nowait()`.
   *
   * @returns The next item.
   * @throws {QueueEmpty} If the queue is empty.
   * @throws {QueueShutDown} If the queue is empty and was closed or shut down.
   *
   * @example
   * ```ts
   * import { QueueEmpty, SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<{ n: number }>();
   * queue.putNowait({ n: 7 });
   * assert.deepEqual(queue.getNowait(), { n: 7 });
   * assert.throws(() => queue.getNowait(), QueueEmpty);
   * ```
   */
  getNowait(): T {
    const bytes = this.#once(this.#getter);
    if (bytes === WAIT) throw new QueueEmpty("Cannot get from the SharedQueue: it is empty");
    return deserialize(bytes);
  }

  /**
   * Marks one item taken from the queue as processed, from any isolate. Python:
   * `Queue.task_done()`. Iterating with `for`/`for await` calls it for you.
   *
   * @throws {RangeError} If called more times than items were put (Python's `ValueError`).
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<string>();
   * queue.putNowait("job");
   * queue.getNowait();
   * queue.taskDone();
   * await queue.joinAsync(); // resolves: nothing is unfinished
   * assert.throws(() => queue.taskDone(), RangeError);
   * ```
   */
  taskDone(): void {
    const header = this.#header;
    lock(header, MUTEX);
    try {
      const unfinished = Atomics.load(header, UNFINISHED);
      if (unfinished <= 0) {
        throw new RangeError(
          "Cannot mark a task done on the SharedQueue: taskDone() was called more times than " +
            "items were put",
        );
      }
      Atomics.store(header, UNFINISHED, unfinished - 1);
      if (unfinished === 1) bump(header, SEQ_JOIN);
    } finally {
      unlock(header, MUTEX);
    }
  }

  /**
   * Blocks this worker until every item put has been taken and marked done. Python:
   * `Queue.join()`.
   *
   * @param options `timeout` (ms); `0` checks once without waiting (allowed on the main thread).
   * @throws {Error} On the main thread (unless `timeout` is `0`): use
   * {@linkcode SharedQueue.joinAsync} there.
   * @throws {TimeoutError} If items are still unfinished after `timeout` ms.
   * @throws {RangeError} If `timeout` is invalid.
   *
   * @example In a worker task
   * ```ts ignore
   * queue.join({ timeout: 5000 });
   * ```
   */
  join(options?: BlockingQueueWaitOptions): void {
    const { timeout } = waitOptions("join", options, ["timeout"]);
    this.#checkBlocking("join", "'await queue.joinAsync()'", timeout);
    this.#blocking(this.#joiner, SEQ_JOIN, "join", timeout);
  }

  /**
   * Waits, without blocking the event loop, until every item put has been taken and marked done.
   * Python: `await asyncio.Queue.join()`. Items dropped by `shutdown({ immediate: true })` count
   * as done.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves when no item is unfinished.
   * @throws {TimeoutError} If items are still unfinished after `timeout` ms.
   * @throws {RangeError} If `timeout` is invalid.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<number>();
   * queue.putNowait(1);
   * await assert.rejects(queue.joinAsync({ timeout: 10 }), TimeoutError);
   * queue.getNowait();
   * queue.taskDone();
   * await queue.joinAsync();
   * ```
   */
  async joinAsync(options?: QueueWaitOptions): Promise<void> {
    const { timeout, signal } = waitOptions("join", options, ["timeout", "signal"]);
    signal?.throwIfAborted();
    await this.#waitAsync(this.#joiner, SEQ_JOIN, "join", timeout, signal);
  }

  /**
   * Refuses new items and lets consumers finish, from any isolate: the book's
   * `ClosableQueue.close()`, without a sentinel. Later puts throw {@linkcode QueueShutDown};
   * puts already waiting for space still complete; once the queue is empty, `get` throws
   * `QueueShutDown` and every `for`/`for await` loop over it, in every isolate, ends. Calling it
   * again, or after `shutdown()`, does nothing.
   *
   * @example
   * ```ts
   * import { SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<number>();
   * queue.putNowait(1);
   * queue.close();
   * const drained: number[] = [];
   * for await (const n of queue) drained.push(n);
   * assert.deepEqual(drained, [1]);
   * ```
   */
  close(): void {
    const header = this.#header;
    lock(header, MUTEX);
    try {
      if (Atomics.load(header, STATE) !== OPEN) return;
      Atomics.store(header, STATE, CLOSED);
      bump(header, SEQ_GET);
    } finally {
      unlock(header, MUTEX);
    }
  }

  /**
   * Shuts the queue down, from any isolate. Python 3.13: `Queue.shutdown(immediate=False)`.
   * Every `put` (waiting or new) throws {@linkcode QueueShutDown}. Without `immediate`, consumers
   * still take the items left; with it, the items left are dropped and counted as done, and
   * every waiting or later `get` throws at once.
   *
   * @param options `immediate`.
   *
   * @example Dropping what is left
   * ```ts
   * import { QueueShutDown, SharedQueue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new SharedQueue<number>();
   * queue.putNowait(1);
   * queue.shutdown({ immediate: true });
   * assert.equal(queue.qsize(), 0);
   * await queue.joinAsync(); // the dropped item counts as done
   * await assert.rejects(queue.getAsync(), QueueShutDown);
   * ```
   */
  shutdown(options: QueueShutdownOptions = {}): void {
    const header = this.#header;
    lock(header, MUTEX);
    try {
      Atomics.store(header, STATE, SHUT_DOWN);
      if (options.immediate) {
        const dropped = Atomics.load(header, COUNT);
        Atomics.store(header, COUNT, 0);
        Atomics.store(header, HEAD, 0);
        Atomics.store(header, USED, 0);
        const unfinished = Atomics.load(header, UNFINISHED);
        if (dropped > 0 && unfinished > 0) {
          const left = Math.max(0, unfinished - dropped);
          Atomics.store(header, UNFINISHED, left);
          if (left === 0) bump(header, SEQ_JOIN);
        }
      }
      bump(header, SEQ_PUT);
      bump(header, SEQ_GET);
    } finally {
      unlock(header, MUTEX);
    }
  }

  /**
   * `for (const item of queue)` in a worker: takes items (blocking) until the queue is closed
   * (or shut down) and empty, marking each done when its loop body finishes, however it ends
   * (the book's `ClosableQueue.__iter__`). Throws on the main thread at the first `next()`: use
   * `for await` there.
   *
   * @returns A blocking iterator over the items; disposing it marks the current item done.
   */
  [Symbol.iterator](): IterableIterator<T> & Disposable {
    return new BlockingIterator(this);
  }

  /**
   * `for await (const item of queue)`: like the blocking iterator, with
   * {@linkcode SharedQueue.getAsync}; works on the main thread and in workers.
   *
   * @returns An async iterator over the items; disposing it marks the current item done.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> & AsyncDisposable {
    return new DoneMarkingIterator(() => this.getAsync(), () => this.taskDone());
  }

  /** The string tag: `[object SharedQueue]`. */
  get [Symbol.toStringTag](): string {
    return "SharedQueue";
  }

  /**
   * Describes the queue for another isolate (its shared memory). Called by tandem when the queue
   * is passed to a worker.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    const state: SharedQueueState = {
      header: this.#header,
      data: this.#data,
      maxsize: this.#maxsize,
    };
    return { module: import.meta.url, name: "SharedQueue", state };
  }

  /**
   * Rebuilds a queue over the same memory from a handle's `state`. Called by tandem in the
   * receiving isolate.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns A queue over the same memory.
   * @throws {TypeError} If `state` is not a SharedQueue's state.
   */
  static [fromHandle](state: unknown): SharedQueue<unknown> {
    const s = state as Partial<SharedQueueState> | null;
    if (
      typeof s !== "object" || s === null || !(s.header instanceof Int32Array) ||
      !(s.header.buffer instanceof SharedArrayBuffer) || s.header.length !== WORDS ||
      !(s.data instanceof Uint8Array) || !(s.data.buffer instanceof SharedArrayBuffer) ||
      typeof s.maxsize !== "number"
    ) {
      throw new TypeError(
        "Cannot rebuild a SharedQueue from its handle: the state must hold its header words, " +
          "its data bytes (over SharedArrayBuffers) and its maxsize",
      );
    }
    const { header, data, maxsize } = s as SharedQueueState;
    const rebuilt = new SharedQueue<unknown>({ byteCapacity: 8 }); // then pointed at `state`
    rebuilt.#header = header;
    rebuilt.#data = data;
    rebuilt.#maxsize = maxsize;
    rebuilt.#capacity = data.length;
    return rebuilt;
  }

  // --- the shared state machine; every attempt runs under the mutex ---

  #serialize(item: T): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = serialize(item);
    } catch (error) {
      throw new TypeError(
        `Cannot put on the SharedQueue: the item is not structured-clonable (${
          error instanceof Error ? error.message : String(error)
        })`,
        { cause: error },
      );
    }
    if (bytes.length + PREFIX > this.#capacity) {
      throw new RangeError(
        `Cannot put on the SharedQueue: the item takes ${bytes.length} bytes serialized (plus ` +
          `${PREFIX} bytes of framing), more than the queue's byteCapacity of ${this.#capacity} ` +
          "bytes",
      );
    }
    return bytes;
  }

  /**
   * A put attempt for `bytes`. A waiting putter registers itself on its first wait, so that a
   * `close()` lets it finish and getters wait for it; `leave()` unregisters it.
   */
  #putter(bytes: Uint8Array, waits: boolean): { attempt: Attempt<true>; leave(): void } {
    const header = this.#header;
    let registered = false;
    const attempt = (): true | typeof WAIT => {
      const state = Atomics.load(header, STATE);
      if (state === SHUT_DOWN || (state === CLOSED && !registered)) {
        const how = state === CLOSED ? "closed" : "shut down";
        throw new QueueShutDown(`Cannot put on the SharedQueue: it was ${how}`);
      }
      const count = Atomics.load(header, COUNT);
      const used = Atomics.load(header, USED);
      const need = bytes.length + PREFIX;
      if ((this.#maxsize > 0 && count >= this.#maxsize) || this.#capacity - used < need) {
        if (waits && !registered) {
          registered = true;
          Atomics.add(header, PUTTERS, 1);
        }
        return WAIT;
      }
      const head = Atomics.load(header, HEAD);
      const tail = (head + used) % this.#capacity;
      const prefix = new Uint8Array(PREFIX);
      new DataView(prefix.buffer).setUint32(0, bytes.length, true);
      this.#write(tail, prefix);
      this.#write((tail + PREFIX) % this.#capacity, bytes);
      Atomics.store(header, USED, used + need);
      Atomics.store(header, COUNT, count + 1);
      Atomics.add(header, UNFINISHED, 1);
      bump(header, SEQ_GET);
      return true;
    };
    const leave = () => {
      if (!registered) return;
      registered = false;
      lock(header, MUTEX);
      try {
        // The last putter that close() let through is gone: getters of an empty queue may stop.
        if (Atomics.sub(header, PUTTERS, 1) === 1) bump(header, SEQ_GET);
      } finally {
        unlock(header, MUTEX);
      }
    };
    return { attempt, leave };
  }

  readonly #getter: Attempt<Uint8Array> = () => {
    const header = this.#header;
    const count = Atomics.load(header, COUNT);
    if (count > 0) {
      const head = Atomics.load(header, HEAD);
      const prefix = this.#read(head, PREFIX);
      const length = new DataView(prefix.buffer).getUint32(0, true);
      const bytes = this.#read((head + PREFIX) % this.#capacity, length);
      const need = length + PREFIX;
      Atomics.store(header, HEAD, (head + need) % this.#capacity);
      Atomics.store(header, USED, Atomics.load(header, USED) - need);
      Atomics.store(header, COUNT, count - 1);
      bump(header, SEQ_PUT);
      return bytes;
    }
    const state = Atomics.load(header, STATE);
    if (state === SHUT_DOWN || (state === CLOSED && Atomics.load(header, PUTTERS) === 0)) {
      const how = state === CLOSED ? "closed" : "shut down";
      throw new QueueShutDown(`Cannot get from the SharedQueue: it was ${how} and is empty`);
    }
    return WAIT;
  };

  readonly #joiner: Attempt<true> = () =>
    Atomics.load(this.#header, UNFINISHED) === 0 ? true : WAIT;

  #write(at: number, bytes: Uint8Array): void {
    const first = Math.min(bytes.length, this.#capacity - at);
    this.#data.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.#data.set(bytes.subarray(first), 0);
  }

  #read(at: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.min(length, this.#capacity - at);
    out.set(this.#data.subarray(at, at + first));
    if (first < length) out.set(this.#data.subarray(0, length - first), first);
    return out;
  }

  /** Runs one attempt under the mutex. */
  #once<R>(attempt: Attempt<R>): R | typeof WAIT {
    lock(this.#header, MUTEX);
    try {
      return attempt();
    } finally {
      unlock(this.#header, MUTEX);
    }
  }

  /** The wait's step: one attempt under the mutex; when it must wait, the word to sleep on. */
  #step<R>(attempt: Attempt<R>, seq: number): WaitStep<R> {
    const header = this.#header;
    return () => {
      lock(header, MUTEX);
      try {
        const value = attempt();
        return value === WAIT ? sleepOn(header, seq, Atomics.load(header, seq)) : value;
      } finally {
        unlock(header, MUTEX);
      }
    };
  }

  #checkBlocking(verb: string, instead: string, timeout: number | undefined): void {
    if (!canBlock && timeout !== 0) assertCanBlock(`${verb} a SharedQueue`, instead);
  }

  #blocking<R>(attempt: Attempt<R>, seq: number, verb: string, timeout?: number): R {
    const result = waitUntil(this.#step(attempt, seq), deadlineOf(timeout));
    if (result === TIMED_OUT) throw timedOut("SharedQueue", verb, timeout);
    return result;
  }

  async #waitAsync<R>(
    attempt: Attempt<R>,
    seq: number,
    verb: string,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<R> {
    const result = await waitUntilAsync(this.#step(attempt, seq), deadlineOf(timeout), signal);
    if (result === TIMED_OUT) throw timedOut("SharedQueue", verb, timeout);
    return result;
  }
}

/** Marks the previous item done on each `next()`, and on `return()` (break, throw, dispose). */
class BlockingIterator<T> implements IterableIterator<T>, Disposable {
  readonly #queue: SharedQueue<T>;
  #owed = false;
  #finished = false;

  constructor(queue: SharedQueue<T>) {
    this.#queue = queue;
  }

  next(): IteratorResult<T, undefined> {
    this.#settle();
    if (this.#finished) return { done: true, value: undefined };
    try {
      const value = this.#queue.get();
      this.#owed = true;
      return { done: false, value };
    } catch (error) {
      if (!(error instanceof QueueShutDown)) throw error;
      this.#finished = true;
      return { done: true, value: undefined };
    }
  }

  return(): IteratorResult<T, undefined> {
    this.#finished = true;
    this.#settle();
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }

  [Symbol.dispose](): void {
    this.return();
  }

  #settle(): void {
    if (!this.#owed) return;
    this.#owed = false;
    this.#queue.taskDone();
  }
}

/** Checks a wait's options bag and its timeout and signal. */
function waitOptions(
  verb: string,
  options: unknown,
  known: readonly (keyof QueueWaitOptions)[],
): QueueWaitOptions {
  const what = `${verb} the SharedQueue`;
  const opts = checkOptions<QueueWaitOptions>(what, options, known);
  checkTimeout(what, opts.timeout);
  checkSignal(what, opts.signal);
  return opts;
}
