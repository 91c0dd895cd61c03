// The worker host: the module every tandem worker starts from (threads, pools, bridges, and the
// worker inside each process-pool child). It resolves task references, rebuilds shared objects,
// runs calls one at a time in the order they were made, and reports their outcomes in batches.
// See _protocol.ts for the messages and task_worker.ts for the parent's side.
//
// It runs in a `node:worker_threads` Worker, which Deno, Bun and Node all provide, and reads no
// runtime-specific global at load, so that it starts (and says READY) on each of them. Under
// Deno it may also run in a web Worker (TaskWorker's `webWorker`, which starts faster): there
// `parentPort` is null, the HostInit is the first message instead of `workerData`, and messages
// go through the worker's global scope.
//
// Outcomes of quick calls are gathered and sent together (when the queue runs dry, before any
// wait, every FLUSH_COUNT calls and every FLUSH_MS), so many small tasks cost few messages.
// The host also reports its own end: an uncaught error or unhandled rejection, `self.close()`,
// `Deno.exit()` and `process.exit()` all flush the finished outcomes and then say which call was
// running.
import type { Transferable as NodeTransferable } from "node:worker_threads";
import { decode, encode, errorToRecord, readSimple, writeSimple } from "./_codec.ts";
import { takeTransfers } from "./transfer.ts";
import { importingTaskModule } from "./bootstrap.ts";
import { isThenable } from "./checks.ts";
import { cancelledError, provideTaskContext, type TaskContext } from "./context.ts";
import { BrokenExecutorError } from "./errors.ts";
import { adoptIsolateRegistry } from "./isolates.ts";
import { describeTask, resolveTask, type Task, type TaskReference } from "./task.ts";
import { type Credit, grant, isAsyncIterable, newCredit, pump } from "./_stream_pump.ts";
import type {
  CallsMessage,
  DoneMessage,
  GoneMessage,
  GoneReason,
  HostInit,
  HostRequest,
} from "./_protocol.ts";
import * as wire from "./_protocol.ts";

// A chunk of map (1,000 items) goes back in one message: each message costs the parent a wake-up
// and a dispatch, and 128 made eight per chunk. FLUSH_MS still bounds how long an outcome waits.
const FLUSH_COUNT = 1024;
const FLUSH_MS = 1;

// What a web Worker's global scope offers the host in place of `parentPort`.
interface WebScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(
    type: "message" | "error" | "unhandledrejection",
    listener: (event: MessageEvent & ErrorEvent & PromiseRejectionEvent) => void,
    options?: { once: boolean },
  ): void;
}
const scope = globalThis as unknown as WebScope;
type Exit = (code?: number) => never;
const denoGlobal = (globalThis as { Deno?: { exit: Exit; exitCode: number } }).Deno;
// A web Worker (Deno only) gets by without node modules: loading Deno's Node layer into a fresh
// isolate is a good part of a web Worker's start, which is why the process pool's children use
// one. In a node:worker_threads Worker (Deno's has no WorkerGlobalScope) the host needs them.
const web = denoGlobal !== undefined && "WorkerGlobalScope" in globalThis;
const node = web ? undefined : {
  threads: await import("node:worker_threads"),
  process: (await import("node:process")).default,
};
const port = node?.threads.parentPort ?? null;
const init: HostInit = port !== null
  ? node!.threads.workerData as HostInit
  : await new Promise<HostInit>((resolve) => {
    scope.addEventListener("message", (event) => resolve(event.data), { once: true });
  });
