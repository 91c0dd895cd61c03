// Private: one child Deno process running _process_host.ts, as a Runner (attempt,
// attemptChunk, terminate), so that the pool scheduler drives it like a TaskWorker. It speaks the
// frames of _frames.ts on the child's stdin and stdout; the child's stderr is kept until the
// child says READY (so that a child that cannot start fails with what it printed) and passed
// through after that.
import {
  BrokenExecutorError,
  type CallOptions,
  type ChunkFailure,
  describeTask,
  runtimeName,
  type StreamSink,
  type Task,
  type TaskOutcome,
  type TaskReference,
  unrefTimer,
} from "@tandem/tandem/futures";
import { dropTransfers } from "../futures/transfer.ts";
import { ParkedCalls } from "../futures/_parked.ts";
import { gatherChunk, InFlight, type SettledCall, settleRun } from "../futures/_in_flight.ts";
import {
  type CallEntry,
  CALLS,
  CANCEL_CALL,
  type ChildMessage,
  CREDIT,
  DONE,
  type ErrorRecord,
  FAILED,
  frame,
  FrameReader,
  GONE,
  ITEMS,
  type ParentMessage,
  PROGRESS,
  READY,
  recordToError,
  UNSTARTED,
} from "./_frames.ts";
import { killpg } from "@tandem/tandem/subprocess";
import type { Runner, RunnerHooks } from "./runner.ts";

/** How long a child may take to say READY before it counts as failed to start. */
const START_TIMEOUT_MS = 30_000;
/** Terminal colour codes, taken out of what a child printed before it failed to start. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
/** How much of a child's stderr is kept before it is ready, for the start failure's message. */
const STDERR_KEEP = 4096;

interface Call extends SettledCall {
  readonly ref: TaskReference;
  readonly options?: CallOptions;
}

export interface ProcessRunnerOptions extends RunnerHooks {
  host: URL;
  /** Everything between `deno run` and the host script. */
  denoArgs: string[];
}

export class ProcessRunner implements Runner {
  readonly id: number;
  readonly exited: Promise<void>;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending = new InFlight<Call>(1);
  #unstarted = new Set<number>();
  #out: { entries: CallEntry[]; calls: Call[] } | undefined = undefined;
  #nextId = 1;
  // Streamed calls whose task waits for its reader: they do not keep the process alive.
  #parked = new ParkedCalls();
  #ready = false;
  #gone: [code: number, record: ErrorRecord | { value: unknown } | null] | undefined;
  #stderr: Uint8Array[] = [];
  #stderrSize = 0;
  #broken: BrokenExecutorError | undefined = undefined;
  #hooks: RunnerHooks;
  #startTimer: ReturnType<typeof setTimeout>;
  #referenced = true;
  #grouped: boolean;

