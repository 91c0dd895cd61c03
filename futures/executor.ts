/**
 * The {@linkcode Executor} interface that every tandem executor implements, and
 * {@linkcode BaseExecutor}, which gives `map`, shutdown bookkeeping and disposal to any executor
 * that can start one task.
 *
 * @module
 */

import { ChunkFailure } from "./chunk.ts";
import { TimeoutError } from "./errors.ts";
import { Future } from "./future.ts";
import { checkTask, describeTask, type Task } from "./task.ts";
import { type StreamSink, TaskStream } from "./task_stream.ts";
import { checkTimeout } from "./_wait.ts";

/** Options for {@linkcode Executor.map}. */
export interface MapOptions {
  /**
   * How many items to send to a worker in one message. Large chunks make many small tasks cheap;
   * executors that run tasks in the current isolate ignore it.
   *
   * @default {1}
   */
  chunkSize?: number;
  /**
   * Milliseconds, counted from the call to `map`, after which waiting for the next result throws
   * a `TimeoutError` (and the remaining work is cancelled).
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
}

/** Options for {@linkcode Executor.shutdown}. */
export interface ShutdownOptions {
  /**
   * Whether the returned promise waits until all submitted work has finished and the executor's
   * resources are released. Python: `shutdown(wait=True)`.
   *
   * @default {true}
   */
  wait?: boolean;
  /**
   * Whether to cancel every future that has not started running. Python:
   * `shutdown(cancel_futures=True)`.
   *
   * @default {false}
   */
  cancelFutures?: boolean;
}

/**
 * Limits on one task, given to `submitWith` and passed to {@linkcode BaseExecutor.start}: ways
 * to stop one task, even while it runs, where the executor can.
 */
export interface TaskLimits {
  /**
   * Aborting it fails the task's future with `signal.reason`.
   *
   * @default {undefined}
   */
  readonly signal?: AbortSignal;
  /**
   * The most milliseconds the task may take once started.
   *
   * @default {undefined} (no limit)
   */
  readonly timeout?: number;
  /**
   * For a streamed task (`stream`, `streamWith`): where its values go. The task returns an async
   * iterable; its future settles with the generator's return value when it ends.
   *
   * @default {undefined} (not a stream)
   */
  readonly stream?: StreamSink;
}

/**
 * What `submitAsync` resolves to once a task is in a bounded executor's queue: its future, in an
 * object, because a future is awaitable and a promise would otherwise wait for its result.
 *
 * @typeParam R The task's result type.
 *
 * @example
 * ```ts
 * import { Future, type Submitted } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const submitted: Submitted<number> = { future: new Future<number>() };
 * assert.equal(submitted.future.done(), false);
 * ```
 */
export interface Submitted<R> {
  /** The task's future. */
  readonly future: Future<R>;
}

/**
 * Runs tasks and hands back {@linkcode Future}s: Python's `concurrent.futures.Executor`. The same
 * code runs on every executor (async pool, worker pool, process pool), so moving work between
 * them is a one-line change.
 *
 * @example Any executor, the same code
 * ```ts
 * import type { Executor } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 *
 * async function doubleAll(executor: Executor, items: number[]): Promise<number[]> {
 *   const out: number[] = [];
 *   for await (const n of executor.map(double, items)) out.push(n);
 *   return out;
 * }
 * void doubleAll;
 * ```
 */
export interface Executor extends AsyncDisposable {
  /**
   * Schedules `task(...args)` and returns its future. Python: `Executor.submit(fn, *args)`.
   *
   * @throws {Error} If the executor has been shut down.
   */
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R>;
  /**
   * Runs `task(item)` for every item and yields the results in input order; the first failure
   * is thrown at its position. All items are submitted at once, as in Python; leaving the loop
   * early cancels what has not started. Python: `Executor.map(fn, iterable, timeout, chunksize)`.
   */
  map<T, R>(task: Task<[T], R>, items: Iterable<T>, options?: MapOptions): AsyncIterableIterator<R>;
  /**
   * Stops accepting work and releases the executor's resources once submitted work is done.
   * Python: `Executor.shutdown(wait, cancel_futures)`. Calling it again is harmless.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * The shared part of every executor: submission after shutdown is refused, `map` is built on
 * chunked submission, and `await using` shuts down and waits. A subclass implements
 * {@linkcode BaseExecutor.start} (begin one task for a future) and
 * {@linkcode BaseExecutor.close} (release resources), and may override
 * {@linkcode BaseExecutor.startChunk} to send many items in one message.
 *
 * @example A minimal executor that runs tasks on the event loop
 * ```ts
 * import { BaseExecutor, Future, type Task } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * class InlineExecutor extends BaseExecutor {
 *   protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
 *     if (!future.setRunningOrNotifyCancel()) return;
 *     Promise.resolve().then(() => task(...args)).then(
 *       (value) => future.setResult(value),
 *       (error) => future.setException(error),
 *     );
 *   }
 *   protected async close(): Promise<void> {}
 * }
 * await using executor = new InlineExecutor();
 * assert.equal(await executor.submit(double, 4), 8);
 * ```
 */
export abstract class BaseExecutor implements Executor {
  #shutdown = false;
  #inFlight = new Set<Work>();
  #closed: Promise<void> | undefined = undefined;

