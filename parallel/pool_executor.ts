/**
 * {@linkcode PoolExecutor}: what `WorkerPoolExecutor` and `ProcessPoolExecutor` share, written
 * once: the queue, the options, `submitWith`, `submitAsync`, `ready` and the rules by which
 * workers start, fail, retire and stop.
 *
 * @module
 */

import {
  BaseExecutor,
  checkInteger,
  checkNotBootstrapping,
  checkOptions,
  checkSignal,
  checkStreamOptions,
  checkTaskArguments,
  checkTimeout,
  type ChunkFailure,
  type Future,
  type MapOptions,
  onAbort,
  type ShutdownOptions,
  type StreamingExecutor,
  type StreamOptions,
  type Submitted,
  type Task,
  type TaskLimits,
  type TaskStream,
  timeoutError,
} from "@tandem/tandem/futures";
import { PoolQueueFullError } from "./errors.ts";
import type { ReadyOptions, SubmitOptions } from "./submit_options.ts";
import type { Runner, RunnerHooks } from "./runner.ts";
import { Scheduler } from "./_scheduler.ts";

/** Options that every pool takes (`WorkerPoolExecutor`, `ProcessPoolExecutor`). */
export interface PoolExecutorOptions {
  /**
   * The most workers (threads or processes) the pool runs at once. Python: `max_workers`.
   *
   * @default {navigator.hardwareConcurrency}
   */
  maxWorkers?: number;
  /**
   * How many tasks a worker runs before it is replaced by a fresh one (a chunk of `map` counts
   * as one), to bound what a long-lived worker accumulates. Python: `max_tasks_per_child`.
   *
   * @default {Infinity}
   */
  maxTasksPerWorker?: number;
  /**
   * Milliseconds a worker may stay idle before it is ended (a new one starts when work
   * arrives). Idle workers never keep the process alive, so this bounds only the memory they
   * hold.
   *
   * @default {5000}
   */
  idleTimeout?: number;
  /**
   * How many tasks may wait for a worker (submitted and not yet running, including those handed
   * to a busy worker ahead of time). When that many wait, `submit` throws a
   * `PoolQueueFullError` and `submitAsync` waits for room. `map` is not limited: like
   * Python's, it submits all its items at once.
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * Milliseconds a running task that was cancelled (its `submitWith` signal aborted or its
   * timeout ran out) has to end on its own, after its `taskContext()` says cancelled and its
   * signal aborts, before its worker is ended. A task that ends in time keeps its worker warm
   * and runs its `finally` blocks; its future then fails with the signal's reason (or the
   * `TimeoutError`), or keeps its result if it had already finished.
   *
   * @default {500}
   */
  cancelGrace?: number;
}

/** The option names of {@linkcode PoolExecutorOptions}. */
const POOL_OPTIONS = [
  "maxWorkers",
  "maxTasksPerWorker",
  "idleTimeout",
  "maxQueue",
  "cancelGrace",
] as const;

/** What a subclass tells the pool base: its name, its kind of worker, and how to start one. */
export interface PoolKind {
  /** The executor's class name, for messages: `"WorkerPoolExecutor"`. */
  readonly owner: string;
  /** What one worker is called in messages: `"worker"`, `"process"`. */
  readonly noun: string;
  /** Where arguments go: they must be structured-clonable, and for a process, unshared. */
  readonly destination: "isolate" | "process";
  /** The subclass's own option names, besides {@linkcode PoolExecutorOptions}'. */
  readonly extraOptions: readonly string[];
  /**
   * How much work, in milliseconds of measured task time, to keep queued at each busy worker, so
   * that it does not wait for its transport's round trip between short tasks: longer for a
   * transport with a longer round trip. Little enough that long tasks stay spread over workers.
   */
  readonly queueAheadMs: number;
}

