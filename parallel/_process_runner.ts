// Private: one child Deno process running _process_host.ts, with the interface of a TaskWorker
// (attempt, attemptBatch, terminate), so the pool scheduler drives it the same way.
import {
  BrokenExecutorError,
  isShareable,
  type Task,
  type TaskOutcome,
  type TaskReference,
} from "@tandem/tandem/futures";
import {
  type CallEntry,
  CALLS,
  type ChildMessage,
  CRASH,
  DONE,
  type ErrorRecord,
  frame,
  FrameReader,
  type ParentMessage,
  recordToError,
  type Started,
} from "./_frames.ts";
import type { Runner } from "./_scheduler.ts";

interface Call {
  readonly ref: TaskReference;
  readonly firstId: number;
  settle(index: number, outcome: TaskOutcome<unknown> | undefined): void;
}

function describe(ref: TaskReference): string {
  return `'${ref.name}' from ${ref.module}`;
}

// Shared memory cannot cross a process boundary: find it before it is serialized.
function findShared(value: unknown, seen = new Set<unknown>()): string | undefined {
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (isShareable(value)) return `a shareable ${value.constructor?.name ?? "object"}`;
  if (value instanceof SharedArrayBuffer) return "a SharedArrayBuffer";
  if (ArrayBuffer.isView(value)) {
    return value.buffer instanceof SharedArrayBuffer ? "a view of a SharedArrayBuffer" : undefined;
  }
  const items = value instanceof Map
    ? [...value.keys(), ...value.values()]
    : value instanceof Set
    ? [...value]
    : Array.isArray(value)
    ? value
    : Object.values(value);
  for (const item of items) {
    const found = findShared(item, seen);
    if (found) return found;
  }
  return undefined;
}

export interface ProcessRunnerOptions {
  host: URL;
  denoArgs: string[];
  onBroken: (error: BrokenExecutorError) => void;
}

export class ProcessRunner implements Runner {
  readonly id: number;
  /** Resolves once the process has exited and its pipes are closed. */
  readonly exited: Promise<void>;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending = new Map<number, Call>();
  #out: { entries: CallEntry[]; calls: Call[] } | undefined = undefined;
  #nextId = 1;
  #started = 0;
  #crash: ErrorRecord | { value: unknown } | undefined = undefined;
  #broken: BrokenExecutorError | undefined = undefined;
  #onBroken: (error: BrokenExecutorError) => void;

  constructor(options: ProcessRunnerOptions) {
    if ((Deno.build as { standalone?: boolean }).standalone) {
      throw new Error(
        "Deno.execPath() is a `deno compile` binary, which cannot run the process host; " +
          "use WorkerPoolExecutor in compiled programs",
      );
    }
    this.#onBroken = options.onBroken;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...options.denoArgs, options.host.href],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.id = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    this.exited = this.#watch();
  }

