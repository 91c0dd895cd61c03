/**
 * {@linkcode AsyncPoolExecutor}: bounded concurrency on the event loop, for I/O-bound tasks.
 *
 * @module
 */

import {
  BaseExecutor,
  checkFunction,
  checkInteger,
  checkOptions,
  checkSignal,
  checkStreamOptions,
  checkTimeout,
  type Future,
  isTask,
  isThenable,
  type MapOptions,
  onAbort,
  pumpStream,
  type StreamingExecutor,
  type StreamOptions,
  type StreamSink,
  type Task,
  task,
  type TaskLimits,
  type TaskStream,
  timeoutError,
} from "@tandem/tandem/futures";
import { dropTransfers } from "../futures/transfer.ts";
import { Ring } from "./_ring.ts";
import type { ReadyOptions, SubmitOptions } from "./submit_options.ts";

/** Options for {@linkcode AsyncPoolExecutor}. */
export interface AsyncPoolExecutorOptions {
  /**
   * The most tasks that run at once; the rest wait in submission order. Python:
   * `ThreadPoolExecutor(max_workers)`, whose default this copies.
   *
   * @default {Math.min(32, navigator.hardwareConcurrency + 4)}
   */
  maxWorkers?: number;
}

/**
 * What `AsyncPoolExecutor` runs: a task made with `task(...)`, or any plain function, since the
 * work never leaves this isolate.
 *
 * @typeParam A The parameter types.
 * @typeParam R The result type.
 */
export type LocalTask<A extends unknown[], R> = Task<A, R> | ((...args: A) => R | PromiseLike<R>);

interface Pending {
  future: Future<unknown>;
  task: Task<unknown[], unknown>;
  args: unknown[];
  limits: SubmitOptions | undefined;
  stream: StreamSink | undefined;
}

// Plain functions get a task reference here, once each: it never leaves this isolate, so its
// module is only a label for error messages.
const LOCAL_MODULE = "tandem:this-isolate";
const wrapped = new WeakMap<(...args: never[]) => unknown, Task<unknown[], unknown>>();

function asTask<A extends unknown[], R>(what: string, fn: LocalTask<A, R>): Task<A, R> {
  if (isTask(fn)) return fn as Task<A, R>;
  checkFunction(what, "fn", fn);
  let found = wrapped.get(fn);
  if (found === undefined) {
    found = task(LOCAL_MODULE, fn as (...args: unknown[]) => unknown, {
      name: fn.name || "(anonymous)",
    });
    wrapped.set(fn, found);
  }
  return found as unknown as Task<A, R>;
}

/**
 * Runs tasks in this isolate, at most `maxWorkers` at a time: the role of Python's
 * `ThreadPoolExecutor` (item 59) for I/O-bound work. A task here is any (sync or async)
 * function: one made with `task(...)`, so that the same call runs unchanged on
 * `WorkerPoolExecutor` or `ProcessPoolExecutor`, or a plain function or closure, since nothing
 * leaves this isolate. It is called directly, with its arguments as they are (nothing is
 * cloned), and a running async task yields the event loop whenever it awaits, so many I/O tasks
 * overlap. Like Python's threads under the GIL, CPU-bound tasks gain nothing: use
 * `WorkerPoolExecutor` for those.
 *
 * Guarantees: tasks start in submission order, never more than `maxWorkers` at once; a task
 * that gets a slot is running from that moment (its future says so at once, and
 * `shutdown({ cancelFutures: true })` lets it finish, as Python's `ThreadPoolExecutor` does),
 * and its function is called in a microtask after `submit` returns; a task that throws (or
 * rejects) fails only its own future; a future cancelled before its task starts never runs. A
 * running task cannot be stopped (as in Python): `submitWith`'s signal or timeout fails its
 * future at once, and the function keeps its slot until it returns. `shutdown()` waits for
 * submitted work, including such functions, so nothing outlives the pool.
 *
 * @example Fanning out I/O-bound tasks and fanning the futures back in (item 59)
 * ```ts
 * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
 * import { sleepThen } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new AsyncPoolExecutor({ maxWorkers: 10 });
 * const futures = Array.from({ length: 10 }, (_, i) => pool.submit(sleepThen, 50, i));
 * assert.ok(pool.running <= 10);
 * assert.deepEqual(await Promise.all(futures), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 *
 * @example A plain closure: fine here, since it never leaves this isolate
 * ```ts
 * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
 * import assert from "node:assert/strict";
 *
 * await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
 * const base = 10;
 * assert.equal(await pool.submit((n: number) => base + n, 5), 15);
 * ```
 */
