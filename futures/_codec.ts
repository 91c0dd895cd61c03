// Private: how values cross an isolate boundary. Shareable objects become handles on the way out
// and live objects again on the way in; errors keep their class name, message, stack and cause.
import { fromHandle, isShareable, type SharedHandle, toHandle } from "./shareable.ts";

const MARK = "\u0000tandem.shared";

type Marked = { [MARK]: SharedHandle };

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Replaces every shareable object found in arrays and plain objects inside `value` by a marked
 * handle. Returns `value` itself when it holds none, so the common case copies nothing (and a
 * primitive allocates nothing).
 */
export function encode(value: unknown): { value: unknown; shared: boolean } {
  if (typeof value !== "object" || value === null) return { value, shared: false };
  const walker = new Encoder();
  const out = walker.walk(value);
  return { value: out, shared: walker.shared };
}

/**
 * Like {@linkcode encode}, for the argument list of one call: returns the list to send, and sets
 * `encodeArgs.shared`. Allocates nothing when no argument is an object.
 */
export function encodeArgs(args: unknown[]): unknown[] {
  encodeArgs.shared = false;
  let walker: Encoder | undefined;
  let copy: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const item = args[i];
    if (typeof item !== "object" || item === null) continue;
    walker ??= new Encoder();
    const out = walker.walk(item);
    if (out !== item) {
      copy ??= args.slice();
      copy[i] = out;
    }
  }
  if (walker?.shared) encodeArgs.shared = true;
  return copy ?? args;
}
encodeArgs.shared = false;

class Encoder {
  shared = false;
  #seen: Map<object, unknown> | undefined;

  walk(v: unknown): unknown {
    if (typeof v !== "object" || v === null) return v;
    if (isShareable(v)) {
      this.shared = true;
      return { [MARK]: v[toHandle]() } satisfies Marked;
    }
    const seen = this.#seen ??= new Map();
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      seen.set(v, v);
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (typeof item !== "object" || item === null) continue;
        const out = this.walk(item);
        if (out !== item) {
          copy ??= v.slice();
          copy[i] = out;
        }
      }
      if (copy) seen.set(v, copy);
      return copy ?? v;
    }
    if (isPlainObject(v)) {
      seen.set(v, v);
      let copy: Record<string, unknown> | undefined;
      for (const key of Object.keys(v)) {
        const item = v[key];
        if (typeof item !== "object" || item === null) continue;
        const out = this.walk(item);
        if (out !== item) {
          copy ??= { ...v };
          copy[key] = out;
        }
      }
      if (copy) seen.set(v, copy);
      return copy ?? v;
    }
    return v;
  }
}

const revivers = new Map<string, Promise<(state: unknown) => unknown>>();

function reviver(handle: SharedHandle): Promise<(state: unknown) => unknown> {
  const key = `${handle.module}#${handle.name}`;
  let found = revivers.get(key);
  if (found === undefined) {
    found = (async () => {
      const namespace = await import(handle.module);
      const cls = namespace[handle.name];
      const revive = cls?.[fromHandle];
      if (typeof revive !== "function") {
        throw new TypeError(
          `Cannot rebuild shared object '${handle.name}' from ${handle.module}: ` +
            "the export has no static [fromHandle] method",
        );
      }
      return (state: unknown) => revive.call(cls, state);
    })();
    revivers.set(key, found);
  }
  return found;
}

/** Undoes {@linkcode encode} in the receiving isolate. Only call it when `shared` was true. */
export async function decode(value: unknown): Promise<unknown> {
  const seen = new Set<object>();
  const walk = async (v: unknown): Promise<unknown> => {
    if (typeof v !== "object" || v === null || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = await walk(v[i]);
      return v;
    }
    if (isPlainObject(v)) {
      if (MARK in v) {
        const handle = (v as Marked)[MARK];
        return (await reviver(handle))(handle.state);
      }
      for (const key of Object.keys(v)) v[key] = await walk(v[key]);
    }
    return v;
  };
  return await walk(value);
}

export { type ErrorRecord, errorToRecord, recordToError } from "./error_record.ts";

// The fast lane's codec: simple values (undefined, null, booleans, numbers, strings, and arrays
// and plain objects of them) written straight into a mailbox of a SharedArrayBuffer. Anything
// else (or anything too big) makes writeSimple return -1, and the call takes the message lane.

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_FLOAT = 4;
const T_INT = 5;
const T_STRING = 6;
const T_ARRAY = 7;
const T_OBJECT = 8;
const MAX_DEPTH = 16;

