/**
 * {@linkcode TaskGroup}: structured concurrency. Start children, wait for all of them, and if
 * one fails cancel the rest and throw every failure together.
 *
 * @module
 */

import {
  CancelledError,
  checkOptions,
  InvalidStateError,
  onAbort,
  typeError,
} from "@tandem/tandem/futures";
import { ExceptionGroup } from "./exception_group.ts";
import { enterLabel, labelling, leaveLabel } from "./_labels.ts";
import { checkFunction, checkSignal } from "./_validate.ts";

/** Options for {@linkcode TaskGroup}. */
export interface TaskGroupOptions {
  /**
   * Cancels the whole group when aborted: every child's signal fires with `signal.reason`, and
   * once all children have settled the group throws `signal.reason` (or an
   * {@linkcode ExceptionGroup} if some child failed, as failures take priority, like Python).
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * A name for error messages: `unhandled errors in TaskGroup 'fetchers'`.
   *
   * @default {undefined} (messages say "a TaskGroup")
   */
  name?: string;
}

/** Options for {@linkcode TaskGroup.create}. */
export interface CreateTaskOptions {
  /**
   * The child's name, shown by the event-loop monitor when the child blocks the loop. Python:
   * `create_task(coro, name=...)`.
   *
   * @default {"Task-<n>"} (a process-wide counter, as in Python)
   */
  name?: string;
  /**
   * Cancels this child alone (Python: `task.cancel()`); a child cancelled this way that rejects
   * with the reason is not a failure. The child then gets a signal of its own that fires when
   * either this signal or the group's fires. Without it, every child shares the group's one
   * signal, which costs nothing per child.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

let taskCounter = 0;

/**
 * A scope that owns the concurrent work started in it: Python's `asyncio.TaskGroup`, the
 * structured-concurrency primitive of trio's nurseries and effection's scopes.
 *
 * Use it with `await using`: leaving the block waits for every child. A child is a function that
 * receives an `AbortSignal`; {@linkcode TaskGroup.create} calls it at once (it runs up to its
 * first `await` before `create` returns) and returns its promise, which the group watches until
 * it settles.
 *
 * Guarantees:
 * - **Waiting.** Disposing the group (the end of the `await using` block) resolves only when
 *   every child has settled, including children created while it waits, and including whatever
 *   cleanup they run in `finally` after being cancelled.
 * - **Failure.** When a child fails, the group aborts the signal of every other child with a
 *   {@linkcode CancelledError} (whose `cause` is the failure), refuses new children, and, once
 *   all have settled, throws an {@linkcode ExceptionGroup} holding every failure in the order
 *   they happened, including errors thrown by cancelled children during their cleanup.
 * - **Cancellation is not failure.** A child that rejects with its own signal's reason after
 *   the signal fired counts as cancelled, not failed (Python ignores `CancelledError` the same
 *   way). A child that ignores its signal and finishes normally just finishes.
 * - **Parent cancellation.** With `options.signal`, aborting it cancels every child; the group
 *   then throws `signal.reason` once all have settled (or the `ExceptionGroup` if any failed:
 *   failures take priority, as in Python).
 * - **No unhandled rejections.** The group handles every child's rejection, so a failing child
 *   whose promise nobody awaits is reported by the group, not as an unhandled rejection.
 * - **Closed after use.** {@linkcode TaskGroup.create} throws an `InvalidStateError` once the
 *   group has finished or is shutting down after a failure (Python's `RuntimeError`).
 *
 * One difference from Python: JavaScript's `await using` cannot see an error thrown by the block
 * itself, so when the block throws the children are not cancelled automatically; the group
 * still waits for them. Use {@linkcode TaskGroup.run}, which does cancel them (and adds the
 * body's error to the group), or call {@linkcode TaskGroup.cancel} in a `catch`. A child that
 * never settles keeps its group waiting forever: children must honour their signal.
 *
 * Cost: a child costs about what an element of `Promise.all` costs. Children share the group's
 * one `AbortController` and two reaction functions; a child gets a controller of its own only
 * when it is given `options.signal`.
 *
 * @example Fan-out and fan-in
 * ```ts
 * import { sleep, TaskGroup } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const results: number[] = [];
 * {
 *   await using group = new TaskGroup();
 *   for (const n of [3, 1, 2]) {
 *     group.create(async (signal) => {
 *       await sleep(n, { signal });
 *       results.push(n);
 *     });
 *   }
 * } // waits for all three here
 * assert.deepEqual(results.sort(), [1, 2, 3]);
 * ```
 *
 * @example One failure cancels the others and is thrown in an ExceptionGroup
 * ```ts
 * import { ExceptionGroup, sleep, TaskGroup } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * let cleanedUp = false;
 * await assert.rejects(
 *   async () => {
 *     await using group = new TaskGroup();
 *     group.create(async (signal) => {
 *       try {
 *         await sleep(10_000, { signal }); // cancelled when the sibling fails
 *       } finally {
 *         cleanedUp = true;
 *       }
 *     });
 *     group.create(() => Promise.reject(new RangeError("boom")));
 *   },
 *   (error) => {
 *     assert.ok(error instanceof ExceptionGroup);
 *     assert.equal((error.errors[0] as Error).message, "boom");
 *     return true;
 *   },
 * );
 * assert.equal(cleanedUp, true);
 * ```
 */
export class TaskGroup implements AsyncDisposable {
  /** The group's name, if it was given one. */
  readonly name: string | undefined;
  #controller = new AbortController();
  #signal: AbortSignal = this.#controller.signal;
  #active = 0;
  #errors: unknown[] = [];
  #aborting = false;
  #exiting = false;
  #finished = false;
  #parent: AbortSignal | undefined;
  #parentCancelled = false;
  #unlistenParent: () => void = () => {};
  #wake: (() => void) | undefined = undefined;
  #closing: Promise<void> | undefined = undefined;
  // The reactions every child that shares the group's signal gets: two functions per group.
  #onFulfilled = (): void => this.#settled();
  #onRejected = (error: unknown): void => {
    this.#failed(error, this.#signal);
    this.#settled();
  };

