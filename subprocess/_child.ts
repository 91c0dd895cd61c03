// Private helper: one running child process and the parent's ends of its pipes. Popen is the
// public face of this class; run() uses it directly.
//
// Life cycle: the constructor spawns the child (or throws, leaving nothing behind) and starts
// tracking its exit. A child in its own process group (`group`) is started with setsid(), and
// every signal tandem sends it goes to its whole group. communicate() starts, once, a background
// writer for stdin and background drains for stdout/stderr that keep running across calls until
// end of file, so a timed-out communicate() loses nothing. dispose() kills a child still
// running (and, for a group, every process left in the group), waits for it, and releases every
// pipe.

import { deadline, TIMED_OUT } from "./_deadline.ts";
import { InputPipe } from "./_input_pipe.ts";
import { OutputPipe } from "./_output_pipe.ts";
import { signalGroup } from "./_process_group.ts";
import { type Stdio, typeError } from "./_validate.ts";

/** How to start a child; every field has been validated. */
export interface SpawnSpec {
  args: string[];
  stdin: Stdio | ReadableStream<Uint8Array>;
  stdout: Stdio;
  stderr: Stdio | "stdout";
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  clearEnv: boolean;
  /**
   * Start the child in a new session and process group of its own (its group id is its pid),
   * and send every signal to the whole group. The caller has checked that this is possible.
   */
  group: boolean;
}

/** The raw output of a child: bytes for each piped stream, null for the others. */
export interface RawOutput {
  stdout: Uint8Array<ArrayBuffer> | null;
  stderr: Uint8Array<ArrayBuffer> | null;
}

/**
 * After a killed child has exited, how long to keep reading its pipes for output it wrote
 * before it died. The pipes normally reach end of file at once; they stay open only when a
 * grandchild inherited them, and then this bounds the wait before they are released anyway.
 */
export const KILL_DRAIN_GRACE_MS = 100;

function mode(stdio: Stdio): "piped" | "inherit" | "null" {
  return stdio === "pipe" ? "piped" : stdio;
}

/** Python's exit status: the exit code, or `-N` for a child killed by signal N. */
export function toReturncode(status: Deno.CommandStatus): number {
  if (status.signal === null) return status.code;
  // Deno reports death by signal N as code 128 + N, with the signal's name.
  return status.code > 128 ? -(status.code - 128) : -status.code;
}

async function writeAll(writer: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await writer.write(bytes.subarray(offset));
  }
}

/** One running child process and the parent's ends of its pipes. */
export class Child {
  readonly args: string[];
  readonly pid: number;
  /** Whether the child leads a process group of its own, which every signal goes to. */
  readonly group: boolean;
  /** The public stdin stream, or null unless stdin is "pipe". */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** The stdout pipe (merged with stderr for `stderr: "stdout"`), or null. */
  readonly stdout: OutputPipe | null;
  /** The stderr pipe, or null. */
  readonly stderr: OutputPipe | null;
  #process: Deno.ChildProcess;
  #returncode: number | null = null;
  #exited: Promise<number>;
  #stdinPipe: InputPipe | null = null;
  #feedAbort: AbortController | null = null;
  #feeder: Promise<void> | undefined = undefined;
  #forwardPipe: OutputPipe | null = null;
  #forwarder: Promise<void> | undefined = undefined;
  #input: Promise<void> | undefined = undefined;
  #communicating = false;
  #disposing: Promise<void> | undefined = undefined;
  /** Set once signalling the group found no process left in it (ESRCH). */
  #groupGone = false;

