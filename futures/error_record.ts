/**
 * Errors across isolates and processes: {@linkcode errorToRecord} describes a thrown value so it
 * survives structured clone, {@linkcode recordToError} rebuilds it on the other side. The worker
 * host, the process pool and the main-thread bridge all carry errors this one way.
 *
 * @module
 */

import { BrokenExecutorError, CancelledError, InvalidStateError, TimeoutError } from "./errors.ts";

/**
 * A structured-clonable description of an error: what crosses an isolate or process boundary in
 * place of the error itself, so the receiver can rebuild it with its class name, message, stack,
 * cause and own properties.
 */
export interface ErrorRecord {
  /** The error's `name` (its class name for built-in and tandem errors). */
  name: string;
  /** The error's message. */
  message: string;
  /** The stack trace where it was thrown. */
  stack?: string;
  /** Its `cause`, described the same way. */
  cause?: ErrorRecord | { value: unknown };
  /** Its own enumerable properties that can be cloned (a `code`, a `returncode`). */
  props?: Record<string, unknown>;
}

const KNOWN_ERRORS: Record<string, new (message?: string) => Error> = {
  TimeoutError,
  CancelledError,
  InvalidStateError,
  BrokenExecutorError,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Describes a thrown value so that it survives structured clone (a `postMessage`, a `node:v8`
 * frame) with its class name, message, stack, cause and clonable own properties. A thrown value
 * that is not an `Error` is carried as `{ value }` (or its string form if it cannot be cloned).
 *
 * @param error Whatever was thrown.
 * @returns A structured-clonable record; rebuild it with {@linkcode recordToError}.
 *
 * @example
 * ```ts
 * import { errorToRecord, recordToError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const record = structuredClone(errorToRecord(new RangeError("too big", { cause: 7 })));
 * const error = recordToError(record) as RangeError;
 * assert.ok(error instanceof RangeError);
 * assert.equal(error.message, "too big");
 * assert.equal(error.cause, 7);
 * ```
 */
export function errorToRecord(error: unknown): ErrorRecord | { value: unknown } {
  if (!(error instanceof Error)) {
    try {
      return { value: structuredClone(error) };
    } catch {
      return { value: String(error) };
    }
  }
  const record: ErrorRecord = { name: error.name, message: error.message, stack: error.stack };
  if (error.cause !== undefined) record.cause = errorToRecord(error.cause);
  const props: Record<string, unknown> = {};
  let hasProps = false;
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "name") continue;
    try {
      props[key] = structuredClone((error as unknown as Record<string, unknown>)[key]);
      hasProps = true;
    } catch { /* a property that cannot be cloned stays behind */ }
  }
  if (hasProps) record.props = props;
  return record;
}

/**
 * Rebuilds a thrown value from {@linkcode errorToRecord}. Built-in error classes, the hub's own
 * (`TimeoutError`, `CancelledError`, `InvalidStateError`, `BrokenExecutorError`) and
 * `Deno.errors` classes come back as themselves; any other class comes back as an `Error` whose
 * `name` is the original class name, with the original stack.
 *
 * @param record What {@linkcode errorToRecord} made, after its journey.
 * @returns The rebuilt error (or the original non-error value).
 *
 * @example
 * ```ts
 * import { errorToRecord, recordToError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * class QuotaError extends Error {
 *   override name = "QuotaError";
 * }
 * const error = recordToError(structuredClone(errorToRecord(new QuotaError("over")))) as Error;
 * assert.equal(error.name, "QuotaError");
 * assert.equal(error.message, "over");
 * ```
 */
export function recordToError(record: ErrorRecord | { value: unknown }): unknown {
  if ("value" in record && !("message" in record)) return record.value;
  const r = record as ErrorRecord;
  const ctor = KNOWN_ERRORS[r.name] ??
    (globalThis as unknown as { Deno?: { errors: Record<string, ErrorConstructor | undefined> } })
      .Deno
      ?.errors[r.name] ??
    Error;
  const error = new ctor(r.message);
  if (error.name !== r.name) {
    Object.defineProperty(error, "name", {
      value: r.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (r.stack !== undefined) error.stack = r.stack;
  if (r.cause !== undefined) {
    Object.defineProperty(error, "cause", {
      value: recordToError(r.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (r.props) Object.assign(error, r.props);
  return error;
}
