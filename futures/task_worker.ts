/**
 * {@linkcode TaskWorker}: one worker thread running the hub's worker host. `Thread`, the worker pool
 * and the coroutine bridges all run their tasks through it.
 *
 * @module
 */

import type * as NodeThreads from "node:worker_threads";
import { decode, encodeArgs, readSimple, recordToError, writeSimple } from "./_codec.ts";
import { takeTransfers } from "./transfer.ts";
import type {
  CallsMessage,
  DoneMessage,
  GoneMessage,
  HostInit,
  HostReply,
  ThrownRecord,
} from "./_protocol.ts";
import * as wire from "./_protocol.ts";
import { BrokenExecutorError } from "./errors.ts";
import { allocateIsolate, isolateRegistry, markIsolateDead } from "./isolates.ts";
import { checkTask, describeTask, type Task, type TaskReference } from "./task.ts";
import { runtimeName } from "./runtime.ts";
import { unrefTimer } from "./timers.ts";
import type { StreamSink } from "./task_stream.ts";
import {
  type BatchSettlers,
  gatherChunk,
  gatherOutcomes,
  InFlight,
  type SettledCall,
  settleRun,
} from "./_in_flight.ts";
import type { ChunkFailure } from "./chunk.ts";
import { ParkedCalls } from "./_parked.ts";

/** Options for {@linkcode TaskWorker}. */
export interface TaskWorkerOptions {
  /**
   * The worker's name, shown in stack traces and debuggers.
   *
   * @default {"tandem-worker-<isolate id>"}
   */
  name?: string;
  /**
   * Called once if the worker breaks (crashes, closes itself, exits, is terminated, or could not
   * start), with the error that the call it was running failed with and whether the worker had
   * started (said it was ready). It runs after every call in flight has settled.
   *
   * @default {undefined}
   */
  onBroken?: (error: BrokenExecutorError, started: boolean) => void;
  /**
   * Called once when the worker has started: its host has loaded and is ready for calls.
   *
   * @default {undefined}
   */
  onReady?: () => void;
  /**
   * Send the worker's `console.log` (and `info`, `debug`, `dir`, `table`) to stderr, for a host
   * whose stdout carries a protocol (the process pool's children).
   *
   * @default {false}
   */
  logToStderr?: boolean;
  /**
   * Under Deno, run the host on a web `Worker` (`type: "module"`) instead of a
   * `node:worker_threads` one: it starts in about half the time, but, as web Workers have no
   * `unref()`, it keeps the process alive until it is terminated, idle or not. For an owner that
   * ends the process itself (the process pool's children, which exit when their stdin closes).
   * Ignored on other runtimes.
   *
   * @default {false}
   *
   * @example A worker that starts fast, for a process that ends itself
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * // Terminate it when done (here by `using`): it would keep the process alive.
   * using worker = new TaskWorker({ webWorker: true });
   * assert.equal(await worker.run(double, [21]), 42);
   * ```
   */
  webWorker?: boolean;
}

/** What a TaskWorker needs of its thread, whichever kind it is. */
interface HostThread {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): unknown;
  ref(): void;
  unref(): void;
}

/**
 * What a caller may give one call of {@linkcode TaskWorker.attempt}: a way to cancel it while it
 * runs, and a listener for the progress it reports. Both reach the task through `taskContext()`.
 */
export interface CallOptions {
  /**
   * Aborting it cancels the call cooperatively: the task's `taskContext()` says cancelled and its
   * signal aborts. The call still settles with whatever the task does (it may finish anyway);
   * to stop it for good, terminate the worker.
   */
  readonly signal?: AbortSignal;
  /**
   * Called with the values the task reports with `taskContext().progress(value)`, in order. A
   * listener that falls behind gets the latest value instead of every one (see
   * `TaskContext.progress`); the last value reported comes before the call settles.
   */
  onProgress?(value: unknown): void;
  /**
   * Streams the call: the task returns an async iterable, whose values go to this sink with
   * backpressure (see `TaskStream`); the call's outcome is the generator's return value.
   */
  readonly stream?: StreamSink;
}

/** How often a busy worker is checked for a call that the host has not started. */
const STALL_CHECK_MS = 500;

/** How long a worker may take to start before it counts as failed to start. */
const START_TIMEOUT_MS = 30_000;

/** The live workers of this isolate, by `Symbol.for("tandem.liveWorkers")`, for leak checks. */
const live: Set<TaskWorker> = ((globalThis as Record<symbol, Set<TaskWorker>>)[
  Symbol.for("tandem.liveWorkers")
] ??= new Set<TaskWorker>());

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** How one call of a batch ended: Python's idea of a settled future, as a plain value. */
export type TaskOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What a call is waiting for: one outcome, or one per item of a batch. */
interface Call extends SettledCall {
  readonly ref: TaskReference;
  readonly count: number;
  readonly options?: CallOptions;
}

