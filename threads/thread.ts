/**
 * {@linkcode Thread}: a task running in its own worker thread, started and joined like Python's
 * `threading.Thread`.
 *
 * @module
 */

import {
  checkNotBootstrapping,
  checkTask,
  checkTaskArguments,
  Future,
  type Task,
  TaskWorker,
  TimeoutError,
} from "@tandem/tandem/futures";
import { checkTimeout } from "./_futex.ts";
import type { AsyncWaitOptions } from "./options.ts";

let created = 0;

/**
 * A task running in a worker thread of its own: Python's `threading.Thread(target, args)`, with
 * true parallelism (each worker is an isolate with its own JavaScript thread).
 * `new Thread(task, ...args)` prepares it, {@linkcode Thread.start} starts the worker,
 * {@linkcode Thread.join} waits for the end and gives the task's return value. A thread is also
 * awaitable (`await thread` is `thread.join()`).
 *
 * What differs from Python, on purpose:
 * - The work is a task (`task(import.meta.url, fn)`, exported from its module), since functions
 *   do not cross isolates. Arguments are structured-cloned, except shared objects (`Lock`,
 *   `Barrier`, ... and typed arrays over a `SharedArrayBuffer`), which arrive live.
 * - An exception thrown in the thread rejects {@linkcode Thread.join} with that exception (its
 *   class name, message, stack and cause), instead of being lost (Effective Python, item 57).
 *   If nobody is joining the thread when it happens, it is also printed to stderr at once, as
 *   Python's default `threading.excepthook` does (`Exception in thread Thread-1 (task):` and the
 *   stack); it is never reported as an unhandled rejection.
 * - Arguments that cannot travel to the worker (a function, a symbol, a promise) make
 *   {@linkcode Thread.start} throw a `TypeError` naming the task, the argument's position and
 *   its type. A worker that cannot start (a missing permission) rejects `join()` with a
 *   `BrokenExecutorError` carrying the platform's message.
 * - `join({ timeout })` rejects with a `TimeoutError` (from `@tandem/tandem/futures`) when the
 *   thread is still running, where Python returns `None` and leaves you to call `is_alive()`.
 *
 * Lifetime: the thread's worker is terminated as soon as its task settles, so a finished thread
 * holds no resources and never keeps the process alive, joined or not. A thread whose task never
 * ends keeps the process running, like a non-daemon Python thread; `await using` (or
 * {@linkcode Thread[Symbol.asyncDispose]}) terminates it, even in the middle of a computation.
 * Creating a thread at the top level of a task module that a worker is importing throws (see
 * `checkNotBootstrapping`).
 *
 * @typeParam A The task's parameter types.
 * @typeParam R The task's result type.
 *
 * @example Starting and joining a thread
 * ```ts
 * import { Thread } from "@tandem/tandem/threads";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread(double, 21);
 * thread.start();
 * assert.equal(await thread.join(), 42);
 * assert.equal(thread.isAlive(), false);
 * ```
 *
 * @example An exception in the thread reaches join()
 * ```ts
 * import { Thread } from "@tandem/tandem/threads";
 * import { fail } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const thread = new Thread(fail, "bad input");
 * thread.start();
 * await assert.rejects(thread.join(), { name: "RangeError", message: "bad input" });
 * ```
 */
