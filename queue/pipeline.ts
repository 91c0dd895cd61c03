/**
 * {@linkcode pipeline}: stages of concurrent workers joined by bounded queues, the pattern of
 * item 55 without the plumbing.
 *
 * @module
 */

// The hub's files, not its entrypoint: a program that uses only queues loads no worker host.
import {
  checkFunction,
  checkInteger,
  checkOptions,
  checkSignal,
  checkTimeout,
  isThenable,
  onAbort,
  timeoutError,
  typeError,
} from "../futures/checks.ts";
import type { Future } from "../futures/future.ts";
import { checkTask, type Task } from "../futures/task.ts";
import { QueueShutDown } from "./errors.ts";
import { Queue } from "./queue.ts";

/** What a stage function receives besides the item. */
export interface StageContext {
  /**
   * Aborted when the pipeline stops (an error, the consumer leaving the loop, the run's `signal`
   * or `timeout`). Long-running stage functions should pass it on or check it; the pipeline
   * waits for every call in progress before it reports the stop.
   */
  readonly signal: AbortSignal;
  /** The item's position in the source, counting from 0. */
  readonly index: number;
}

/**
 * A stage's work on one item: sync or async. It runs on the event loop; for work in another
 * isolate, give the stage a task and an `executor` instead.
 *
 * @typeParam T The type of the items the stage takes.
 * @typeParam U The type of the results it passes on.
 */
export type StageFunction<T, U> = (item: T, context: StageContext) => U | PromiseLike<U>;

/** Options for {@linkcode Pipeline.stage}. */
export interface StageOptions {
  /**
   * How many items the stage works on at once (its number of workers).
   *
   * @default {1}
   */
  workers?: number;
  /**
   * The capacity of the bounded queue in front of the stage: how many items may wait for its
   * workers. When it is full the previous stage (or the source) waits: that is the backpressure.
   *
   * @default {workers}
   */
  maxsize?: number;
  /**
   * The stage's name in error reports.
   *
   * @default {the function's name, or "stage N"}
   */
  name?: string;
}

/**
 * What a pipeline stage needs of an executor: `submit`, which every `Executor` of
 * `@tandem/tandem/futures` and `@tandem/tandem/parallel` has.
 */
export interface StageExecutor {
  /**
   * Schedules `task(...args)` and returns its future.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task The task.
   * @param args Its arguments.
   * @returns The task's future.
   */
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R>;
}

/** Options for a {@linkcode Pipeline.stage} that runs a task on an executor. */
export interface ExecutorStageOptions extends StageOptions {
  /**
   * Runs the stage's task: each worker calls `executor.submit(task, item)` and waits for the
   * future, so `workers` bounds how many of the stage's items the executor has at once. When the
   * pipeline stops, futures that have not started are cancelled.
   */
  executor: StageExecutor;
}

/** Where and on what a stage failed; passed to {@linkcode PipelineRunOptions.onError}. */
export interface StageFailure {
  /** The item the stage was given (the previous stage's result, or the source item). */
  readonly item: unknown;
  /** The item's position in the source, counting from 0. */
  readonly index: number;
  /** The stage's position, counting from 0. */
  readonly stage: number;
  /** The stage's name. */
  readonly name: string;
}

