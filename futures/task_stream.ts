/**
 * {@linkcode TaskStream}: the values a task yields, in the caller, as an async iterable with
 * backpressure. Executors that can stream (`WorkerPoolExecutor`, `ProcessPoolExecutor`,
 * `AsyncPoolExecutor`) return one from `stream(task, ...args)`.
 *
 * @module
 */

import { checkInteger, checkOptions, checkSignal } from "./checks.ts";
import type { Executor, TaskLimits } from "./executor.ts";
import type { Future } from "./future.ts";
import type { Task } from "./task.ts";
import { checkTimeout } from "./_wait.ts";
import { grant, newCredit, pump } from "./_stream_pump.ts";

/** How many unread values a stream holds by default before its task waits. */
// 64, not less: a stream moves at most `buffer` values per round trip between reader and task,
// and a round trip costs as much as ~10 values sent by raw postMessage to a worker, ~150 to a
// process (bench/stream_bench.ts).
const DEFAULT_STREAM_BUFFER = 64;

/** Options for `streamWith(options, task, ...args)`. */
export interface StreamOptions {
  /**
   * How many values the caller may hold unread before the task waits: the task runs ahead of
   * the reader by at most this many values.
   *
   * @default {64}
   */
  buffer?: number;
  /**
   * Aborting it ends the stream: the task is cancelled (its `taskContext()` says so and its
   * generator is closed, so its `finally` runs) and the next read rejects with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The most milliseconds the whole stream may take once started; then it ends as on abort,
   * with a `TimeoutError`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
}

/**
 * The runner's side of one stream, handed to it with the call (`TaskLimits.stream`,
 * `CallOptions.stream`): where values go, and how the reader's credit comes back.
 *
 * @example A sink that keeps what it is given
 * ```ts
 * import type { StreamSink } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const seen: unknown[] = [];
 * const sink: StreamSink = { buffer: 2, push: (values) => seen.push(...values), open() {} };
 * sink.push([1, 2]);
 * assert.deepEqual(seen, [1, 2]);
 * ```
 */
export interface StreamSink {
  /** How many values the task may send before it waits for credit. */
  readonly buffer: number;
  /** Receives the task's values, in order. */
  push(values: unknown[]): void;
  /**
   * Called by the runner when it sends the call (again, if a broken worker never started it),
   * with the way back to the task: `credit(n)` lets it send `n` more values, `credit(0)` closes
   * its generator (the reader left). `park(true)` says that the task has used all its credit and
   * waits for the reader, `park(false)` that it may run again: a runner lets the process end
   * while its only work is parked streams.
   */
  open(credit: (n: number) => void, park?: (parked: boolean) => void): void;
}

/**
 * An executor that can also stream a task's values: `WorkerPoolExecutor`,
 * `ProcessPoolExecutor` and `AsyncPoolExecutor`.
 *
 * @example Any streaming executor, the same code
 * ```ts
 * import type { StreamingExecutor } from "@tandem/tandem/futures";
 * import { countTo } from "../examples/tasks.ts";
 *
 * async function total(executor: StreamingExecutor, n: number): Promise<number> {
 *   let sum = 0;
 *   for await (const value of executor.stream(countTo, n)) sum += value;
 *   return sum;
 * }
 * void total;
 * ```
 */
export interface StreamingExecutor extends Executor {
  /** Runs `task(...args)`, which returns an async iterable, and streams its values. */
  stream<A extends unknown[], T>(task: Task<A, AsyncIterable<T>>, ...args: A): TaskStream<T>;
  /** Like `stream`, with a `buffer`, a `signal` and a `timeout`. */
  streamWith<A extends unknown[], T>(
    options: StreamOptions,
    task: Task<A, AsyncIterable<T>>,
    ...args: A
  ): TaskStream<T>;
}

/**
 * Checks the options of `streamWith`.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param options The options as given.
 * @returns The stream's limits (signal and timeout) and its buffer.
 * @throws {TypeError} If `options` is not an object, has an unknown field, or a field has the
 * wrong type.
 * @throws {RangeError} If `buffer` is not a positive integer or `timeout` is negative.
 *
 * @example
 * ```ts
 * import { checkStreamOptions } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkStreamOptions("stream", { buffer: 4 }).buffer, 4);
 * assert.throws(() => checkStreamOptions("stream", { buffer: 0 }), {
 *   name: "RangeError",
 *   message: "Cannot stream: 'buffer' must be a positive integer, received 0",
 * });
 * ```
 */
export function checkStreamOptions(
  what: string,
  options: StreamOptions,
): { limits: TaskLimits; buffer: number } {
  const opts = checkOptions<StreamOptions>(what, options, ["buffer", "signal", "timeout"]);
  return {
    limits: { signal: checkSignal(what, opts.signal), timeout: checkTimeout(what, opts.timeout) },
    buffer: checkInteger(what, "buffer", opts.buffer ?? DEFAULT_STREAM_BUFFER, { min: 1 }),
  };
}

/** Options for {@linkcode pumpStream}. */
export interface PumpStreamOptions {
  /** The task, described, for messages (`'name' from module`). */
  what: string;
  /**
   * Aborting it stops the task: its generator is closed (its `finally` runs) and the pump
   * rejects with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Runs the producer's side of a stream in this isolate: takes values from `source` while the
 * reader has credit, sends them to `sink`, and closes the generator when the reader leaves. The
 * worker host does the same in a worker; an executor that runs tasks on this event loop
 * (`AsyncPoolExecutor`) calls this.
 *
 * @param sink The stream's sink (`limits.stream` in `BaseExecutor.start`).
 * @param source What the task returned.
 * @param options `what` and `signal`.
 * @returns The generator's return value, once it has ended.
 * @throws {TypeError} If `source` is not an async iterable.
 * @throws What the generator throws, or `signal.reason`.
 *
 * @example A generator streamed on this event loop
 * ```ts
 * import { Future, pumpStream, TaskStream } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * async function* letters() {
 *   yield "a";
 *   yield "b";
 * }
 * const future = new Future<unknown>();
 * const stream = new TaskStream<string>(future, 1);
 * pumpStream(stream.sink, letters(), { what: "letters" }).then((value) => future.setResult(value));
 * assert.deepEqual(await Array.fromAsync(stream), ["a", "b"]);
 * ```
 */
export function pumpStream(
  sink: StreamSink,
  source: unknown,
  options: PumpStreamOptions,
): Promise<unknown> {
  const credit = newCredit(sink.buffer);
  sink.open((n) => grant(credit, n));
  const signal = options.signal;
  return pump(source, credit, {
    what: options.what,
    send: (values) => sink.push(values),
    cancelled: () => signal?.aborted ?? false,
    cancelReason: () => signal?.reason,
    signal,
    batch: false,
  });
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

/**
 * The values that a streamed task yields, read with `for await`. The task (an async generator
 * function, or any function returning an async iterable) runs in its worker, process or slot,
 * and its values arrive here in order. Python has no direct counterpart: it is what a generator
 * would be if `Executor.submit` could run one, where Python code passes values back through a
 * `multiprocessing` pipe or queue.
 *
 * Guarantees:
 * - Backpressure: the task runs ahead of the reader by at most `buffer` values (see
 *   {@linkcode StreamOptions}); then it waits, without holding a CPU, until values are read.
 * - Leaving the loop (`break`, `return`, a `throw` in its body) or `await using` closes the
 *   task's generator where it runs, so its `finally` blocks run there; `return()` resolves after
 *   they ran (and rejects if they threw). Closing waits for the task to reach its next `yield`.
 * - An exception in the task rejects the read after the values yielded before it; so do a
 *   crash of its worker (`BrokenExecutorError`), its timeout (`TimeoutError`), its signal
 *   (`signal.reason`), and a `shutdown({ cancelFutures: true })` of its pool (`CancelledError`).
 *   Each also reaches the task through `taskContext()`, as for a submitted task.
 * - A stream occupies its worker until it ends: it is never queued behind, or ahead of, other
 *   tasks on that worker.
 * - Lifetime: a stream whose task waits for its reader keeps nothing alive, so a program that
 *   leaves a stream unread ends. But it keeps its task, and its pool's `shutdown()`, waiting,
 *   like a task that never returns: read it with `for await`, which always closes it, hold it
 *   with `await using`, or shut the pool down with `cancelFutures`.
 *
 * @typeParam T The type of the values.
 *
 * @example Reading a stream from a worker pool
 * ```ts
 * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { countTo } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const seen: number[] = [];
 * for await (const n of pool.stream(countTo, 5)) seen.push(n);
 * assert.deepEqual(seen, [1, 2, 3, 4, 5]);
 * ```
 */
export class TaskStream<T> implements AsyncIterableIterator<T, undefined>, AsyncDisposable {
  /** What the executor hands to the runner with the call: see {@linkcode StreamSink}. */
  readonly sink: StreamSink;
  readonly #future: Future<unknown>;
  readonly #threshold: number;
  #values: unknown[] = [];
  #head = 0;
  #waiters: Waiter<T>[] = [];
  #credit: ((n: number) => void) | undefined = undefined;
  #park: ((parked: boolean) => void) | undefined = undefined;
  #owed = 0;
  // Values the task may still send; at 0 it is parked, waiting for this reader.
  #outstanding = 0;
  #parked = false;
  #closed = false;
  #reported = false;

  /**
   * Makes the reader's side of one stream. Executors call it: the task's values arrive through
   * {@linkcode TaskStream.sink}, and the stream ends when `future` settles.
   *
   * @param future The future of the streaming call: it settles when the task's generator ends.
   * @param buffer How many unread values the task may run ahead by.
   *
   * @example A stream fed by hand
   * ```ts
   * import { Future, TaskStream } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<unknown>();
   * const stream = new TaskStream<string>(future, 2);
   * stream.sink.open(() => {});
   * stream.sink.push(["a", "b"]);
   * future.setResult(undefined);
   * assert.deepEqual(await Array.fromAsync(stream), ["a", "b"]);
   * ```
   */
  constructor(future: Future<unknown>, buffer: number) {
    this.#future = future;
    // Credit goes back in runs of half the buffer, so that a fast task never waits for the
    // reader's every value, and one message carries many.
    this.#threshold = Math.max(1, buffer >> 1);
    this.sink = {
      buffer,
      push: (values) => this.#push(values),
      open: (credit, park) => {
        this.#credit = credit;
        this.#park = park;
        this.#owed = 0;
        this.#outstanding = buffer;
        this.#parked = false;
        if (this.#closed) credit(0);
      },
    };
    future.addDoneCallback(() => this.#ended());
  }

  /**
   * The next value, or `{ done: true }` once the task has ended.
   *
   * @returns The next value.
   * @throws The task's exception (or its cancellation), after the values yielded before it.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { countTo } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * await using stream = pool.stream(countTo, 1);
   * assert.deepEqual(await stream.next(), { value: 1, done: false });
   * assert.deepEqual(await stream.next(), { value: undefined, done: true });
   * ```
   */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#head < this.#values.length) {
      return Promise.resolve({ value: this.#take(), done: false });
    }
    if (this.#closed || this.#future.done()) return this.#end();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Leaves the stream: unread values are dropped and the task's generator is closed where it
   * runs, so its `finally` blocks run there. `for await` calls it on `break`.
   *
   * @returns `{ done: true }`, once the task has ended.
   * @throws What the task's `finally` threw, or what ended the task meanwhile.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { countTo } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const stream = pool.stream(countTo, 1_000_000);
   * assert.deepEqual(await stream.next(), { value: 1, done: false });
   * assert.deepEqual(await stream.return(), { value: undefined, done: true });
   * ```
   */
  async return(): Promise<IteratorResult<T, undefined>> {
    if (this.#closed) return { value: undefined, done: true };
    this.#closed = true;
    this.#values = [];
    this.#head = 0;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    const future = this.#future;
    if (future.done() || future.cancel()) return { value: undefined, done: true };
    this.#setParked(false); // the task runs its `finally` now
    this.#credit?.(0);
    await future;
    return { value: undefined, done: true };
  }

  /**
   * Returns the stream itself, for `for await`.
   *
   * @returns This stream.
   *
   * @example
   * ```ts
   * import { Future, TaskStream } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const stream = new TaskStream<number>(new Future<unknown>(), 1);
   * assert.equal(stream[Symbol.asyncIterator](), stream);
   * ```
   */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Leaves the stream, as {@linkcode TaskStream.return} does (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #take(): T {
    const value = this.#values[this.#head];
    this.#values[this.#head++] = undefined;
    if (this.#head === this.#values.length) {
      this.#values.length = 0;
      this.#head = 0;
    }
    this.#read();
    return value as T;
  }

  // One value read: its credit goes back to the task, in runs.
  #read(): void {
    if (++this.#owed < this.#threshold || this.#future.done()) return;
    const owed = this.#owed;
    this.#owed = 0;
    this.#outstanding += owed;
    this.#setParked(false);
    this.#credit?.(owed);
  }

  #setParked(parked: boolean): void {
    if (parked === this.#parked) return;
    this.#parked = parked;
    this.#park?.(parked);
  }

  #push(values: unknown[]): void {
    if (this.#closed || this.#future.done()) return;
    this.#outstanding -= values.length;
    if (this.#outstanding <= 0) this.#setParked(true);
    let i = 0;
    while (i < values.length && this.#waiters.length > 0) {
      this.#waiters.shift()!.resolve({ value: values[i++] as T, done: false });
      this.#read();
    }
    for (; i < values.length; i++) this.#values.push(values[i]);
  }

  #ended(): void {
    this.#setParked(false);
    for (const waiter of this.#waiters.splice(0)) this.#end().then(waiter.resolve, waiter.reject);
  }

  // The stream's end, once its values are read: the task's failure once, then done.
  async #end(): Promise<IteratorResult<T, undefined>> {
    if (!this.#closed && !this.#reported) {
      this.#reported = true;
      await this.#future;
    }
    return { value: undefined, done: true };
  }
}