  /**
   * Opens the group. Python: `async with asyncio.TaskGroup() as tg`.
   *
   * @param options `signal` (cancels the group) and `name`.
   * @throws {TypeError} If `signal` is not an `AbortSignal` or `name` is not a string.
   */
  constructor(options: TaskGroupOptions = {}) {
    options = checkOptions<TaskGroupOptions>("create TaskGroup", options, ["signal", "name"]);
    checkSignal("create TaskGroup", options.signal);
    if (options.name !== undefined && typeof options.name !== "string") {
      typeError("create TaskGroup", "name", "a string", options.name);
    }
    this.name = options.name;
    const parent = options.signal;
    this.#parent = parent;
    if (parent?.aborted) {
      this.#cancelByParent();
    } else {
      this.#unlistenParent = onAbort(parent, () => this.#cancelByParent());
    }
  }

  /**
   * Runs `body` with a new group and closes the group when `body` settles: the function form of
   * `await using group = new TaskGroup()`, and closer to Python's `async with`, because it sees
   * the body's error. If `body` throws, the children are cancelled, and the body's error joins
   * the children's failures in the {@linkcode ExceptionGroup} (after them, as in Python), unless
   * it is the group's own cancellation reason.
   *
   * @typeParam T The body's result type.
   * @param body Starts children with `group.create(...)`; may await them.
   * @param options `signal` and `name`, as for the constructor.
   * @returns The body's result, once every child has settled.
   * @throws {ExceptionGroup} If a child (or the body) failed.
   * @throws `options.signal.reason` if the group was cancelled through it and nothing failed.
   *
   * @example
   * ```ts
   * import { TaskGroup } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * const sum = await TaskGroup.run(async (group) => {
   *   const a = group.create(async () => 1);
   *   const b = group.create(async () => 2);
   *   return (await a) + (await b);
   * });
   * assert.equal(sum, 3);
   * ```
   */
  static async run<T>(
    body: (group: TaskGroup) => T | PromiseLike<T>,
    options?: TaskGroupOptions,
  ): Promise<T> {
    checkFunction("run TaskGroup", "body", body);
    const group = new TaskGroup(options);
    let value: T;
    try {
      value = await body(group);
    } catch (error) {
      await group.#close({ error });
      throw error;
    }
    await group.#close();
    return value;
  }

