/**
 * The wire protocol between `NatsExecutor` (the submitter) and `serveTasks` (a worker), and the
 * JetStream names both sides agree on. Private to the package.
 *
 * - A task is a JetStream message on `tandem.<name>.tasks` (stream `TANDEM_<name>`, work-queue
 *   retention), headers `Nats-Msg-Id`, `Tandem-Reply` (the submitter's subject) and `Tandem-Id`,
 *   payload a {@linkcode TaskPayload} as the hub's `encodeValue` writes it (structured-clone values;
 *   simple ones in tandem's compact format).
 * - Before running, the worker asks the submitter, with a request on `Tandem-Reply`, whether the
 *   tasks it holds may start ({@linkcode StartRequest}); the reply is one {@linkcode Decision}
 *   per id. This is the "started" message that marks futures running, so `cancel()` works only
 *   while a task is pending, and a task whose submitter has gone is dropped unrun. A task whose
 *   future the submitter marked running when it published it (header `Tandem-Start: go`, see
 *   `NatsExecutorOptions.eagerStarts`) runs without this request.
 * - After running, the worker sends the outcomes with a request ({@linkcode DoneRequest}) and
 *   acknowledges the task messages once the submitter has replied (or is gone).
 *
 * @module
 */

import { decodeValue, encodeValue, type ErrorRecord } from "@tandem/tandem/futures";

/** The protocol version carried in every payload (2: payloads in the hub's value bytes). */
export const VERSION = 2;

/** The stream holding the tasks of executor `name`. */
export function streamName(name: string): string {
  return `TANDEM_${name}`;
}

/** The subject tasks are published on. */
export function taskSubject(name: string): string {
  return `tandem.${name}.tasks`;
}

/** The durable pull consumer every worker of `name` shares. */
export const CONSUMER = "workers";

/** Header: the submitter's subject for start and done requests. */
export const REPLY_HEADER = "Tandem-Reply";
/** Header: the task's id at its submitter. */
export const ID_HEADER = "Tandem-Id";
/** Header, value `go`: the submitter has marked the future running; run without asking. */
export const START_HEADER = "Tandem-Start";

/** The body of a task message. */
export interface TaskPayload {
  v: number;
  /** `./path/from/root.ts`, or a `jsr:`, `https:`, `http:` or `npm:` specifier. */
  module: string;
  /** The SHA-256 (hex) of the module file, for root-relative modules. */
  hash?: string;
  /** The export name. */
  name: string;
  /** One call's arguments, or... */
  args?: unknown[];
  /** ...a chunk of calls (from `map` with `chunkSize`). */
  chunk?: unknown[][];
  /** Milliseconds the task may run once started (enforced by the worker). */
  timeout?: number;
}

/** How one call ended, on the wire. */
export type WireOutcome = { ok: true; value: unknown } | {
  ok: false;
  error: ErrorRecord | { value: unknown };
};

/** Worker → submitter: may these tasks start? */
export interface StartRequest {
  kind: "start";
  worker: string;
  ids: number[];
}

/** Submitter → worker, per id: run it, or drop it (cancelled or unknown). */
export type Decision = "go" | "skip";

/** Worker → submitter: outcomes, one per id (a chunk's outcome is a list of outcomes). */
export interface DoneRequest {
  kind: "done";
  worker: string;
  results: [id: number, outcome: WireOutcome | WireOutcome[]][];
}

/** Encodes a protocol value (the hub's value bytes: what structured clone carries). */
export function encode(value: unknown): Uint8Array {
  return encodeValue(value);
}

/** Decodes a protocol value. */
export function decode<T>(data: Uint8Array): T {
  return decodeValue(data) as T;
}
