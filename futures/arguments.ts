/**
 * {@linkcode checkTaskArguments}: refuses, where they are given, arguments that cannot travel to
 * another isolate or process.
 *
 * @module
 */

import { isShareable } from "./shareable.ts";
import { describeTask, type TaskReference } from "./task.ts";

/** How many values one check looks at; past that, the send itself reports what cannot travel. */
const BUDGET = 10_000;

/** Where arguments go: another isolate (structured clone), or another process (no shared memory). */
export type ArgumentDestination = "isolate" | "process";

function describeValue(value: unknown): string {
  if (typeof value === "function") {
    return value.name ? `a function (${value.name})` : "an anonymous function";
  }
  if (typeof value === "symbol") return `a symbol (${String(value)})`;
  const name = (value as object).constructor?.name;
  return name ? `a ${name}` : "an object";
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// The first value inside `root` that cannot make the trip, or undefined if none was found.
function findBad(root: unknown, destination: ArgumentDestination): unknown {
  const stack: unknown[] = [root];
  const seen = new Set<object>();
  let budget = BUDGET;
  while (stack.length > 0 && budget-- > 0) {
    const value = stack.pop();
    if (typeof value === "function" || typeof value === "symbol") return value;
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);
    if (
      value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet ||
      value instanceof WeakRef
    ) {
      return value;
    }
    if (isShareable(value)) {
      if (destination === "process") return value;
      continue;
    }
    if (value instanceof SharedArrayBuffer) {
      if (destination === "process") return value;
      continue;
    }
    if (ArrayBuffer.isView(value)) {
      if (destination === "process" && value.buffer instanceof SharedArrayBuffer) return value;
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value instanceof Map) {
      for (const [k, v] of value) stack.push(k, v);
    } else if (value instanceof Set) {
      for (const item of value) stack.push(item);
    } else if (isPlain(value)) {
      for (const key in value) stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

/**
 * Throws a `TypeError` if an argument of `task` holds a value that cannot travel to
 * `destination`: a function, a symbol, a promise or a weak collection anywhere inside it, and,
 * for a process, shared memory (a `SharedArrayBuffer`, a view of one, or a shareable object).
 * The message names the task, the argument's position and the value's type. Executors call it
 * in `submit`, so a bad argument fails its future at once instead of when a worker is free.
 * Values it does not look at (past 10,000 of them) are checked when they are sent.
 *
 * @param what What could not be done, for the message: `"run task"`.
 * @param task The task the arguments are for.
 * @param args The arguments.
 * @param destination `"isolate"` (a worker) or `"process"`.
 * @throws {TypeError} If an argument cannot travel.
 *
 * @example
 * ```ts
 * import { checkTaskArguments } from "@tandem/tandem/futures";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * checkTaskArguments("submit", double, [21], "isolate");
 * assert.throws(
 *   () => checkTaskArguments("submit", double, [() => 21] as unknown as [number], "isolate"),
 *   /argument 1 is an anonymous function/,
 * );
 * ```
 */
export function checkTaskArguments(
  what: string,
  task: TaskReference,
  args: readonly unknown[],
  destination: ArgumentDestination,
): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== "object" && typeof arg !== "function" && typeof arg !== "symbol") continue;
    const bad = findBad(arg, destination);
    if (bad === undefined) continue;
    const where = bad === arg ? `argument ${i + 1} is` : `argument ${i + 1} holds`;
    const why = typeof bad === "function"
      ? "functions do not cross isolates (export it as a task and pass data instead)"
      : destination === "process" && typeof bad === "object" && bad !== null &&
          (isShareable(bad) || bad instanceof SharedArrayBuffer || ArrayBuffer.isView(bad))
      ? "shared memory cannot cross a process boundary"
      : "it cannot be structured-cloned";
    throw new TypeError(
      `Cannot ${what} ${describeTask(task)}: ${where} ${describeValue(bad)}, and ${why}`,
    );
  }
}