/**
 * The shared base of the pools whose tasks run outside this isolate (`WorkerPoolExecutor`,
 * `ProcessPoolExecutor`): one scheduler, one set of options, one set of rules. A subclass
 * supplies only how to start one worker ({@linkcode PoolExecutor.spawnRunner}).
 *
 * Guarantees, the same for every pool:
 * - Workers start lazily, on demand, and are reused; each runs one task at a time. Tasks start
 *   in submission order. Small tasks are handed to busy workers ahead of time and travel many
 *   to a message; a task handed over ahead of time counts as running (`future.cancel()` returns
 *   false), as in Python, where a task in the call queue is running.
 * - Arguments that cannot travel (a function, a symbol, a promise; for processes, shared memory)
 *   fail the future at once, in `submit`, with a `TypeError` naming the task, the argument's
 *   position and its type.
 * - A worker starts with a handshake. One that cannot start (a missing permission, a runtime
 *   that lacks what it needs) fails the tasks sent to it with a `BrokenExecutorError` carrying
 *   the platform's message; after three such failures in a row the pool is broken: every
 *   waiting task fails, and `submit` throws `BrokenExecutorError` (Python's `BrokenProcessPool`).
 * - A worker that dies while running (an uncaught error, `Deno.exit()`, a kill) fails only the
 *   task it was running, with a `BrokenExecutorError` that names the task and the cause; tasks it
 *   held that had not started run on another worker; it is replaced. Every future settles.
 * - `submitWith` stops one task by signal or timeout, even while it runs: first cooperatively
 *   (the task's `taskContext()` says cancelled and its signal aborts), then, after
 *   `cancelGrace` ms, by ending its worker. `shutdown({ cancelFutures: true })` also cancels
 *   running tasks cooperatively (those that ignore it run to the end, as in Python).
 * - Progress that a submitted task reports with `taskContext().progress(value)` reaches
 *   `future.onProgress(fn)` in order, coalesced when the listener falls behind (it gets the
 *   latest value, not every one), and the last value comes before the future settles. Items of
 *   `map` have no future to report to.
 * - Lifetime: an idle pool never keeps the process alive (a program that forgets `shutdown()`
 *   exits as soon as its own work is done); a running task does, as Python's executors join
 *   their workers at exit. `shutdown()` (and `await using`) waits for submitted work, then ends
 *   every worker.
 * - Creating a pool while a worker imports the module to find a task (code at the top level of a
 *   task module, not under `if (import.meta.main)`) throws, naming the module.
 * - Deadlock is possible if a task waits for another task that can only run on the same pool
 *   when every worker is busy, as in Python.
 *
 * @example Any pool, the same calls
 * ```ts
 * import { type PoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * async function twice(pool: PoolExecutor, n: number): Promise<number> {
 *   await pool.ready();
 *   return await pool.submitWith({ timeout: 10_000 }, double, n);
 * }
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * assert.equal(await twice(pool, 21), 42);
 * ```
 */
export abstract class PoolExecutor extends BaseExecutor implements StreamingExecutor {
  readonly #kind: PoolKind;
  readonly #scheduler: Scheduler;
  readonly #maxWorkers: number;
  readonly #maxQueue: number;
  #unbounded = false;

