/**
 * Task references: functions that any executor can run in any isolate, because they are found
 * by module URL and export name.
 *
 * @module
 */

import { checkFunction, typeError } from "./checks.ts";

const TASK: unique symbol = Symbol.for("tandem.task");

/** Where a task lives: the module URL and the name the module exports it under. */
export interface TaskReference {
  /** The URL of the module that exports the task (`import.meta.url` of that module). */
  readonly module: string;
  /** The name of the export. */
  readonly name: string;
}

/**
 * A function that can run in another isolate: a {@linkcode TaskReference} that is also the
 * function itself. Create one with {@linkcode task} and export it from its module.
 *
 * `submit(task, ...args)` on any executor type-checks `args` against `A` and gives a
 * `Future<R>`. Arguments and results cross isolates by structured clone.
 *
 * @typeParam A The parameter types.
 * @typeParam R The result type (the awaited return type of the function).
 *
 * @example A task's types flow to the future
 * ```ts
 * import { task, type Task } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const double: Task<[number], number> = task(
 *   import.meta.url,
 *   function double(n: number): number {
 *     return n * 2;
 *   },
 * );
 * assert.equal(double(21), 42);
 * assert.equal(double.name, "double");
 * ```
 */
export interface Task<A extends unknown[], R> extends TaskReference {
  /** Runs the task here, in the current isolate. */
  (...args: A): R | Promise<R>;
}

/**
 * What {@linkcode task} returns: the function itself, with its own call type (a sync function
 * stays sync: `gcd(pair)` is a `number`, not `number | Promise<number>`), that is also a
 * {@linkcode Task} for every executor.
 *
 * @typeParam F The function's type.
 *
 * @example
 * ```ts
 * import { task, type TaskOf } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * function triple(n: number): number {
 *   return n * 3;
 * }
 * const tripleTask: TaskOf<typeof triple> = task(import.meta.url, triple);
 * const nine: number = tripleTask(3); // sync, as declared
 * assert.equal(nine, 9);
 * ```
 */
export type TaskOf<F extends (...args: never[]) => unknown> =
  & F
  & Task<Parameters<F>, Awaited<ReturnType<F>>>;

/** Options for {@linkcode task}. */
export interface TaskOptions {
  /**
   * The name the module exports the task under.
   *
   * @default {fn.name}
   */
  name?: string;
}

/**
 * Makes `fn` a task that executors can run in workers and child processes. Python needs no such
 * step because it pickles functions by module and qualified name; a task reference is the same
 * idea made explicit: module URL + export name.
 *
 * Export the result from its module under the function's name (or under `options.name`), and
 * create it at the module's top level, so that another isolate importing the module finds it:
 * `export const gcd = task(import.meta.url, function gcd(pair: [number, number]) { ... })`.
 * The task is still an ordinary function that runs in the current isolate when called.
 *
 * @typeParam F The function's type; the task keeps its parameter and result types.
 * @param module The URL of the module that exports the task: pass `import.meta.url`.
 * @param fn The function; sync or async.
 * @param options `name`, when the export name differs from `fn.name`.
 * @returns The task: callable like `fn`, with `fn`'s own type (a sync function's call stays
 * sync), and a {@linkcode TaskReference}.
 * @throws {TypeError} If `module` is not a URL, `fn` is not a function, or there is no name.
 *
 * @example Defining and calling a task
 * ```ts
 * import { task } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * export const add = task(import.meta.url, function add(a: number, b: number): number {
 *   return a + b;
 * });
 * assert.equal(add(2, 3), 5);
 * assert.equal(add.module, import.meta.url);
 * ```
 */
export function task<F extends (...args: never[]) => unknown>(
  module: string | URL,
  fn: F,
  options: TaskOptions = {},
): TaskOf<F> {
  let url: string;
  try {
    url = new URL(module).href;
  } catch {
    typeError("create task", "module", "a module URL such as import.meta.url", module);
  }
  checkFunction("create task", "fn", fn);
  const name = options.name ?? fn.name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      "Cannot create task: 'fn' has no name; pass a named function or the export name as { name }",
    );
  }
  const wrapper = function (this: unknown, ...args: Parameters<F>) {
    return fn.apply(this, args);
  };
  Object.defineProperties(wrapper, {
    name: { value: name },
    module: { value: url, enumerable: true },
    [TASK]: { value: true },
  });
  return wrapper as unknown as TaskOf<F>;
}

/**
 * Whether `value` is a task made by {@linkcode task}.
 *
 * @param value Anything.
 * @returns `true` for a task.
 *
 * @example
 * ```ts
 * import { isTask, task } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const noop = task(import.meta.url, function noop() {});
 * assert.equal(isTask(noop), true);
 * assert.equal(isTask(() => {}), false);
 * ```
 */
export function isTask(value: unknown): value is Task<unknown[], unknown> {
  return typeof value === "function" && (value as { [TASK]?: unknown })[TASK] === true;
}

/**
 * Throws a TypeError naming `what` unless `value` is a task.
 *
 * @param what What could not be done, e.g. `"submit to WorkerPoolExecutor"`.
 * @param value The supposed task.
 */
export function checkTask(what: string, value: unknown): asserts value is Task<unknown[], unknown> {
  if (!isTask(value)) {
    typeError(what, "task", "a task made with task(import.meta.url, fn)", value);
  }
}

/**
 * Describes a task reference for error messages, the one way every module names a task.
 *
 * @param ref The task or its reference.
 * @returns `'gcd' from file:///.../gcd.ts`.
 *
 * @example
 * ```ts
 * import { describeTask } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeTask({ module: "file:///a.ts", name: "gcd" }), "'gcd' from file:///a.ts");
 * ```
 */
export function describeTask(ref: TaskReference): string {
  return `'${ref.name}' from ${ref.module}`;
}

const resolved = new Map<string, Promise<Task<unknown[], unknown>>>();

/**
 * Finds the task a reference points at, in the current isolate: imports the module, looks up the
 * export and checks that it is that task. Every executor and `Thread` resolves tasks through this
 * one function (inside the worker host).
 *
 * @param ref The module URL and export name.
 * @returns The task, ready to call.
 * @throws {TypeError} If the module cannot be imported, has no such export, or the export is not
 * the task the reference names.
 *
 * @example
 * ```ts
 * import { resolveTask } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const found = await resolveTask({ module: double.module, name: "double" });
 * assert.equal(found, double);
 * ```
 */
export function resolveTask(ref: TaskReference): Promise<Task<unknown[], unknown>> {
  const key = `${ref.module}#${ref.name}`;
  let found = resolved.get(key);
  if (found === undefined) {
    found = lookUp(ref);
    resolved.set(key, found);
    found.catch(() => resolved.delete(key));
  }
  return found;
}

async function lookUp(ref: TaskReference): Promise<Task<unknown[], unknown>> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(ref.module);
  } catch (cause) {
    throw new TypeError(`Cannot resolve task ${describeTask(ref)}: the module failed to load`, {
      cause,
    });
  }
  const value = namespace[ref.name];
  if (value === undefined) {
    throw new TypeError(
      `Cannot resolve task ${describeTask(ref)}: the module has no export named '${ref.name}'`,
    );
  }
  if (!isTask(value) || value.name !== ref.name) {
    throw new TypeError(
      `Cannot resolve task ${describeTask(ref)}: the export '${ref.name}' is not that task ` +
        "(create it with task(import.meta.url, fn) and export it under the function's name)",
    );
  }
  return value;
}