const post = port !== null
  ? (message: unknown, transfer: Transferable[] = []): void =>
    port.postMessage(message, transfer as NodeTransferable[])
  : (message: unknown, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
// Ends this thread (in a worker, neither call ends the process). Under Deno, `process.exit()`
// ends in `Deno.exit()`.
const exitThread: Exit = denoGlobal
  ? denoGlobal.exit.bind(denoGlobal)
  : node!.process.exit.bind(node!.process);

const cells = new Int32Array(init.control);
const mailbox = new DataView(init.control);
// Doorbell rings accounted for: one per CALLS message received, one per fast call taken.
let consumed = 0;
let armed = false;
let fastId = 0;
const refs = new Map<number, TaskReference>();
const tasks = new Map<number, Task<unknown[], unknown>>();

// Pending calls: the CALLS messages not yet run through, and the position in the first one.
const segments: (CallsMessage | undefined)[] = [];
let head = 0;
let position = 0;
let running = false;
let gone = false;
let currentId = 0;
let currentRef = 0;

// Outcomes not yet sent: calls outFirst ..< outFirst + outValues.length.
let outFirst = 0;
let outValues: unknown[] = [];
let outSpecial: unknown[] = [];
let outRefs: number[] = [];
let outSince = 0;
// When the call now running began (the previous one's end). A run of outcomes is timed from the
// start of its first call, so a call that ran FLUSH_MS or longer is reported as it ends, and a
// call queued behind it does not hold its outcome back. The clock is Date.now(): performance.now()
// costs twice as much (95 against 48 ns on a 2-core reference machine).
let callStart = 0;
// Inside a batch, whose outcomes the parent takes together, the clock is read only every
// `stride` calls: the stride doubles (up to MAX_STRIDE) while the outcomes gathered are younger
// than FLUSH_MS, and drops back to 1 when they are sent. A chunk of map of no-ops then reads it a
// few times a millisecond instead of at every call, which was a third of the host's CPU. Long
// calls are still reported one by one, and the last call of a batch always reads it. The price:
// where quick calls turn into long ones, up to MAX_STRIDE - 1 of them may end before the next
// reading, and if this host is stopped from outside meanwhile (terminate(), a killed process),
// they are reported as broken with the running one (see attemptBatch).
const MAX_STRIDE = 16;
let stride = 1;
let sinceCheck = 0;
// The next batch end to reach in the current segment (see `batchEnds` in CallsMessage).
let endIndex = 0;
// Whether the call just ended is inside a batch and not its last (set by clockDue).
let batchGoesOn = false;

// Whether to read the clock after the call at `position - 1` of a segment with `ends`.
function clockDue(ends: 0 | number[] | undefined): boolean {
  if (ends === undefined || ends === 0) {
    batchGoesOn = false;
    return true;
  }
  if (position === ends[endIndex]) {
    endIndex++;
    batchGoesOn = false;
    return true;
  }
  batchGoesOn = true;
  return ++sinceCheck >= stride;
}

// What the outcomes move rather than copy: results marked with transfer().
let outTransfer: Transferable[] = [];

function record(id: number, ref: number, value: unknown, status = 0): void {
  // Outcomes travel as a run of consecutive ids; a gap (a call the parent could not send)
  // starts a new message.
  if (outValues.length > 0 && id !== outFirst + outValues.length) flush();
  if (outValues.length === 0) {
    outFirst = id;
    outSince = callStart;
  }
  if (status === 0) {
    outValues.push(value);
  } else {
    outSpecial.push(outValues.length, status, value);
    outValues.push(undefined);
  }
  outRefs.push(ref);
}

function flush(): void {
  if (outValues.length === 0 || gone) return;
  const message: DoneMessage = [
    wire.DONE,
    outFirst,
    outValues,
    outSpecial.length === 0 ? 0 : outSpecial,
  ];
  const transfer = outTransfer;
  outTransfer = [];
  try {
    post(message, transfer);
  } catch {
    // Copied, not moved: the failure may have been in what was to move.
    post(withUnclonableReplaced(message));
  }
  outValues = [];
  outSpecial = [];
  outRefs = [];
}

// A result that cannot be structured-cloned fails its own call, not the whole batch.
function withUnclonableReplaced(message: DoneMessage): DoneMessage {
  const [, first, values, special] = message;
  const marked = new Set<number>();
  const out: unknown[] = special === 0 ? [] : [...special];
  for (let i = 0; i < out.length; i += 3) marked.add(out[i] as number);
  for (let i = 0; i < values.length; i++) {
    if (marked.has(i)) continue;
    try {
      structuredClone(values[i]);
    } catch (cause) {
      const error = new TypeError(
        `Task ${
          describeRef(outRefs[i], first + i)
        } returned a value that cannot be structured-cloned (${messageOf(cause)})`,
        { cause },
      );
      out.push(i, wire.ERROR, errorToRecord(error));
      values[i] = undefined;
    }
  }
  return [wire.DONE, first, values, out.length === 0 ? 0 : out];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A task that cannot be loaded here fails with a BrokenExecutorError carrying the platform's
// own message (a missing file or permission, a syntax error, a module that starts workers).
async function resolveRef(index: number): Promise<Task<unknown[], unknown>> {
  const ref = refs.get(index);
  if (ref === undefined) throw new Error(`tandem worker host: unknown task reference ${index}`);
  let task: Task<unknown[], unknown>;
  try {
    task = await importingTaskModule(ref.module, ref.name, () => resolveTask(ref));
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    const platform = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    const what = error instanceof Error && error !== cause ? `${error.message}: ` : "";
    throw new BrokenExecutorError(
      `Task ${describeTask(ref)} could not be loaded in worker ${init.isolate}: ${what}${platform}`,
      { cause },
    );
  }
  tasks.set(index, task);
  return task;
}

function settleValue(id: number, ref: number, value: unknown): void {
  if (typeof value !== "object" || value === null) {
    record(id, ref, value);
    return;
  }
  takeTransfers([value], outTransfer);
  const out = encode(value);
  record(id, ref, out.value, out.shared ? wire.SHARED_VALUE : 0);
}

// Takes the call waiting in the request mailbox, if any, and queues it.
function pollMailbox(): boolean {
  if (gone) return false;
  const id = Atomics.load(cells, wire.REQ_ID);
  if (id === 0) return false;
  const ref = Atomics.load(cells, wire.REQ_REF);
  const args = readSimple(mailbox, wire.REQ_OFFSET) as unknown[];
  Atomics.store(cells, wire.REQ_ID, 0);
  consumed++;
  fastId = id;
  segments.push([wire.CALLS, id, 0, ref, [args], 0]);
  return true;
}

// Answers the fast call through the response mailbox, or says the answer went by message.
function answerFast(id: number): void {
  fastId = 0;
  let kind = wire.RES_MESSAGE;
  // A call that reported progress is answered by message, after its last PROGRESS.
  if (outValues.length === 1 && outFirst === id && outSpecial.length === 0 && progressId !== id) {
    if (
      writeSimple(mailbox, wire.RES_OFFSET, wire.RES_OFFSET + wire.MAILBOX_BYTES, outValues[0]) >= 0
    ) {
      kind = wire.RES_VALUE;
      outValues = [];
      outRefs = [];
    }
  }
  if (kind === wire.RES_MESSAGE) flush();
  Atomics.store(cells, wire.RES_KIND, kind);
  Atomics.store(cells, wire.RES_ID, id);
  Atomics.notify(cells, wire.RES_ID);
}

// Runs queued calls until none is left; returns false if the host went away meanwhile.
async function runQueued(): Promise<boolean> {
  while (!gone) {
    const segment = segments[head];
    if (segment === undefined) return true;
    const argsList = segment[4];
    if (position >= argsList.length) {
      segments[head++] = undefined;
      position = 0;
      endIndex = 0;
      if (head > 64 && head * 2 > segments.length) {
        segments.splice(0, head);
        head = 0;
      }
      continue;
    }
    const i = position++;
    const id = segment[1] + i;
    const refSpec = segment[3];
    const ref = typeof refSpec === "number" ? refSpec : refSpec[i];
    const shared = segment[5] !== 0 && segment[5].includes(i);
    currentId = id;
    currentRef = ref;
    let stream: Credit | undefined;
    if (streams.size > 0) {
      stream = streams.get(id);
      // Announced calls that never came (their arguments could not be sent) are forgotten.
      for (const announced of streams.keys()) if (announced <= id) streams.delete(announced);
    }
    currentStream = stream;
    Atomics.store(cells, wire.STARTED, id);
    try {
      let task = tasks.get(ref);
      if (task === undefined) {
        flush();
        task = await resolveRef(ref);
      }
      let args = argsList[i];
      if (shared) {
        flush();
        args = (await decode(args)) as unknown[];
      }
      let result = segment[6] === 1 ? task(args) : task(...args);
      if (isThenable(result)) {
        flush();
        result = await result;
      }
      if (stream !== undefined) {
        flush();
        result = await pumpCall(id, result, stream);
      } else if (isAsyncIterable(result)) {
        throw notStreamed();
      }
      if (gone) return false;
      if (progressHeld) releaseProgress();
      settleValue(id, ref, result);
    } catch (error) {
      if (gone) return false;
      if (progressHeld) {
        try {
          releaseProgress();
        } catch {
          // The task's own failure (or this value's) is the one to report.
          progressHeld = false;
          progressValue = undefined;
        }
      }
      record(id, ref, errorToRecord(error), wire.ERROR);
    }
    currentStream = undefined;
    if (id === fastId) answerFast(id);
    else if (clockDue(segment[7])) {
      sinceCheck = 0;
      const now = Date.now();
      if (outValues.length >= FLUSH_COUNT || now - outSince >= FLUSH_MS) {
        flush();
        stride = 1;
      } else stride = batchGoesOn ? Math.min(stride * 2, MAX_STRIDE) : 1;
      callStart = now;
    }
  }
  return false;
}

// How long a claimed host waits for the parent to finish writing its fast call: the parent
// writes it in the same synchronous step as the claim, so this is only a guard.
const CLAIM_WAIT_MS = 1000;

async function drain(): Promise<void> {
  running = true;
  try {
    for (;;) {
      callStart = Date.now();
      if (!(await runQueued())) return;
      currentId = 0;
      flush();
      // A message taken in while this loop ran (even during flush) is run before going idle.
      if (pollMailbox() || segments[head] !== undefined) continue;
      if (Atomics.load(cells, wire.DOORBELL) !== consumed || Atomics.load(cells, wire.STOP) !== 0) {
        break;
      }
      // Idle: wait a moment for the next fast call without going back to the event loop.
      Atomics.store(cells, wire.BLOCKED, wire.WAITING);
      Atomics.wait(cells, wire.DOORBELL, consumed, wire.IDLE_BLOCK_MS);
      if (Atomics.compareExchange(cells, wire.BLOCKED, wire.WAITING, 0) === wire.CLAIMED) {
        // The parent claimed this wait for a fast call: its id is being written now.
        Atomics.wait(cells, wire.REQ_ID, 0, CLAIM_WAIT_MS);
        Atomics.store(cells, wire.BLOCKED, 0);
      }
      if (!pollMailbox() && segments[head] === undefined) break;
    }
  } finally {
    running = false;
    currentId = 0;
  }
  if (!gone && segments[head] !== undefined) void drain();
  else arm();
}

// Back on the event loop: wake up for the next fast call. The wait is on the doorbell as it is
// now, not on `consumed`: the parent rings after posting a message, so the host may already have
// consumed a ring the parent has not made yet, and a wait on `consumed` would then end at once and
// leave nothing waiting for the next fast call.
function arm(): void {
  if (armed || gone) return;
  for (;;) {
    const waiting = Atomics.waitAsync(cells, wire.DOORBELL, Atomics.load(cells, wire.DOORBELL));
    if (waiting.async) {
      armed = true;
      waiting.value.then(woken);
      return;
    }
    // Rung in between: a fast call now, or a message the event loop will deliver.
    if (!running && pollMailbox()) {
      void drain();
      return;
    }
  }
}

function woken(): void {
  armed = false;
  if (running || gone) return;
  if (pollMailbox()) void drain();
  else arm();
}

// The host's end, told to the parent on the results channel, after the results.
function goAway(reason: GoneReason, detail: GoneMessage[3]): void {
  if (gone) return;
  flush();
  gone = true;
  post([wire.GONE, reason, currentId, detail] satisfies GoneMessage);
}

// An uncaught error ends the host: it reports and stops taking calls, and the parent, on GONE,
// terminates the worker (ending the thread from inside here is left to exits the task asked for).
function crash(error: unknown): void {
  goAway("crash", errorToRecord(error));
}

// Every way a task can end this thread is reported first.
const host = globalThis as { close?: () => void };
if (typeof host.close === "function") {
  host.close = () => {
    goAway("close", null);
    exitThread(0);
  };
}
function interceptExit(owner: object, original: Exit, read: () => number | undefined): void {
  Object.defineProperty(owner, "exit", {
    value: function exit(code?: number): never {
      goAway("exit", code ?? read() ?? 0);
      return original(code);
    },
    writable: true,
    configurable: true,
  });
}
if (denoGlobal) interceptExit(denoGlobal, exitThread, () => denoGlobal.exitCode);
if (node !== undefined) {
  const process = node.process;
  interceptExit(process, process.exit.bind(process), () => Number(process.exitCode ?? 0));
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
} else {
  // Handled here, as `process.on` handles them: otherwise they would end the worker.
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    crash(event.error);
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    crash(event.reason);
  });
}

