/**
 * {@linkcode ProcessPoolExecutor}: a pool of child Deno processes, for isolation.
 *
 * @module
 */

import {
  BaseExecutor,
  type Future,
  type MapOptions,
  type Task,
  type TaskOutcome,
} from "@tandem/tandem/futures";
import type { ReadyOptions, SubmitOptions } from "./submit_options.ts";
import { type Limits, Scheduler } from "./_scheduler.ts";
import { PoolFront } from "./_pool_front.ts";
import { ProcessRunner } from "./_process_runner.ts";
import {
  countOrInfinity,
  milliseconds,
  optionsObject,
  positiveInteger,
  positiveIntegerOrInfinity,
  stringArray,
} from "./_validate.ts";

// A literal URL, so that `deno compile --include parallel/_process_host.ts` can find it.
const HOST = new URL("./_process_host.ts", import.meta.url);

/** Options for {@linkcode ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions {
  /**
   * The most child processes the pool runs at once. Python: `max_workers`.
   *
   * @default {navigator.hardwareConcurrency}
   */
  maxWorkers?: number;
  /**
   * How many tasks a process runs before it is replaced by a fresh one (a chunk of `map` counts
   * as one), to bound what a long-lived process accumulates. Python: `max_tasks_per_child`.
   *
   * @default {Infinity}
   */
  maxTasksPerWorker?: number;
  /**
   * Milliseconds a child process may stay idle before it is ended (a new one starts when work
   * arrives). Until then, and until shutdown, live children keep this process alive.
   *
   * @default {5000}
   */
  idleTimeout?: number;
  /**
   * How many tasks may wait for a process (submitted and not yet running, including those
   * handed to a busy process ahead of time). When that many wait, `submit` throws a
   * `PoolQueueFullError` and `submitAsync` waits for room. `map` is not limited: like
   * Python's, it submits all its items at once.
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * The arguments given to `deno run` for each child, before the host script: its permissions
   * above all. The default lets the child read files, which it needs to load task modules; add
   * what your tasks need (`"--allow-net=example.com"`), or V8 flags
   * (`"--v8-flags=--max-old-space-size=256"`). `--no-prompt` is always added.
   *
   * @default {["--allow-read"]}
   */
  denoArgs?: string[];
}

/**
 * Runs tasks in a pool of child Deno processes: Python's
 * `concurrent.futures.ProcessPoolExecutor` (item 64), for isolation. Each child is
 * `deno run <denoArgs> parallel/_process_host.ts`, started lazily and reused; tasks and results
 * cross the process boundary serialized with `node:v8`, so they keep their structured-clone
 * types (`Map`, `Set`, `Date`, typed arrays, errors with their class name and stack). Shared
 * memory cannot cross: an argument holding a `SharedArrayBuffer` or a shareable object fails
 * the future with a `TypeError`.
 *
 * A task that exhausts memory, calls `Deno.exit()` or crashes ends only its own process: its
 * future fails with a `BrokenExecutorError` naming the task and the exit code (or signal, or
 * uncaught error), tasks that process held but had not started run elsewhere, and the process
 * is replaced. Everything else works as in `ProcessPoolExecutor` (same options, `submitWith`,
 * `submitAsync`, `ready`, `map` with `chunkSize`), at the cost of a process start (tens of
 * milliseconds) per child and a pipe round trip per task. Children get only the permissions in
 * `denoArgs`; the parent needs `--allow-run` to start them. `shutdown()` (and `await using`)
 * waits for submitted work, then kills every child and waits until it has exited, so no child
 * outlives the pool. Task output on `console` goes to the child's stderr (stdout carries the
 * protocol; a task must not write to `Deno.stdout` itself).
 *
 * Under `deno compile`, `Deno.execPath()` is the compiled binary, which cannot `run` a script:
 * use `ProcessPoolExecutor` in compiled programs.
 *
 * @example The book's run_parallel.py
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const NUMBERS: [number, number][] = [[1963309, 2265973], [1551645, 2229620]];
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * const results: number[] = [];
 * for await (const result of pool.map(gcd, NUMBERS)) results.push(result);
 * assert.deepEqual(results, [1, 5]);
 * ```
 *
 * @example Errors keep their class across the process boundary
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { BrokenExecutorError } from "@tandem/tandem/futures";
 * import { double, fail } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
 * await assert.rejects(pool.submit(fail, "bad").result(), RangeError);
 * assert.equal(await pool.submit(double, 21), 42);
 * assert.equal(new BrokenExecutorError("x").name, "BrokenExecutorError");
 * ```
 */