let wView: DataView;
let wPos = 0;
let wEnd = 0;
let wOverflow = false;

// Whether `n` more bytes fit; notes when they do not, so writeSimple can say "too big".
function room(n: number): boolean {
  if (wPos + n <= wEnd) return true;
  wOverflow = true;
  return false;
}

function writeString(s: string): boolean {
  const n = s.length;
  if (!room(5 + 2 * n)) return false;
  wView.setUint8(wPos, T_STRING);
  wView.setUint32(wPos + 1, n, true);
  let p = wPos + 5;
  for (let i = 0; i < n; i++, p += 2) wView.setUint16(p, s.charCodeAt(i), true);
  wPos = p;
  return true;
}

function writeValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "undefined":
      if (!room(1)) return false;
      wView.setUint8(wPos++, T_UNDEFINED);
      return true;
    case "boolean":
      if (!room(1)) return false;
      wView.setUint8(wPos++, v ? T_TRUE : T_FALSE);
      return true;
    case "number":
      if ((v | 0) === v && !Object.is(v, -0)) {
        if (!room(5)) return false;
        wView.setUint8(wPos, T_INT);
        wView.setInt32(wPos + 1, v, true);
        wPos += 5;
      } else {
        if (!room(9)) return false;
        wView.setUint8(wPos, T_FLOAT);
        wView.setFloat64(wPos + 1, v, true);
        wPos += 9;
      }
      return true;
    case "string":
      return writeString(v);
    case "object": {
      if (v === null) {
        if (!room(1)) return false;
        wView.setUint8(wPos++, T_NULL);
        return true;
      }
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        const n = v.length;
        if (!room(5 + n)) return false;
        wView.setUint8(wPos, T_ARRAY);
        wView.setUint32(wPos + 1, n, true);
        wPos += 5;
        for (let i = 0; i < n; i++) {
          if (!(i in v) || !writeValue(v[i], depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainObject(v)) return false;
      const keys = Object.keys(v);
      if (!room(5)) return false;
      wView.setUint8(wPos, T_OBJECT);
      wView.setUint32(wPos + 1, keys.length, true);
      wPos += 5;
      for (const key of keys) {
        if (!writeString(key) || !writeValue(v[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Writes `value` into `view` between `start` and `end` if it is a simple value that fits.
 * Returns the end position, or a negative number (nothing useful written): -1 if the value is
 * not simple, -2 if it did not fit (it may be simple; a bigger space may take it).
 */
export function writeSimple(view: DataView, start: number, end: number, value: unknown): number {
  wView = view;
  wPos = start;
  wEnd = end;
  wOverflow = false;
  return writeValue(value, 0) ? wPos : wOverflow ? -2 : -1;
}

let rView: DataView;
let rPos = 0;

function readString(): string {
  const n = rView.getUint32(rPos, true);
  rPos += 4;
  let out = "";
  // Build in slices: String.fromCharCode takes many arguments at once.
  const codes: number[] = [];
  for (let i = 0; i < n; i++, rPos += 2) {
    codes.push(rView.getUint16(rPos, true));
    if (codes.length === 4096) {
      out += String.fromCharCode(...codes);
      codes.length = 0;
    }
  }
  return codes.length === 0 ? out : out + String.fromCharCode(...codes);
}

function readValue(): unknown {
  const tag = rView.getUint8(rPos++);
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_INT: {
      const n = rView.getInt32(rPos, true);
      rPos += 4;
      return n;
    }
    case T_FLOAT: {
      const n = rView.getFloat64(rPos, true);
      rPos += 8;
      return n;
    }
    case T_STRING:
      return readString();
    case T_ARRAY: {
      const n = rView.getUint32(rPos, true);
      rPos += 4;
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue();
      return out;
    }
    case T_OBJECT: {
      const n = rView.getUint32(rPos, true);
      rPos += 4;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        rPos++; // the key's string tag
        const key = readString();
        const value = readValue();
        if (key === "__proto__") {
          Object.defineProperty(out, key, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else {
          out[key] = value;
        }
      }
      return out;
    }
    default:
      throw new Error(`tandem: corrupt fast-lane value (tag ${tag})`);
  }
}

/** Reads a value written by {@linkcode writeSimple} at `start`. */
export function readSimple(view: DataView, start: number): unknown {
  rView = view;
  rPos = start;
  return readValue();
}
