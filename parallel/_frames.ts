// Private: the wire format between ProcessPoolExecutor and its child processes. A message frame
// is the 4 bytes "TNDM", a little-endian u32 length, and a `node:v8` serialized message, so
// values keep their structured-clone types (Map, Set, Date, RegExp, typed arrays, errors) across
// the process boundary. A start marker is the 4 bytes "TNDS" and two u32 call ids: it is cheap,
// because the child writes one before every call (so that the parent knows which call was
// running if the process dies). Errors travel as records that keep the class name, message,
// stack and cause.
import type { ErrorRecord } from "@tandem/tandem/futures";
import { deserialize, serialize } from "node:v8";

const MESSAGE = [0x54, 0x4e, 0x44, 0x4d]; // "TNDM"
const STARTED = [0x54, 0x4e, 0x44, 0x53]; // "TNDS"
const HEADER = 8;
const MARKER = 12;

/**
 * Parent -> child: `[CALLS, entries]`, each entry `[firstId, module, name, argsList, unit]`:
 * calls `firstId, firstId + 1, ...`. A `unit` (a chunk of `map`) is started, reported and
 * broken as a whole.
 */
export const CALLS = 1;
/** Child -> parent: `[DONE, outcomes]`, each outcome `[id, ok, value | record]`. */
export const DONE = 3;
/** Child -> parent: `[CRASH, record]`: an uncaught error ends the process. */
export const CRASH = 4;

export type CallEntry = [
  firstId: number,
  module: string,
  name: string,
  argsList: unknown[][],
  unit: boolean,
];
export type ParentMessage = [typeof CALLS, CallEntry[]];
export type Outcome = [id: number, ok: boolean, payload: unknown];
export type ChildMessage =
  | [typeof DONE, Outcome[]]
  | [typeof CRASH, ErrorRecord | { value: unknown }];

/** A start marker as the reader reports it: calls `first` to `last` have started. */
export interface Started {
  started: [first: number, last: number];
}

/** Serializes `message` into one frame. Throws if it cannot be serialized. */
export function frame(message: unknown): Uint8Array {
  const body = serialize(message);
  const out = new Uint8Array(HEADER + body.length);
  out.set(MESSAGE, 0);
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, HEADER);
  return out;
}

/** A start marker for calls `first` to `last`. */
export function startMarker(first: number, last: number): Uint8Array {
  const out = new Uint8Array(MARKER);
  out.set(STARTED, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, first, true);
  view.setUint32(8, last, true);
  return out;
}

function matches(buffer: Uint8Array, at: number, magic: number[]): boolean {
  for (let i = 0; i < 4; i++) if (buffer[at + i] !== magic[i]) return false;
  return true;
}

/** Reassembles frames and markers from a byte stream. */
export class FrameReader {
  #buffer: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** Adds bytes; returns what they complete. Throws on bytes that are not ours. */
  push(chunk: Uint8Array<ArrayBufferLike>): (unknown | Started)[] {
    let buffer = this.#buffer;
    if (buffer.length === 0) buffer = chunk;
    else {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer, 0);
      joined.set(chunk, buffer.length);
      buffer = joined;
    }
    const out: (unknown | Started)[] = [];
    let at = 0;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    while (buffer.length - at >= HEADER) {
      if (matches(buffer, at, STARTED)) {
        if (buffer.length - at < MARKER) break;
        out.push({ started: [view.getUint32(at + 4, true), view.getUint32(at + 8, true)] });
        at += MARKER;
        continue;
      }
      if (!matches(buffer, at, MESSAGE)) {
        const text = new TextDecoder().decode(buffer.subarray(at, at + 60));
        throw new Error(`unexpected output on the protocol channel: ${JSON.stringify(text)}`);
      }
      const length = view.getUint32(at + 4, true);
      if (buffer.length - at - HEADER < length) break;
      out.push(deserialize(buffer.subarray(at + HEADER, at + HEADER + length)));
      at += HEADER + length;
    }
    this.#buffer = at === buffer.length ? new Uint8Array(0) : buffer.slice(at);
    return out;
  }
}

// Errors travel as the hub's error records, the same way as between workers.
export { type ErrorRecord, errorToRecord, recordToError } from "@tandem/tandem/futures";