export class Thread<A extends unknown[] = unknown[], R = unknown>
  implements AsyncDisposable, PromiseLike<R> {
  /**
   * The thread's name, for messages and debuggers (it names the worker). Python's default
   * `"Thread-N (target)"`; set it before {@linkcode Thread.start} to name the worker.
   */
  name: string;
  // Stored without their types, so that a Thread<[X], R> is a Thread<unknown[], R>.
  #task: Task<unknown[], unknown>;
  #args: unknown[];
  #worker: TaskWorker | undefined;
  #future: Future<unknown> = new Future<unknown>();
  #joining = false;

  /**
   * Prepares a thread that will run `task(...args)`. Python: `threading.Thread(target=task,
   * args=args)`.
   *
   * @param task A task made with `task(import.meta.url, fn)` and exported from its module.
   * @param args The task's arguments: structured-clonable values and shared objects.
   * @throws {TypeError} If `task` is not a task.
   * @throws {Error} If called while a worker imports a task module to find a task.
   */
  constructor(task: Task<A, R>, ...args: A) {
    checkTask("create Thread", task);
    checkNotBootstrapping("create Thread");
    this.#task = task as unknown as Task<unknown[], unknown>;
    this.#args = args;
    this.name = `Thread-${++created} (${task.name})`;
  }

  /**
   * The worker's isolate number once started (`currentIsolateId()` inside the thread); before,
   * `undefined`. Python: `Thread.ident`.
   */
  get ident(): number | undefined {
    return this.#worker?.id;
  }

  /**
   * Starts the thread: a new worker begins running the task. Python: `Thread.start()`.
   *
   * @throws {Error} If the thread was already started (Python: `RuntimeError: threads can only
   * be started once`).
   * @throws {TypeError} If an argument cannot travel to a worker, naming its position and type.
   *
   * @example
   * ```ts
   * import { Thread } from "@tandem/tandem/threads";
   * import { sleepThen } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * const thread = new Thread(sleepThen, 10, "done");
   * thread.start();
   * assert.equal(thread.isAlive(), true);
   * assert.throws(() => thread.start(), /only be started once/);
   * assert.equal(await thread, "done");
   * ```
   */
  start(): void {
    if (this.#worker !== undefined) {
      throw new Error(`Cannot start ${this.name}: threads can only be started once`);
    }
    checkTaskArguments(`start ${this.name}: cannot run task`, this.#task, this.#args, "isolate");
    const worker = new TaskWorker({ name: this.name });
    this.#worker = worker;
    const future = this.#future;
    future.setRunningOrNotifyCancel();
    worker.run(this.#task, this.#args).then(
      (value) => {
        worker.terminate();
        future.setResult(value);
      },
      (error) => {
        worker.terminate();
        if (!this.#joining) excepthook(this.name, error);
        future.setException(error);
      },
    );
  }

  /**
   * Waits for the thread to end. Python: `Thread.join(timeout)`.
   *
   * @param options `timeout` (ms) and `signal` limit the wait, not the thread.
   * @returns The task's return value.
   * @throws The task's exception, if it threw; a `BrokenExecutorError` if the worker died or was
   * terminated first.
   * @throws {TimeoutError} If `timeout` ms pass first; the thread keeps running.
   * @throws {Error} If the thread was never started (Python: `RuntimeError`).
   * @throws {RangeError} If `timeout` is negative or not a number.
   * @throws `signal.reason` if aborted first.
   *
   * @example A join that times out
   * ```ts
   * import { Thread } from "@tandem/tandem/threads";
   * import { TimeoutError } from "@tandem/tandem/futures";
   * import { sleepThen } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * await using thread = new Thread(sleepThen, 200, "late");
   * thread.start();
   * await assert.rejects(thread.join({ timeout: 10 }), TimeoutError);
   * assert.equal(thread.isAlive(), true);
   * ```
   */
  async join(options: AsyncWaitOptions = {}): Promise<R> {
    checkTimeout(`join ${this.name}`, options.timeout);
    if (this.#worker === undefined) {
      throw new Error(`Cannot join ${this.name} before it is started`);
    }
    this.#joining = true;
    try {
      return await this.#future.result(options) as R;
    } catch (error) {
      if (error instanceof TimeoutError && !this.#future.done()) {
        throw new TimeoutError(
          `Timed out after ${options.timeout} ms joining ${this.name}: it is still running`,
        );
      }
      throw error;
    }
  }

  /**
   * Whether the thread is running: started and its task not yet ended. Python:
   * `Thread.is_alive()`.
   *
   * @returns `true` between {@linkcode Thread.start} and the end of the task.
   *
   * @example
   * ```ts
   * import { Thread } from "@tandem/tandem/threads";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * const thread = new Thread(double, 1);
   * assert.equal(thread.isAlive(), false);
   * thread.start();
   * await thread.join();
   * assert.equal(thread.isAlive(), false);
   * ```
   */
  isAlive(): boolean {
    return this.#worker !== undefined && !this.#future.done();
  }

  /**
   * Makes the thread awaitable: `await thread` joins it.
   *
   * @typeParam R1 The fulfilment handler's result.
   * @typeParam R2 The rejection handler's result.
   * @param onfulfilled Called with the task's return value.
   * @param onrejected Called with the task's exception (or why the join failed).
   * @returns A promise for the handler's result.
   *
   * @example
   * ```ts
   * import { Thread } from "@tandem/tandem/threads";
   * import { double } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * const thread = new Thread(double, 4);
   * thread.start();
   * assert.equal(await thread, 8);
   * ```
   */
  then<R1 = R, R2 = never>(
    onfulfilled?: ((value: R) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.join().then(onfulfilled, onrejected);
  }

  /**
   * Terminates the thread if it is still running (its `join()` then rejects with a
   * `BrokenExecutorError`) and waits until it has ended. A finished or never-started thread is
   * left as it is. For `await using thread = new Thread(...)`.
   *
   * @example
   * ```ts
   * import { Thread } from "@tandem/tandem/threads";
   * import { sleepThen } from "../examples/tasks.ts";
   * import assert from "node:assert/strict";
   *
   * const thread = new Thread(sleepThen, 10_000, "never");
   * thread.start();
   * await thread[Symbol.asyncDispose]();
   * assert.equal(thread.isAlive(), false);
   * await assert.rejects(thread.join(), { name: "BrokenExecutorError" });
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined || this.#future.done()) return;
    worker.terminate();
    await new Promise<void>((resolve) => this.#future.addDoneCallback(() => resolve()));
  }
}

// Python's default threading.excepthook: the exception of a thread nobody is joining is printed
// when it happens.
function excepthook(name: string, error: unknown): void {
  const text = error instanceof Error
    ? error.stack ?? `${error.name}: ${error.message}`
    : String(error);
  console.error(`Exception in thread ${name}:\n${text}`);
}