/** Options for {@linkcode Pipeline.run}. */
export interface PipelineRunOptions {
  /**
   * Yield results in the order of the source items. Results that finish early wait (within the
   * pipeline's bounded window) for the ones before them. Without it, results come as they finish.
   *
   * @default {false}
   */
  ordered?: boolean;
  /**
   * What to do when a stage function throws. Without a handler, the first error stops the
   * pipeline: every worker stops, the queues are emptied, the source is closed, and once nothing
   * is running the error is thrown to the consumer (results not yet consumed are discarded). With
   * a handler, it is called with the error and the failed item, the item is skipped, and the
   * pipeline goes on; if the handler throws, that error stops the pipeline. Errors from the source
   * itself always stop it.
   *
   * @default {undefined} (stop at the first error)
   */
  onError?: (error: unknown, failure: StageFailure) => void | PromiseLike<void>;
  /**
   * Stops the pipeline when aborted; the consumer's loop then throws `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Milliseconds, counted from the first `next()`, after which the pipeline stops and the
   * consumer's loop throws a `TimeoutError`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
}

/**
 * A chain of stages from a source to a consumer: an immutable builder made by
 * {@linkcode pipeline}. Each {@linkcode Pipeline.stage} call returns a new pipeline with one more
 * stage; {@linkcode Pipeline.run} starts a run, and `for await` over the pipeline itself is
 * `run()` with the default options (unordered, stop at the first error). Each run reads the
 * source afresh, so run a pipeline more than once only if its source can be iterated again.
 *
 * @typeParam T The type of the items the pipeline yields (the last stage's results).
 */
export interface Pipeline<T> extends AsyncIterable<T> {
  /**
   * Adds a stage that runs `task` for every item on `options.executor`, with `workers` items
   * submitted at a time. Items and results must be structured-clonable if the executor runs
   * tasks in another isolate.
   *
   * @typeParam U The task's result type.
   * @param task A task made with `task(import.meta.url, fn)` that takes one item.
   * @param options `executor` (required), `workers`, `maxsize`, `name`.
   * @returns A new pipeline yielding the task's results.
   * @throws {TypeError} If `task` is not a task or `executor` has no `submit`.
   * @throws {RangeError} If `workers` or `maxsize` is not a positive integer.
   */
  stage<U>(task: Task<[T], U>, options: ExecutorStageOptions): Pipeline<U>;
  /**
   * Adds a stage that calls `fn(item, context)` for every item on the event loop, `workers`
   * items at a time, behind a queue of `maxsize` items.
   *
   * @typeParam U The function's result type.
   * @param fn The stage's work; sync or async.
   * @param options `workers`, `maxsize`, `name`.
   * @returns A new pipeline yielding `fn`'s results.
   * @throws {TypeError} If `fn` is not a function.
   * @throws {RangeError} If `workers` or `maxsize` is not a positive integer.
   */
  stage<U>(fn: StageFunction<T, U>, options?: StageOptions): Pipeline<Awaited<U>>;
  /**
   * Starts the pipeline and yields its results. Nothing runs until the first `next()`; leaving
   * the loop early (or disposing the iterator) stops every worker, closes the source, and
   * returns once nothing is running.
   *
   * @param options `ordered`, `onError`, `signal`, `timeout`.
   * @returns An async generator of the last stage's results.
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws {TypeError} If `onError` is given and is not a function.
   */
  run(options?: PipelineRunOptions): AsyncGenerator<T, void, undefined>;
}

/**
 * Starts a pipeline from `source`: stages of concurrent workers joined by bounded queues, the
 * book's download/resize/upload chain (item 55) as a typed builder.
 *
 * `pipeline(items).stage(download, { workers: 3 }).stage(resize, { workers: 4 }).run()`:
 * - **Concurrency.** Each stage has `workers` workers taking items from the queue in front of
 *   it; a stage may run a task on any `Executor` instead of on the event loop.
 * - **Backpressure and memory.** Each queue holds at most its stage's `maxsize` items, and the
 *   source is read only while fewer than W items are between it and the consumer (counting the
 *   item the consumer's loop body is still working on), where W = the sum over stages of
 *   `maxsize + workers`. So a slow stage or a slow consumer holds the
 *   source back, and at most W items are in memory.
 * - **Order.** Results come as they finish, or in source order with `{ ordered: true }`.
 * - **Errors.** The first failure stops the pipeline cleanly and is thrown to the consumer, once
 *   every worker has stopped and the source was closed; or, with `onError`, failed items are
 *   reported and skipped.
 * - **Cleanup.** Leaving the consumer's loop early, the run's `signal` or its `timeout` stops it
 *   the same way. A stage function that ignores its `context.signal` delays the stop until it
 *   returns.
 *
 * Python has no such helper: the book builds it from `Queue`, `Thread` and a sentinel.
 *
 * @typeParam T The type of the source items.
 * @param source The items: any iterable or async iterable. It is read lazily, one item at a time.
 * @returns A pipeline with no stages yet.
 * @throws {TypeError} If `source` is not iterable.
 *
 * @example Three stages, bounded, results in source order
 * ```ts
 * import { pipeline } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const results = pipeline([1, 2, 3, 4])
 *   .stage(async (n: number) => n * 10, { workers: 3, maxsize: 8 })
 *   .stage((n) => `#${n}`, { workers: 2 });
 * const out: string[] = [];
 * for await (const s of results.run({ ordered: true })) out.push(s);
 * assert.deepEqual(out, ["#10", "#20", "#30", "#40"]);
 * ```
 *
 * @example Skipping failed items
 * ```ts
 * import { pipeline } from "@tandem/tandem/queue";
 * import assert from "node:assert/strict";
 *
 * const failed: number[] = [];
 * const run = pipeline([1, 2, 3]).stage((n: number) => {
 *   if (n === 2) throw new Error("bad item");
 *   return n;
 * }).run({ ordered: true, onError: (_error, failure) => void failed.push(failure.index) });
 * assert.deepEqual(await Array.fromAsync(run), [1, 3]);
 * assert.deepEqual(failed, [1]);
 * ```
 *
 * @example A stage on an executor
 * ```ts
 * import { BaseExecutor, type Future, type Task } from "@tandem/tandem/futures";
 * import { pipeline } from "@tandem/tandem/queue";
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
 * const out = await Array.fromAsync(
 *   pipeline([1, 2, 3]).stage(double, { executor, workers: 2 }).run({ ordered: true }),
 * );
 * assert.deepEqual(out, [2, 4, 6]);
 * ```
 */
export function pipeline<T>(source: Iterable<T> | AsyncIterable<T>): Pipeline<T> {
  if (!isIterable(source)) {
    typeError("create pipeline", "source", "an iterable or async iterable", source);
  }
  return new PipelineBuilder<T>(source as Iterable<unknown> | AsyncIterable<unknown>, []);
}

/** How one stage was defined. */
interface StageSpec {
  readonly fn: StageFunction<unknown, unknown> | undefined;
  readonly task: Task<[unknown], unknown> | undefined;
  readonly executor: StageExecutor | undefined;
  readonly workers: number;
  readonly maxsize: number;
  readonly name: string;
}

class PipelineBuilder<T> implements Pipeline<T> {
  readonly #source: Iterable<unknown> | AsyncIterable<unknown>;
  readonly #stages: readonly StageSpec[];

