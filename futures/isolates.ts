/**
 * Isolate identities: every isolate that tandem starts (the main thread, each `Thread`, each
 * pool worker) gets a number, and any isolate can ask whether the isolate behind a number is
 * still alive. Shared-memory locks record their owner this way, so that a lock held by a worker
 * that died is not held forever.
 *
 * @module
 */

const SLOTS = 1 << 16;
let table: Int32Array | undefined;
let selfId = 0;

function registry(): Int32Array {
  if (table === undefined) {
    // Slot 0 counts allocations; slot 1 + (id % SLOTS) holds id while that isolate lives.
    table = new Int32Array(new SharedArrayBuffer(4 * (SLOTS + 1)));
    selfId = allocateIsolate();
  }
  return table;
}

/**
 * The number of the isolate this code runs in: the main thread's, or that of the worker tandem
 * started. Numbers start at 1 and are not reused while a process lives (up to 2^31 isolates).
 *
 * @returns A positive integer, stable for the life of the isolate.
 *
 * @example
 * ```ts
 * import { currentIsolateId, isIsolateAlive } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const me = currentIsolateId();
 * assert.ok(me > 0);
 * assert.equal(isIsolateAlive(me), true);
 * ```
 */
export function currentIsolateId(): number {
  registry();
  return selfId;
}

/**
 * Whether the isolate numbered `id` is still alive, as far as tandem knows: it turns false when
 * tandem terminates the worker or sees it crash. Any isolate can ask, at the cost of one atomic
 * load.
 *
 * @param id A number from {@linkcode currentIsolateId}.
 * @returns `false` once that isolate has ended (and for `0`, which no isolate has).
 *
 * @example
 * ```ts
 * import { isIsolateAlive } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isIsolateAlive(0), false);
 * ```
 */
export function isIsolateAlive(id: number): boolean {
  if (!Number.isInteger(id) || id <= 0) return false;
  return Atomics.load(registry(), 1 + (id % SLOTS)) === id;
}

/** Gives a new isolate its number and marks it alive. Internal to the hub. */
export function allocateIsolate(): number {
  const cells = table ?? registry();
  const id = Atomics.add(cells, 0, 1) + 1;
  Atomics.store(cells, 1 + (id % SLOTS), id);
  return id;
}

/** Marks the isolate numbered `id` as ended. Internal to the hub. */
export function markIsolateDead(id: number): void {
  Atomics.compareExchange(registry(), 1 + (id % SLOTS), id, 0);
}

/** The shared table, to hand to a new worker. Internal to the hub. */
export function isolateRegistry(): SharedArrayBuffer {
  return registry().buffer as SharedArrayBuffer;
}

/** Called once in a new worker with its parent's table and its own number. Internal. */
export function adoptIsolateRegistry(buffer: SharedArrayBuffer, id: number): void {
  table = new Int32Array(buffer);
  selfId = id;
}
