/**
 * {@linkcode encodeValue} and {@linkcode decodeValue}: how a value crosses a process or machine
 * boundary as bytes. The process pool's frames and the NATS executor's messages use this one
 * codec.
 *
 * Simple values (undefined, null, booleans, numbers, strings, and dense arrays and plain objects
 * of them) take tandem's compact format, the one the worker fast lane writes into shared memory.
 * It is about 25 times faster than `node:v8` serialization for a chunk of 100 calls' arguments.
 * Anything else (Map, Set, Date, typed arrays, errors, cycles, ...) takes `node:v8` structured
 * serialization, so it keeps its structured-clone type. The first byte says which.
 *
 * @module
 */

import type * as V8Api from "node:v8";
import { readSimple, writeSimple } from "./_codec.ts";

// node:v8, loaded on first use: importing any Node module loads the runtime's Node layer into the
// isolate, a good part of a process-pool child's start, and most values never need it.
let v8Api: typeof V8Api | undefined;
function v8(): typeof V8Api {
  return v8Api ??= (globalThis as unknown as {
    process: { getBuiltinModule(id: "node:v8"): typeof V8Api };
  }).process.getBuiltinModule("node:v8");
}

const SIMPLE = 0x53; // "S"
const V8 = 0x56; // "V"

// Simple values are written into one scratch buffer, grown as needed up to SCRATCH_MAX; a larger
// value takes node:v8, which is as good as anything at that size.
const SCRATCH_MIN = 64 * 1024;
const SCRATCH_KEEP = 1024 * 1024;
const SCRATCH_MAX = 16 * 1024 * 1024;
let scratch: ArrayBuffer;
let scratchView: DataView;
setScratch(SCRATCH_MIN);

function setScratch(bytes: number): void {
  scratch = new ArrayBuffer(bytes);
  scratchView = new DataView(scratch);
}

/**
 * Encodes `value` into bytes that {@linkcode decodeValue} turns back into an equal value, in this
 * process or another. Throws (a `DataCloneError` or `TypeError`) if the value cannot be
 * serialized: a function, a symbol, a `WeakMap`, ...
 *
 * @param value A structured-clonable value.
 * @returns A new byte array that holds it.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const value = { ids: [1, 2, 3], when: new Date(0), tags: new Set(["a"]) };
 * assert.deepEqual(decodeValue(encodeValue(value)), value);
 * ```
 */
export function encodeValue(value: unknown): Uint8Array<ArrayBuffer> {
  let end: number;
  for (;;) {
    end = writeSimple(scratchView, 1, scratch.byteLength, value);
    if (end !== -2 || scratch.byteLength >= SCRATCH_MAX) break;
    setScratch(scratch.byteLength * 4);
  }
  const bytes = end >= 0 ? new Uint8Array(scratch.slice(0, end)) : undefined;
  // A grown scratch space is let go again, so one large value does not pin memory.
  if (scratch.byteLength > SCRATCH_KEEP) setScratch(SCRATCH_MIN);
  if (bytes !== undefined) {
    bytes[0] = SIMPLE;
    return bytes;
  }
  const body = v8().serialize(value);
  const out = new Uint8Array(body.length + 1);
  out[0] = V8;
  out.set(body, 1);
  return out;
}

/**
 * Decodes bytes made by {@linkcode encodeValue}.
 *
 * @param bytes The bytes, exactly as encoded.
 * @returns The value.
 * @throws {TypeError} If the bytes were not made by `encodeValue`.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeValue(encodeValue([1, "two", null])), [1, "two", null]);
 * ```
 */
export function decodeValue(bytes: Uint8Array): unknown {
  if (bytes[0] === SIMPLE) {
    return readSimple(new DataView(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1), 0);
  }
  if (bytes[0] === V8) return v8().deserialize(bytes.subarray(1));
  throw new TypeError(
    `decodeValue: bytes do not start with an encodeValue tag (first byte ${bytes[0]})`,
  );
}