  /**
   * Validates the options and sets up the scheduler; no worker starts until work is submitted.
   *
   * @param kind The subclass's name, kind of worker and extra option names.
   * @param options The options, {@linkcode PoolExecutorOptions} and the subclass's own.
   * @throws {RangeError} If an option is out of range, naming it and the value received.
   * @throws {TypeError} If `options` is not an object or has an unknown key.
   * @throws {Error} If called while a worker imports a task module (see the class doc).
   */
  protected constructor(kind: PoolKind, options: PoolExecutorOptions) {
    super();
    const what = `create ${kind.owner}`;
    checkNotBootstrapping(what);
    const opts = checkOptions<PoolExecutorOptions>(
      what,
      options,
      [...POOL_OPTIONS, ...kind.extraOptions] as (keyof PoolExecutorOptions)[],
    );
    this.#kind = kind;
    this.#maxQueue = checkInteger(what, "maxQueue", opts.maxQueue ?? Infinity, { infinity: true });
    this.#maxWorkers = checkInteger(
      what,
      "maxWorkers",
      opts.maxWorkers ?? (navigator.hardwareConcurrency || 1),
      { min: 1 },
    );
    this.#scheduler = new Scheduler({
      owner: kind.owner,
      noun: kind.noun,
      maxWorkers: this.#maxWorkers,
      queueAheadMs: kind.queueAheadMs,
      maxTasksPerWorker: checkInteger(
        what,
        "maxTasksPerWorker",
        opts.maxTasksPerWorker ?? Infinity,
        { min: 1, infinity: true },
      ),
      idleTimeout: checkTimeout(what, opts.idleTimeout ?? 5000, "idleTimeout")!,
      maxQueue: this.#maxQueue,
      cancelGrace: checkTimeout(what, opts.cancelGrace ?? 500, "cancelGrace")!,
      spawn: (hooks) => this.spawnRunner(hooks),
    });
  }

  /**
   * Starts one worker. The pool calls it when it needs one more.
   *
   * @param hooks What the worker reports: that it started, that it broke.
   * @returns The worker.
   */
  protected abstract spawnRunner(hooks: RunnerHooks): Runner;

  /** The most workers the pool runs at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many workers are alive now (they start on demand and retire when idle). */
  get workerCount(): number {
    return this.#scheduler.size;
  }

  /** How many tasks wait for a worker now (see `maxQueue`). */
  get waiting(): number {
    return this.#scheduler.waiting;
  }

  /**
   * Schedules `task(...args)` on a worker. Python: `Executor.submit(fn, *args)`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments, type-checked against the task; structured-clonable (for a worker
   * pool also shareable).
   * @returns The task's future; already failed with a `TypeError` if an argument cannot travel.
   * @throws {PoolQueueFullError} If `maxQueue` tasks are already waiting.
   * @throws {BrokenExecutorError} If the pool is broken (its workers could not start).
   * @throws {Error} If the pool has been shut down.
   * @throws {TypeError} If `task` is not a task.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * assert.equal(await pool.submit(double, 21), 42);
   * ```
   */
  override submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R> {
    return this.#submit(undefined, task, args);
  }

  /**
   * Like {@linkcode PoolExecutor.submit}, with a `signal` and a `timeout` that stop this one
   * task, even while it runs (by ending its worker, which is replaced). Python's futures cannot
   * do this; see `SubmitOptions` for the exact rules.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param options `signal` and `timeout`.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns The task's future: it fails with `signal.reason` on abort and with a
   * `TimeoutError` when the time runs out.
   * @throws {PoolQueueFullError} If `maxQueue` tasks are already waiting.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws {TypeError} If `signal` is not an AbortSignal, an option is unknown, or `task` is
   * not a task.
   *
   * @example Stopping a task that runs too long
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import { sleepThen } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const slow = pool.submitWith({ timeout: 200 }, sleepThen, 60_000, "never");
   * await assert.rejects(slow.result(), TimeoutError);
   * assert.equal(await pool.submit(sleepThen, 1, "next"), "next");
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    task: Task<A, R>,
    ...args: A
  ): Future<R> {
    const what = `submit to ${this.#kind.owner}`;
    const opts = checkOptions<SubmitOptions>(what, options, ["signal", "timeout"]);
    const limits: TaskLimits = {
      signal: checkSignal(what, opts.signal),
      timeout: checkTimeout(what, opts.timeout),
    };
    return this.#submit(limits, task, args);
  }

  /**
   * Runs `task(...args)` on a worker and streams the values it yields: `task` is an async
   * generator function (or returns an async iterable). The values arrive in order, with
   * backpressure: the task runs ahead of the reader by at most 64 values (see
   * {@linkcode PoolExecutor.streamWith} for another `buffer`). Leaving the loop closes the
   * generator in the worker, so its `finally` runs there. The stream has its worker to itself
   * until it ends. See `TaskStream` for every guarantee.
   *
   * A task that returns an async iterable fails when submitted with `submit` (a `TypeError`
   * that says to use `stream`); one that returns anything else fails when streamed.
   *
   * @typeParam A The task's parameter types.
   * @typeParam T The type of the values.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns The stream of its values.
   * @throws {PoolQueueFullError} If `maxQueue` tasks are already waiting.
   * @throws {BrokenExecutorError} If the pool is broken.
   * @throws {Error} If the pool has been shut down.
   *
   * @example Values from a generator in a worker
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { countTo } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * assert.deepEqual(await Array.fromAsync(pool.stream(countTo, 3)), [1, 2, 3]);
   * ```
   */
  stream<A extends unknown[], T>(task: Task<A, AsyncIterable<T>>, ...args: A): TaskStream<T> {
    return this.streamWith({}, task, ...args);
  }

  /**
   * Like {@linkcode PoolExecutor.stream}, with a `buffer` (how many unread values the task may
   * run ahead by), and a `signal` and a `timeout` that end the stream as they end a task of
   * `submitWith`: cooperatively first, then by ending the worker after `cancelGrace` ms.
   *
   * @typeParam A The task's parameter types.
   * @typeParam T The type of the values.
   * @param options `buffer`, `signal` and `timeout`.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns The stream of its values.
   * @throws {RangeError} If `buffer` is not a positive integer or `timeout` is negative.
   * @throws {TypeError} If an option is unknown or has the wrong type, or `task` is not a task.
   * @throws {PoolQueueFullError} If `maxQueue` tasks are already waiting.
   *
   * @example Leaving early runs the generator's `finally` in the worker
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { countTo } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const seen: number[] = [];
   * for await (const n of pool.streamWith({ buffer: 2, timeout: 10_000 }, countTo, 1_000_000)) {
   *   seen.push(n);
   *   if (n === 3) break;
   * }
   * assert.deepEqual(seen, [1, 2, 3]);
   * ```
   */
  streamWith<A extends unknown[], T>(
    options: StreamOptions,
    task: Task<A, AsyncIterable<T>>,
    ...args: A
  ): TaskStream<T> {
    const { limits, buffer } = checkStreamOptions(`stream from ${this.#kind.owner}`, options);
    this.#checkRoom(task);
    return this.streamLimited(limits, buffer, task, args);
  }

  /**
   * Waits until the queue has room (see `maxQueue`), then submits. Use it to apply
   * backpressure: a producer that awaits it never has more than `maxQueue` tasks waiting.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns `{ future }` once the task is submitted (a future in an object: a promise
   * resolved with a future would wait for the task's result).
   * @throws {Error} If the pool is shut down before there is room.
   *
   * @example A producer that never gets far ahead of the workers
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import type { Future } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2, maxQueue: 4 });
   * const futures: Future<number>[] = [];
   * for (let i = 0; i < 20; i++) {
   *   const { future } = await pool.submitAsync(double, i);
   *   futures.push(future);
   *   assert.ok(pool.waiting <= 4);
   * }
   * assert.equal((await Promise.all(futures)).length, 20);
   * ```
   */
  async submitAsync<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<Submitted<R>> {
    while (!this.isShutdown && !this.#scheduler.hasRoom()) await this.#scheduler.nextRoom();
    return { future: this.submit<A, R>(task, ...args) };
  }

  /**
   * Resolves when one more task may be submitted without exceeding `maxQueue` (at once if the
   * pool is unbounded). Another caller may take the room first; `submitAsync` handles that.
   *
   * @param options `timeout` and `signal` limit the wait.
   * @returns A promise that resolves when there is room.
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {Error} If the pool is shut down.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
   * await pool.ready({ timeout: 1000 });
   * assert.equal(await pool.submit(double, 2), 4);
   * ```
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    const owner = this.#kind.owner;
    const what = `wait for room in ${owner}`;
    const opts = checkOptions<ReadyOptions>(what, options, ["timeout", "signal"]);
    const signal = checkSignal(what, opts.signal);
    const timeout = checkTimeout(what, opts.timeout);
    const shutDown = () => new Error(`Cannot ${what}: ${owner} has been shut down`);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.isShutdown) return Promise.reject(shutDown());
    if (this.#scheduler.hasRoom()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        stopListening();
        if (error === undefined) resolve();
        else reject(error);
      };
      const stopListening = onAbort(signal, (reason) => finish(reason));
      const check = () => {
        if (done) return;
        if (this.isShutdown) finish(shutDown());
        else if (this.#scheduler.hasRoom()) finish();
        else void this.#scheduler.nextRoom().then(check);
      };
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(() => finish(timeoutError(what, timeout)), timeout);
      }
      check();
    });
  }

  /**
   * Runs `task(item)` for every item on the workers and yields the results in input order.
   * Python: `Executor.map(fn, iterable, timeout, chunksize)`. With `chunkSize` > 1, items
   * travel to a worker in chunks of that size and run one after another there: use it for many
   * small items. `maxQueue` does not apply: all items are submitted at once.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param task A one-parameter task.
   * @param items The items.
   * @param options `chunkSize` and `timeout`.
   * @returns The results, in input order.
   * @throws {Error} If the pool has been shut down.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
   * const out: number[] = [];
   * for await (const n of pool.map(double, [1, 2, 3, 4, 5], { chunkSize: 2 })) out.push(n);
   * assert.deepEqual(out, [2, 4, 6, 8, 10]);
   * ```
   */
  override map<T, R>(
    task: Task<[T], R>,
    items: Iterable<T>,
    options?: MapOptions,
  ): AsyncIterableIterator<R> {
    this.#scheduler.checkNotBroken(task);
    this.#unbounded = true;
    try {
      return super.map(task, items, options);
    } finally {
      this.#unbounded = false;
    }
  }

  /**
   * Hands one task to the scheduler. Called by `submit` and `submitWith`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The task's future.
   * @param task The task.
   * @param args Its arguments.
   * @param limits Its limits, from `submitWith`.
   */
  protected start<A extends unknown[], R>(
    future: Future<R>,
    task: Task<A, R>,
    args: A,
    limits?: TaskLimits,
  ): void {
    try {
      checkTaskArguments(`run task`, task, args, this.#kind.destination);
    } catch (error) {
      if (future.setRunningOrNotifyCancel()) future.setException(error);
      return;
    }
    this.#scheduler.submit(
      future as Future<unknown>,
      task as unknown as Task<unknown[], unknown>,
      args,
      limits,
    );
  }

  /**
   * Hands one chunk of `map` to the scheduler: it travels to one worker in one message.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param future The chunk's future.
   * @param task The one-parameter task.
   * @param items The items, one per call.
   */
  protected override startChunk<T, R>(
    future: Future<(R | ChunkFailure)[]>,
    task: Task<[T], R>,
    items: T[],
  ): void {
    this.#scheduler.submitChunk(
      future as Future<unknown>,
      task as unknown as Task<unknown[], unknown>,
      items,
    );
  }

  /**
   * Stops accepting work and ends the workers once submitted work is done. Python:
   * `Executor.shutdown(wait, cancel_futures)`. With `cancelFutures`, tasks that have not started
   * are cancelled and running ones are asked to stop (their `taskContext()` says cancelled).
   *
   * @param options `wait` and `cancelFutures`.
   * @returns A promise that resolves when shutdown is complete (at once without `wait`).
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const future = pool.submit(double, 2);
   * await pool.shutdown({ cancelFutures: true });
   * assert.ok(future.cancelled() || (await future) === 4);
   * ```
   */
  override shutdown(options: ShutdownOptions = {}): Promise<void> {
    const done = super.shutdown(options);
    if (options.cancelFutures) this.#scheduler.cancelRunning();
    return done;
  }

  /**
   * Ends every worker; called by `shutdown` once submitted work has settled.
   *
   * @returns A promise that resolves when every worker has ended.
   */
  protected close(): Promise<void> {
    return this.#scheduler.close();
  }

  #submit<A extends unknown[], R>(
    limits: TaskLimits | undefined,
    task: Task<A, R>,
    args: A,
  ): Future<R> {
    this.#checkRoom(task);
    return this.submitLimited(limits, task, args);
  }

  #checkRoom(task: { name: string; module: string }): void {
    this.#scheduler.checkNotBroken(task);
    if (!this.#unbounded && !this.isShutdown && !this.#scheduler.hasRoom()) {
      throw new PoolQueueFullError(
        `Cannot submit task '${task.name}' from ${task.module}: ${this.#kind.owner} already has ` +
          `${this.#maxQueue} task(s) waiting (maxQueue); use submitAsync() or ready() to wait for room`,
      );
    }
  }
}