  /** Spawns the child; throws what `Deno.Command.spawn()` throws (e.g. `NotFound`). */
  constructor(spec: SpawnSpec) {
    this.args = spec.args;
    this.group = spec.group;
    const fed = spec.stdin instanceof ReadableStream;
    const stdin = fed ? "piped" : mode(spec.stdin as Stdio);
    const stdout = mode(spec.stdout);
    const stderr = spec.stderr !== "stdout"
      ? mode(spec.stderr)
      : spec.stdout === "null"
      ? "null"
      : "piped";
    const [program, ...rest] = spec.args;
    const process = new Deno.Command(program, {
      args: rest,
      cwd: spec.cwd,
      env: spec.env,
      clearEnv: spec.clearEnv,
      stdin,
      stdout,
      stderr,
      detached: spec.group,
    }).spawn();
    this.#process = process;
    this.pid = process.pid;
    this.#exited = process.status.then((status) => {
      this.#returncode = toReturncode(status);
      // An empty group is noted now, so that no later signal can reach a group that reused the
      // number. While any process of the group is left (even a zombie), the number stays taken.
      if (this.group) this.#probeGroup();
      return this.#returncode;
    });
    try {
      if (stdin === "piped") this.#stdinPipe = new InputPipe(process.stdin);
      this.stdin = fed ? null : this.#stdinPipe?.stream ?? null;
      if (fed) {
        this.#feedAbort = new AbortController();
        this.#feeder = this.#stdinPipe!.pipeFrom(
          spec.stdin as ReadableStream<Uint8Array>,
          this.#feedAbort.signal,
        );
      }

      if (spec.stderr === "stdout" && stdout === "piped") {
        this.stdout = new OutputPipe([process.stdout, process.stderr]);
        this.stderr = null;
      } else {
        this.stdout = stdout === "piped" ? new OutputPipe([process.stdout]) : null;
        this.stderr = spec.stderr !== "stdout" && stderr === "piped"
          ? new OutputPipe([process.stderr])
          : null;
        if (spec.stderr === "stdout" && stderr === "piped") {
          // stdout is inherited: copy stderr to the parent's stdout as it arrives.
          const pipe = new OutputPipe([process.stderr]);
          this.#forwardPipe = pipe;
          this.#forwarder = (async () => {
            const reader = pipe.stream.getReader();
            try {
              for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                await writeAll(Deno.stdout, value);
              }
            } catch {
              // The parent's stdout is gone, or the pipe was released.
            } finally {
              reader.releaseLock();
            }
          })();
        }
      }
    } catch (error) {
      // Nothing is left behind when connecting the pipes fails.
      this.#killAll();
      throw error;
    }
  }

  /** Notes whether the group is empty, without signalling anything. */
  #probeGroup(): void {
    try {
      if (!signalGroup("check process group", this.pid, 0)) this.#groupGone = true;
    } catch {
      // Without permission to signal the group, it is left as it is.
    }
  }

  /**
   * SIGKILL to the whole group (or to the child alone when it has no group, or when the group
   * cannot be signalled). Never throws.
   */
  #killAll(): void {
    if (this.group && !this.#groupGone) {
      try {
        if (!signalGroup("kill process group", this.pid, "SIGKILL")) this.#groupGone = true;
        return;
      } catch {
        // Fall back to the child itself.
      }
    }
    if (this.#returncode !== null) return;
    try {
      this.#process.kill("SIGKILL");
    } catch {
      // It has already exited.
    }
  }

  /** The exit status once the exit has been observed, else null. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /** Resolves with the exit status once the child has exited. */
  get exited(): Promise<number> {
    return this.#exited;
  }

  /** Waits for the exit, for at most `timeout` ms. */
  wait(
    timeout: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<number | typeof TIMED_OUT> {
    if (this.#returncode !== null) return Promise.resolve(this.#returncode);
    return deadline(this.#exited, timeout, signal);
  }

  /**
   * Sends `input` (if any) to stdin and closes it, reads stdout and stderr to end of file, and
   * waits for the exit; for at most `timeout` ms, after which the work goes on in the background
   * and a later call picks it up. Validation errors are thrown synchronously, before anything
   * starts; they show the input as the caller gave it (`given`).
   */
  communicate(
    what: string,
    input: Uint8Array | undefined,
    given: unknown,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RawOutput | typeof TIMED_OUT> {
    if (!this.#communicating) {
      if (input !== undefined && this.stdin === null) {
        typeError(what, "input", 'left out unless stdin is "pipe"', given);
      }
      if (this.stdin?.locked) {
        throw new TypeError(`Cannot ${what}: 'stdin' is locked by a writer; release it first`);
      }
      for (const [name, pipe] of [["stdout", this.stdout], ["stderr", this.stderr]] as const) {
        if (pipe !== null && !pipe.draining && pipe.locked) {
          throw new TypeError(`Cannot ${what}: '${name}' is locked by a reader; release it first`);
        }
      }
      this.#communicating = true;
      if (this.stdin !== null) this.#input = this.#stdinPipe!.feed(input);
      this.stdout?.drain();
      this.stderr?.drain();
    } else if (input !== undefined) {
      typeError(what, "input", "left out once communication has started", given);
    }
    const done = Promise.all([
      this.#input,
      this.stdout?.drain(),
      this.stderr?.drain(),
      this.#forwarder,
      this.#exited,
    ]);
    return deadline(done, timeout, signal).then((outcome) =>
      outcome === TIMED_OUT ? TIMED_OUT : this.output()
    );
  }

  /** The output drained so far (only streams that communicate() drains). */
  output(): RawOutput {
    return {
      stdout: this.stdout?.draining ? this.stdout.snapshot() : null,
      stderr: this.stderr?.draining ? this.stderr.snapshot() : null,
    };
  }

  /**
   * After the child has exited, keeps draining its pipes until they end or for at most `grace`
   * ms (a grandchild may hold them open), so the output holds what the child wrote before it
   * died.
   */
  async settle(grace: number): Promise<void> {
    await this.#exited;
    const drains = [this.stdout, this.stderr]
      .filter((pipe) => pipe?.draining)
      .map((pipe) => pipe!.drain());
    await deadline(Promise.all([...drains, this.#forwarder]), grace, undefined);
  }

  /**
   * Sends a signal, unless the child has exited (then it does nothing, as in Python). A child
   * with its own group: sends it to the whole group, unless no process is left in the group.
   * `signal` has been validated as a name or a non-negative integer.
   */
  sendSignal(what: string, signal: Deno.Signal | number): void {
    if (this.group) {
      if (!this.#groupGone && !signalGroup(what, this.pid, signal)) this.#groupGone = true;
      return;
    }
    if (this.#returncode !== null) return;
    try {
      this.#process.kill(signal);
    } catch (error) {
      if (error instanceof TypeError && /already terminated/.test(error.message)) return;
      if (error instanceof Deno.errors.NotFound) return;
      if (error instanceof TypeError) {
        throw new TypeError(
          `Cannot ${what}: 'signal' must be a signal this platform supports, received ${
            JSON.stringify(signal)
          }`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Kills the child if it is still running (SIGKILL), and every process left in its group if it
   * has one (even when the child itself has exited), waits for its exit, and releases every
   * pipe: stdin is closed, a stream feeding stdin is cancelled, stdout and stderr are cancelled.
   * Idempotent; never rejects.
   */
  dispose(): Promise<void> {
    this.#disposing ??= (async () => {
      this.#killAll();
      await this.#exited;
      // Once more for the group: a process that a member forked while the first SIGKILL was
      // on its way. (Signalling a group of zombies is harmless.)
      if (this.group) this.#killAll();
      this.#feedAbort?.abort(new Deno.errors.BrokenPipe("The child process was disposed"));
      await Promise.all([
        this.#stdinPipe?.close(),
        this.#feeder,
        this.#input?.catch(() => {}),
        this.stdout?.close(),
        this.stderr?.close(),
        this.#forwardPipe?.close(),
        this.#forwarder,
      ]);
    })();
    return this.#disposing;
  }
}