// Appends to `items` the one plain argument of each call of `list` (see #enqueue), up to the
// first call that has another shape; returns how many calls it took. Most of map is such calls,
// with nothing to encode, share or move. The loops have a function of their own: inside
// #enqueue, whose rarely taken branches had no type feedback, their optimized code was thrown
// away on every call.
function pushPlain(items: unknown[], list: unknown[], unary: boolean): number {
  let k = 0;
  if (unary) {
    for (; k < list.length; k++) {
      const only = list[k];
      if (typeof only === "object" && only !== null) break;
      items.push(only);
    }
    return k;
  }
  for (; k < list.length; k++) {
    const args = list[k] as unknown[];
    const only = args[0];
    if (args.length !== 1 || (typeof only === "object" && only !== null)) break;
    items.push(only);
  }
  return k;
}

/** The message being built during the current tick. */
interface Outgoing {
  firstId: number;
  defs: (number | string)[];
  /** The task of every call, while they share one. */
  ref: number;
  /** Each call's task, once they differ. */
  refs: number[] | undefined;
  /**
   * Each call's arguments: while `unary`, the one argument itself (most of map, with no wrapper
   * to allocate, clone or take off); after, each call's argument list.
   */
  items: unknown[];
  shared: number[];
  /** Whether every call so far has one argument (see `unary` in CallsMessage). */
  unary: boolean;
  /** For a message of batches, where each ends (see `batchEnds` in CallsMessage). */
  batchEnds: number[] | undefined;
  /** What the message moves rather than copies (see transfer.ts). */
  transfer: Transferable[];
  /** Each call's part of `transfer`, by position, for calls that move something. */
  moves: Map<number, Transferable[]> | undefined;
}

// The fast lane's safety net. A fast call's answer wakes this isolate through
// Atomics.waitAsync, but Deno does not always deliver that wake-up to an event loop with nothing
// else to do (denoland/deno#14786). So while any fast call is waiting, a ref'd timer also looks
// at the mailboxes: every millisecond at first, backing off to every 16 ms while it finds nothing
// the wake-ups missed. It stops itself two ticks after the last fast call settles, and at once
// when a worker ends with none waiting.
const fastWaiting = new Set<() => boolean>();
let rescueTimer: ReturnType<typeof setTimeout> | undefined;
let rescueDelay = 1;
let rescueIdle = 0;

function watchFast(check: () => boolean): void {
  fastWaiting.add(check);
  rescueIdle = 0;
  if (rescueTimer === undefined) {
    rescueDelay = 1;
    rescueTimer = setTimeout(rescueTick, rescueDelay);
  }
}

function rescueTick(): void {
  rescueTimer = undefined;
  if (fastWaiting.size === 0) {
    if (++rescueIdle >= 2) return;
  } else {
    rescueIdle = 0;
    let rescued = false;
    for (const check of [...fastWaiting]) rescued = check() || rescued;
    rescueDelay = rescued ? 1 : Math.min(16, rescueDelay * 2);
  }
  rescueTimer = setTimeout(rescueTick, rescueDelay);
}

function stopRescue(): void {
  if (rescueTimer === undefined) return;
  clearTimeout(rescueTimer);
  rescueTimer = undefined;
}

/**
 * A worker thread (`node:worker_threads`, or a web `Worker` under Deno when the owner asks, see
 * {@linkcode TaskWorkerOptions.webWorker}) that runs tasks: the one worker host behind `Thread`, `WorkerPoolExecutor` and
 * the bridges. Each call sends a task reference and its arguments; the worker imports the task's
 * module, runs it, and sends back the result or the exception (with its class name, message,
 * stack and cause). Shareable objects among the arguments and results arrive live on the other
 * side.
 *
 * Like a thread, a worker runs one call at a time: calls start in the order they were made, each
 * after the previous one has settled (an async task is awaited before the next call starts).
 * Calls made in the same tick travel in one message, and the outcomes of quick calls come back
 * together, so many small calls are cheap. A call made while the worker is idle, whose
 * arguments and result are simple values (numbers, strings, booleans, `null`, `undefined`, and
 * arrays and plain objects of them), skips messages altogether: it goes through shared memory
 * with an `Atomics` wake-up, which is several times faster than a `postMessage` round trip. To
 * catch such calls, an idle worker waits up to 2 ms in `Atomics.wait` before returning to its
 * event loop, so a timer that a finished task left behind may fire up to 2 ms late.
 *
 * Guarantees: every promise returned by {@linkcode TaskWorker.run} settles. If the worker
 * crashes (an uncaught error or unhandled rejection in it), calls `self.close()` or `Deno.exit()`,
 * or is terminated, the call it was running rejects with a {@linkcode BrokenExecutorError}
 * naming the task and the cause, every later call rejects with a `BrokenExecutorError` saying it
 * did not start, and the worker's isolate is marked dead (see `isIsolateAlive`). A worker that
 * cannot start (it never says it is ready: a missing permission, a runtime that lacks worker
 * threads) fails every call with a `BrokenExecutorError` carrying the platform's message.
 * `terminate()` stops the worker even in the middle of a computation.
 *
 * Lifetime: a `TaskWorker` keeps the process alive only while it has calls in flight; an idle
 * one lets the program end (Python's executors likewise join only running work at exit).
 *
 * @example Running a task in a worker
 * ```ts
 * import { TaskWorker } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * using worker = new TaskWorker();
 * assert.equal(await worker.run(double, [21]), 42);
 * ```
 */
