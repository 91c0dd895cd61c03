/**
 * {@linkcode transfer}: move an argument or a result into another worker instead of copying it.
 * A 64 MiB `ArrayBuffer` moves in microseconds; copied, it costs tens of milliseconds each way.
 *
 * @module
 */

import { typeError } from "./checks.ts";

const REGISTRY: unique symbol = Symbol.for("tandem.transfers");

// The marks, kept on the global object so that every copy of this module in one isolate (a task
// module and the worker host may be loaded from different URLs) sees the same ones.
function marks(): WeakMap<object, Transferable[]> {
  const global = globalThis as { [REGISTRY]?: WeakMap<object, Transferable[]> };
  return global[REGISTRY] ??= new WeakMap();
}

// What moves when `value` is given to transfer(): the value itself, or a view's buffer.
function movable(value: unknown): Transferable | undefined {
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) {
    return value.buffer instanceof ArrayBuffer ? value.buffer : undefined;
  }
  if (
    value instanceof MessagePort || value instanceof ReadableStream ||
    value instanceof WritableStream || value instanceof TransformStream
  ) {
    return value;
  }
  return undefined;
}

const MOVABLE = "an ArrayBuffer, a typed array or DataView over one, a MessagePort, " +
  "a ReadableStream, a WritableStream or a TransformStream";

/**
 * Marks `value`, an argument of `submit` (or a task's result), to be moved into the receiving
 * worker rather than copied: after the send, the sender's buffers are detached (length 0) and the
 * receiver owns them. Python has no counterpart (its processes always pickle).
 *
 * `value` itself may be transferable (an `ArrayBuffer`, a typed array or `DataView` over one,
 * a `MessagePort`, a `ReadableStream`, `WritableStream` or `TransformStream`), or any object,
 * with the transferables inside it listed. The mark is used once, by the next send of `value`.
 *
 * Between workers (`WorkerPoolExecutor`, `TaskWorker`, `Thread`) the buffers move without a
 * copy. To a child process (`ProcessPoolExecutor`) nothing can move: the value is copied once,
 * as every argument is, and the sender keeps its buffers. In `AsyncPoolExecutor` the task gets
 * the value itself.
 *
 * @typeParam T The value's type: `transfer` returns `value`, so it type-checks as the argument.
 * @param value The value to move.
 * @param transferables What inside `value` moves; by default `value` itself (or its buffer).
 * @returns `value`, marked.
 * @throws {TypeError} If `value` is not an object, or nothing in it can move.
 *
 * @example Move a buffer into a worker and its result back
 * ```ts
 * import { transfer } from "@tandem/tandem/futures";
 * import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import { invertBytes } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const bytes = new Uint8Array([1, 2, 3]);
 * const inverted = await pool.submit(invertBytes, transfer(bytes));
 * assert.equal(bytes.length, 0); // moved: detached here
 * assert.deepEqual([...inverted], [254, 253, 252]);
 * ```
 */
export function transfer<T extends object>(value: T, transferables?: readonly unknown[]): T {
  if (typeof value !== "object" || value === null) {
    typeError("transfer", "value", "an object", value);
  }
  let list: Transferable[];
  if (transferables === undefined) {
    const own = movable(value);
    if (own === undefined) {
      typeError("transfer", "value", `${MOVABLE} (or list 'transferables')`, value);
    }
    list = [own];
  } else {
    if (!Array.isArray(transferables)) {
      typeError("transfer", "transferables", "an array", transferables);
    }
    list = transferables.map((item, i) =>
      movable(item) ?? typeError("transfer", `transferables[${i}]`, MOVABLE, item)
    );
  }
  marks().set(value, list);
  return value;
}

/**
 * Takes the marks of {@linkcode transfer} off `values` (the top-level ones) and adds what they
 * move to `into`, once each. Returns `into`.
 *
 * @param values Arguments or results about to be sent.
 * @param into The transfer list of the message being built.
 * @returns `into`.
 */
export function takeTransfers(values: readonly unknown[], into: Transferable[]): Transferable[] {
  const registry = marks();
  for (const value of values) {
    if (typeof value !== "object" || value === null) continue;
    const list = registry.get(value);
    if (list === undefined) continue;
    registry.delete(value);
    for (const item of list) if (!into.includes(item)) into.push(item);
  }
  return into;
}

/**
 * Takes the marks of {@linkcode transfer} off `values` (the top-level ones) without moving
 * anything: for sends that copy (to a child process) or pass the value itself (in-thread).
 *
 * @param values Arguments or results.
 */
export function dropTransfers(values: readonly unknown[]): void {
  const registry = marks();
  for (const value of values) {
    if (typeof value === "object" && value !== null) registry.delete(value);
  }
}
