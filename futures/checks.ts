/**
 * The small vocabulary every tandem module checks its arguments with, written once: option bags
 * whose unknown keys are refused, timeouts, signals, counts and functions, each failing the same
 * way everywhere (a `TypeError` for a value of the wrong type, a `RangeError` for one out of
 * range, both quoting the value as given), plus the thenable test, the abort-listener helper and
 * the one wording of a timed-out wait.
 *
 * Messages take the form `Cannot <what>: '<name>' must be <expected>, received <value>`, where
 * `<what>` completes "Cannot ..." (`"get from the Queue"`).
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";

/**
 * Describes a value for an error message, as given: a string keeps its quotes and says it is a
 * string, so that `"5"` is never mistaken for `5`.
 *
 * @param value Anything.
 * @returns A short description, such as `"5" (a string)`, `-1`, `function f` or `an array of
 * length 2`.
 *
 * @example
 * ```ts
 * import { describeValue } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeValue("5"), '"5" (a string)');
 * assert.equal(describeValue(5), "5");
 * assert.equal(describeValue(null), "null");
 * assert.equal(describeValue([1, 2]), "an array of length 2");
 * ```
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string": {
      const text = JSON.stringify(value);
      return `${text.length > 60 ? `${text.slice(0, 57)}..."` : text} (a string)`;
    }
    case "function":
      return `function ${value.name || "(anonymous)"}`;
    case "bigint":
      return `${value}n`;
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" && name !== "Object"
        ? `an object (${name})`
        : "an object";
    }
    default:
      return String(value);
  }
}

/**
 * Throws a `TypeError` in the project's form: `value` is of the wrong type.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param name The parameter or option.
 * @param expected What it must be, e.g. `"a number of milliseconds"`.
 * @param value What was received.
 * @throws {TypeError} Always.
 *
 * @example
 * ```ts
 * import { typeError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => typeError("get", "timeout", "a number", "5"),
 *   { name: "TypeError", message: `Cannot get: 'timeout' must be a number, received "5" (a string)` },
 * );
 * ```
 */
export function typeError(what: string, name: string, expected: string, value: unknown): never {
  throw new TypeError(
    `Cannot ${what}: '${name}' must be ${expected}, received ${describeValue(value)}`,
  );
}

/**
 * Throws a `RangeError` in the project's form: `value` has the right type but is out of range.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param name The parameter or option.
 * @param expected What it must be, e.g. `"a positive integer"`.
 * @param value What was received.
 * @throws {RangeError} Always.
 *
 * @example
 * ```ts
 * import { rangeError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => rangeError("create a pool", "size", "a positive integer", 0), RangeError);
 * ```
 */
export function rangeError(what: string, name: string, expected: string, value: unknown): never {
  throw new RangeError(
    `Cannot ${what}: '${name}' must be ${expected}, received ${describeValue(value)}`,
  );
}

/**
 * Checks an options bag: `undefined` (no options) or a plain object whose keys are all `known`.
 * An unknown key is refused, naming the known ones, so that a misspelt option (`max_workers`)
 * fails at once instead of being silently ignored.
 *
 * @typeParam T The options type.
 * @param what What could not be done, completing "Cannot ...".
 * @param options The bag as given.
 * @param known Every option the caller understands.
 * @returns The bag, or `{}` for `undefined`.
 * @throws {TypeError} If `options` is not an object, or has a key not in `known`.
 *
 * @example
 * ```ts
 * import { checkOptions } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * interface PoolOptions {
 *   maxWorkers?: number;
 * }
 * assert.deepEqual(checkOptions<PoolOptions>("create a pool", undefined, ["maxWorkers"]), {});
 * assert.throws(
 *   () => checkOptions<PoolOptions>("create a pool", { max_workers: 2 }, ["maxWorkers"]),
 *   /'options' has no field 'max_workers' \(known fields: maxWorkers\)/,
 * );
 * ```
 */
export function checkOptions<T extends object>(
  what: string,
  options: unknown,
  known: readonly (keyof T & string)[],
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    typeError(what, "options", "an object", options);
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(
        `Cannot ${what}: 'options' has no field '${key}' (known fields: ${
          known.length === 0 ? "none" : known.join(", ")
        })`,
      );
    }
  }
  return options as T;
}

/**
 * Checks an optional timeout: `undefined` (no limit) or a number of milliseconds >= 0
 * (`Infinity` allowed, meaning no limit).
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param value The timeout as given.
 * @param name The option's name.
 * @returns The timeout.
 * @throws {TypeError} If `value` is neither `undefined` nor a number.
 * @throws {RangeError} If `value` is `NaN` or negative.
 *
 * @example
 * ```ts
 * import { checkTimeout } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkTimeout("get from the Queue", 10), 10);
 * assert.throws(() => checkTimeout("get from the Queue", "5"), {
 *   name: "TypeError",
 *   message: `Cannot get from the Queue: 'timeout' must be a non-negative number of ` +
 *     `milliseconds, received "5" (a string)`,
 * });
 * assert.throws(() => checkTimeout("get from the Queue", -1), RangeError);
 * ```
 */
export function checkTimeout(what: string, value: unknown, name = "timeout"): number | undefined {
  if (value === undefined) return undefined;
  const expected = "a non-negative number of milliseconds";
  if (typeof value !== "number") typeError(what, name, expected, value);
  if (Number.isNaN(value) || value < 0) rangeError(what, name, expected, value);
  return value;
}