export class TaskWorker implements Disposable {
  /** The worker's isolate number (see `currentIsolateId`). */
  readonly id: number;
  /** The worker's name, as given in the options. */
  readonly name: string;
  #worker: HostThread | undefined;
  #control = new SharedArrayBuffer(wire.CONTROL_BYTES);
  #cells = new Int32Array(this.#control);
  #mailbox = new DataView(this.#control);
  // Calls in flight by id.
  readonly #inFlight = new InFlight<Call>(1);
  // Streamed calls whose task waits for its reader: they do not keep the process alive.
  #parked = new ParkedCalls();
  #nextId = 1;
  #refIndex = new Map<string, number>();
  #refs: TaskReference[] = [];
  #out: Outgoing | undefined = undefined;
  #fastId = 0;
  #checkFast = (): boolean => this.#fastAnswered();
  #broken: BrokenExecutorError | undefined = undefined;
  #brokenWhat = "";
  #ready = false;
  #exitCode: number | undefined = undefined;
  #referenced = false;
  #stallTimer: ReturnType<typeof setInterval> | undefined = undefined;
  #stalledAt = 0;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #onBroken: ((error: BrokenExecutorError, started: boolean) => void) | undefined;
  #onReady: (() => void) | undefined;

  /**
   * Starts the worker. Its module loads in the background; calls made meanwhile wait for it. A
   * worker that cannot start (a missing permission, a runtime without `node:worker_threads` or
   * `Atomics.waitAsync`) breaks at once: every call rejects with a
   * {@linkcode BrokenExecutorError} carrying the platform's message.
   *
   * @param options `name`, `onBroken`, `onReady`, `logToStderr` and `webWorker`.
   */
  constructor(options: TaskWorkerOptions = {}) {
    this.id = allocateIsolate();
    this.#onBroken = options.onBroken;
    this.#onReady = options.onReady;
    this.name = options.name ?? `tandem-worker-${this.id}`;
    live.add(this);
    const init: HostInit = {
      registry: isolateRegistry(),
      isolate: this.id,
      control: this.#control,
      logToStderr: options.logToStderr ?? false,
    };
    try {
      if (typeof Atomics.waitAsync !== "function") {
        throw new Error(`this runtime (${runtimeName()}) has no Atomics.waitAsync`);
      }
      const web = options.webWorker === true && "Deno" in globalThis;
      this.#worker = web ? this.#startWeb(init) : this.#startNode(init);
    } catch (cause) {
      // Said after the constructor returns, so that the owner has its handle first.
      queueMicrotask(() => this.#break(`could not start: ${messageOf(cause)}`, cause));
      return;
    }
    this.#startTimer = setTimeout(() => {
      this.#break(`could not start: it did not answer within ${START_TIMEOUT_MS} ms`);
    }, START_TIMEOUT_MS);
    unrefTimer(this.#startTimer);
  }