  attempt<A extends unknown[], R>(task: Task<A, R>, args: A): Promise<TaskOutcome<R> | undefined> {
    return new Promise((resolve) => {
      this.#send(
        task,
        [args],
        false,
        (_index, outcome) => resolve(outcome as TaskOutcome<R> | undefined),
      );
    });
  }

  attemptBatch<A extends unknown[], R>(
    task: Task<A, R>,
    argsList: A[],
  ): Promise<(TaskOutcome<R> | undefined)[]> {
    if (argsList.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const outcomes = new Array<TaskOutcome<R> | undefined>(argsList.length);
      let remaining = argsList.length;
      this.#send(task, argsList, true, (index, outcome) => {
        outcomes[index] = outcome as TaskOutcome<R> | undefined;
        if (--remaining === 0) resolve(outcomes);
      });
    });
  }

  terminate(): void {
    this.#break("was terminated");
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already exited */ }
  }

  #send(
    task: TaskReference,
    argsList: unknown[][],
    unit: boolean,
    settle: (index: number, outcome: TaskOutcome<unknown> | undefined) => void,
  ): void {
    const ref = { module: task.module, name: task.name };
    if (this.#broken) {
      for (let i = 0; i < argsList.length; i++) settle(i, undefined);
      return;
    }
    const shared = findShared(argsList);
    if (shared) {
      const error = new TypeError(
        `Cannot run task ${describe(ref)} in a process: an argument holds ${shared}, ` +
          "and shared memory cannot cross a process boundary",
      );
      for (let i = 0; i < argsList.length; i++) settle(i, { ok: false, error });
      return;
    }
    const firstId = this.#nextId;
    this.#nextId += argsList.length;
    const call: Call = { ref, firstId, settle };
    for (let i = 0; i < argsList.length; i++) this.#pending.set(firstId + i, call);
    // Calls made in the same tick travel in one frame.
    if (this.#out === undefined) {
      this.#out = { entries: [], calls: [] };
      queueMicrotask(() => this.#flush());
    }
    this.#out.entries.push([firstId, ref.module, ref.name, argsList, unit]);
    this.#out.calls.push(call);
  }

  #flush(): void {
    const out = this.#out;
    this.#out = undefined;
    if (out === undefined || this.#broken) return;
    let bytes: Uint8Array[];
    try {
      bytes = [frame([CALLS, out.entries] satisfies ParentMessage)];
    } catch {
      // Some argument cannot be serialized: find it, fail its call, send the others.
      bytes = [];
      out.entries.forEach((entry, i) => {
        try {
          bytes.push(frame([CALLS, [entry]] satisfies ParentMessage));
        } catch (cause) {
          const call = out.calls[i];
          const error = new TypeError(
            `Cannot run task ${describe(call.ref)} in a process: an argument cannot be ` +
              `serialized (${cause instanceof Error ? cause.message : cause})`,
            { cause },
          );
          for (let j = 0; j < entry[3].length; j++) {
            this.#pending.delete(entry[0] + j);
            call.settle(j, { ok: false, error });
          }
        }
      });
    }
    for (const chunk of bytes) {
      this.#writer.write(chunk).catch(() => {/* the process ended; #watch reports it */});
    }
  }

  #receive(message: ChildMessage | Started): void {
    if ("started" in message) {
      this.#started = message.started[1];
      return;
    }
    if (message[0] === CRASH) {
      this.#crash = message[1];
      return;
    }
    if (message[0] !== DONE) return;
    for (const [id, ok, payload] of message[1]) {
      const call = this.#pending.get(id);
      if (call === undefined) continue;
      this.#pending.delete(id);
      call.settle(
        id - call.firstId,
        ok ? { ok: true, value: payload } : {
          ok: false,
          error: recordToError(payload as ErrorRecord | { value: unknown }),
        },
      );
    }
  }

  async #watch(): Promise<void> {
    const reader = new FrameReader();
    let protocolError: unknown;
    try {
      for await (const chunk of this.#child.stdout) {
        if (protocolError !== undefined) continue;
        try {
          for (const message of reader.push(chunk)) {
            this.#receive(message as ChildMessage | Started);
          }
        } catch (error) {
          protocolError = error;
          try {
            this.#child.kill("SIGKILL");
          } catch { /* already exited */ }
        }
      }
    } catch { /* the pipe broke: the process is gone */ }
    const status = await this.#child.status;
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    if (protocolError !== undefined) {
      this.#break(
        `wrote to stdout outside the protocol (${(protocolError as Error).message})`,
        protocolError,
      );
    } else if (this.#crash !== undefined) {
      const cause = recordToError(this.#crash);
      const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      this.#break(`crashed: ${what}`, cause);
    } else if (status.signal !== null) {
      this.#break(`was killed by ${status.signal}`);
    } else {
      this.#break(`exited with code ${status.code}`);
    }
  }

  #break(what: string, cause?: unknown): void {
    if (this.#broken) return;
    const error = new BrokenExecutorError(
      `Process ${this.id} ${what}`,
      cause === undefined ? undefined : { cause },
    );
    this.#broken = error;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [id, call] of pending) {
      const index = id - call.firstId;
      if (id > this.#started) {
        call.settle(index, undefined);
        continue;
      }
      call.settle(index, {
        ok: false,
        error: new BrokenExecutorError(
          `Task ${describe(call.ref)} did not finish: process ${this.id} ${what}`,
          { cause: cause ?? error },
        ),
      });
    }
    this.#onBroken(error);
  }
}
