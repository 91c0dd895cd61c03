/**
 * {@linkcode Queue}: the async first-in, first-out queue of items 55 and 58.
 *
 * @module
 */

import { QueueEmpty, QueueFull, QueueShutDown } from "./errors.ts";
import { Deque, type Store } from "./_store.ts";
import { DoneMarkingIterator, timedOut } from "./_common.ts";
import { type Putter, release, type Waiter, WaiterList, waitOptions } from "./_waiters.ts";
import { checkInteger, checkOptions, onAbort } from "../futures/checks.ts";

/** Options for creating a {@linkcode Queue}. */
export interface QueueOptions {
  /**
   * The most items the queue holds; `put` waits while it is full. `0` means no limit, as in
   * Python.
   *
   * @default {0}
   */
  maxsize?: number;
}

/** Options for the waiting methods of a {@linkcode Queue}: `put`, `get` and `join`. */
export interface QueueWaitOptions {
  /**
   * How long to wait, in milliseconds, before rejecting with a `TimeoutError`. `0` means do not
   * wait at all (succeed at once or reject at once); `Infinity` waits as long as it takes.
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`. A signal that is already aborted
   * rejects at once, even if the call could succeed without waiting.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode Queue.shutdown}. */
export interface QueueShutdownOptions {
  /**
   * Also drop every item still in the queue, counting each as done for `join`, so that getters
   * fail at once instead of draining the queue first. Python 3.13: `shutdown(immediate=True)`.
   *
   * @default {false}
   */
  immediate?: boolean;
}

/** Options for {@linkcode Queue.values}. */
export interface QueueIterateOptions {
  /**
   * Stops waiting for the next item when aborted: the pending `next()` rejects with
   * `signal.reason`. The item the loop body was working on is still marked done.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const OPEN = 0;
const CLOSED = 1;
const SHUT_DOWN = 2;
type State = typeof OPEN | typeof CLOSED | typeof SHUT_DOWN;

const RESOLVED: Promise<void> = Promise.resolve();
// Longer timeouts overflow setTimeout's 32-bit delay; treat them as no limit (about 24.8 days).
const MAX_TIMER = 2 ** 31 - 1;

let useStore: <T>(queue: Queue<T>, store: Store<T>) => void;

/**
 * Lets {@linkcode LifoQueue} and {@linkcode PriorityQueue} replace the FIFO store of a queue they
 * just constructed (Python's subclasses override `_init`, `_put` and `_get`). Not exported from
 * the module's entrypoint.
 *
 * @internal
 */
export function replaceStore<T>(queue: Queue<T>, store: Store<T>): void {
  useStore(queue, store);
}

/**
 * An async queue for handing items from producers to consumers on the event loop: Python's
 * `asyncio.Queue` (with `shutdown` from Python 3.13), plus `close()` and `for await` iteration
 * in the style of the book's `ClosableQueue` (item 55).
 *
 * - `put` waits while the queue holds `maxsize` items, `get` waits while it is empty; both take a
 *   `timeout` and a `signal`. `putNowait`/`getNowait` never wait: they throw
 *   {@linkcode QueueFull}/{@linkcode QueueEmpty}.
 * - Every item put counts as unfinished until a consumer calls {@linkcode Queue.taskDone};
 *   {@linkcode Queue.join} waits until none is.
 * - {@linkcode Queue.close} refuses new puts and lets consumers drain the rest; then `get`
 *   rejects with {@linkcode QueueShutDown} and `for await` loops end.
 *   {@linkcode Queue.shutdown} is Python 3.13's: waiting putters are refused too, and with
 *   `immediate` the remaining items are dropped.
 *
 * Guarantees:
 * - **Order and fairness.** Items come out in the order they were put (for `Queue`; see
 *   `LifoQueue` and `PriorityQueue`). Waiting getters are served first come, first served, and so
 *   are waiting putters. An item put while getters wait is handed directly to the longest-waiting
 *   one, so a `get` that arrives later cannot take it first.
 * - **Exactly once.** Every item put is delivered to exactly one getter, or dropped by
 *   `shutdown({ immediate: true })`. A waiting call settles once, by whichever comes first:
 *   hand-off, timeout, abort, or shutdown. An abort or timeout that comes after the hand-off is
 *   too late (the call resolves with the item); one that comes before it leaves the item for the
 *   next getter. Nothing is lost in between.
 * - **Timeouts and aborts** leave the queue as it was: a timed-out `put` did not add its item, a
 *   timed-out `get` took nothing. Every timer is cleared when its call settles.
 * - **Deadlocks.** `join()` waits forever if a consumer forgets `taskDone()`; `put` on a full
 *   queue waits forever if nobody gets; `get` waits forever if nobody puts or closes. Pass a
 *   `timeout` or `signal` where that can happen.
 *
 * A queue belongs to one isolate (the event loop that uses it); to share one between the main
 * thread and workers, use {@linkcode SharedQueue}, which has the same semantics.
 *
 * @typeParam T The type of the items.
 *
 * @example Producer and consumer, with `join`
 * ```ts
 * import { Queue } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>(2);
 * const seen: number[] = [];
 * const consumer = (async () => {
 *   for await (const n of queue) seen.push(n); // each item is marked done after the body
 * })();
 * for (let n = 0; n < 5; n++) await queue.put(n); // waits while 2 items are queued
 * await queue.join(); // every item put has been processed
 * queue.close(); // the loop ends once the queue is empty
 * await consumer;
 * assert.deepEqual(seen, [0, 1, 2, 3, 4]);
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  #store: Store<T> = new Deque<T>();
  readonly #maxsize: number;
  #state: State = OPEN;
  #unfinished = 0;
  readonly #getters = new WaiterList<Waiter<T>>();
  readonly #putters = new WaiterList<Putter<T>>();
  #joiners: Waiter<void>[] = [];

  static {
    useStore = <T>(queue: Queue<T>, store: Store<T>) => {
      queue.#store = store;
    };
  }

  /**
   * Creates an empty queue. Python: `asyncio.Queue(maxsize=0)`.
   *
   * @param maxsize The most items the queue holds; `0` (the default) means no limit.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(maxsize?: number);
  /**
   * Creates an empty queue from options: `new Queue<T>({ maxsize: 100 })`.
   *
   * @param options `maxsize`.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @throws {TypeError} If `maxsize` is not a number.
   */
  constructor(options?: QueueOptions);
  constructor(maxsizeOrOptions?: number | QueueOptions) {
    const maxsize = typeof maxsizeOrOptions === "object" && maxsizeOrOptions !== null
      ? checkOptions<QueueOptions>(`create ${new.target.name}`, maxsizeOrOptions, ["maxsize"])
        .maxsize
      : maxsizeOrOptions;
    this.#maxsize = checkMaxsize(new.target.name, maxsize ?? 0);
  }

