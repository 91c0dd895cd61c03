// Private: the messages between a TaskWorker (parent) and the worker host (child isolate).
//
// The host starts with its HostInit as `workerData` (in a web Worker: as the first message) and
// answers READY once it is set up: until then the parent counts the worker as starting, and an
// error or exit means "could not start".
//
// Calls are numbered per worker, 1, 2, 3, ... in the order the parent makes them, and the host
// runs them one at a time in that order. Hot messages are arrays (cheaper to structured-clone
// than objects); task references are sent once per worker and then named by a small index.
//
// Before starting call N the host stores N in `control[STARTED]`, so that the parent can tell,
// even after an unannounced death, which calls had started. The host reports its own end (an
// uncaught error, `self.close()`, `Deno.exit()`) with a GONE message on the same channel as the
// results, after flushing them, so the parent knows exactly which call was running.
import type { ErrorRecord } from "./_codec.ts";

// The control buffer (one SharedArrayBuffer per worker): Int32 cells, then two mailboxes.
//
// The fast lane: a call made while the worker has nothing in flight, whose arguments and
// result are simple values (see writeSimple in _codec.ts), goes through the request mailbox and
// comes back through the response mailbox, with Atomics wake-ups instead of messages. After its
// queue runs dry the host blocks in Atomics.wait on DOORBELL for up to IDLE_BLOCK_MS (its event
// loop paused), then returns to its event loop. The parent takes the fast lane only by claiming
// that wait (BLOCKED: WAITING -> CLAIMED); a host back on its event loop gets a message, because
// Deno does not always deliver an Atomics.waitAsync wake-up to an idle event loop, and a call
// that waited for one stalled until the stall check poked the host. The parent bumps DOORBELL
// (and notifies when BLOCKED is set) after every message too, so a blocked host goes back to its
// event loop to read it.

/** Cell: id of the last call the host started. */
export const STARTED = 0;
/** Cell: bumped by the parent whenever it sends work. */
export const DOORBELL = 1;
/**
 * Cell: WAITING while the host is blocked in Atomics.wait on DOORBELL, CLAIMED once the parent
 * has claimed that wait for a fast call (compare-exchange WAITING -> CLAIMED), 0 otherwise.
 */
export const BLOCKED = 2;
/** BLOCKED value: the host waits in Atomics.wait and a fast call may claim it. */
export const WAITING = 1;
/** BLOCKED value: the parent is writing a fast call; the host waits for REQ_ID to be set. */
export const CLAIMED = 2;
/** Cell: id of the call in the request mailbox, 0 when empty. */
export const REQ_ID = 3;
/** Cell: task reference index of that call. */
export const REQ_REF = 4;
/** Cell: id of the last fast call answered. */
export const RES_ID = 5;
/** Cell: how it was answered: RES_VALUE (in the response mailbox) or RES_MESSAGE. */
export const RES_KIND = 6;
/** Cell: set to 1 by the parent when it stops the worker. */
export const STOP = 7;
/** Cell: id of the call the parent cancelled (CANCEL_ALL: every call). */
export const CANCEL = 8;
/** CANCEL's value when every call is cancelled (a pool shut down with cancelFutures). */
export const CANCEL_ALL = 0x7fffffff;
/**
 * Cell: PROGRESS messages the parent has delivered (bumped and notified after each one). The host
 * keeps at most PROGRESS_WINDOW of them in flight (sent, and not yet counted here); past that it
 * keeps only the latest value, and sends it when the parent catches up, at the task's next
 * report, or at the latest before the call's outcome. A call that reported progress is answered
 * by message, never through the response mailbox, so its last PROGRESS comes first.
 */
export const PROGRESS_TAKEN = 9;
/** How many PROGRESS messages may be in flight before the host keeps only the latest value. */
export const PROGRESS_WINDOW = 8;

export const RES_VALUE = 1;
export const RES_MESSAGE = 2;

/** How long an idle host blocks waiting for a fast call before returning to its event loop. */
export const IDLE_BLOCK_MS = 2;

const CELLS_BYTES = 64;
/** Size of each mailbox, in bytes. */
export const MAILBOX_BYTES = 16 * 1024;
/** Where the request mailbox starts. */
export const REQ_OFFSET = CELLS_BYTES;
/** Where the response mailbox starts. */
export const RES_OFFSET = CELLS_BYTES + MAILBOX_BYTES;
/** Size of the control buffer. */
export const CONTROL_BYTES = CELLS_BYTES + 2 * MAILBOX_BYTES;

/**
 * Parent -> host, as the Worker's `workerData` (a web Worker's first message): what the host needs
 * before its first call.
 */