  // A node:worker_threads Worker: its HostInit travels as workerData, and it says when it exits.
  #startNode(init: HostInit): HostThread {
    // Loaded here, not imported: a program that never starts one (a process-pool child) then
    // does without the runtime's Node layer, whose loading is a good part of its start.
    const { Worker: NodeWorker } = (globalThis as unknown as {
      process: { getBuiltinModule(id: "node:worker_threads"): typeof NodeThreads };
    }).process.getBuiltinModule("node:worker_threads");
    const worker = new NodeWorker(new URL("./_worker_host.ts", import.meta.url), {
      name: this.name,
      workerData: init,
    });
    worker.unref();
    worker.on("message", (message: HostReply) => this.#receive(message));
    worker.on("error", (error: unknown) => {
      this.#break(
        this.#ready ? `crashed: ${messageOf(error)}` : `could not start: ${messageOf(error)}`,
        error,
      );
    });
    worker.on("exit", (code: number) => {
      this.#exitCode ??= code;
      this.#break(
        this.#ready ? `exited with code ${code}` : `could not start: it exited with code ${code}`,
      );
    });
    worker.on("messageerror", () => this.#break("sent a message that could not be read"));
    return {
      postMessage: (message, transfer) =>
        worker.postMessage(message, transfer as NodeThreads.Transferable[] | undefined),
      terminate: () => worker.terminate(),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  }

  // A web Worker (Deno): its HostInit is its first message. It has no exit event and no unref:
  // the host reports every end it can see (GONE), and an error it cannot is an error event.
  #startWeb(init: HostInit): HostThread {
    const worker = new Worker(new URL("./_worker_host.ts", import.meta.url), {
      type: "module",
      name: this.name,
    });
    worker.postMessage(init);
    worker.onmessage = (event: MessageEvent<HostReply>) => this.#receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      // Handled here: unhandled, it would be thrown again in this isolate.
      event.preventDefault();
      const error = event.error ?? new Error(event.message);
      this.#break(
        this.#ready ? `crashed: ${messageOf(error)}` : `could not start: ${messageOf(error)}`,
        error,
      );
    };
    worker.onmessageerror = () => this.#break("sent a message that could not be read");
    return {
      postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
      terminate: () => worker.terminate(),
      ref: () => {},
      unref: () => {},
    };
  }

  /** How many task calls are in flight (sent and not yet settled; a batch counts each item). */
  get busy(): number {
    return this.#inFlight.size;
  }

  /**
   * The code the worker ended with, once it has ended on its own: the argument of `Deno.exit()`
   * or `process.exit()`, 0 after `self.close()`, 1 after an uncaught error; `undefined` while
   * it runs or when it was terminated.
   */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  /** Whether the worker has broken or been terminated; if so, every call rejects. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /**
   * Runs `task(...args)` in the worker.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments; structured-clonable or shareable.
   * @returns The task's result.
   * @throws {TypeError} If an argument cannot be cloned (naming the task) or the task cannot be
   * resolved in the worker.
   * @throws {BrokenExecutorError} If the worker breaks before the task ends.
   * @throws The task's own exception.
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * assert.deepEqual(await Promise.all([worker.run(double, [1]), worker.run(double, [2])]), [2, 4]);
   * ```
   */
  async run<A extends unknown[], R>(task: Task<A, R>, args: A): Promise<R> {
    checkTask("run a task in a TaskWorker", task);
    this.#checkNotBroken(task);
    const outcome = await this.attempt<A, R>(task, args);
    if (outcome === undefined) throw this.#notStarted(task);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Runs `task` once per entry of `argsList`, one after another, in a single message each way
   * (results of a long batch come back in a few messages). Batching makes many small tasks cheap
   * (the `chunkSize` of `Executor.map`).
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param argsList The argument lists.
   * @returns One outcome per call, in order; a failing call does not stop the others.
   * @throws {TypeError} If an argument cannot be cloned, naming the task.
   * @throws {BrokenExecutorError} If the worker breaks before the batch ends.
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * const outcomes = await worker.runBatch(double, [[1], [2]]);
   * assert.deepEqual(outcomes, [{ ok: true, value: 2 }, { ok: true, value: 4 }]);
   * ```
   */
  async runBatch<A extends unknown[], R>(
    task: Task<A, R>,
    argsList: A[],
  ): Promise<TaskOutcome<R>[]> {
    checkTask("run a task batch in a TaskWorker", task);
    this.#checkNotBroken(task);
    const outcomes = await this.attemptBatch<A, R>(task, argsList);
    for (const outcome of outcomes) {
      if (outcome === undefined) throw this.#notStarted(task);
      if (!outcome.ok && outcome.error instanceof BrokenExecutorError && this.broken) {
        throw outcome.error;
      }
    }
    return outcomes as TaskOutcome<R>[];
  }

  /**
   * Runs `task(...args)` like {@linkcode TaskWorker.run}, but reports instead of throwing: the
   * promise resolves with the call's outcome, or with `undefined` if the call never started
   * because the worker broke first. An executor uses it to run such a call elsewhere, so that a
   * crash fails only the call that was running.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param args Its arguments; structured-clonable or shareable.
   * @returns The outcome (a failure carries the task's exception, a `TypeError` for arguments
   * that cannot be cloned, or a {@linkcode BrokenExecutorError} if the worker broke while the
   * call was running), or `undefined` if the call never started.
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double, fail } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * assert.deepEqual(await worker.attempt(double, [4]), { ok: true, value: 8 });
   * const failed = await worker.attempt(fail, ["nope"]);
   * assert.ok(!failed?.ok && failed?.error instanceof RangeError);
   * ```
   */
  attempt<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options?: CallOptions,
  ): Promise<TaskOutcome<R> | undefined> {
    checkTask("run a task in a TaskWorker", task);
    if (this.#broken) return Promise.resolve(undefined);
    const signal = options?.signal;
    return new Promise<TaskOutcome<R> | undefined>((resolve) => {
      const id = this.#nextId;
      let onAbort: (() => void) | undefined;
      const call: Call = {
        ref: task,
        firstId: id,
        count: 1,
        options,
        settle: (_index, outcome) => {
          if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
          if (this.#parked.settled(id)) this.#hold(this.#inFlight.size > this.#parked.size);
          resolve(outcome as TaskOutcome<R> | undefined);
        },
      };
      const stream = options?.stream;
      if (stream !== undefined) {
        // Announced before the call, so that the host knows it streams when it starts it.
        this.#worker?.postMessage([wire.CREDIT, id, stream.buffer]);
        stream.open(
          (n) => {
            if (!this.#broken) this.#worker?.postMessage([wire.CREDIT, id, n]);
          },
          (parked) => this.#park(id, parked),
        );
      }
      this.#enqueue(call, task, [args]);
      if (signal !== undefined && !this.#broken) {
        onAbort = () => this.#cancel(id);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  }

  /**
   * Cancels every call, running or queued, cooperatively: each task's `taskContext()` says
   * cancelled and its signal aborts. Calls still settle with what their tasks do. A pool that
   * shuts down with `cancelFutures` calls it.
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * worker.cancelAll();
   * assert.equal(await worker.run(double, [1]), 2); // double never looks at its context
   * ```
   */
  cancelAll(): void {
    this.#cancel(wire.CANCEL_ALL);
  }

  #cancel(id: number): void {
    if (this.#broken || this.#worker === undefined) return;
    if (id === wire.CANCEL_ALL) this.#parked.cancelBelow(this.#nextId);
    else this.#parked.cancel(id);
    this.#hold(this.#inFlight.size > this.#parked.size);
    Atomics.store(this.#cells, wire.CANCEL, id);
    this.#worker.postMessage([wire.CANCEL_CALL, id]);
  }

  /**
   * Runs `task` once per entry of `argsList`, like {@linkcode TaskWorker.runBatch}, but
   * reports instead of throwing, as {@linkcode TaskWorker.attempt} does.
   *
   * The outcomes of quick calls are sent back a few at a time. If the worker is stopped from
   * outside mid-batch ({@linkcode TaskWorker.terminate}, a killed process), the call that was
   * running fails with a {@linkcode BrokenExecutorError}, and so may up to 15 calls that ended
   * just before it with their outcomes not yet sent. A task that ends its worker itself (an
   * uncaught error, `Deno.exit()`) costs only the running call.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param task A task made with `task(import.meta.url, fn)`.
   * @param argsList The argument lists.
   * @returns One entry per call, in order: its outcome, or `undefined` if it never started
   * because the worker broke first (the calls that did not start are always the last ones).
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * const outcomes = await worker.attemptBatch(double, [[1], [2]]);
   * assert.deepEqual(outcomes, [{ ok: true, value: 2 }, { ok: true, value: 4 }]);
   * ```
   */
  attemptBatch<A extends unknown[], R>(
    task: Task<A, R>,
    argsList: A[],
  ): Promise<(TaskOutcome<R> | undefined)[]> {
    checkTask("run a task batch in a TaskWorker", task);
    const count = argsList.length;
    if (this.#broken || count === 0) {
      return Promise.resolve(new Array<undefined>(count).fill(undefined));
    }
    return new Promise<(TaskOutcome<R> | undefined)[]>((resolve) => {
      this.#enqueueBatch(task, argsList, gatherOutcomes(count, resolve));
    });
  }

  /**
   * Runs `task(item)` once per item, like {@linkcode TaskWorker.attemptBatch} with one-argument
   * lists, and reports in the form `map` takes a chunk in: each call's result in place, and a
   * {@linkcode ChunkFailure} carrying the exception where a call failed. A chunk of plain items
   * then costs no object per call, neither going nor coming back. If the worker broke, the array
   * ends after the last call that started.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param task A one-parameter task made with `task(import.meta.url, fn)`.
   * @param items The items, one per call.
   * @returns The calls' results, in order, up to the last call that started.
   *
   * @example
   * ```ts
   * import { ChunkFailure, TaskWorker } from "@tandem/tandem/futures";
   * import { double, fail } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * using worker = new TaskWorker();
   * assert.deepEqual(await worker.attemptChunk(double, [1, 2]), [2, 4]);
   * const [failed] = await worker.attemptChunk(fail, ["nope"]);
   * assert.ok(failed instanceof ChunkFailure && failed.error instanceof RangeError);
   * ```
   */
  attemptChunk<T, R>(task: Task<[T], R>, items: T[]): Promise<(R | ChunkFailure)[]> {
    checkTask("run a task batch in a TaskWorker", task);
    if (this.#broken || items.length === 0) return Promise.resolve([]);
    return new Promise<(R | ChunkFailure)[]>((resolve) => {
      this.#enqueueBatch(task, items, gatherChunk(items.length, resolve), true);
    });
  }

  #enqueueBatch(
    task: TaskReference,
    list: unknown[],
    settlers: BatchSettlers,
    unary = false,
  ): void {
    const call: Call = { ref: task, firstId: this.#nextId, count: list.length, ...settlers };
    this.#enqueue(call, task, list, unary);
  }

  /**
   * Stops the worker at once. Calls in flight reject with a {@linkcode BrokenExecutorError};
   * calling it again does nothing.
   *
   * @example
   * ```ts
   * import { TaskWorker } from "@tandem/tandem/futures";
   * import assert from "node:assert/strict";
   *
   * const worker = new TaskWorker();
   * worker.terminate();
   * assert.equal(worker.broken, true);
   * ```
   */
  terminate(): void {
    this.#break("was terminated");
  }

  /** Terminates the worker (`using worker = new TaskWorker()`). */
  [Symbol.dispose](): void {
    this.terminate();
  }

  #checkNotBroken(ref: TaskReference): void {
    if (this.#broken) {
      throw new BrokenExecutorError(
        `Cannot run task ${describeTask(ref)}: worker ${this.id} ${this.#brokenWhat}`,
        { cause: this.#broken },
      );
    }
  }

  #notStarted(ref: TaskReference): BrokenExecutorError {
    const why = this.#brokenWhat || "broke";
    return new BrokenExecutorError(
      `Task ${describeTask(ref)} did not start: worker ${this.id} ${why}`,
      { cause: this.#broken },
    );
  }

  // Queues the calls of `call`, one per argument list, for the next CALLS message (or the one
  // call, when the worker is idle, for the fast lane).
  // `list` holds each call's argument list, or, with `unary`, each call's one argument.
  #enqueue(call: Call, ref: TaskReference, list: unknown[], unary = false): void {
    const key = `${ref.module}#${ref.name}`;
    let index = this.#refIndex.get(key);
    if (
      index !== undefined && this.#inFlight.size === 0 && this.#out === undefined &&
      call.count === 1 && call.options?.stream === undefined &&
      this.#sendFast(call, index, unary ? [list[0]] : list[0] as unknown[])
    ) {
      return;
    }
    // Batches and single calls go in separate messages, in the order they were made.
    const batch = call.count > 1;
    if (this.#out !== undefined && (this.#out.batchEnds !== undefined) !== batch) this.#flush();
    let out = this.#out;
    if (out === undefined) {
      out = this.#out = {
        firstId: this.#nextId,
        defs: [],
        ref: -1,
        refs: undefined,
        items: [],
        shared: [],
        unary: true,
        batchEnds: batch ? [] : undefined,
        transfer: [],
        moves: undefined,
      };
      queueMicrotask(() => this.#flush());
    }
    if (index === undefined) {
      index = this.#refs.length;
      this.#refs.push({ module: ref.module, name: ref.name });
      this.#refIndex.set(key, index);
      out.defs.push(index, ref.module, ref.name);
    }
    if (out.ref === -1) out.ref = index;
    else if (out.refs === undefined && out.ref !== index) {
      out.refs = new Array<number>(out.items.length).fill(out.ref);
    }
    const done = out.unary && out.refs === undefined ? pushPlain(out.items, list, unary) : 0;
    if (done < list.length) this.#addArgs(out, index, list, unary, done);
    this.#inFlight.add(call, list.length);
    this.#nextId += list.length;
    this.#hold(this.#inFlight.size > this.#parked.size);
    out.batchEnds?.push(out.items.length);
  }

  // Adds calls `from...` of `list` (see #enqueue) to the outgoing message, whatever their
  // arguments.
  #addArgs(out: Outgoing, index: number, list: unknown[], unary: boolean, from: number): void {
    const items = out.items;
    for (let k = from; k < list.length; k++) {
      const args = unary ? [list[k]] : list[k] as unknown[];
      out.refs?.push(index);
      const only = args[0];
      if (args.length === 1 && (typeof only !== "object" || only === null)) {
        items.push(out.unary ? only : args);
        continue;
      }
      if (args.length !== 1 && out.unary) {
        out.unary = false;
        for (let i = 0; i < items.length; i++) items[i] = [items[i]];
      }
      const position = items.length;
      const encoded = encodeArgs(args);
      if (encodeArgs.shared) out.shared.push(position);
      const moved = out.transfer.length;
      if (takeTransfers(args, out.transfer).length > moved) {
        (out.moves ??= new Map()).set(position, out.transfer.slice(moved));
      }
      items.push(out.unary ? encoded[0] : encoded);
    }
  }

  // The fast lane: the worker is idle, so put the call in its mailbox and ring.
  #sendFast(call: Call, index: number, args: unknown[]): boolean {
    const cells = this.#cells;
    if (Atomics.load(cells, wire.REQ_ID) !== 0) return false;
    if (
      writeSimple(this.#mailbox, wire.REQ_OFFSET, wire.REQ_OFFSET + wire.MAILBOX_BYTES, args) < 0
    ) return false;
    // Only a host blocked in its idle wait takes a fast call: claim that wait, or send a message.
    if (Atomics.compareExchange(cells, wire.BLOCKED, wire.WAITING, wire.CLAIMED) !== wire.WAITING) {
      return false;
    }
    const id = this.#nextId++;
    this.#inFlight.add(call);
    this.#hold(this.#inFlight.size > this.#parked.size);
    const answered = Atomics.load(cells, wire.RES_ID);
    Atomics.store(cells, wire.REQ_REF, index);
    Atomics.store(cells, wire.REQ_ID, id);
    Atomics.add(cells, wire.DOORBELL, 1);
    Atomics.notify(cells, wire.DOORBELL);
    Atomics.notify(cells, wire.REQ_ID);
    this.#fastId = id;
    watchFast(this.#checkFast);
    const waiting = Atomics.waitAsync(cells, wire.RES_ID, answered);
    if (waiting.async) waiting.value.then(this.#checkFast);
    else queueMicrotask(() => this.#checkFast());
    return true;
  }

  // Settles the fast call if its answer is in the mailbox; returns whether it did.
  #fastAnswered(): boolean {
    const id = this.#fastId;
    const cells = this.#cells;
    if (id === 0 || Atomics.load(cells, wire.RES_ID) !== id) return false;
    if (Atomics.load(cells, wire.RES_KIND) !== wire.RES_VALUE) return false; // the answer comes by message
    const value = readSimple(this.#mailbox, wire.RES_OFFSET);
    const call = this.#take(id)!;
    call.settle(id - call.firstId, { ok: true, value });
    return true;
  }

  // Tells the host that a message is on its way, waking it if it is blocked.
  #ring(): void {
    Atomics.add(this.#cells, wire.DOORBELL, 1);
    if (Atomics.load(this.#cells, wire.BLOCKED) !== 0) Atomics.notify(this.#cells, wire.DOORBELL);
  }

  #flush(): void {
    const out = this.#out;
    this.#out = undefined;
    if (out === undefined || this.#broken) return;
    const unary = out.unary && out.shared.length === 0;
    const message: CallsMessage = [
      wire.CALLS,
      out.firstId,
      out.defs.length === 0 ? 0 : out.defs,
      out.refs ?? out.ref,
      unary ? out.items as unknown[][] : this.#argsLists(out),
      out.shared.length === 0 ? 0 : out.shared,
      unary ? 1 : 0,
      out.batchEnds ?? 0,
    ];
    try {
      this.#worker!.postMessage(message, out.transfer);
      this.#ring();
    } catch {
      this.#sendOneByOne(out);
    }
  }

  // Some argument could not be cloned: send the calls one at a time so only those fail.
  #sendOneByOne(out: Outgoing): void {
    if (out.defs.length > 0) {
      this.#worker!.postMessage(
        [wire.CALLS, out.firstId, out.defs, 0, [], 0] satisfies CallsMessage,
      );
      this.#ring();
    }
    const argsLists = this.#argsLists(out);
    for (let i = 0; i < argsLists.length; i++) {
      const id = out.firstId + i;
      try {
        this.#worker!.postMessage(
          [
            wire.CALLS,
            id,
            0,
            out.refs?.[i] ?? out.ref,
            [argsLists[i]],
            out.shared.includes(i) ? [0] : 0,
          ] satisfies CallsMessage,
          out.moves?.get(i) ?? [],
        );
        this.#ring();
      } catch (cause) {
        const call = this.#inFlight.get(id)!;
        this.#take(id);
        call.settle(id - call.firstId, {
          ok: false,
          error: new TypeError(
            `Cannot run task ${describeTask(call.ref)}: an argument cannot be structured-cloned (${
              cause instanceof Error ? cause.message : String(cause)
            })`,
            { cause },
          ),
        });
      }
    }
  }

  // The outgoing calls' argument lists, each call's own.
  #argsLists(out: Outgoing): unknown[][] {
    return out.unary ? out.items.map((only) => [only]) : out.items as unknown[][];
  }

  /** Removes the call waiting for `id` from the in-flight list; returns it. */
  #take(id: number): Call | undefined {
    const call = this.#inFlight.take(id);
    if (call === undefined) return undefined;
    this.#hold(this.#inFlight.size > this.#parked.size);
    if (id === this.#fastId) {
      this.#fastId = 0;
      fastWaiting.delete(this.#checkFast);
    }
    return call;
  }

  #receive(message: HostReply): void {
    if (message[0] === wire.DONE) this.#done(message);
    else if (message[0] === wire.GONE) this.#gone(message);
    else if (message[0] === wire.READY) this.#started();
    else if (message[0] === wire.PROGRESS) this.#progress(message[1], message[2]);
    else if (message[0] === wire.ITEMS) this.#items(message[1], message[2]);
  }

  #items(id: number, values: unknown[]): void {
    this.#inFlight.get(id)?.options?.stream?.push(values);
  }

  // Delivers a progress value, then tells the host it may send another (it keeps a few in
  // flight, and past that only the latest: a slow listener gets fewer, fresher values).
  #progress(id: number, value: unknown): void {
    const call = this.#inFlight.get(id);
    try {
      call?.options?.onProgress?.(value);
    } catch (error) {
      console.error("Exception in a progress listener:", error);
    }
    Atomics.add(this.#cells, wire.PROGRESS_TAKEN, 1);
    Atomics.notify(this.#cells, wire.PROGRESS_TAKEN);
  }

  #started(): void {
    if (this.#ready || this.#broken) return;
    this.#ready = true;
    clearTimeout(this.#startTimer);
    this.#onReady?.();
  }

  #park(id: number, parked: boolean): void {
    this.#parked.set(id, parked);
    this.#hold(this.#inFlight.size > this.#parked.size);
  }

  // A worker with calls in flight keeps the process alive; an idle one does not, nor one whose
  // only calls are streams waiting for their readers (only a reader can wake them).
  #hold(busy: boolean): void {
    if (busy === this.#referenced || this.#worker === undefined) return;
    this.#referenced = busy;
    if (busy) {
      this.#worker.ref();
      if (this.#stallTimer === undefined) {
        this.#stallTimer = setInterval(this.#checkStall, STALL_CHECK_MS);
        unrefTimer(this.#stallTimer);
      }
    } else {
      this.#worker.unref();
    }
  }

  // While calls are in flight: if the oldest has not started over two looks in a row while the
  // call before it has settled (the host has nothing of ours to run), poke the host. This
  // recovers a host that took a message in without starting on it.
  #checkStall = (): void => {
    if (this.#inFlight.size === 0 || this.#broken) {
      clearInterval(this.#stallTimer);
      this.#stallTimer = undefined;
      this.#stalledAt = 0;
      return;
    }
    const notStarted = Atomics.load(this.#cells, wire.STARTED) < this.#inFlight.oldest;
    if (!notStarted || !this.#ready) {
      this.#stalledAt = 0;
      return;
    }
    if (this.#stalledAt === this.#inFlight.oldest) this.#worker!.postMessage([wire.POKE]);
    this.#stalledAt = this.#inFlight.oldest;
  };

  #done([, firstId, values, special]: DoneMessage): void {
    let marks: Map<number, number> | undefined;
    if (special !== 0) {
      marks = new Map();
      for (let i = 0; i < special.length; i += 3) {
        marks.set(special[i] as number, i);
      }
    }
    for (let i = 0; i < values.length; i++) {
      const id = firstId + i;
      const call = this.#take(id);
      if (call === undefined) continue;
      if (marks === undefined && call.settleValues !== undefined) {
        // The rest of a chunk, in one step.
        i += settleRun(this.#inFlight, call, id, values, i) - 1;
        this.#hold(this.#inFlight.size > this.#parked.size);
        continue;
      }
      const index = id - call.firstId;
      const mark = marks?.get(i);
      if (mark === undefined) {
        call.settle(index, { ok: true, value: values[i] });
        continue;
      }
      const status = (special as unknown[])[mark + 1];
      const payload = (special as unknown[])[mark + 2];
      if (status === wire.ERROR) {
        call.settle(index, { ok: false, error: recordToError(payload as ThrownRecord) });
      } else if (status === wire.SHARED_VALUE) {
        decode(payload).then(
          (value) => call.settle(index, { ok: true, value }),
          (error) => call.settle(index, { ok: false, error }),
        );
      }
    }
  }

  #gone([, reason, , detail]: GoneMessage): void {
    this.#exitCode = reason === "exit" ? detail as number : reason === "crash" ? 1 : 0;
    if (!this.#ready) {
      const cause = reason === "crash" ? recordToError(detail as ThrownRecord) : undefined;
      this.#break(
        `could not start: ${cause === undefined ? `it ended (${reason})` : messageOf(cause)}`,
        cause,
      );
    } else if (reason === "crash") {
      const cause = recordToError(detail as ThrownRecord);
      const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      this.#break(`crashed: ${what}`, cause);
    } else if (reason === "exit") {
      this.#break(`exited (Deno.exit(${detail}))`);
    } else {
      this.#break("closed itself (self.close())");
    }
  }

  #break(what: string, cause?: unknown): void {
    if (this.#broken) return;
    // A fast call whose answer is already in the mailbox finished: it keeps its value, although
    // the wake-up that would have delivered it comes after this news of the end.
    this.#fastAnswered();
    const error = new BrokenExecutorError(
      `Worker ${this.id} ${what}`,
      cause === undefined ? undefined : { cause },
    );
    this.#broken = error;
    this.#brokenWhat = what;
    clearInterval(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#out = undefined;
    live.delete(this);
    clearTimeout(this.#startTimer);
    this.#referenced = false;
    void this.#worker?.terminate();
    markIsolateDead(this.id);
    const cells = this.#cells;
    Atomics.store(cells, wire.STOP, 1);
    Atomics.notify(cells, wire.DOORBELL);
    Atomics.notify(cells, wire.RES_ID);
    this.#fastId = 0;
    fastWaiting.delete(this.#checkFast);
    if (fastWaiting.size === 0) stopRescue();
    const startedId = Atomics.load(cells, wire.STARTED);
    const started = this.#ready;
    for (const [id, call] of this.#inFlight.clear()) {
      const index = id - call.firstId;
      if (!started) {
        // A worker that never started fails the calls waiting for it: another one would
        // most likely fail the same way.
        call.settle(index, {
          ok: false,
          error: new BrokenExecutorError(
            `Task ${describeTask(call.ref)} did not start: worker ${this.id} ${what}`,
            { cause: cause ?? error },
          ),
        });
        continue;
      }
      if (id > startedId) {
        call.settle(index, undefined);
        continue;
      }
      call.settle(index, {
        ok: false,
        error: new BrokenExecutorError(
          `Task ${describeTask(call.ref)} did not finish: worker ${this.id} ${what}`,
          { cause: cause ?? error },
        ),
      });
    }
    this.#onBroken?.(error, started);
  }
}
