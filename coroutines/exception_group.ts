/**
 * {@linkcode ExceptionGroup}: several errors thrown together, as a {@linkcode TaskGroup} throws
 * the failures of its children.
 *
 * @module
 */

/**
 * Several unrelated errors raised together: Python's `ExceptionGroup` (PEP 654), built on the
 * platform's `AggregateError`, so `error.errors` lists them (Python: `eg.exceptions`) and
 * `error instanceof AggregateError` holds. A {@linkcode TaskGroup} throws one when any of its
 * children fails; groups nest when a child's own group failed.
 *
 * The message ends with the count, as Python prints it:
 * `unhandled errors in a TaskGroup (2 sub-exceptions)`.
 *
 * @example Catching every failure of a group
 * ```ts
 * import { ExceptionGroup } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const group = new ExceptionGroup([new RangeError("a"), new TypeError("b")], "two failures");
 * assert.equal(group.message, "two failures (2 sub-exceptions)");
 * assert.equal(group.errors.length, 2);
 * assert.ok(group instanceof AggregateError);
 * ```
 */
export class ExceptionGroup extends AggregateError {
  /**
   * Creates the group.
   *
   * @param errors The errors, in the order they happened.
   * @param message What failed; the count is appended.
   * @param options The standard error options (`cause`).
   */
  constructor(errors: Iterable<unknown>, message = "multiple errors", options?: ErrorOptions) {
    const list = [...errors];
    super(
      list,
      `${message} (${list.length} sub-exception${list.length === 1 ? "" : "s"})`,
      options,
    );
    this.name = "ExceptionGroup";
  }
}