export interface HostInit {
  registry: SharedArrayBuffer;
  isolate: number;
  control: SharedArrayBuffer;
  /** Send `console` output that would go to stdout to stderr (stdout carries a protocol). */
  logToStderr: boolean;
}

/** Parent -> host kind tag: a run of calls with consecutive ids. */
export const CALLS = 1;

/**
 * `[CALLS, firstId, defs, refs, argsList, shared, unary?, batchEnds?]`:
 * - `defs`: `0`, or flat `[index, module, name, ...]` defining task references used here;
 * - `refs`: one reference index for every call, or one index per call;
 * - `argsList`: the argument list of each call;
 * - `shared`: `0`, or the positions in `argsList` whose arguments hold shared handles;
 * - `unary`: `1` when every call has one argument and none is shared: then `argsList` holds the
 *   arguments themselves, not lists of one (a chunk of `map` clones several times faster flat).
 * - `batchEnds`: `0` for calls made one by one, or, for a message of batches (`attemptBatch`, the
 *   chunks of `map`), the position after each batch's last call. A batch's outcomes are taken
 *   together, so the host may look at the clock less often than once a call inside one (see
 *   FLUSH_MS in the host). Batches and single calls do not share a message.
 */
export type CallsMessage = [
  kind: typeof CALLS,
  firstId: number,
  defs: 0 | (number | string)[],
  refs: number | number[],
  argsList: unknown[][],
  shared: 0 | number[],
  unary?: 0 | 1,
  batchEnds?: 0 | number[],
];

/**
 * Parent -> host kind tag: `[POKE]`, "run what you hold". Sent only when the parent's oldest call
 * has not started over two looks 500 ms apart while the call before it has settled: a safety
 * net for a host that missed a wake-up or a message it took in.
 */
export const POKE = 2;

/**
 * Parent -> host kind tag: `[CANCEL_CALL, id]`, the call `id` (or every call, for CANCEL_ALL)
 * was cancelled: abort its context's signal. The CANCEL cell is set first.
 */
export const CANCEL_CALL = 3;

/**
 * Parent -> host kind tag: `[CREDIT, id, n]`, call `id` streams its values (see
 * _stream_pump.ts) and may send `n` more of them; `n === 0`: the reader left, close the
 * generator. The first CREDIT of a stream comes before its call, so that the host knows the
 * call is a stream when it starts it (stream calls never take the fast lane).
 */
export const CREDIT = 4;

export type HostRequest =
  | CallsMessage
  | [typeof POKE]
  | [typeof CANCEL_CALL, number]
  | [typeof CREDIT, number, number];

/** Host -> parent kind tag: outcomes of consecutive calls. */
export const DONE = 1;
/** Host -> parent kind tag: the host is going away. */
export const GONE = 2;

/** Status of a non-plain outcome in a DONE message. */
export const SHARED_VALUE = 1;
export const ERROR = 2;

/** A rebuilt-able description of a thrown value. */
export type ThrownRecord = ErrorRecord | { value: unknown };

/**
 * `[DONE, firstId, values, special]`: the outcomes of calls `firstId ..< firstId +
 * values.length`. `special` is `0` (every value is plain) or flat `[position, status, payload,
 * ...]` for values holding shared handles (`SHARED_VALUE`, payload = encoded value) and failures
 * (`ERROR`, payload = a thrown record).
 */
export type DoneMessage = [
  kind: typeof DONE,
  firstId: number,
  values: unknown[],
  special: 0 | unknown[],
];

/** Why the host went away. */
export type GoneReason = "crash" | "close" | "exit";

/**
 * `[GONE, reason, runningId, detail]`: the host ends now. `runningId` is the call that was
 * running (0 if none); every call before it has been reported, every call after it never
 * started. `detail` is the thrown record for "crash", the exit code for "exit".
 */
export type GoneMessage = [
  kind: typeof GONE,
  reason: GoneReason,
  runningId: number,
  detail: ThrownRecord | number | null,
];

/** Host -> parent kind tag: `[READY]`, the start handshake: the host has loaded and set up. */
export const READY = 3;

/** Host -> parent kind tag: `[PROGRESS, id, value]`, a progress value of call `id`. */
export const PROGRESS = 4;

/** Host -> parent kind tag: `[ITEMS, id, values]`, values a streamed call `id` yielded. */
export const ITEMS = 5;

export type HostReply =
  | DoneMessage
  | GoneMessage
  | [typeof READY]
  | [typeof PROGRESS, number, unknown]
  | [typeof ITEMS, number, unknown[]];