  /** The most items the queue holds; `0` means no limit. Python: `Queue.maxsize`. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * Whether {@linkcode Queue.close} or {@linkcode Queue.shutdown} was called: no more items can
   * be put. Items already in the queue may still be waiting to be taken.
   */
  get closed(): boolean {
    return this.#state !== OPEN;
  }

  /**
   * The number of items in the queue. Python: `Queue.qsize()`.
   *
   * @returns How many items a consumer could take now without waiting.
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * queue.putNowait("a");
   * assert.equal(queue.qsize(), 1);
   * ```
   */
  qsize(): number {
    return this.#store.length;
  }

  /**
   * Whether the queue has no item. Python: `Queue.empty()`.
   *
   * @returns `true` when `qsize()` is 0.
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Queue<number>().empty(), true);
   * ```
   */
  empty(): boolean {
    return this.#store.length === 0;
  }

  /**
   * Whether the queue holds `maxsize` items, so that `put` would wait. Python: `Queue.full()`.
   *
   * @returns `true` when `maxsize > 0` and `qsize() >= maxsize`; never for an unbounded queue.
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * assert.equal(queue.full(), true);
   * ```
   */
  full(): boolean {
    return this.#maxsize > 0 && this.#store.length >= this.#maxsize;
  }

  /**
   * Puts an item, waiting while the queue is full. Python: `await Queue.put(item)`.
   *
   * If getters are waiting, the item goes straight to the one that has waited longest. Putters
   * that wait for space are served in arrival order. A put that times out or is aborted did not
   * add its item.
   *
   * @param item The item.
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves once the item is in the queue (or handed to a getter).
   * @throws {QueueShutDown} If the queue was closed or shut down before the item got in. (A put
   * already waiting when `close()` is called still completes; `shutdown()` refuses it.)
   * @throws {TimeoutError} If the queue stays full for `timeout` ms.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example Waiting for space
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>(1);
   * await queue.put("first");
   * const second = queue.put("second"); // waits: the queue is full
   * assert.equal(await queue.get(), "first");
   * await second;
   * assert.equal(await queue.get(), "second");
   * ```
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      const checked = waitOptions(`put on the ${this.#kind}`, options);
      if ("error" in checked) return Promise.reject(checked.error);
      ({ timeout, signal } = checked);
    }
    if (this.#state !== OPEN) return Promise.reject(this.#refusePut());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#getters.size > 0) {
      this.#handOff(item);
      return RESOLVED;
    }
    if (this.#maxsize === 0 || this.#store.length < this.#maxsize) {
      try {
        this.#store.add(item);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#unfinished++;
      return RESOLVED;
    }
    if (timeout === 0) return Promise.reject(timedOut(this.#kind, "put on", 0));
    return new Promise<void>((resolve, reject) => {
      const putter: Putter<T> = {
        settled: false,
        resolve,
        reject,
        timer: undefined,
        unlisten: undefined,
        item,
      };
      this.#arm(this.#putters, putter, "put on", timeout, signal);
      this.#putters.push(putter);
    });
  }

  /**
   * Puts an item if there is space, without waiting. Python: `Queue.put_nowait(item)`.
   *
   * @param item The item.
   * @throws {QueueFull} If the queue holds `maxsize` items.
   * @throws {QueueShutDown} If the queue was closed or shut down.
   *
   * @example
   * ```ts
   * import { Queue, QueueFull } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * assert.throws(() => queue.putNowait(2), QueueFull);
   * ```
   */
  putNowait(item: T): void {
    if (this.#state !== OPEN) throw this.#refusePut();
    if (this.#getters.size > 0) {
      this.#handOff(item);
      return;
    }
    if (this.#maxsize !== 0 && this.#store.length >= this.#maxsize) {
      throw new QueueFull(`Cannot put on the ${this.#kind}: it is full (maxsize ${this.#maxsize})`);
    }
    this.#store.add(item);
    this.#unfinished++;
  }

  /**
   * Takes the next item, waiting while the queue is empty. Python: `await Queue.get()`.
   *
   * Getters that wait are served in arrival order; each item goes to exactly one of them. A get
   * that times out or is aborted took nothing.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns The next item.
   * @throws {QueueShutDown} If the queue is empty and was closed or shut down (at once, or when
   * that happens while waiting).
   * @throws {TimeoutError} If the queue stays empty for `timeout` ms.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example Waiting with a timeout
   * ```ts
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * await assert.rejects(queue.get({ timeout: 10 }), TimeoutError);
   * setTimeout(() => queue.putNowait("late"), 10);
   * assert.equal(await queue.get({ timeout: 1000 }), "late");
   * ```
   */
  get(options?: QueueWaitOptions): Promise<T> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      const checked = waitOptions(`get from the ${this.#kind}`, options);
      if ("error" in checked) return Promise.reject(checked.error);
      ({ timeout, signal } = checked);
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#store.length > 0) {
      try {
        return Promise.resolve(this.#take());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#state !== OPEN) return Promise.reject(this.#refuseGet());
    if (timeout === 0) return Promise.reject(timedOut(this.#kind, "get from", 0));
    return new Promise<T>((resolve, reject) => {
      const getter: Waiter<T> = {
        settled: false,
        resolve,
        reject,
        timer: undefined,
        unlisten: undefined,
      };
      this.#arm(this.#getters, getter, "get from", timeout, signal);
      this.#getters.push(getter);
    });
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
   * import { Queue, QueueEmpty } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(7);
   * assert.equal(queue.getNowait(), 7);
   * assert.throws(() => queue.getNowait(), QueueEmpty);
   * ```
   */
  getNowait(): T {
    if (this.#store.length > 0) return this.#take();
    if (this.#state !== OPEN) throw this.#refuseGet();
    throw new QueueEmpty(`Cannot get from the ${this.#kind}: it is empty`);
  }

  /**
   * Marks one item taken from the queue as processed. Python: `Queue.task_done()`.
   *
   * Consumers call it once per item they got, after working on it; `for await` loops over the
   * queue call it for you when the loop body finishes. When every item put has been marked done,
   * {@linkcode Queue.join} resolves.
   *
   * @throws {RangeError} If called more times than items were put (Python's `ValueError`).
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * queue.putNowait("job");
   * queue.getNowait();
   * queue.taskDone();
   * await queue.join(); // resolves: nothing is unfinished
   * assert.throws(() => queue.taskDone(), RangeError);
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError(
        `Cannot mark a task done on the ${this.#kind}: taskDone() was called more times than ` +
          "items were put",
      );
    }
    if (--this.#unfinished === 0) this.#finish();
  }

  /**
   * Waits until every item put has been taken and marked done with {@linkcode Queue.taskDone}.
   * Python: `await Queue.join()`.
   *
   * Resolves at once when nothing is unfinished. Items dropped by
   * `shutdown({ immediate: true })` count as done.
   *
   * @param options `timeout` (ms) and `signal`.
   * @returns A promise that resolves when no item is unfinished.
   * @throws {TimeoutError} If items are still unfinished after `timeout` ms.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws `signal.reason` if the signal aborts first.
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * const done: number[] = [];
   * void (async () => {
   *   for await (const n of queue) done.push(n);
   * })();
   * queue.putNowait(1);
   * queue.putNowait(2);
   * await queue.join();
   * assert.deepEqual(done, [1, 2]);
   * queue.close();
   * ```
   */
  join(options?: QueueWaitOptions): Promise<void> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      const checked = waitOptions(`join the ${this.#kind}`, options);
      if ("error" in checked) return Promise.reject(checked.error);
      ({ timeout, signal } = checked);
      if (signal?.aborted) return Promise.reject(signal.reason);
    }
    if (this.#unfinished === 0) return RESOLVED;
    if (timeout === 0) return Promise.reject(timedOut(this.#kind, "join", 0));
    return new Promise<void>((resolve, reject) => {
      const joiner: Waiter<void> = {
        settled: false,
        resolve,
        reject,
        timer: undefined,
        unlisten: undefined,
      };
      this.#arm(undefined, joiner, "join", timeout, signal);
      this.#joiners.push(joiner);
    });
  }

  /**
   * Refuses new items and lets consumers finish: the queue-side half of the book's
   * `ClosableQueue.close()`, without a sentinel.
   *
   * After `close()`: `put` and `putNowait` reject with {@linkcode QueueShutDown}; puts that were
   * already waiting for space still complete, in order; consumers take the items left, and once
   * the queue is empty (and no such put is waiting) `get` rejects with `QueueShutDown` and every
   * `for await` loop over the queue ends. `join()` works as before. Calling it again, or after
   * `shutdown()`, does nothing.
   *
   * @example
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.close();
   * const drained: number[] = [];
   * for await (const n of queue) drained.push(n);
   * assert.deepEqual(drained, [1]);
   * ```
   */
  close(): void {
    if (this.#state !== OPEN) return;
    this.#state = CLOSED;
    // Getters only wait while the queue is empty, and then no putter is waiting either.
    if (this.#store.length === 0) this.#refuseGetters();
  }

  /**
   * Shuts the queue down. Python 3.13: `Queue.shutdown(immediate=False)`.
   *
   * Every `put` (waiting or new) rejects with {@linkcode QueueShutDown}. Without `immediate`,
   * consumers still take the items left, then `get` rejects with `QueueShutDown` and `for await`
   * loops end. With `immediate`, the items left are dropped and counted as done (so `join()`
   * resolves once the items already taken are marked done), and every waiting or later `get`
   * rejects at once. Calling it again is harmless; `immediate` may be added later.
   *
   * @param options `immediate`.
   *
   * @example Dropping what is left
   * ```ts
   * import { Queue, QueueShutDown } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.putNowait(2);
   * queue.shutdown({ immediate: true });
   * assert.equal(queue.qsize(), 0);
   * await queue.join(); // the dropped items count as done
   * await assert.rejects(queue.get(), QueueShutDown);
   * ```
   */
  shutdown(options: QueueShutdownOptions = {}): void {
    this.#state = SHUT_DOWN;
    if (options.immediate) {
      const dropped = this.#store.length;
      this.#store.clear();
      if (dropped > 0 && this.#unfinished > 0) {
        this.#unfinished = Math.max(0, this.#unfinished - dropped);
        if (this.#unfinished === 0) this.#finish();
      }
    }
    const error = new QueueShutDown(`Cannot put on the ${this.#kind}: it was shut down`);
    for (const putter of this.#putters.drain()) {
      release(putter);
      putter.reject(error);
    }
    if (this.#store.length === 0) this.#refuseGetters();
  }

  /**
   * Iterates over the queue, taking items until it is closed (or shut down) and empty; each item
   * is marked done when the loop body for it finishes, whether it completes, `break`s, `continue`s
   * or throws (the book's `ClosableQueue.__iter__`, with `task_done` in `finally`). So
   * `queue.join()` works with `for await` consumers, and several loops can consume one queue.
   *
   * Do not call `taskDone()` yourself for items from this iterator. Leaving the loop early does
   * not close the queue.
   *
   * @param options `signal`, to stop waiting for the next item.
   * @returns An async iterator over the items; disposing it (`await using`) marks the current
   * item done.
   *
   * @example Stopping a consumer with a signal
   * ```ts
   * import { Queue } from "@tandem/tandem/queue";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * const controller = new AbortController();
   * const seen: number[] = [];
   * await assert.rejects(async () => {
   *   for await (const n of queue.values({ signal: controller.signal })) {
   *     seen.push(n);
   *     controller.abort(new Error("stop"));
   *   }
   * }, /stop/);
   * assert.deepEqual(seen, [1]);
   * await queue.join(); // the item was still marked done
   * ```
   */
  values(options: QueueIterateOptions = {}): AsyncIterableIterator<T> & AsyncDisposable {
    const waitOptions = options.signal === undefined ? undefined : { signal: options.signal };
    return new DoneMarkingIterator(() => this.get(waitOptions), () => this.taskDone());
  }

  /**
   * `for await (const item of queue)`: the same as {@linkcode Queue.values} without options.
   *
   * @returns An async iterator over the items.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> & AsyncDisposable {
    return new DoneMarkingIterator(() => this.get(), () => this.taskDone());
  }

  /** The string tag, so the queue prints as `[object Queue]` (or its subclass's name). */
  get [Symbol.toStringTag](): string {
    return this.#kind;
  }

  get #kind(): string {
    return this.constructor.name;
  }

  /** Gives `item` to the longest-waiting getter; the caller checked that one is waiting. */
  #handOff(item: T): void {
    const getter = this.#getters.shift()!;
    release(getter);
    this.#unfinished++;
    getter.resolve(item);
  }

  /** Removes the next item, then lets the longest-waiting putter (if any) add its item. */
  #take(): T {
    const item = this.#store.take();
    if (this.#putters.size > 0) {
      const putter = this.#putters.shift()!;
      release(putter);
      try {
        this.#store.add(putter.item);
      } catch (error) {
        // Only a PriorityQueue comparator can throw here: that put fails, this get does not.
        putter.reject(error);
        return item;
      }
      this.#unfinished++;
      putter.resolve();
    }
    return item;
  }

  #arm<W extends Waiter<never>>(
    list: WaiterList<W> | undefined,
    waiter: W,
    verb: string,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
  ): void {
    const leave = (error: unknown) => {
      if (waiter.settled) return;
      release(waiter);
      if (list !== undefined) list.left();
      else this.#joiners = this.#joiners.filter((joiner) => joiner !== (waiter as unknown));
      waiter.reject(error);
    };
    if (timeout !== undefined && timeout <= MAX_TIMER) {
      waiter.timer = setTimeout(() => leave(timedOut(this.#kind, verb, timeout)), timeout);
    }
    if (signal !== undefined) waiter.unlisten = onAbort(signal, leave);
  }

  #finish(): void {
    const joiners = this.#joiners;
    if (joiners.length === 0) return;
    this.#joiners = [];
    for (const joiner of joiners) {
      release(joiner);
      joiner.resolve();
    }
  }

  #refuseGetters(): void {
    if (this.#getters.size === 0) return;
    const error = this.#refuseGet();
    for (const getter of this.#getters.drain()) {
      release(getter);
      getter.reject(error);
    }
  }

  #refusePut(): QueueShutDown {
    const how = this.#state === CLOSED ? "closed" : "shut down";
    return new QueueShutDown(`Cannot put on the ${this.#kind}: it was ${how}`);
  }

  #refuseGet(): QueueShutDown {
    const how = this.#state === CLOSED ? "closed" : "shut down";
    return new QueueShutDown(`Cannot get from the ${this.#kind}: it was ${how} and is empty`);
  }
}

function checkMaxsize(kind: string, maxsize: unknown): number {
  return checkInteger(`create ${kind}`, "maxsize", maxsize);
}
