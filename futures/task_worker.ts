/**
 * {@linkcode TaskWorker}: one Web Worker running the hub's worker host. `Thread`, the worker pool
 * and the coroutine bridges all run their tasks through it.
 *
 * @module
 */

import { decode, encode, recordToError } from "./_codec.ts";
import type { HostReply, HostRequest, Settled } from "./_protocol.ts";
import { BrokenExecutorError } from "./errors.ts";
import { allocateIsolate, isolateRegistry, markIsolateDead } from "./isolates.ts";
import { checkTask, describeTask, type Task, type TaskReference } from "./task.ts";

/** Options for {@linkcode TaskWorker}. */
export interface TaskWorkerOptions {
  /**
   * The worker's name, shown in stack traces and debuggers.
   *
   * @default {"tandem-worker-<isolate id>"}
   */
  name?: string;
  /**
   * Called once if the worker breaks (crashes, closes itself or is terminated), with the error
   * that in-flight tasks were rejected with.
   *
   * @default {undefined}
   */
  onBroken?: (error: BrokenExecutorError) => void;
}

/** How one call of a batch ended: Python's idea of a settled future, as a plain value. */
export type TaskOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending {
  ref: TaskReference;
  resolve: (reply: HostReply) => void;
  reject: (error: unknown) => void;
}

/**
 * A Web Worker that runs tasks: the one worker host behind `Thread`, `WorkerPoolExecutor` and
 * the bridges. Each call sends a task reference and its arguments; the worker imports the task's
 * module, runs it, and sends back the result or the exception (with its class name, message and
 * stack). Shareable objects among the arguments and results arrive live on the other side.
 *
 * Guarantees: every promise returned by {@linkcode TaskWorker.run} settles. If the worker
 * crashes (an uncaught error or unhandled rejection in it), calls `self.close()`, or is
 * terminated, every call in flight rejects with a {@linkcode BrokenExecutorError} naming the task
 * and the cause, and the worker's isolate is marked dead (see `isIsolateAlive`). A live
 * `TaskWorker` keeps the process running until it is terminated, like any Worker.
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
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextCall = 1;
  #broken: BrokenExecutorError | undefined = undefined;
  #onBroken: ((error: BrokenExecutorError) => void) | undefined;

  /**
   * Starts the worker. Its module loads in the background; calls made meanwhile are queued by
   * the platform.
   *
   * @param options `name` and `onBroken`.
   */
  constructor(options: TaskWorkerOptions = {}) {
    this.id = allocateIsolate();
    this.#onBroken = options.onBroken;
    this.#worker = new Worker(new URL("./_worker_host.ts", import.meta.url), {
      type: "module",
      name: options.name ?? `tandem-worker-${this.id}`,
    });
    this.#worker.onmessage = (event: MessageEvent<HostReply>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#break(`crashed: ${event.message}`, event.error);
    };
    this.#worker.onmessageerror = () => this.#break("sent a message that could not be read");
    this.#post({ t: "init", registry: isolateRegistry(), isolate: this.id });
  }

  /** How many calls are in flight. */
  get busy(): number {
    return this.#pending.size;
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
    const ref = { module: task.module, name: task.name };
    const encoded = encode(args);
    const reply = await this.#call(ref, (id) => ({
      t: "run",
      id,
      ref,
      args: encoded.value as unknown[],
      shared: encoded.shared,
    }));
    if (reply.t !== "done") throw new Error(`Unexpected worker reply '${reply.t}'`);
    const outcome = await settledToOutcome<R>(reply.outcome);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Runs `task` once per entry of `argsList`, one after another, in a single message each way.
   * Batching makes many small tasks cheap (the `chunkSize` of `Executor.map`).
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
    const ref = { module: task.module, name: task.name };
    const encoded = encode(argsList);
    const reply = await this.#call(ref, (id) => ({
      t: "batch",
      id,
      ref,
      argsList: encoded.value as unknown[][],
      shared: encoded.shared,
    }));
    if (reply.t !== "batch") throw new Error(`Unexpected worker reply '${reply.t}'`);
    return await Promise.all(reply.outcomes.map((o) => settledToOutcome<R>(o)));
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

  #call(ref: TaskReference, build: (id: number) => HostRequest): Promise<HostReply> {
    if (this.#broken) {
      return Promise.reject(
        new BrokenExecutorError(
          `Cannot run task ${describeTask(ref)}: worker ${this.id} ${this.#broken.message}`,
          { cause: this.#broken },
        ),
      );
    }
    const id = this.#nextCall++;
    return new Promise<HostReply>((resolve, reject) => {
      try {
        this.#post(build(id));
      } catch (cause) {
        reject(
          new TypeError(
            `Cannot run task ${describeTask(ref)}: an argument cannot be structured-cloned (${
              cause instanceof Error ? cause.message : String(cause)
            })`,
            { cause },
          ),
        );
        return;
      }
      this.#pending.set(id, { ref, resolve, reject });
    });
  }

  #post(message: HostRequest): void {
    this.#worker.postMessage(message);
  }

  #receive(message: HostReply): void {
    if (message.t === "closed") {
      this.#break("closed itself (self.close())");
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (message.t === "err") pending.reject(recordToError(message.error));
    else pending.resolve(message);
  }

  #break(what: string, cause?: unknown): void {
    if (this.#broken) return;
    const error = new BrokenExecutorError(`Worker ${this.id} ${what}`, { cause });
    this.#broken = error;
    this.#worker.terminate();
    markIsolateDead(this.id);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) {
      call.reject(
        new BrokenExecutorError(
          `Task ${describeTask(call.ref)} did not finish: worker ${this.id} ${what}`,
          { cause: cause ?? error },
        ),
      );
    }
    this.#onBroken?.(error);
  }
}

async function settledToOutcome<R>(settled: Settled): Promise<TaskOutcome<R>> {
  if (!settled.ok) return { ok: false, error: recordToError(settled.error) };
  const value = settled.shared ? await decode(settled.value) : settled.value;
  return { ok: true, value: value as R };
}