/**
 * Checks an optional `AbortSignal`.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param value The signal as given.
 * @returns The signal, or `undefined`.
 * @throws {TypeError} If `value` is neither `undefined` nor an `AbortSignal`.
 *
 * @example
 * ```ts
 * import { checkSignal } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkSignal("wait", undefined), undefined);
 * assert.throws(() => checkSignal("wait", "stop"), /'signal' must be an AbortSignal/);
 * ```
 */
export function checkSignal(what: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  typeError(what, "signal", "an AbortSignal", value);
}

/** The range {@linkcode checkInteger} accepts. */
export interface IntegerRange {
  /**
   * The smallest value allowed.
   *
   * @default {0}
   */
  min?: number;
  /**
   * The largest value allowed.
   *
   * @default {Number.MAX_SAFE_INTEGER}
   */
  max?: number;
  /**
   * Whether `Infinity` is allowed too (meaning "no limit").
   *
   * @default {false}
   */
  infinity?: boolean;
}

/**
 * Checks an integer count: a number, whole, in `[min, max]` (or `Infinity` where allowed).
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param name The parameter or option.
 * @param value The value as given.
 * @param range `min` (default 0), `max` and `infinity`.
 * @returns The value.
 * @throws {TypeError} If `value` is not a number.
 * @throws {RangeError} If it is not a whole number in range.
 *
 * @example
 * ```ts
 * import { checkInteger } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkInteger("create Semaphore", "value", 2), 2);
 * assert.throws(() => checkInteger("create Semaphore", "value", "2"), {
 *   name: "TypeError",
 *   message: `Cannot create Semaphore: 'value' must be a non-negative integer, ` +
 *     `received "2" (a string)`,
 * });
 * assert.throws(() => checkInteger("create a pool", "size", 0, { min: 1 }), {
 *   name: "RangeError",
 *   message: "Cannot create a pool: 'size' must be a positive integer, received 0",
 * });
 * ```
 */
export function checkInteger(
  what: string,
  name: string,
  value: unknown,
  range: IntegerRange = {},
): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, infinity = false } = range;
  let expected = min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : "";
  if (expected === "") expected = `an integer >= ${min}`;
  if (max !== Number.MAX_SAFE_INTEGER) expected += ` up to ${max}`;
  if (infinity) expected += " or Infinity";
  if (typeof value !== "number") typeError(what, name, expected, value);
  if (infinity && value === Infinity) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    rangeError(what, name, expected, value);
  }
  return value;
}

/**
 * Checks that `value` is a function.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param name The parameter or option.
 * @param value The value as given.
 * @throws {TypeError} If `value` is not a function.
 *
 * @example
 * ```ts
 * import { checkFunction } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * checkFunction("run", "fn", () => {});
 * assert.throws(() => checkFunction("run", "fn", 42), /'fn' must be a function, received 42/);
 * ```
 */
export function checkFunction(
  what: string,
  name: string,
  value: unknown,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") typeError(what, name, "a function", value);
}

/**
 * Whether `value` has a callable `then`: a promise or any other `PromiseLike`, which `await`
 * would wait for.
 *
 * @param value Anything.
 * @returns `true` for a thenable.
 *
 * @example
 * ```ts
 * import { isThenable } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isThenable(Promise.resolve(1)), true);
 * assert.equal(isThenable({ then() {} }), true);
 * assert.equal(isThenable(1), false);
 * ```
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

function nothing(): void {}

/**
 * Calls `listener` once when `signal` aborts (with `signal.reason`), and returns the cleanup that
 * removes it: call that on every other way out. With no signal, or one already aborted, nothing
 * is added (check `signal.aborted` first) and the cleanup does nothing.
 *
 * @param signal The signal, or `undefined`.
 * @param listener Called once with `signal.reason`.
 * @returns The cleanup: removes the listener; harmless to call twice.
 *
 * @example
 * ```ts
 * import { onAbort } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const reasons: unknown[] = [];
 * const stop = onAbort(controller.signal, (reason) => reasons.push(reason));
 * controller.abort("first");
 * stop();
 * assert.deepEqual(reasons, ["first"]);
 * ```
 */
export function onAbort(
  signal: AbortSignal | undefined,
  listener: (reason: unknown) => void,
): () => void {
  if (signal === undefined || signal.aborted) return nothing;
  const handler = () => listener(signal.reason);
  signal.addEventListener("abort", handler, { once: true });
  return () => signal.removeEventListener("abort", handler);
}

/**
 * The one wording of a wait that ran out of time: `Cannot <what>: timed out after <N> ms`.
 *
 * @param what What could not be done, completing "Cannot ...".
 * @param timeout The timeout that ran out, in milliseconds.
 * @returns A `TimeoutError` (from this module's errors).
 *
 * @example
 * ```ts
 * import { timeoutError, TimeoutError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const error = timeoutError("acquire a Lock", 10);
 * assert.ok(error instanceof TimeoutError);
 * assert.equal(error.message, "Cannot acquire a Lock: timed out after 10 ms");
 * ```
 */
export function timeoutError(what: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(`Cannot ${what}: timed out after ${timeout} ms`);
}