  /**
   * The group's signal: every child that was not given its own signal receives this one. It
   * fires when a child fails, when {@linkcode TaskGroup.cancel} is called or when the parent
   * signal fires, so the body can pass it to its own waits too.
   */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /**
   * Starts `fn(signal)` as a child of the group. Python: `tg.create_task(coro, name=...)`.
   *
   * `fn` is called at once and runs synchronously up to its first `await` (Python schedules the
   * coroutine for the next loop turn instead). A synchronous throw counts as a rejection, seen by
   * the group on a later microtask, so other `create` calls in the same turn still start. While
   * an event-loop monitor runs, that synchronous part is labelled with the child's name, so a
   * block in it is reported under that name (see `monitorEventLoop`).
   *
   * The returned promise is the child's own: await it for the child's result, or leave it; the
   * group has already handled its rejection. (Python returns a `Task`; here a child is cancelled
   * alone through `options.signal`, and its state is its promise's.)
   *
   * @typeParam T The child's result type.
   * @param fn The work; it should stop soon after `signal` fires, ideally by rejecting with
   * `signal.reason` (what `sleep`, `fetch` and the other signal-aware APIs do).
   * @param options `name`, and `signal` to be able to cancel this child alone.
   * @returns The child's promise: its result, its error, or its signal's reason if cancelled.
   * @throws {TypeError} If `fn` is not a function or an option has the wrong type.
   * @throws {InvalidStateError} If the group has finished.
   *
   * A child created once the group is shutting down (after a failure,
   * {@linkcode TaskGroup.cancel} or the parent signal) is cancelled before it starts: `fn` is
   * not called and the promise rejects with the group's abort reason (`group.signal.reason`),
   * which the group does not count as a failure, so its `ExceptionGroup` holds only real ones.
   *
   * @example Cancelling one child
   * ```ts
   * import { sleep, TaskGroup } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * await using group = new TaskGroup();
   * const stop = new AbortController();
   * const child = group.create((signal) => sleep(10_000, { signal }), { signal: stop.signal });
   * const other = group.create(() => "still fine");
   * stop.abort();
   * await assert.rejects(child, { name: "AbortError" }); // cancelled, not a failure
   * assert.equal(await other, "still fine");
   * ```
   */
  create<T>(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    options?: CreateTaskOptions,
  ): Promise<T> {
    checkFunction(`create a task in ${this.#describe()}`, "fn", fn);
    this.#checkOpen();
    if (this.#aborting) return this.#cancelledChild<T>();
    let signal = this.#signal;
    let unlink: (() => void) | undefined;
    let name: string | undefined;
    if (options !== undefined) {
      const what = `create a task in ${this.#describe()}`;
      checkOptions<CreateTaskOptions>(what, options, ["name", "signal"]);
      name = options.name;
      if (name !== undefined && typeof name !== "string") typeError(what, "name", "a string", name);
      checkSignal(what, options.signal);
      if (options.signal !== undefined) [signal, unlink] = this.#link(options.signal);
    }
    this.#active++;
    let result: T | PromiseLike<T>;
    const labelled = labelling();
    const previous = labelled ? enterLabel(name ?? ++taskCounter) : 0;
    try {
      result = fn(signal);
    } catch (error) {
      result = Promise.reject(error);
    } finally {
      if (labelled) leaveLabel(previous);
    }
    const promise = Promise.resolve(result);
    if (unlink === undefined) {
      promise.then(this.#onFulfilled, this.#onRejected);
    } else {
      const own = signal;
      const done = unlink;
      promise.then(() => {
        done();
        this.#settled();
      }, (error: unknown) => {
        done();
        this.#failed(error, own);
        this.#settled();
      });
    }
    return promise;
  }

  /**
   * Cancels every child: their signals fire with `reason`, new children are refused, and the
   * group ends normally once all have settled (children that reject with `reason` are
   * cancelled, not failed). Use it to stop a group early, or from a `catch` around the body of
   * an `await using` block. Calling it on a group that is already shutting down does nothing.
   * Python has no public equivalent; it is what the group does to itself when the body fails.
   *
   * @param reason The abort reason the children see.
   *
   * @example Stopping a server loop
   * ```ts
   * import { sleep, TaskGroup } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * let ticks = 0;
   * {
   *   await using group = new TaskGroup();
   *   group.create(async (signal) => {
   *     while (true) {
   *       await sleep(1, { signal });
   *       ticks++;
   *     }
   *   });
   *   await sleep(20);
   *   group.cancel();
   * }
   * assert.ok(ticks > 0);
   * ```
   */
  cancel(
    reason: unknown = new CancelledError(`${capitalize(this.#describe())} was cancelled`),
  ): void {
    if (this.#aborting || this.#finished) return;
    this.#abort(reason);
  }

  /**
   * Waits for every child to settle, then throws what went wrong: an {@linkcode ExceptionGroup}
   * of the failures, or the parent signal's reason if the group was cancelled through it. This is
   * what `await using` calls; calling it again returns the same promise.
   *
   * @returns A promise that resolves once the group has finished cleanly.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#closing ??= this.#wait();
  }

  #close(body?: { error: unknown }): Promise<void> {
    if (body !== undefined && this.#closing === undefined) {
      const own = this.#signal.aborted && body.error === this.#signal.reason;
      if (!this.#aborting) {
        this.#abort(
          new CancelledError(`${capitalize(this.#describe())} was cancelled: its body failed`, {
            cause: body.error,
          }),
        );
      }
      this.#closing = this.#wait(own ? undefined : body);
    }
    return this[Symbol.asyncDispose]();
  }

  async #wait(body?: { error: unknown }): Promise<void> {
    this.#exiting = true;
    if (this.#active > 0) await new Promise<void>((resolve) => this.#wake = resolve);
    this.#finished = true;
    this.#unlistenParent();
    if (body !== undefined) this.#errors.push(body.error);
    if (this.#errors.length > 0) {
      throw new ExceptionGroup(this.#errors, `unhandled errors in ${this.#describe()}`);
    }
    if (this.#parentCancelled) throw this.#parent!.reason;
  }

  /** A child settled (either way): wake the disposer when it was the last one. */
  #settled(): void {
    if (--this.#active === 0 && this.#exiting) {
      this.#finished = true;
      this.#wake?.();
    }
  }

  /** A child rejected: a failure unless it rejected with its signal's reason after the abort. */
  #failed(error: unknown, signal: AbortSignal): void {
    if (signal.aborted && error === signal.reason) return;
    this.#errors.push(error);
    if (!this.#aborting) {
      this.#abort(
        new CancelledError(`${capitalize(this.#describe())} was cancelled: a task failed`, {
          cause: error,
        }),
      );
    }
  }