  constructor(source: Iterable<unknown> | AsyncIterable<unknown>, stages: readonly StageSpec[]) {
    this.#source = source;
    this.#stages = stages;
  }

  stage<U>(task: Task<[T], U>, options: ExecutorStageOptions): Pipeline<U>;
  stage<U>(fn: StageFunction<T, U>, options?: StageOptions): Pipeline<Awaited<U>>;
  stage<U>(
    fn: StageFunction<T, U> | Task<[T], U>,
    options: StageOptions | ExecutorStageOptions = {},
  ): Pipeline<U> {
    const position = this.#stages.length;
    const executor = (options as Partial<ExecutorStageOptions>).executor;
    const what = "add a pipeline stage";
    checkOptions<ExecutorStageOptions>(what, options, ["workers", "maxsize", "name", "executor"]);
    if (executor !== undefined) {
      checkTask("add a pipeline stage on an executor", fn);
      if (typeof (executor as Partial<StageExecutor>)?.submit !== "function") {
        typeError(what, "executor", "an Executor (with submit)", executor);
      }
    } else checkFunction(what, "fn", fn);
    const workers = checkInteger(what, "workers", options.workers ?? 1, { min: 1 });
    const maxsize = checkInteger(what, "maxsize", options.maxsize ?? workers, { min: 1 });
    const name = options.name ?? (fn.name || `stage ${position}`);
    const spec: StageSpec = executor === undefined
      ? {
        fn: fn as StageFunction<unknown, unknown>,
        task: undefined,
        executor,
        workers,
        maxsize,
        name,
      }
      : {
        fn: undefined,
        task: fn as unknown as Task<[unknown], unknown>,
        executor,
        workers,
        maxsize,
        name,
      };
    return new PipelineBuilder<U>(this.#source, [...this.#stages, spec]);
  }

  run(options: PipelineRunOptions = {}): AsyncGenerator<T, void, undefined> {
    const what = "run pipeline";
    const { ordered = false, onError, signal, timeout } = checkOptions<PipelineRunOptions>(
      what,
      options,
      ["ordered", "onError", "signal", "timeout"],
    );
    checkTimeout(what, timeout);
    checkSignal(what, signal);
    if (onError !== undefined) checkFunction(what, "onError", onError);
    return consume<T>(
      new Run(this.#source, this.#stages, Boolean(ordered), onError),
      signal,
      timeout,
    );
  }

  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this.run();
  }
}

async function* consume<T>(
  run: Run,
  signal: AbortSignal | undefined,
  timeout: number | undefined,
): AsyncGenerator<T, void, undefined> {
  if (signal?.aborted) throw signal.reason;
  const unlisten = onAbort(signal, (reason) => run.fail(reason));
  const timer = timeout === undefined || timeout > MAX_TIMER ? undefined : setTimeout(
    () => run.fail(timeoutError("finish the pipeline", timeout)),
    timeout,
  );
  let drained = false;
  try {
    run.start();
    const output = run.output;
    for (let first = true;; first = false) {
      // The item the consumer had counts against the window until it asks for the next one.
      if (!first) run.release();
      let envelope: Envelope;
      if (output.qsize() > 0) {
        envelope = output.getNowait();
      } else {
        try {
          envelope = await output.get();
        } catch (error) {
          if (error instanceof QueueShutDown) break;
          throw error;
        }
      }
      yield envelope.value as T;
    }
    drained = true;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    unlisten();
    // Leaving early (break, throw in the loop body, return()) stops the pipeline quietly.
    if (!drained) run.stop();
    await run.settled;
  }
  if (run.failed) throw run.error;
}

const MAX_TIMER = 2 ** 31 - 1;

/** An item on its way through the pipeline; the same object moves from stage to stage. */
interface Envelope {
  readonly index: number;
  value: unknown;
}

/** A hole in the ordered output: the item at this index was skipped by `onError`. */
const SKIPPED: unique symbol = Symbol("skipped");

/** One execution of a pipeline: its queues, workers, window and stop state. */
class Run {
  readonly #source: Iterable<unknown> | AsyncIterable<unknown>;
  readonly #stages: readonly StageSpec[];
  readonly #ordered: boolean;
  readonly #onError: PipelineRunOptions["onError"];
  /** `#queues[i]` feeds stage i; the last one is the output the consumer reads. */
  readonly #queues: Queue<Envelope>[];
  readonly #live: number[];
  readonly #controller = new AbortController();
  readonly #futures = new Set<Future<unknown>>();
  readonly #loops: Promise<void>[] = [];
  /** The most items between the source and the consumer at once. */
  readonly #window: number;
  #inFlight = 0;
  #resumeFeeder: (() => void) | undefined = undefined;
  #reorder = new Map<number, Envelope | typeof SKIPPED>();
  #nextIndex = 0;
  #stopped = false;
  failed = false;
  error: unknown = undefined;
  settled: Promise<unknown> = Promise.resolve();