  constructor(options: ProcessRunnerOptions) {
    if (typeof (globalThis as { Deno?: { Command?: unknown } }).Deno?.Command !== "function") {
      throw new Error(
        `this runtime is ${runtimeName()}, and child processes need Deno (Deno.Command); ` +
          "use WorkerPoolExecutor here",
      );
    }
    if ((Deno.build as { standalone?: boolean }).standalone) {
      throw new Error(
        "Deno.execPath() is a `deno compile` binary, which cannot run the process host; " +
          "use WorkerPoolExecutor in compiled programs",
      );
    }
    this.#hooks = options;
    // The child leads a process group of its own where this process may signal groups, so that
    // ending it also ends whatever its tasks started (run(), Popen). It still ends with its
    // parent: it exits when its stdin closes.
    this.#grouped = Deno.build.os !== "windows" &&
      Deno.permissions.querySync({ name: "run" }).state === "granted";
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...options.denoArgs, options.host.href],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      detached: this.#grouped,
    }).spawn();
    this.id = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    this.#startTimer = setTimeout(() => {
      this.#break(`could not start: it did not answer within ${START_TIMEOUT_MS} ms`);
      this.#kill();
    }, START_TIMEOUT_MS);
    unrefTimer(this.#startTimer);
    this.#hold(false);
    this.exited = Promise.all([this.#watch(), this.#relayStderr()]).then(() => {});
  }

  attempt<A extends unknown[], R>(
    task: Task<A, R>,
    args: A,
    options?: CallOptions,
  ): Promise<TaskOutcome<R> | undefined> {
    const signal = options?.signal;
    const streamId = options?.stream === undefined ? 0 : this.#announceStream(options.stream);
    return new Promise((resolve) => {
      let onAbort: (() => void) | undefined;
      const id = this.#send(task, [args], (_i, outcome) => {
        if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
        if (streamId !== 0) {
          if (this.#parked.settled(streamId)) this.#hold(this.#pending.size > this.#parked.size);
        }
        resolve(outcome as TaskOutcome<R> | undefined);
      }, options);
      if (signal !== undefined && id !== 0) {
        onAbort = () => {
          if (streamId !== 0) {
            this.#parked.cancel(streamId);
            this.#hold(this.#pending.size > this.#parked.size);
          }
          this.#write([CANCEL_CALL, id]);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  }

  cancelAll(): void {
    this.#parked.cancelBelow(this.#nextId);
    this.#hold(this.#pending.size > this.#parked.size);
    this.#write([CANCEL_CALL, -1]);
  }

  // The next call streams: say so before it goes (#write sends the calls made before first),
  // then pass the reader's credit on.
  #announceStream(stream: StreamSink): number {
    if (this.#broken) return 0;
    const id = this.#nextId;
    this.#write([CREDIT, id, stream.buffer]);
    stream.open((n) => this.#write([CREDIT, id, n]), (parked) => this.#park(id, parked));
    return id;
  }

  // A stream whose task waits for its reader does not keep this process alive; one that is
  // cancelled runs again, to its end.
  #park(id: number, parked: boolean): void {
    this.#parked.set(id, parked);
    this.#hold(this.#pending.size > this.#parked.size);
  }

  #write(message: ParentMessage): void {
    if (this.#broken) return;
    this.#flush(); // calls made before the message go first
    this.#writer.write(frame(message)).catch(() => {/* the process ended; #watch reports it */});
  }

  attemptChunk<T, R>(task: Task<[T], R>, items: T[]): Promise<(R | ChunkFailure)[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const { settle, settleValues } = gatherChunk(items.length, resolve);
      this.#send(task, items, settle, undefined, settleValues, true);
    });
  }

  terminate(): void {
    this.#break("was terminated");
    this.#kill();
    // Whoever terminates it may wait for `exited`: the process's end keeps the loop alive.
    this.#child.ref();
  }

  #kill(): void {
    if (this.#grouped) {
      killpg(this.#child.pid, "SIGKILL");
      return;
    }
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already exited */ }
  }

  // A child with calls in flight keeps this process alive; an idle one does not.
  #hold(busy: boolean): void {
    if (busy === this.#referenced) return;
    this.#referenced = busy;
    if (busy) this.#child.ref();
    else this.#child.unref();
  }

  // Sends one call (`list` holds its argument list) or a chunk (`chunk`: `list` holds the items,
  // each the one argument of a call). Returns the first call's id, 0 if the runner is broken.
  #send(
    task: TaskReference,
    list: unknown[],
    settle: (index: number, outcome: TaskOutcome<unknown> | undefined) => void,
    options?: CallOptions,
    settleValues?: Call["settleValues"],
    chunk = false,
  ): number {
    const ref = { module: task.module, name: task.name };
    if (this.#broken) {
      for (let i = 0; i < list.length; i++) settle(i, undefined);
      return 0;
    }
    // Nothing moves to a process: marked arguments are copied, like every argument.
    if (chunk) dropTransfers(list);
    else dropTransfers(list[0] as unknown[]);
    const firstId = this.#nextId;
    this.#nextId += list.length;
    const call: Call = { ref, firstId, settle, options, settleValues };
    this.#pending.add(call, list.length);
    this.#hold(true);
    // Calls made in the same tick travel in one frame.
    if (this.#out === undefined) {
      this.#out = { entries: [], calls: [] };
      queueMicrotask(() => this.#flush());
    }
    this.#out.entries.push([
      firstId,
      ref.module,
      ref.name,
      list,
      options?.signal !== undefined,
      chunk ? 1 : 0,
    ]);
    this.#out.calls.push(call);
    return firstId;
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
            `Cannot run task ${describeTask(call.ref)} in a process: an argument cannot be ` +
              `serialized (${cause instanceof Error ? cause.message : cause})`,
            { cause },
          );
          for (let j = 0; j < entry[3].length; j++) {
            this.#settle(entry[0] + j, { ok: false, error });
          }
        }
      });
    }
    for (const chunk of bytes) {
      this.#writer.write(chunk).catch(() => {/* the process ended; #watch reports it */});
    }
  }

  #settle(id: number, outcome: TaskOutcome<unknown> | undefined): void {
    const call = this.#pending.take(id);
    if (call === undefined) return;
    this.#hold(this.#pending.size > this.#parked.size);
    call.settle(id - call.firstId, outcome);
  }

  #receive(message: ChildMessage): void {
    if (message[0] === DONE) {
      const batches = message[1];
      for (let b = 0; b < batches.length; b += 3) {
        const firstId = batches[b] as number;
        const values = batches[b + 1] as unknown[];
        const special = batches[b + 2] as 0 | unknown[];
        for (let at = 0; special !== 0 && at < special.length; at += 3) {
          const position = special[at] as number;
          const status = special[at + 1];
          values[position] = TAKEN;
          if (status === FAILED) {
            const record = special[at + 2] as ErrorRecord | { value: unknown };
            this.#settle(firstId + position, { ok: false, error: recordToError(record) });
          } else if (status === UNSTARTED) this.#unstarted.add(firstId + position);
          // BROKEN: settled when the process is gone, with its cause.
        }
        for (let i = 0; i < values.length; i++) {
          if (values[i] === TAKEN) continue;
          const id = firstId + i;
          const call = this.#pending.take(id);
          if (call === undefined) continue;
          if (special === 0 && call.settleValues !== undefined) {
            // The rest of a chunk, in one step.
            i += settleRun(this.#pending, call, id, values, i) - 1;
          } else call.settle(id - call.firstId, { ok: true, value: values[i] });
          this.#hold(this.#pending.size > this.#parked.size);
        }
      }
    } else if (message[0] === READY) {
      if (this.#ready || this.#broken) return;
      this.#ready = true;
      clearTimeout(this.#startTimer);
      const kept = this.#stderr;
      this.#stderr = [];
      for (const chunk of kept) Deno.stderr.writeSync(chunk);
      this.#hooks.onReady();
    } else if (message[0] === GONE) {
      this.#gone = [message[1], message[2]];
    } else if (message[0] === ITEMS) {
      this.#pending.get(message[1])?.options?.stream?.push(message[2]);
    } else if (message[0] === PROGRESS) {
      const call = this.#pending.get(message[1]);
      try {
        call?.options?.onProgress?.(message[2]);
      } catch (error) {
        console.error("Exception in a progress listener:", error);
      }
    }
  }

  async #relayStderr(): Promise<void> {
    try {
      for await (const chunk of this.#child.stderr) {
        if (this.#ready) {
          Deno.stderr.writeSync(chunk);
        } else if (this.#stderrSize < STDERR_KEEP) {
          this.#stderr.push(chunk);
          this.#stderrSize += chunk.length;
        }
      }
    } catch { /* the pipe broke: the process is gone */ }
  }

  async #watch(): Promise<void> {
    const reader = new FrameReader();
    let protocolError: unknown;
    try {
      for await (const chunk of this.#child.stdout) {
        if (protocolError !== undefined) continue;
        try {
          const messages = reader.push(chunk) as ChildMessage[];
          const stale = staleProgress(messages);
          for (let i = 0; i < messages.length; i++) {
            if (stale?.has(i) !== true) this.#receive(messages[i]);
          }
        } catch (error) {
          protocolError = error;
          this.#kill();
        }
      }
    } catch { /* the pipe broke: the process is gone */ }
    const status = await this.#child.status;
    // What the child's tasks started and left behind goes with it.
    if (this.#grouped) killpg(this.#child.pid, "SIGKILL");
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    clearTimeout(this.#startTimer);
    if (protocolError !== undefined) {
      this.#break(
        `wrote to stdout outside the protocol (${(protocolError as Error).message})`,
        protocolError,
      );
    } else if (!this.#ready) {
      // The child's own report (its worker host could not load) says most; then its stderr.
      const crash = this.#crash();
      const printed = new TextDecoder().decode(concat(this.#stderr)).trim().replace(ANSI, "");
      const how = status.signal !== null
        ? `it was killed by ${status.signal}`
        : `it exited with code ${status.code}`;
      this.#break(`could not start: ${crash?.what || printed || how}`, crash?.cause);
    } else if (this.#crash() !== undefined) {
      const { what, cause } = this.#crash()!;
      this.#break(`crashed: ${what}`, cause);
    } else if (status.signal !== null) {
      this.#break(`was killed by ${status.signal}`);
    } else {
      this.#break(`exited with code ${status.code}`);
    }
  }

  // The uncaught error the child reported in its GONE message, if any.
  #crash(): { what: string; cause: unknown } | undefined {
    if (this.#gone === undefined || this.#gone[1] === null) return undefined;
    const cause = recordToError(this.#gone[1]);
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    return { what, cause };
  }

  #break(what: string, cause?: unknown): void {
    if (this.#broken) return;
    const error = new BrokenExecutorError(
      `Process ${this.id} ${what}`,
      cause === undefined ? undefined : { cause },
    );
    this.#broken = error;
    this.#hold(false);
    for (const [id, call] of this.#pending.clear()) {
      const index = id - call.firstId;
      if (this.#ready && this.#unstarted.has(id)) {
        call.settle(index, undefined);
        continue;
      }
      // A call in a child that never started, or that was (or may have been) running when the
      // child ended, fails: running it again elsewhere could run it twice.
      const verb = this.#ready ? "did not finish" : "did not start";
      call.settle(index, {
        ok: false,
        error: new BrokenExecutorError(
          `Task ${describeTask(call.ref)} ${verb}: process ${this.id} ${what}`,
          { cause: cause ?? error },
        ),
      });
    }
    this.#hooks.onBroken(error, this.#ready);
  }
}

// Marks, in a DONE batch's values, the calls its `special` list has already dealt with.
const TAKEN: unique symbol = Symbol("taken");

/** How many progress values of one call a chunk of the child's output delivers, at most. */
const PROGRESS_PER_CHUNK = 8;

/**
 * The positions of the progress values to skip: all but the last PROGRESS_PER_CHUNK of each call
 * in one chunk. The child writes every value its worker passes on, so a parent whose listeners
 * fell behind finds many in the pipe, and catches up with the latest at once. `undefined` (no
 * allocation) when nothing is skipped.
 */
function staleProgress(messages: ChildMessage[]): Set<number> | undefined {
  let stale: Set<number> | undefined;
  let id = 0;
  let later = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message[0] !== PROGRESS) continue;
    if (message[1] !== id) {
      id = message[1];
      later = 0;
    }
    if (later++ >= PROGRESS_PER_CHUNK) (stale ??= new Set()).add(i);
  }
  return stale;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