  #abort(reason: unknown): void {
    this.#aborting = true;
    this.#controller.abort(reason);
  }

  #cancelByParent(): void {
    if (this.#aborting || this.#finished) return;
    this.#parentCancelled = true;
    this.#abort(this.#parent!.reason);
  }

  #checkOpen(): void {
    if (this.#finished) {
      throw new InvalidStateError(
        `Cannot create a task in ${this.#describe()}: the group is finished`,
      );
    }
  }

  /**
   * A child created while the group shuts down: cancelled before it starts (`fn` never runs),
   * so its promise rejects with the group's reason, which the group counts as no error (as
   * asyncio counts cancelled tasks) even when a child that created it passes it on.
   */
  #cancelledChild<T>(): Promise<T> {
    const child = Promise.reject(this.#signal.reason) as Promise<T>;
    child.catch(() => {}); // handled: the group does not count it
    return child;
  }

  #link(own: AbortSignal): [AbortSignal, () => void] {
    const controller = new AbortController();
    const group = this.#signal;
    if (own.aborted) {
      controller.abort(own.reason);
      return [controller.signal, () => {}];
    }
    const abort = (reason: unknown) => controller.abort(reason);
    const unlistenGroup = onAbort(group, abort);
    const unlistenOwn = onAbort(own, abort);
    return [controller.signal, () => {
      unlistenGroup();
      unlistenOwn();
    }];
  }

  #describe(): string {
    return this.name === undefined ? "a TaskGroup" : `TaskGroup '${this.name}'`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