export class AsyncPoolExecutor extends BaseExecutor implements StreamingExecutor {
  readonly #maxWorkers: number;
  #running = 0;
  #queue = new Ring<Pending>();
  #limits: SubmitOptions | undefined = undefined;
  #idle: (() => void) | undefined = undefined;

  /**
   * Creates the pool.
   *
   * @param options `maxWorkers`.
   * @throws {RangeError} If `maxWorkers` is not a positive integer.
   * @throws {TypeError} If `options` is not an object, has an unknown field, or `maxWorkers` is
   * not a number.
   */
  constructor(options: AsyncPoolExecutorOptions = {}) {
    super();
    const what = "create AsyncPoolExecutor";
    const opts = checkOptions<AsyncPoolExecutorOptions>(what, options, ["maxWorkers"]);
    this.#maxWorkers = checkInteger(
      what,
      "maxWorkers",
      opts.maxWorkers ?? Math.min(32, (navigator.hardwareConcurrency || 1) + 4),
      { min: 1 },
    );
  }

  /** The most tasks that run at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many tasks are running now (each holds a slot until its function returns). */
  get running(): number {
    return this.#running;
  }

  /** How many submitted tasks wait for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Schedules `fn(...args)`. Python: `Executor.submit(fn, *args)`.
   *
   * @typeParam A The function's parameter types.
   * @typeParam R The function's result type.
   * @param fn A task made with `task(import.meta.url, fn)`, or any function.
   * @param args Its arguments, passed as they are.
   * @returns Its future.
   * @throws {Error} If the pool has been shut down.
   * @throws {TypeError} If `fn` is not a function.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   * import assert from "node:assert/strict";
   *
   * await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
   * assert.equal(await pool.submit(async (n: number) => n * 2, 21), 42);
   * ```
   */
  override submit<A extends unknown[], R>(fn: LocalTask<A, R>, ...args: A): Future<R> {
    return super.submit(asTask("submit to AsyncPoolExecutor", fn), ...args);
  }

  /**
   * Like {@linkcode AsyncPoolExecutor.submit}, with a `signal` and a `timeout` for this one
   * task, as on `WorkerPoolExecutor` and `ProcessPoolExecutor` (so that swapping executors
   * stays a one-line change). Before the task starts, an abort drops it: it never runs. Once it
   * runs, an abort, or the `timeout` (counted from its start), fails its future at once with
   * `signal.reason` or a `TimeoutError`; the function itself cannot be stopped on the event
   * loop, so it keeps its slot until it returns, and its outcome is dropped. Pass the same
   * signal to the function to let it stop early.
   *
   * @typeParam A The function's parameter types.
   * @typeParam R The function's result type.
   * @param options `signal` and `timeout`.
   * @param fn A task or any function.
   * @param args Its arguments.
   * @returns Its future.
   * @throws {Error} If the pool has been shut down.
   * @throws {RangeError} If `timeout` is negative.
   * @throws {TypeError} If `options` has an unknown field, `signal` is not an AbortSignal,
   * `timeout` is not a number, or `fn` is not a function.
   *
   * @example A task that takes too long
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
   * const slow = pool.submitWith(
   *   { timeout: 10 },
   *   () => new Promise((resolve) => setTimeout(resolve, 100)),
   * );
   * await assert.rejects(slow.result(), TimeoutError);
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    fn: LocalTask<A, R>,
    ...args: A
  ): Future<R> {
    const what = "submit to AsyncPoolExecutor";
    const limits = checkOptions<SubmitOptions>(what, options, ["signal", "timeout"]);
    checkTimeout(what, limits.timeout);
    checkSignal(what, limits.signal);
    const chosen = asTask(what, fn);
    limits.signal?.throwIfAborted();
    this.#limits = limits.signal === undefined && limits.timeout === undefined
      ? undefined
      : { signal: limits.signal, timeout: limits.timeout };
    try {
      return super.submit(chosen, ...args);
    } finally {
      this.#limits = undefined;
    }
  }

  /**
   * Runs `fn(...args)`, an async generator function (or one that returns an async iterable), on
   * this event loop, and streams its values, as `WorkerPoolExecutor.stream` does: in order,
   * with backpressure (the generator runs ahead of the reader by at most 64 values), and
   * leaving the loop closes the generator. The stream holds a slot until it ends. Unlike the
   * worker and process pools, `submit` of such a function also works here: its future holds
   * the iterable itself, which never has to travel.
   *
   * @typeParam A The function's parameter types.
   * @typeParam T The type of the values.
   * @param fn A task or any function returning an async iterable.
   * @param args Its arguments, passed as they are.
   * @returns The stream of its values.
   * @throws {Error} If the pool has been shut down.
   * @throws {TypeError} If `fn` is not a function.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   * import assert from "node:assert/strict";
   *
   * await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
   * async function* pages(n: number) {
   *   for (let i = 1; i <= n; i++) yield `page ${i}`;
   * }
   * assert.deepEqual(await Array.fromAsync(pool.stream(pages, 2)), ["page 1", "page 2"]);
   * ```
   */
  stream<A extends unknown[], T>(
    fn: LocalTask<A, AsyncIterable<T>>,
    ...args: A
  ): TaskStream<T> {
    return this.streamWith({}, fn, ...args);
  }

  /**
   * Like {@linkcode AsyncPoolExecutor.stream}, with a `buffer`, and a `signal` and a `timeout`
   * that end the stream at once (its next read rejects with `signal.reason` or a
   * `TimeoutError`), then close the generator at its next `yield`.
   *
   * @typeParam A The function's parameter types.
   * @typeParam T The type of the values.
   * @param options `buffer`, `signal` and `timeout`.
   * @param fn A task or any function returning an async iterable.
   * @param args Its arguments.
   * @returns The stream of its values.
   * @throws {Error} If the pool has been shut down.
   * @throws {RangeError} If `buffer` is not a positive integer or `timeout` is negative.
   * @throws {TypeError} If an option is unknown or has the wrong type, or `fn` is not a function.
   *
   * @example A stream that may not take long
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * await using pool = new AsyncPoolExecutor();
   * async function* ticks() {
   *   for (;;) {
   *     yield Date.now();
   *     await new Promise((resolve) => setTimeout(resolve, 10));
   *   }
   * }
   * const read = Array.fromAsync(pool.streamWith({ timeout: 50 }, ticks));
   * await assert.rejects(read, TimeoutError);
   * ```
   */
  streamWith<A extends unknown[], T>(
    options: StreamOptions,
    fn: LocalTask<A, AsyncIterable<T>>,
    ...args: A
  ): TaskStream<T> {
    const what = "stream from AsyncPoolExecutor";
    const { limits, buffer } = checkStreamOptions(what, options);
    limits.signal?.throwIfAborted();
    return this.streamLimited(limits, buffer, asTask(what, fn), args);
  }

  /**
   * Resolves at once while the pool is open: it has no queue limit. It exists so that code
   * written for a bounded pool runs unchanged.
   *
   * @param options `timeout` and `signal`, checked as on the other pools.
   * @returns A promise that resolves when there is room (at once).
   * @throws {Error} If the pool has been shut down (the promise rejects).
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   *
   * await using pool = new AsyncPoolExecutor();
   * await pool.ready({ timeout: 1000 });
   * ```
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    const what = "wait for room in AsyncPoolExecutor";
    try {
      const opts = checkOptions<ReadyOptions>(what, options, ["timeout", "signal"]);
      checkTimeout(what, opts.timeout);
      checkSignal(what, opts.signal);
      opts.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.isShutdown) {
      return Promise.reject(new Error(`Cannot ${what}: AsyncPoolExecutor has been shut down`));
    }
    return Promise.resolve();
  }

  /**
   * Runs `fn(item)` for every item and yields the results in input order. Python:
   * `Executor.map(fn, iterable, timeout)`; `chunkSize` is accepted and ignored here.
   *
   * @typeParam T The item type.
   * @typeParam R The result type.
   * @param fn A one-parameter task or any one-parameter function.
   * @param items The items.
   * @param options `chunkSize` and `timeout`.
   * @returns The results, in input order.
   * @throws {Error} If the pool has been shut down.
   *
   * @example
   * ```ts
   * import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
   * import assert from "node:assert/strict";
   *
   * await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
   * assert.deepEqual(await Array.fromAsync(pool.map((n: number) => n * n, [1, 2, 3])), [1, 4, 9]);
   * ```
   */
  override map<T, R>(
    fn: LocalTask<[T], R>,
    items: Iterable<T>,
    options: MapOptions = {},
  ): AsyncIterableIterator<R> {
    const what = "map on AsyncPoolExecutor";
    checkOptions<MapOptions>(what, options, ["chunkSize", "timeout"]);
    return super.map(asTask(what, fn), items, options);
  }

  /**
   * Takes a slot and marks the task running if fewer than `maxWorkers` run, else queues it.
   * Called by `submit`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The task's future.
   * @param task The task.
   * @param args Its arguments.
   */
  protected start<A extends unknown[], R>(
    future: Future<R>,
    task: Task<A, R>,
    args: A,
    limits?: TaskLimits,
  ): void {
    dropTransfers(args); // the task gets the values themselves: nothing moves
    const pending: Pending = {
      future: future as Future<unknown>,
      task: task as unknown as Task<unknown[], unknown>,
      args,
      limits: limits?.signal === undefined && limits?.timeout === undefined
        ? this.#limits
        : { signal: limits.signal, timeout: limits.timeout },
      stream: limits?.stream,
    };
    const signal = pending.limits?.signal;
    if (signal !== undefined) {
      const unlisten = onAbort(signal, (reason) => {
        if (!future.done()) future.setException(reason);
      });
      future.addDoneCallback(unlisten);
    }
    if (this.#running < this.#maxWorkers) this.#run(pending);
    else this.#queue.push(pending);
  }

  /**
   * Waits until no function runs: `shutdown` has already waited for the futures, and this waits
   * for the functions whose futures a signal or timeout failed early, so nothing outlives the
   * pool.
   *
   * @returns A promise that resolves when every slot is free.
   */
  protected close(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle = resolve);
  }

  /** Takes a slot for `pending`, unless its future was cancelled (or failed) meanwhile. */
  #run(pending: Pending): boolean {
    const { future } = pending;
    if (future.done() && !future.cancelled()) return false; // failed by its signal meanwhile
    if (!future.setRunningOrNotifyCancel()) return false;
    this.#running++;
    const timeout = pending.limits?.timeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeout !== undefined && timeout !== Infinity) {
      timer = setTimeout(() => {
        if (!future.done()) future.setException(timeoutError(describe(pending), timeout));
      }, timeout);
    }
    queueMicrotask(() => {
      const settle = (ok: boolean, value: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        if (!future.done()) {
          if (ok) {
            dropTransfers([value]);
            future.setResult(value);
          } else future.setException(value);
        }
        this.#next();
      };
      let result: unknown;
      try {
        result = pending.task(...pending.args);
      } catch (error) {
        settle(false, error);
        return;
      }
      if (pending.stream !== undefined) result = this.#pump(pending, pending.stream, result);
      if (!isThenable(result)) settle(true, result);
      else {
        Promise.resolve(result).then(
          (value) => settle(true, value),
          (error) => settle(false, error),
        );
      }
    });
    return true;
  }

  // A streamed task's values, taken on this event loop while the reader has credit. A signal,
  // a timeout or a cancel fails the future at once; the generator is then closed at its next
  // yield.
  async #pump(pending: Pending, sink: StreamSink, result: unknown): Promise<unknown> {
    const controller = new AbortController();
    pending.future.addDoneCallback(() => controller.abort(new Error("the stream has ended")));
    return await pumpStream(sink, await result, {
      what: `'${pending.task.name}'`,
      signal: controller.signal,
    });
  }

  #next(): void {
    this.#running--;
    while (this.#queue.length > 0 && this.#running < this.#maxWorkers) {
      this.#run(this.#queue.shift()!);
    }
    if (this.#running === 0 && this.#idle !== undefined) {
      this.#idle();
      this.#idle = undefined;
    }
  }
}

function describe(pending: Pending): string {
  return `run '${pending.task.name}' on AsyncPoolExecutor`;
}
