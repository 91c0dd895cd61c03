/**
 * The protocol by which objects over shared memory (a `Lock`, a `Barrier`, a cross-thread
 * `Queue`) travel to workers and come alive there over the same memory.
 *
 * @module
 */

/**
 * The method a shareable object implements to describe itself for another isolate.
 *
 * @example
 * ```ts
 * import { toHandle } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof toHandle, "symbol");
 * ```
 */
export const toHandle: unique symbol = Symbol.for("tandem.toHandle");

/**
 * The static method a shareable class implements to rebuild an object from its handle's
 * `state` in another isolate.
 *
 * @example
 * ```ts
 * import { fromHandle } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof fromHandle, "symbol");
 * ```
 */
export const fromHandle: unique symbol = Symbol.for("tandem.fromHandle");

/**
 * A structured-clonable description of a shareable object: the class, named like a task (module
 * URL + export name), and the state to rebuild it from (typically `SharedArrayBuffer`s).
 */
export interface SharedHandle {
  /** URL of the module that exports the class. */
  readonly module: string;
  /** The class's export name. */
  readonly name: string;
  /** What `[fromHandle]` receives; must be structured-clonable. */
  readonly state: unknown;
}

/**
 * An object that can be passed to a task or thread in another isolate and stays the same object
 * there: it implements `[toHandle]()`, and the class named by the handle implements the static
 * `[fromHandle](state)`.
 *
 * @example A tiny shared counter
 * ```ts
 * import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * export class Counter implements Shareable {
 *   readonly cells: Int32Array<SharedArrayBuffer>;
 *   constructor(cells = new Int32Array(new SharedArrayBuffer(4))) {
 *     this.cells = cells;
 *   }
 *   [toHandle](): SharedHandle {
 *     return { module: import.meta.url, name: "Counter", state: this.cells };
 *   }
 *   static [fromHandle](state: unknown): Counter {
 *     return new Counter(state as Int32Array<SharedArrayBuffer>);
 *   }
 * }
 * const handle = new Counter()[toHandle]();
 * assert.equal(handle.name, "Counter");
 * ```
 */
export interface Shareable {
  /** Describes this object for another isolate. */
  [toHandle](): SharedHandle;
}

/**
 * Whether `value` implements {@linkcode Shareable}.
 *
 * @param value Anything.
 * @returns `true` if `value` has a `[toHandle]` method.
 *
 * @example
 * ```ts
 * import { isShareable } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isShareable({}), false);
 * ```
 */
export function isShareable(value: unknown): value is Shareable {
  return typeof value === "object" && value !== null &&
    typeof (value as Partial<Shareable>)[toHandle] === "function";
}