  constructor(
    source: Iterable<unknown> | AsyncIterable<unknown>,
    stages: readonly StageSpec[],
    ordered: boolean,
    onError: PipelineRunOptions["onError"],
  ) {
    this.#source = source;
    this.#stages = stages;
    this.#ordered = ordered;
    this.#onError = onError;
    this.#queues = stages.map((stage) => new Queue<Envelope>(stage.maxsize));
    this.#queues.push(new Queue<Envelope>()); // bounded by the window
    this.#live = stages.map((stage) => stage.workers);
    this.#window = Math.max(1, stages.reduce((sum, s) => sum + s.maxsize + s.workers, 0));
  }

  get output(): Queue<Envelope> {
    return this.#queues[this.#queues.length - 1];
  }

  start(): void {
    this.#loops.push(this.#feed());
    this.#stages.forEach((stage, position) => {
      for (let i = 0; i < stage.workers; i++) this.#loops.push(this.#work(position));
    });
    this.settled = Promise.all(this.#loops);
  }

  /** An item left the pipeline (consumed or skipped): one more may enter from the source. */
  release(): void {
    this.#inFlight--;
    const resume = this.#resumeFeeder;
    if (resume !== undefined) {
      this.#resumeFeeder = undefined;
      resume();
    }
  }

  /** Stops the pipeline because of `error`, unless it already stopped. */
  fail(error: unknown): void {
    if (this.#stopped) return;
    this.failed = true;
    this.error = error;
    this.stop();
  }

  /** Stops every loop: queues are shut down, pending futures cancelled, stage signals aborted. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const queue of this.#queues) queue.shutdown({ immediate: true });
    for (const future of this.#futures) future.cancel();
    const resume = this.#resumeFeeder;
    this.#resumeFeeder = undefined;
    resume?.();
    this.#controller.abort(
      this.failed ? this.error : new DOMException("The pipeline was stopped", "AbortError"),
    );
  }

  async #feed(): Promise<void> {
    const source = this.#source;
    const first = this.#queues[0];
    let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
    let exhausted = false;
    try {
      const isAsync = typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] ===
        "function";
      iterator = isAsync
        ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (source as Iterable<unknown>)[Symbol.iterator]();
      for (let index = 0;; index++) {
        while (this.#inFlight >= this.#window && !this.#stopped) {
          await new Promise<void>((resolve) => this.#resumeFeeder = resolve);
        }
        if (this.#stopped) return;
        const step = isAsync ? await iterator.next() : iterator.next() as IteratorResult<unknown>;
        if (step.done) {
          exhausted = true;
          break;
        }
        if (this.#stopped) return;
        this.#inFlight++;
        const envelope: Envelope = { index, value: step.value };
        if (first.full()) await first.put(envelope);
        else first.putNowait(envelope);
      }
      first.close();
    } catch (error) {
      // A put refused because the pipeline stopped is expected; anything else is the source's.
      if (!this.#stopped) exhausted = true;
      this.fail(error);
    } finally {
      if (!exhausted && iterator?.return !== undefined) {
        try {
          await iterator.return();
        } catch {
          // The pipeline is already stopping; the source's cleanup error has nowhere to go.
        }
      }
    }
  }

  async #work(position: number): Promise<void> {
    const stage = this.#stages[position];
    const input = this.#queues[position];
    const output = this.#queues[position + 1];
    const deliverOrdered = this.#ordered && position === this.#stages.length - 1;
    const signal = this.#controller.signal;
    const call = stage.fn ?? this.#submitter(stage);
    try {
      for (;;) {
        let envelope: Envelope;
        if (input.qsize() > 0) {
          envelope = input.getNowait();
        } else {
          try {
            envelope = await input.get();
          } catch (error) {
            if (error instanceof QueueShutDown) return;
            throw error;
          }
        }
        if (this.#stopped) return;
        let value: unknown;
        try {
          value = call(envelope.value, { signal, index: envelope.index });
          if (isThenable(value)) value = await value;
        } catch (error) {
          if (this.#stopped) return;
          if (!(await this.#recover(error, envelope, position))) return;
          continue;
        }
        if (this.#stopped) return;
        envelope.value = value;
        if (deliverOrdered) this.#deliverInOrder(envelope.index, envelope);
        else if (output.full()) await output.put(envelope);
        else output.putNowait(envelope);
      }
    } catch (error) {
      this.fail(error); // ignored if stopping: then a refused put is expected
    } finally {
      if (--this.#live[position] === 0 && !this.#stopped) output.close();
    }
  }

  #submitter(stage: StageSpec): StageFunction<unknown, unknown> {
    const { executor, task } = stage;
    const futures = this.#futures;
    return (item) => {
      const future = executor!.submit(task!, item);
      futures.add(future);
      future.addDoneCallback(() => futures.delete(future));
      return future;
    };
  }

  /** Reports a failed item to `onError`; returns whether the pipeline goes on without it. */
  async #recover(error: unknown, envelope: Envelope, position: number): Promise<boolean> {
    const handler = this.#onError;
    if (handler === undefined) {
      this.fail(error);
      return false;
    }
    try {
      await handler(error, {
        item: envelope.value,
        index: envelope.index,
        stage: position,
        name: this.#stages[position].name,
      });
    } catch (handlerError) {
      this.fail(handlerError);
      return false;
    }
    if (this.#stopped) return false;
    if (this.#ordered) this.#deliverInOrder(envelope.index, SKIPPED);
    this.release();
    return true;
  }

  /** Passes results to the output in source order, holding back those that finish early. */
  #deliverInOrder(index: number, envelope: Envelope | typeof SKIPPED): void {
    if (index !== this.#nextIndex) {
      this.#reorder.set(index, envelope);
      return;
    }
    const output = this.output;
    let next: Envelope | typeof SKIPPED | undefined = envelope;
    while (next !== undefined) {
      if (next !== SKIPPED) output.putNowait(next);
      this.#reorder.delete(this.#nextIndex);
      next = this.#reorder.get(++this.#nextIndex);
    }
  }
}

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || value === undefined) return false;
  const object = value as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  return typeof object[Symbol.asyncIterator] === "function" ||
    typeof object[Symbol.iterator] === "function";
}
