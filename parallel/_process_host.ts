// The process host: the script every ProcessPoolExecutor child runs (`deno run ... this file`).
// It reads framed calls on stdin, runs them one at a time in order, and writes on stdout a start
// marker before each call (before each chunk of `map`, which is started and reported as one
// unit), so that the parent knows which call was running if the process dies, and the outcomes,
// several to a frame. An uncaught error is reported as CRASH before the process exits with
// code 1. Stdout is the protocol channel, so console output goes to stderr. When stdin closes,
// the host finishes its queue and exits with code 0.
import { resolveTask, type Task } from "@tandem/tandem/futures";
import {
  type CallEntry,
  CALLS,
  type ChildMessage,
  CRASH,
  DONE,
  errorToRecord,
  frame,
  FrameReader,
  type Outcome,
  type ParentMessage,
  startMarker,
} from "./_frames.ts";

for (const method of ["log", "info", "debug", "dir", "dirxml", "table"]) {
  (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
}

let outcomes: Outcome[] = [];

function write(parts: Uint8Array[]): void {
  let size = 0;
  for (const part of parts) size += part.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  for (let written = 0; written < all.length;) {
    written += Deno.stdout.writeSync(all.subarray(written));
  }
}

// The outcomes so far as frames (a result that cannot be serialized fails its own call).
function takeOutcomes(): Uint8Array[] {
  if (outcomes.length === 0) return [];
  const batch = outcomes;
  outcomes = [];
  try {
    return [frame([DONE, batch] satisfies ChildMessage)];
  } catch {
    return batch.map((outcome) => {
      try {
        return frame([DONE, [outcome]] satisfies ChildMessage);
      } catch (cause) {
        const error = new TypeError(
          `Task returned a value that cannot be serialized to cross the process boundary (${
            cause instanceof Error ? cause.message : String(cause)
          })`,
          { cause },
        );
        return frame([DONE, [[outcome[0], false, errorToRecord(error)]]] satisfies ChildMessage);
      }
    });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

async function runOne(task: Task<unknown[], unknown> | Error, id: number, args: unknown[]) {
  try {
    if (task instanceof Error) throw task;
    let result = task(...args);
    if (isThenable(result)) result = await result;
    outcomes.push([id, true, result]);
  } catch (error) {
    outcomes.push([id, false, errorToRecord(error)]);
  }
}

const queue: CallEntry[] = [];
let head = 0;
let running = false;
let ended = false;

async function drain(): Promise<void> {
  running = true;
  try {
    while (head < queue.length) {
      const [firstId, module, name, argsList, unit] = queue[head];
      queue[head++] = undefined as unknown as CallEntry;
      let task: Task<unknown[], unknown> | Error;
      try {
        task = await resolveTask({ module, name });
      } catch (error) {
        task = error instanceof Error ? error : new Error(String(error));
      }
      if (unit) {
        write([...takeOutcomes(), startMarker(firstId, firstId + argsList.length - 1)]);
        for (let i = 0; i < argsList.length; i++) await runOne(task, firstId + i, argsList[i]);
        write(takeOutcomes());
      } else {
        for (let i = 0; i < argsList.length; i++) {
          write([...takeOutcomes(), startMarker(firstId + i, firstId + i)]);
          await runOne(task, firstId + i, argsList[i]);
        }
      }
    }
    queue.length = 0;
    head = 0;
    write(takeOutcomes());
  } finally {
    running = false;
  }
  if (ended) Deno.exit(0);
}

// A task that exits still gets the finished outcomes delivered first.
const exitProcess = Deno.exit;
Object.defineProperty(Deno, "exit", {
  value: function exit(code?: number): never {
    write(takeOutcomes());
    return exitProcess(code);
  },
  writable: true,
  configurable: true,
});

function crash(error: unknown): void {
  write([...takeOutcomes(), frame([CRASH, errorToRecord(error)] satisfies ChildMessage)]);
  Deno.exit(1);
}

globalThis.addEventListener("error", (event: ErrorEvent) => {
  event.preventDefault();
  crash(event.error ?? new Error(event.message));
});

globalThis.addEventListener("unhandledrejection", (event: PromiseRejectionEvent) => {
  event.preventDefault();
  crash(event.reason);
});

const reader = new FrameReader();
for await (const chunk of Deno.stdin.readable) {
  for (const message of reader.push(chunk) as ParentMessage[]) {
    if (message[0] === CALLS) queue.push(...message[1]);
  }
  if (!running && head < queue.length) void drain();
}
ended = true;
if (!running) Deno.exit(0);
