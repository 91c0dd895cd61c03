// Private: the wire format between ProcessPoolExecutor and its child processes, over the child's
// stdin and stdout. A frame is the 4 bytes "TNDM", a little-endian u32 length, and the message
// as the hub's `encodeValue` writes it: simple values in tandem's compact format, the rest by
// `node:v8`, so values keep their structured-clone types (Map, Set, Date, RegExp, typed arrays,
// errors) across the process boundary. Errors travel as the hub's error records.
//
// This is the only format of its own that the process transport keeps: inside the child, calls
// run on the hub's one worker host (a TaskWorker), so resolution, ordering, batching and exit
// interception are not written again here.
import { decodeValue, encodeValue } from "../futures/value_bytes.ts";

const MAGIC = [0x54, 0x4e, 0x44, 0x4d]; // "TNDM"
const HEADER = 8;

/**
 * Parent -> child: `[CALLS, entries]`, each entry `[firstId, module, name, list, cancellable,
 * chunk]`, calls of one task from `firstId` on:
 * - `chunk` 0: one call, and `list` holds its argument list; `cancellable` says that a
 *   CANCEL_CALL may follow for it;
 * - `chunk` 1: a chunk of `map`, and `list` holds its items, each the one argument of a call
 *   (no wrapper per item to make, encode and take off).
 */
export const CALLS = 1;
/** Parent -> child: `[CANCEL_CALL, id]`, cancel call `id` cooperatively (-1: every call). */
export const CANCEL_CALL = 5;
/** Child -> parent: `[PROGRESS, id, value]`, a progress value of call `id`. */
export const PROGRESS = 6;
/**
 * Parent -> child: `[CREDIT, id, n]`, call `id` streams and may send `n` more values (0: the
 * reader left). The first one comes before the call, as between a TaskWorker and its host.
 */
export const CREDIT = 7;
/** Child -> parent: `[ITEMS, id, values]`, values that the streamed call `id` yielded. */
export const ITEMS = 8;
/** Child -> parent: `[READY]`, the start handshake: the child and its worker are up. */
export const READY = 2;
/**
 * Child -> parent: `[DONE, batches]`, `batches` flat `[firstId, values, special, ...]`: the
 * outcomes of calls `firstId ..< firstId + values.length`. `special` is `0` (every call returned
 * its value) or flat `[position, status, payload, ...]` for the calls that did not (FAILED,
 * BROKEN, UNSTARTED), in position order; their place in `values` holds `null`.
 */
export const DONE = 3;
/**
 * Child -> parent: `[GONE, code, record]`: the child's worker ended (the child exits with `code`
 * next); `record` is the uncaught error for a crash, or `null` for an exit.
 */
export const GONE = 4;

/** Outcome status: the call threw; payload = the error record. */
export const FAILED = 2;
/** Outcome status: the call was running when the child's worker ended. */
export const BROKEN = 3;
/** Outcome status: the call never started, because the child's worker ended first. */
export const UNSTARTED = 4;

export type CallEntry = [
  firstId: number,
  module: string,
  name: string,
  list: unknown[],
  cancellable: boolean,
  chunk: 0 | 1,
];
export type ParentMessage =
  | [typeof CALLS, CallEntry[]]
  | [typeof CANCEL_CALL, number]
  | StreamCredit;
/** A stream's credit, parent -> child: see {@linkcode CREDIT}. */
export type StreamCredit = [typeof CREDIT, number, number];
/** A stream's values, child -> parent: see {@linkcode ITEMS}. */
export type StreamItems = [typeof ITEMS, number, unknown[]];
export type ChildMessage =
  | [typeof READY]
  | [typeof DONE, unknown[]]
  | [typeof PROGRESS, number, unknown]
  | [typeof GONE, number, ErrorRecord | { value: unknown } | null]
  | StreamItems;

/** Serializes `message` into one frame. Throws if it cannot be serialized. */
export function frame(message: unknown): Uint8Array {
  const body = encodeValue(message);
  const out = new Uint8Array(HEADER + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, HEADER);
  return out;
}

/** Reassembles frames from a byte stream. */
export class FrameReader {
  #buffer: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** Adds bytes; returns the messages they complete. Throws on bytes that are not frames. */
  push(chunk: Uint8Array<ArrayBufferLike>): unknown[] {
    let buffer = this.#buffer;
    if (buffer.length === 0) buffer = chunk;
    else {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer, 0);
      joined.set(chunk, buffer.length);
      buffer = joined;
    }
    const out: unknown[] = [];
    let at = 0;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    while (buffer.length - at >= HEADER) {
      for (let i = 0; i < 4; i++) {
        if (buffer[at + i] !== MAGIC[i]) {
          const text = new TextDecoder().decode(buffer.subarray(at, at + 60));
          throw new Error(`unexpected output on the protocol channel: ${JSON.stringify(text)}`);
        }
      }
      const length = view.getUint32(at + 4, true);
      if (buffer.length - at - HEADER < length) break;
      out.push(decodeValue(buffer.subarray(at + HEADER, at + HEADER + length)));
      at += HEADER + length;
    }
    this.#buffer = at === buffer.length ? new Uint8Array(0) : buffer.slice(at);
    return out;
  }
}

// Errors travel as the hub's error records, the same way as between workers.
import type { ErrorRecord } from "../futures/error_record.ts";
export { type ErrorRecord, errorToRecord, recordToError } from "../futures/error_record.ts";
