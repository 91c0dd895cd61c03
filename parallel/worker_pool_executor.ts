/**
 * {@linkcode WorkerPoolExecutor}: a pool of Web Workers for CPU-bound tasks.
 *
 * @module
 */

import {
  BaseExecutor,
  type Future,
  type MapOptions,
  type Task,
  type TaskOutcome,
  TaskWorker,
} from "@tandem/tandem/futures";
import type { ReadyOptions, SubmitOptions } from "./submit_options.ts";
import { type Limits, Scheduler } from "./_scheduler.ts";
import { PoolFront } from "./_pool_front.ts";
import {
  countOrInfinity,
  milliseconds,
  optionsObject,
  positiveInteger,
  positiveIntegerOrInfinity,
} from "./_validate.ts";

/** Options for {@linkcode WorkerPoolExecutor}. */
export interface WorkerPoolExecutorOptions {
  /**
   * The most workers the pool runs at once. Python: `max_workers`.
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
   * Milliseconds a worker may stay idle before it is terminated (a new one starts when work
   * arrives). Until then, and until shutdown, live workers keep the process alive.
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
}

/**
 * Runs tasks on a pool of Web Workers, in parallel on all cores: Python's
 * `concurrent.futures.ProcessPoolExecutor` role, with threads (isolates) instead of processes.
 * Use it for CPU-bound work; for I/O-bound work `AsyncPoolExecutor` is cheaper, and for work
 * that may crash the whole isolate (exhaust memory, exit) `ProcessPoolExecutor` isolates it.
 *
 * Tasks are functions made with `task(import.meta.url, fn)` and exported from their module;
 * arguments and results are structured-cloned (a `Map`, a `Date`, an `Error` survive; a function
 * does not, and submitting one fails the future with a `TypeError` naming the task). Shareable
 * objects (a `Lock`, a shared counter) arrive live in the worker.
 *
 * Guarantees:
 * - Workers start lazily, on demand, and are reused; each runs one task at a time. Tasks start
 *   in submission order. Small tasks are handed to busy workers ahead of time and travel many
 *   to a message; a task handed over ahead of time counts as running (`future.cancel()` returns
 *   false), as in Python, where a task in the call queue is running.
 * - A worker that crashes (an uncaught error, an unhandled rejection, `self.close()`,
 *   `Deno.exit()`) fails only the task it was running, with a `BrokenExecutorError` that names
 *   the task and the cause; tasks it held that had not started run on another worker; it is
 *   replaced. Every future settles.
 * - {@linkcode WorkerPoolExecutor.submitWith} stops one task by signal or timeout, even while it
 *   runs, by terminating its worker.
 * - `shutdown()` (and `await using`) waits for submitted work, then terminates every worker:
 *   nothing keeps the process alive afterwards. Before shutdown, live workers keep the process
 *   alive, as Python's pool threads keep the interpreter alive until shutdown; `idleTimeout`
 *   bounds how long idle workers linger.
 * - Deadlock is possible if a task waits for another task that can only run on the same pool
 *   when every worker is busy, as in Python.
 *
 * Worker permissions: the workers run with the permissions of the process. Deno's per-worker
 * `deno.permissions` option needs `--unstable-worker-options`, and Deno 2.9 ends the whole
 * process (exit code 70) when it is used without that flag, which a library cannot detect in
 * advance, so this pool does not offer it: to sandbox tasks, use `ProcessPoolExecutor` with
 * `denoArgs`.
 *
 * @example The book's item 64: gcd of pairs of numbers, in parallel
 * ```ts
 * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const NUMBERS: [number, number][] = [[1963309, 2265973], [2030677, 3814172]];
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * const results: number[] = [];
 * for await (const result of pool.map(gcd, NUMBERS)) results.push(result);
 * assert.deepEqual(results, [1, 1]);
 * ```
 */
export class WorkerPoolExecutor extends BaseExecutor {
  readonly #scheduler: Scheduler;
  readonly #front: PoolFront;
  readonly #maxWorkers: number;

