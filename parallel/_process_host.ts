// The process host: the script every ProcessPoolExecutor child runs (`deno run ... this file`).
// It is a transport, not a second task host: calls read from stdin (frames, see _frames.ts) run
// on one TaskWorker, the hub's worker host, and their outcomes go back on stdout. Its own main
// thread stays free, so it sees at once when stdin closes (the parent has ended or let go) and
// then exits, even while a task is busy in a computation: no child outlives its parent.
//
// When the worker ends on its own (an uncaught error, Deno.exit(), self.close()), the host
// reports the finished outcomes, which calls were running and which never started, then GONE,
// and exits with the worker's code. Task output on `console` goes to stderr: stdout carries
// the protocol.
import { ChunkFailure } from "../futures/chunk.ts";
import { BrokenExecutorError } from "../futures/errors.ts";
import { errorToRecord } from "../futures/error_record.ts";
import { describeTask, type Task, task } from "../futures/task.ts";
import type { StreamSink } from "../futures/task_stream.ts";
import { type TaskOutcome, TaskWorker } from "../futures/task_worker.ts";
import { transfer } from "../futures/transfer.ts";
import {
  BROKEN,
  CANCEL_CALL,
  type ChildMessage,
  CREDIT,
  DONE,
  FAILED,
  frame,
  FrameReader,
  GONE,
  ITEMS,
  type ParentMessage,
  PROGRESS,
  READY,
  UNSTARTED,
} from "./_frames.ts";