  /** Whether {@linkcode BaseExecutor.shutdown} has been called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Begins running `task(...args)` for `future`. Implementations call
   * `future.setRunningOrNotifyCancel()` when the task actually starts (skipping it if that
   * returns false) and settle the future when it ends. Work may be queued first.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The future to settle.
   * @param task The task to run.
   * @param args Its arguments.
   * @param limits The task's limits, when it was submitted with some.
   */
  protected abstract start<A extends unknown[], R>(
    future: Future<R>,
    task: Task<A, R>,
    args: A,
    limits?: TaskLimits,
  ): void;

  /**
   * Releases the executor's resources after shutdown; called once, after all in-flight work has
   * settled when shutting down with `wait`.
   *
   * @returns A promise that resolves when the resources are released.
   */
  protected abstract close(): Promise<void>;

  /**
   * Starts `task(item)` once per item, as one unit of work with one future, so that `map` with
   * `chunkSize` sends many items in one message. Executors that run tasks in another isolate
   * implement it; without it, `map` submits each item on its own. `map` sends every item in a
   * chunk, one-item chunks included: the items are its own, so, unlike a submitted task, a chunk
   * may wait at a busy runner, which then starts it without waiting for this thread.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param future The future for the whole chunk: every call's result in order, with a
   * {@linkcode ChunkFailure} in place of each call that failed.
   * @param task The one-parameter task.
   * @param items The items, one per call.
   */
  protected startChunk?<T, R>(
    future: Future<(R | ChunkFailure)[]>,
    task: Task<[T], R>,
    items: T[],
  ): void;

  /**
   * Schedules `task(...args)`. Python: `Executor.submit(fn, *args)`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments, type-checked against the task.
   * @returns The task's future.
   * @throws {Error} If the executor has been shut down.
   * @throws {TypeError} If `task` is not a task.
   */
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R> {
    return this.submitLimited(undefined, task, args);
  }

  /**
   * Schedules `task(...args)` with per-task limits: the shared part of `submit` and of a
   * subclass's `submitWith`, which validates the limits first.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param limits The task's limits, handed to {@linkcode BaseExecutor.start}.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns The task's future.
   * @throws {Error} If the executor has been shut down.
   * @throws {TypeError} If `task` is not a task.
   */
  protected submitLimited<A extends unknown[], R>(
    limits: TaskLimits | undefined,
    task: Task<A, R>,
    args: A,
  ): Future<R> {
    this.#checkOpen("submit", task);
    const future = new Future<R>();
    this.#track(future);
    this.start(future, task, args, limits);
    return future;
  }