  /**
   * Creates the pool; no worker starts until work is submitted.
   *
   * @param options `maxWorkers`, `maxTasksPerWorker`, `idleTimeout`, `maxQueue`.
   * @throws {RangeError} If an option is out of range, naming it and the value received.
   * @throws {TypeError} If `options` is not an object.
   */
  constructor(options: WorkerPoolExecutorOptions = {}) {
    super();
    const what = "create WorkerPoolExecutor";
    const opts = optionsObject<WorkerPoolExecutorOptions>(what, options);
    const maxQueue = countOrInfinity(what, "maxQueue", opts.maxQueue ?? Infinity);
    this.#maxWorkers = positiveInteger(
      what,
      "maxWorkers",
      opts.maxWorkers ?? (navigator.hardwareConcurrency || 1),
    );
    this.#scheduler = new Scheduler({
      owner: "WorkerPoolExecutor",
      noun: "worker",
      maxWorkers: this.#maxWorkers,
      maxTasksPerWorker: positiveIntegerOrInfinity(
        what,
        "maxTasksPerWorker",
        opts.maxTasksPerWorker ?? Infinity,
      ),
      idleTimeout: milliseconds(what, "idleTimeout", opts.idleTimeout ?? 5000),
      maxQueue,
      spawn: (onBroken) => new TaskWorker({ name: "tandem-pool-worker", onBroken }),
    });
    this.#front = new PoolFront("WorkerPoolExecutor", this.#scheduler, maxQueue);
  }

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
   * @param args Its arguments, type-checked against the task; structured-clonable or shareable.
   * @returns The task's future.
   * @throws {PoolQueueFullError} If `maxQueue` tasks are already waiting.
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
    this.#front.checkRoom(this, task);
    return super.submit(task, ...args);
  }

  /**
   * Like {@linkcode WorkerPoolExecutor.submit}, with a `signal` and a `timeout` that stop this
   * one task, even while it runs (by terminating its worker, which is replaced). Python's
   * futures cannot do this; see `SubmitOptions` for the exact rules.
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
   * @throws {TypeError} If `signal` is not an AbortSignal or `task` is not a task.
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
    return this.#front.submitWith(this, options, task, args);
  }

  /**
   * Waits until the queue has room (see `maxQueue`), then submits. Use it to apply
   * backpressure: a producer that awaits it never has more than `maxQueue` tasks waiting.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments.
   * @returns The task's future, once submitted.
   * @throws {Error} If the pool is shut down before there is room.
   *
   * @example A producer that never gets far ahead of the workers
   * ```ts
   * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2, maxQueue: 4 });
   * const futures = [];
   * for (let i = 0; i < 20; i++) {
   *   futures.push(await pool.submitAsync(double, i));
   *   assert.ok(pool.waiting <= 4);
   * }
   * assert.equal((await Promise.all(futures)).length, 20);
   * ```
   */
  submitAsync<A extends unknown[], R>(task: Task<A, R>, ...args: A): Promise<Future<R>> {
    return this.#front.submitAsync(this, task, args);
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
    return this.#front.ready(this, options);
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
    return this.#front.unbounded(() => super.map(task, items, options));
  }

  /**
   * Hands one task to the scheduler. Called by `submit`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The task's future.
   * @param task The task.
   * @param args Its arguments.
   */
  protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
    this.#scheduler.submit(
      future as Future<unknown>,
      task as unknown as Task<unknown[], unknown>,
      args,
      this.#front.takeLimits() as Limits | undefined,
    );
  }

  /**
   * Hands one chunk of `map` to the scheduler: it travels to one worker in one message.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The chunk's future.
   * @param task The task.
   * @param argsList One argument list per item.
   */
  protected override startChunk<A extends unknown[], R>(
    future: Future<TaskOutcome<R>[]>,
    task: Task<A, R>,
    argsList: A[],
  ): void {
    this.#scheduler.submitChunk(
      future as Future<unknown>,
      task as unknown as Task<unknown[], unknown>,
      argsList,
    );
  }

  /**
   * Terminates every worker; called by `shutdown` once submitted work has settled.
   *
   * @returns A promise that resolves when the workers are terminated.
   */
  protected close(): Promise<void> {
    this.#scheduler.close();
    return Promise.resolve();
  }
}