if (init.logToStderr) {
  for (const method of ["log", "info", "debug", "dir", "dirxml", "table"] as const) {
    (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
  }
}

// The running call's context (see context.ts): the cancel flag is the CANCEL cell, the signal is
// made on first use and aborted by a CANCEL_CALL message.
let controller: AbortController | undefined;
let controllerId = 0;

function isCancelled(): boolean {
  const cancelled = Atomics.load(cells, wire.CANCEL);
  return currentId !== 0 && (cancelled === currentId || cancelled === wire.CANCEL_ALL);
}

// The running task, described for errors.
function describeCurrent(): string {
  return describeRef(currentRef, currentId);
}

function cancelReason(): Error {
  return cancelledError(describeCurrent());
}

// Progress is coalesced (see PROGRESS_TAKEN in _protocol.ts): past the window, only the latest
// value of the running call waits here, for the parent to take a message (an async task's event
// loop is free meanwhile), for the next report, or for the call to end.
let progressSent = 0;
let progressId = 0;
let progressHeld = false;
let progressValue: unknown = undefined;
let progressArmed = false;

function progressWindowOpen(): boolean {
  return ((progressSent - Atomics.load(cells, wire.PROGRESS_TAKEN)) | 0) < wire.PROGRESS_WINDOW;
}

function sendProgress(value: unknown): void {
  try {
    post([wire.PROGRESS, currentId, value]);
  } catch (cause) {
    throw new TypeError(
      `Task ${describeCurrent()} reported a progress value that cannot be structured-cloned (${
        messageOf(cause)
      })`,
      { cause },
    );
  }
  progressSent = (progressSent + 1) | 0;
}

// Sends the value held back, whatever the window: the call is ending, and its last report goes
// before its outcome.
function releaseProgress(): void {
  sendProgress(progressValue); // a value that cannot be cloned stays held, and fails the call
  progressHeld = false;
  progressValue = undefined;
}

function armProgress(): void {
  progressArmed = true;
  const taken = Atomics.load(cells, wire.PROGRESS_TAKEN);
  const waiting = Atomics.waitAsync(cells, wire.PROGRESS_TAKEN, taken);
  if (waiting.async) waiting.value.then(progressTaken);
  else queueMicrotask(progressTaken);
}

function progressTaken(): void {
  progressArmed = false;
  if (!progressHeld || gone || progressId !== currentId) return;
  if (progressWindowOpen()) {
    try {
      releaseProgress();
    } catch { /* still held: it fails the call when the call ends */ }
  } else {
    armProgress();
  }
}

const context: TaskContext = {
  get signal(): AbortSignal {
    if (controller === undefined || controllerId !== currentId) {
      controller = new AbortController();
      controllerId = currentId;
      if (isCancelled()) controller.abort(cancelReason());
    }
    return controller.signal;
  },
  cancelled: isCancelled,
  throwIfCancelled(): void {
    if (isCancelled()) throw cancelReason();
  },
  progress(value: unknown): void {
    if (currentId === 0 || gone) return;
    progressId = currentId;
    if (progressWindowOpen()) {
      progressHeld = false;
      progressValue = undefined;
      sendProgress(value);
      return;
    }
    progressHeld = true;
    progressValue = value;
    if (!progressArmed) armProgress();
  },
};
provideTaskContext(() => context);

// Streams (see _stream_pump.ts): the running call's credit, and the credit of calls announced
// as streams (a CREDIT message comes before the call) that have not started yet.
let currentStream: Credit | undefined;
const streams = new Map<number, Credit>();

function receiveCredit(id: number, n: number): void {
  if (id === currentId && currentStream !== undefined) grant(currentStream, n);
  else if (id > Atomics.load(cells, wire.STARTED)) {
    const announced = streams.get(id);
    if (announced === undefined) streams.set(id, newCredit(n));
    else grant(announced, n);
  }
}

// Task reference `ref` (of call `id`), described for errors.
function describeRef(ref: number, id: number): string {
  const reference = refs.get(ref);
  return reference ? describeTask(reference) : `call ${id}`;
}

// Pumps the running call's values to the parent (the call is `id`).
function pumpCall(id: number, result: unknown, credit: Credit): Promise<unknown> {
  const what = describeCurrent();
  return pump(result, credit, {
    what,
    send(values: unknown[]): void {
      try {
        post([wire.ITEMS, id, values]);
        return;
      } catch { /* one of them cannot be cloned: the values before it still go */ }
      for (const value of values) {
        try {
          post([wire.ITEMS, id, [value]]);
        } catch (cause) {
          throw new TypeError(
            `Task ${what} yielded a value that cannot be structured-cloned (${messageOf(cause)})`,
            { cause },
          );
        }
      }
    },
    cancelled: isCancelled,
    cancelReason,
    batch: true,
    get signal(): AbortSignal {
      return context.signal;
    },
  });
}

function notStreamed(): TypeError {
  return new TypeError(
    `Task ${describeCurrent()} returned an async iterable, which cannot travel as one value: use an executor's stream() to receive its values`,
  );
}

function receive(message: HostRequest): void {
  if (gone) return;
  if (message[0] === wire.CREDIT) {
    receiveCredit(message[1], message[2]);
    return;
  }
  if (message[0] === wire.CANCEL_CALL) {
    const id = message[1];
    if (controller !== undefined && controllerId === currentId && currentId !== 0) {
      if (id === currentId || id === wire.CANCEL_ALL) controller.abort(cancelReason());
    }
    return;
  }
  if (message[0] !== wire.CALLS) {
    // A POKE: the parent sees a call of its own not started while this host looks idle (a fast
    // call in the mailbox, or a message this loop took in without starting on it).
    if (running) return;
    if (pollMailbox() || segments[head] !== undefined) void drain();
    else arm();
    return;
  }
  consumed++;
  // A fast call sent before this message runs first.
  pollMailbox();
  const defs = message[2];
  if (defs !== 0) {
    for (let i = 0; i < defs.length; i += 3) {
      const index = defs[i] as number;
      const module = defs[i + 1] as string;
      const name = defs[i + 2] as string;
      const known = refs.get(index);
      if (known?.module === module && known.name === name) continue;
      refs.set(index, { module, name });
      tasks.delete(index);
    }
  }
  if (message[4].length > 0) segments.push(message);
  if (running) return;
  if (segments[head] !== undefined) void drain();
  else arm();
}

// Deno's `parentPort.on("message")` walks every message, key by key, looking for MessagePorts to
// patch: a cost per call that tandem, which never sends ports, does not need. Its
// `addEventListener` hands over the message as it came (and keeps the worker alive the same way).
// (A web Worker's own scope hands messages over as they came, too.) The listener is added in
// the turn that brought the HostInit, so no later message can come before it.
const listenable = (port ?? scope) as unknown as {
  addEventListener?: (type: "message", fn: (event: MessageEvent<HostRequest>) => void) => void;
};
if (
  port === null || (denoGlobal !== undefined && typeof listenable.addEventListener === "function")
) {
  listenable.addEventListener!("message", (event) => receive(event.data));
} else {
  port.on("message", receive);
}

adoptIsolateRegistry(init.registry, init.isolate);
post([wire.READY]);
if (!running && pollMailbox()) void drain();
else arm();