export class ProcessPoolExecutor extends BaseExecutor {
  readonly #scheduler: Scheduler;
  readonly #front: PoolFront;
  readonly #maxWorkers: number;
  readonly #exiting = new Set<Promise<void>>();

  /**
   * Creates the pool; no process starts until work is submitted.
   *
   * @param options `maxWorkers`, `maxTasksPerWorker`, `idleTimeout`, `maxQueue`, `denoArgs`.
   * @throws {RangeError} If an option is out of range, naming it and the value received.
   * @throws {TypeError} If `options` is not an object.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    super();
    const what = "create ProcessPoolExecutor";
    const opts = optionsObject<ProcessPoolExecutorOptions>(what, options);
    const maxQueue = countOrInfinity(what, "maxQueue", opts.maxQueue ?? Infinity);
    const denoArgs = stringArray(what, "denoArgs", opts.denoArgs ?? ["--allow-read"]);
    this.#maxWorkers = positiveInteger(
      what,
      "maxWorkers",
      opts.maxWorkers ?? (navigator.hardwareConcurrency || 1),
    );
    this.#scheduler = new Scheduler({
      owner: "ProcessPoolExecutor",
      noun: "process",
      maxWorkers: this.#maxWorkers,
      maxTasksPerWorker: positiveIntegerOrInfinity(
        what,
        "maxTasksPerWorker",
        opts.maxTasksPerWorker ?? Infinity,
      ),
      idleTimeout: milliseconds(what, "idleTimeout", opts.idleTimeout ?? 5000),
      maxQueue,
      spawn: (onBroken) => {
        const runner = new ProcessRunner({ host: HOST, denoArgs, onBroken });
        const exited = runner.exited.finally(() => this.#exiting.delete(exited));
        this.#exiting.add(exited);
        return runner;
      },
    });
    this.#front = new PoolFront("ProcessPoolExecutor", this.#scheduler, maxQueue);
  }

  /** The most child processes the pool runs at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** How many child processes are alive now (they start on demand and retire when idle). */
  get workerCount(): number {
    return this.#scheduler.size;
  }

  /** How many tasks wait for a process now (see `maxQueue`). */
  get waiting(): number {
    return this.#scheduler.waiting;
  }

  /**
   * Schedules `task(...args)` in a child process. Python: `Executor.submit(fn, *args)`.
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
   * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
   * assert.equal(await pool.submit(double, 21), 42);
   * ```
   */
  override submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R> {
    this.#front.checkRoom(this, task);
    return super.submit(task, ...args);
  }

  /**
   * Like {@linkcode ProcessPoolExecutor.submit}, with a `signal` and a `timeout` that stop this
   * one task, even while it runs (by killing its process, which is replaced). Python's
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
   * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import { sleepThen } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
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
   * @example A producer that never gets far ahead of the processes
   * ```ts
   * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ProcessPoolExecutor({ maxWorkers: 2, maxQueue: 4 });
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
   * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ProcessPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
   * await pool.ready({ timeout: 1000 });
   * assert.equal(await pool.submit(double, 2), 4);
   * ```
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    return this.#front.ready(this, options);
  }

  /**
   * Runs `task(item)` for every item in the child processes and yields the results in input order.
   * Python: `Executor.map(fn, iterable, timeout, chunksize)`. With `chunkSize` > 1, items
   * travel to a process in chunks of that size and run one after another there: use it for many
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
   * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
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
   * Hands one chunk of `map` to the scheduler: it travels to one process in one frame.
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
   * Ends every child process; called by `shutdown` once submitted work has settled.
   *
   * @returns A promise that resolves when every child has exited and its pipes are closed.
   */
  protected async close(): Promise<void> {
    this.#scheduler.close();
    await Promise.all([...this.#exiting]);
  }
}