for (const method of ["log", "info", "debug", "dir", "dirxml", "table"]) {
  (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
}

function write(message: ChildMessage): void {
  let bytes: Uint8Array;
  try {
    bytes = frame(message);
  } catch (cause) {
    if (message[0] !== DONE) throw cause;
    // A result that cannot be serialized fails its own call, not the batch.
    write([DONE, serializable(message[1])]);
    return;
  }
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

// The error for `value` if it cannot be serialized, or undefined: `subject` says who made it.
function unserializable(subject: string, value: unknown): TypeError | undefined {
  try {
    frame(value);
    return undefined;
  } catch (cause) {
    return new TypeError(
      `${subject} a value that cannot be serialized to cross the process boundary (${
        cause instanceof Error ? cause.message : String(cause)
      })`,
      { cause },
    );
  }
}

// The DONE batches again, each value that cannot be serialized replaced by a failure.
function serializable(batches: unknown[]): unknown[] {
  const out = batches.slice();
  for (let b = 0; b < out.length; b += 3) {
    const values = out[b + 1] as unknown[];
    const special = out[b + 2] === 0 ? [] : (out[b + 2] as unknown[]).slice();
    const failed = special.filter((_, at) => at % 3 === 0);
    values.forEach((value, i) => {
      const error = failed.includes(i) ? undefined : unserializable("Task returned", value);
      if (error === undefined) return;
      values[i] = null;
      special.push(i, FAILED, errorToRecord(error));
    });
    out[b + 2] = special.length === 0 ? 0 : special;
  }
  return out;
}

// Outcomes are gathered and written once per turn, so a turn's calls cost one frame.
let batches: unknown[] = [];
let writeQueued = false;
function flush(): void {
  writeQueued = false;
  const out = batches;
  batches = [];
  if (out.length > 0) write([DONE, out]);
}

// Adds the outcome of call `firstId` to the turn's batches.
function report(firstId: number, outcome: TaskOutcome<unknown> | undefined): void {
  if (outcome?.ok) add(firstId, [outcome.value], 0);
  else if (outcome === undefined) add(firstId, [null], [0, UNSTARTED, null]);
  else add(firstId, [null], [0, ...failure(outcome.error)]);
}

// Adds the results of a chunk of `count` calls from `firstId` on (see TaskWorker.attemptChunk:
// the calls past its end never started).
function reportChunk(firstId: number, count: number, results: unknown[]): void {
  let special: 0 | unknown[] = 0;
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (!(result instanceof ChunkFailure)) continue;
    results[i] = null;
    (special ||= []).push(i, ...failure(result.error));
  }
  for (let i = results.length; i < count; i++) {
    results.push(null);
    (special ||= []).push(i, UNSTARTED, null);
  }
  add(firstId, results, special);
}

// How a failed call is reported: as the worker's end, or with its error.
function failure(error: unknown): [number, unknown] {
  return worker.broken && error instanceof BrokenExecutorError
    ? [BROKEN, null]
    : [FAILED, errorToRecord(error)];
}

function add(firstId: number, values: unknown[], special: 0 | unknown[]): void {
  batches.push(firstId, values, special);
  if (!writeQueued) {
    writeQueued = true;
    queueMicrotask(flush);
  }
}

// The parent sends module URLs and export names; the worker needs only those, so a stand-in
// task with the same reference carries them.
const stubs = new Map<string, Task<unknown[], unknown>>();
function reference(module: string, name: string): Task<unknown[], unknown> {
  const key = `${module}#${name}`;
  let stub = stubs.get(key);
  if (stub === undefined) {
    stub = task(module, () => undefined, { name }) as unknown as Task<unknown[], unknown>;
    stubs.set(key, stub);
  }
  return stub;
}

const worker: TaskWorker = new TaskWorker({
  name: "tandem-process-worker",
  logToStderr: true,
  // A web Worker starts in about half the time of a node:worker_threads one. That it keeps this
  // process alive does not matter here: the process ends when its stdin closes, or with GONE.
  webWorker: true,
  onReady: () => write([READY]),
  onBroken: (error) => {
    // The calls' outcomes are reported first (they settle as microtasks), then the end.
    setTimeout(() => {
      const crashed = error.cause !== undefined;
      const code = crashed ? 1 : worker.exitCode ?? 1;
      write([GONE, code, crashed ? errorToRecord(error.cause) : null]);
      Deno.exit(code);
    }, 0);
  },
});

// Calls that the parent may cancel while they run, by the parent's call id.
const cancellable = new Map<number, AbortController>();

// The arguments (or a chunk's items) just read are this relay's own copy: their buffers move on
// to the worker.
function moveBuffers(values: unknown[]): void {
  for (const arg of values) {
    if (
      arg instanceof ArrayBuffer ||
      (ArrayBuffer.isView(arg) && arg.buffer instanceof ArrayBuffer)
    ) {
      transfer(arg);
    }
  }
}

// Streamed calls, by the parent's call id: their first CREDIT comes before the call, the rest
// pass through to the worker, and their values go back as ITEMS frames.
const streams = new Map<number, { buffer: number; credit?: (n: number) => void }>();
// The last call id received: credit for a call up to it that is not streaming now is late.
let lastCallId = 0;

function relayCredit(id: number, n: number): void {
  const stream = streams.get(id);
  if (stream === undefined) {
    if (id > lastCallId) streams.set(id, { buffer: n });
  } else if (stream.credit !== undefined) stream.credit(n);
  else if (n === 0) stream.buffer = 0; // closed before the call came
}

// Streams that yielded a value that cannot leave this process: what their call fails with.
const unsendable = new Map<number, TypeError>();

// Sends a stream's values; at one that cannot be serialized, sends those before it, notes the
// failure for the call's outcome and closes the stream (its generator's `finally` runs).
function sendItems(id: number, ref: Task<unknown[], unknown>, values: unknown[]): void {
  try {
    write([ITEMS, id, values]);
    return;
  } catch { /* found below */ }
  const subject = `Task ${describeTask(ref)} yielded`;
  let sendable = 0;
  let error: TypeError | undefined;
  while (error === undefined && sendable < values.length) {
    error = unserializable(subject, values[sendable]);
    if (error === undefined) sendable++;
  }
  if (sendable > 0) write([ITEMS, id, values.slice(0, sendable)]);
  unsendable.set(id, error!);
  streams.get(id)?.credit?.(0);
}

function streamSink(id: number, ref: Task<unknown[], unknown>): StreamSink | undefined {
  const stream = streams.get(id);
  if (stream === undefined) return undefined;
  return {
    buffer: Math.max(1, stream.buffer),
    push: (values) => {
      if (!unsendable.has(id)) sendItems(id, ref, values);
    },
    open: (credit) => {
      stream.credit = credit;
      if (stream.buffer === 0) credit(0);
    },
  };
}

const reader = new FrameReader();
for await (const chunk of Deno.stdin.readable) {
  for (const message of reader.push(chunk) as ParentMessage[]) {
    if (message[0] === CREDIT) {
      relayCredit(message[1], message[2]);
      continue;
    }
    if (message[0] === CANCEL_CALL) {
      if (message[1] === -1) worker.cancelAll();
      else cancellable.get(message[1])?.abort();
      continue;
    }
    for (const [firstId, module, name, list, canCancel, chunk] of message[1]) {
      lastCallId = Math.max(lastCallId, firstId + list.length - 1);
      const ref = reference(module, name);
      if (chunk === 1) {
        moveBuffers(list);
        worker.attemptChunk(ref, list).then((done) => reportChunk(firstId, list.length, done));
      } else {
        const args = list[0] as unknown[];
        moveBuffers(args);
        const controller = canCancel ? new AbortController() : undefined;
        if (controller) cancellable.set(firstId, controller);
        const options = {
          signal: controller?.signal,
          onProgress: (value: unknown) => write([PROGRESS, firstId, value]),
          stream: streamSink(firstId, ref),
        };
        worker.attempt(ref, args, options).then((outcome) => {
          if (controller) cancellable.delete(firstId);
          streams.delete(firstId);
          const error = unsendable.get(firstId);
          unsendable.delete(firstId);
          report(firstId, error === undefined ? outcome : { ok: false, error });
        });
      }
    }
  }
}
// Stdin closed: the parent has ended or let this child go. Nothing would read the results.
Deno.exit(0);
