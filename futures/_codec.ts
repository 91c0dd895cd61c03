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
 * handle. Returns `value` itself when it holds none, so the common case copies nothing.
 */
export function encode(value: unknown): { value: unknown; shared: boolean } {
  let shared = false;
  const seen = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (isShareable(v)) {
      shared = true;
      return { [MARK]: v[toHandle]() } satisfies Marked;
    }
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      seen.set(v, v);
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        const out = walk(item);
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
        const out = walk(item);
        if (out !== item) {
          copy ??= { ...v };
          copy[key] = out;
        }
      }
      if (copy) seen.set(v, copy);
      return copy ?? v;
    }
    return v;
  };
  const out = walk(value);
  return { value: out, shared };
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

/** A structured-clonable description of an error. */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  cause?: ErrorRecord | { value: unknown };
  props?: Record<string, unknown>;
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Describes `error` so that it survives structured clone with its class name and stack. */
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

/** Rebuilds an error from {@linkcode errorToRecord}: built-in and `Deno.errors` classes are
 * restored; other classes come back as `Error` with the original `name`. */
export function recordToError(record: ErrorRecord | { value: unknown }): unknown {
  if ("value" in record && !("message" in record)) return record.value;
  const r = record as ErrorRecord;
  const ctor = BUILTIN_ERRORS[r.name] ??
    (Deno.errors as unknown as Record<string, ErrorConstructor | undefined>)[r.name] ?? Error;
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