  /**
   * Starts `task(...args)` as a stream: the shared part of the `stream` and `streamWith` of
   * executors that can stream (see `StreamingExecutor`). The task's values arrive through the
   * returned stream; {@linkcode BaseExecutor.start} receives its sink as `limits.stream`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam T The type of the values.
   * @param limits The stream's `signal` and `timeout`, if any.
   * @param buffer How many unread values the task may run ahead by.
   * @param task The task; it returns an async iterable.
   * @param args Its arguments.
   * @returns The stream.
   * @throws {Error} If the executor has been shut down.
   * @throws {TypeError} If `task` is not a task.
   */
  protected streamLimited<A extends unknown[], T>(
    limits: TaskLimits | undefined,
    buffer: number,
    task: Task<A, AsyncIterable<T>>,
    args: A,
  ): TaskStream<T> {
    this.#checkOpen("stream", task);
    const future = new Future<unknown>();
    this.#track(future);
    const stream = new TaskStream<T>(future, buffer);
    this.start(future, task as Task<A, unknown>, args, { ...limits, stream: stream.sink });
    return stream;
  }

  /**
   * Runs `task(item)` for every item and yields the results in input order. Python:
   * `Executor.map(fn, iterable, timeout=..., chunksize=...)`.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param task A one-parameter task.
   * @param items The items; all are submitted before this returns.
   * @param options `chunkSize` and `timeout`.
   * @returns The results, in input order. The first failure is thrown at its position; a
   * `TimeoutError` is thrown if a result is not ready `timeout` ms after the call. Stopping
   * early (break, throw, timeout) cancels every item that has not started.
   * @throws {Error} If the executor has been shut down.
   * @throws {RangeError} If `chunkSize` is not a positive integer or `timeout` is negative.
   */
  map<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options: MapOptions = {},
  ): AsyncIterableIterator<R> {
    this.#checkOpen("map", task);
    const { chunkSize = 1, timeout } = options;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `Cannot map: 'chunkSize' must be a positive integer, received ${String(chunkSize)}`,
      );
    }
    checkTimeout("map", timeout);
    const deadline = timeout === undefined ? undefined : performance.now() + timeout;
    const parts: Work[] = [];
    // Executors that take chunks get every item in one, even with chunkSize 1 (see startChunk).
    const chunked = this.startChunk !== undefined;
    if (!chunked) {
      for (const item of items) parts.push(this.submit(task, item));
      return new InOrder<R>(parts, chunked, deadline, task.name);
    }
    // Chunks are allocated whole (up to a size), not grown item by item. They hold the items
    // themselves: all of map's items are made at once and live until sent, and an argument list
    // per item was most of what outlived the young generation.
    const size = Math.min(chunkSize, 1024);
    let batch = new Array<T>(size);
    let filled = 0;
    for (const item of items) {
      batch[filled++] = item;
      if (filled === chunkSize) {
        parts.push(this.#submitChunk(task, batch));
        batch = new Array<T>(size);
        filled = 0;
      }
    }
    if (filled > 0) parts.push(this.#submitChunk(task, batch.slice(0, filled)));
    return new InOrder<R>(parts, chunked, deadline, task.name);
  }

  /**
   * Stops accepting work; with `wait` (the default) resolves when all submitted work has settled
   * and resources are released. Python: `Executor.shutdown(wait=True, cancel_futures=False)`.
   *
   * @param options `wait` and `cancelFutures`.
   * @returns A promise that resolves when shutdown is complete (at once without `wait`).
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) { for (const future of this.#inFlight) future.cancel(); }
    // Resources are released only after submitted work settles, whether or not the caller waits.
    this.#closed ??= (async () => {
      while (this.#inFlight.size > 0) {
        await Promise.allSettled([...this.#inFlight].map((f) => f.result()));
      }
      await this.close();
    })();
    if (wait) await this.#closed;
  }

  /** Shuts down and waits: `await using executor = new SomeExecutor()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }

  #submitChunk<T, R>(task: Task<[T], R>, batch: T[]): Future<(R | ChunkFailure)[]> {
    const future = new Future<(R | ChunkFailure)[]>();
    this.#track(future);
    this.startChunk!(future, task, batch);
    return future;
  }

  #track<R>(future: Future<R>): void {
    this.#inFlight.add(future);
    future.addDoneCallback(() => this.#inFlight.delete(future));
  }

  #checkOpen(what: string, task: unknown): void {
    checkTask(`${what} to ${this.constructor.name}`, task);
    if (this.#shutdown) {
      throw new Error(
        `Cannot ${what} task ${describeTask(task)}: ${this.constructor.name} has been shut down`,
      );
    }
  }
}

/** A future of any result type, as far as bookkeeping needs it. */
interface Work {
  cancel(): boolean;
  result(options?: { timeout?: number }): Promise<unknown>;
}

// The results of map in input order. Written by hand, not as an async generator: a generator's
// yield costs two promise turns per item, most of map's cost per item with a large chunkSize.
// Here an item of a chunk that has arrived costs one resolved promise.
class InOrder<R> implements AsyncIterableIterator<R> {
  readonly #parts: Work[];
  readonly #chunked: boolean;
  readonly #deadline: number | undefined;
  readonly #name: string;
  #index = 0; // the next part to wait for
  #results: (R | ChunkFailure)[] = [];
  #at = 0; // the next result of the current chunk
  #done = false;
  #busy: Promise<void> | undefined; // set while a next() waits for a part

  constructor(parts: Work[], chunked: boolean, deadline: number | undefined, name: string) {
    this.#parts = parts;
    this.#chunked = chunked;
    this.#deadline = deadline;
    this.#name = name;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }

  next(): Promise<IteratorResult<R>> {
    // The common case first, kept small: the next result of a chunk that has arrived.
    const results = this.#results;
    const at = this.#at;
    if (at < results.length && this.#busy === undefined) {
      const result = results[at];
      if (!(result instanceof ChunkFailure)) {
        this.#at = at + 1;
        return Promise.resolve({ value: result, done: false });
      }
    }
    return this.#next();
  }

  #next(): Promise<IteratorResult<R>> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.next());
    if (this.#at < this.#results.length) {
      try {
        return Promise.resolve({ value: this.#take(), done: false });
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#done || this.#index >= this.#parts.length) return this.return();
    const step = this.#advance();
    const busy: Promise<void> = step.then(() => {}, () => {}).then(() => {
      if (this.#busy === busy) this.#busy = undefined;
    });
    this.#busy = busy;
    return step;
  }

  return(): Promise<IteratorResult<R>> {
    if (this.#busy !== undefined) return this.#busy.then(() => this.return());
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  // The next result of the current chunk; a failure ends the iteration and is thrown.
  #take(): R {
    const result = this.#results[this.#at++];
    if (!(result instanceof ChunkFailure)) return result;
    this.#finish();
    throw result.error;
  }

  async #advance(): Promise<IteratorResult<R>> {
    const deadline = this.#deadline;
    const timeout = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
    let value: unknown;
    try {
      value = await this.#parts[this.#index].result({ timeout });
    } catch (error) {
      this.#finish();
      if (error instanceof TimeoutError) {
        throw new TimeoutError(`map of task '${this.#name}' did not finish in time`, {
          cause: error,
        });
      }
      throw error;
    }
    this.#index++;
    if (!this.#chunked) return { value: value as R, done: false };
    this.#results = value as (R | ChunkFailure)[];
    this.#at = 0;
    return { value: this.#take(), done: false };
  }

  // Ends the iteration: what has not started is cancelled.
  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#results = [];
    for (let rest = this.#index; rest < this.#parts.length; rest++) this.#parts[rest].cancel();
  }
}
