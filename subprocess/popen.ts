/**
 * {@linkcode Popen}: a running child process you can poll, wait for, talk to, signal and
 * dispose.
 *
 * @module
 */

import { Child } from "./_child.ts";
import { TIMED_OUT } from "./_deadline.ts";
import { checkGroupOptions } from "./_process_group.ts";
import * as valid from "./_validate.ts";
import { type ProcessOutput, TimeoutExpired } from "./errors.ts";

/**
 * Where a child's stdout goes: `"pipe"` (to the parent, readable as a stream or collected by
 * `communicate()`), `"inherit"` (the parent's own stdout) or `"null"` (discarded). Python:
 * `subprocess.PIPE`, `None`, `subprocess.DEVNULL`.
 */
export type StdoutOption = "pipe" | "inherit" | "null";

/**
 * Where a child's stderr goes: as {@linkcode StdoutOption}, or `"stdout"` to send it wherever
 * stdout goes. Python: `subprocess.STDOUT`.
 *
 * What `"stdout"` promises: `Deno.Command` cannot give a child one pipe for both streams, so
 * tandem reads the two pipes and merges them. Every byte of both streams arrives exactly once,
 * each stream's bytes stay in their order, and chunks are merged in the order the parent reads
 * them. Writes to the two streams that the child makes in quick succession (before the parent
 * has read the first) may come out in either order. For exact interleaving, let a shell do it:
 * `["sh", "-c", "exec cmd 2>&1"]`.
 */
export type StderrOption = StdoutOption | "stdout";

/**
 * Where a child's stdin comes from: `"pipe"` (written by the parent, through
 * {@linkcode Popen.stdin} or `communicate({ input })`), `"inherit"` (the parent's own stdin),
 * `"null"` (empty), or a `ReadableStream` of bytes (for example another child's
 * {@linkcode Popen.stdout}), which tandem pipes in and then closes. Python: `subprocess.PIPE`,
 * `None`, `subprocess.DEVNULL`, or another process's `stdout`.
 */
export type StdinOption = "pipe" | "inherit" | "null" | ReadableStream<Uint8Array>;

/** Options for the {@linkcode Popen} constructor. Python: the keyword arguments of `Popen()`. */
export interface PopenOptions {
  /**
   * Where the child's stdin comes from. A `ReadableStream` is piped in the background and
   * stdin is closed when it ends; if the child stops reading, the stream is cancelled (as a
   * shell pipeline's writer gets SIGPIPE when its reader goes away).
   *
   * @default {"inherit"}
   */
  stdin?: StdinOption;
  /**
   * Where the child's stdout goes.
   *
   * @default {"inherit"}
   */
  stdout?: StdoutOption;
  /**
   * Where the child's stderr goes; `"stdout"` merges it into stdout (see
   * {@linkcode StderrOption} for what that promises).
   *
   * @default {"inherit"}
   */
  stderr?: StderrOption;
  /**
   * The working directory of the child.
   *
   * @default {undefined} (the parent's working directory)
   */
  cwd?: string | URL;
  /**
   * Environment variables for the child, added to the parent's (or replacing them with
   * `clearEnv`).
   *
   * @default {undefined}
   */
  env?: Record<string, string>;
  /**
   * Start the child with only the variables in `env` (the OS may still add some).
   *
   * @default {false}
   */
  clearEnv?: boolean;
  /**
   * Start the child in a new process group of its own, led by the child (the group's id is the
   * child's pid), so that the whole process tree it starts can be stopped at once. Python:
   * `process_group=0`; only 0 is possible, as Deno cannot move a child into a group that
   * already exists.
   *
   * Then every signal tandem sends goes to the whole group: a `run` timeout or abort, and
   * {@linkcode Popen.terminate}, {@linkcode Popen.kill}, {@linkcode Popen.sendSignal} and
   * `await using` (which kills what is left of the group even when the child itself has
   * exited). When `run` settles, and when a disposed `Popen`'s promise resolves, every process
   * in the group has been sent SIGKILL, which no process can catch (the kernel ends them at
   * once; the system's init may take a moment to reap them). A descendant that starts a group or
   * session of its own leaves the tree, as with Python's `os.killpg`.
   *
   * Deno.Command makes a group only with `setsid()` (its `detached` option), so the child also
   * leads a new session, exactly as with `startNewSession`; the two options do the same. Unix
   * only. Needs run permission for every program (`--allow-run` without a list), which Deno
   * requires to signal a group; without it, nothing is started and `Deno.errors.NotCapable` is
   * thrown.
   *
   * Why it is off by default (as in Python): a child in a group of its own is cut off from the
   * terminal. Ctrl-C, and closing the terminal, signal the terminal's foreground group, which
   * then holds the parent but not the child: the parent dies (Deno's default on SIGINT) and the
   * child's whole tree keeps running under init, the very orphans this option is there to
   * prevent. A program that opens the terminal itself (a password prompt, an editor) finds none.
   * And Deno kills a child without a group of its own when the Worker that started it is
   * terminated, but not a grouped one: dispose of it first. So turn it on for a child that starts children of its own (a shell
   * command, a build tool, a server with workers) when a timeout, an abort or `await using` is
   * what stops it.
   *
   * @default {undefined} (the child joins the parent's process group and session; only the
   * child itself is signalled)
   */
  processGroup?: 0;
  /**
   * Start the child in a new session, and so in a new process group of its own: the same as
   * `processGroup: 0` (see there for what it promises, and why it is off by default). Python:
   * `start_new_session=True`, with one difference: tandem then signals the child's whole group,
   * where Python signals the child alone.
   *
   * @default {false}
   */
  startNewSession?: boolean;
}

/** Options for {@linkcode Popen.wait}. Python: `Popen.wait(timeout)`, in milliseconds. */
export interface PopenWaitOptions {
  /**
   * How long to wait, in milliseconds, before rejecting with {@linkcode TimeoutExpired}. The
   * child keeps running.
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`. The child keeps running.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Options for {@linkcode Popen.communicate}. Python: `Popen.communicate(input, timeout)`, with
 * `timeout` in milliseconds and the `encoding` that Python gives to `Popen()`.
 */
export interface CommunicateOptions {
  /**
   * Bytes, or a string (encoded as UTF-8), to write to the child's stdin before closing it.
   * Needs `stdin: "pipe"`, and only the first call may send input.
   *
   * @default {undefined} (stdin, if piped, is closed without writing)
   */
  input?: string | Uint8Array;
  /**
   * How long to wait, in milliseconds, before rejecting with {@linkcode TimeoutExpired} (which
   * carries the output so far). The child keeps running, and reading and writing go on in the
   * background, so a later call loses nothing.
   *
   * @default {undefined} (wait as long as it takes)
   */
  timeout?: number;
  /**
   * Stops waiting when aborted, rejecting with `signal.reason`. As with a timeout, the child
   * and the background reading and writing go on.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Decode the output as text with this encoding (any label `TextDecoder` knows, such as
   * `"utf-8"`); without it the output is bytes. Python: `Popen(encoding=...)`.
   *
   * @default {undefined} (bytes)
   */
  encoding?: string;
}

/**
 * What {@linkcode Popen.communicate} resolves with. Python: the `(stdout, stderr)` tuple.
 *
 * @typeParam T `string` when an `encoding` was given, `Uint8Array` otherwise.
 */
export interface CommunicateResult<T extends ProcessOutput> {
  /** Everything the child wrote to stdout, or `null` when stdout was not piped. */
  stdout: T | null;
  /** Everything the child wrote to stderr, or `null` when stderr was not piped (or merged). */
  stderr: T | null;
}

const POPEN_OPTIONS: readonly (keyof PopenOptions)[] = [
  "stdin",
  "stdout",
  "stderr",
  "cwd",
  "env",
  "clearEnv",
  "processGroup",
  "startNewSession",
];
const WAIT_OPTIONS: readonly (keyof PopenWaitOptions)[] = ["timeout", "signal"];
const COMMUNICATE_OPTIONS: readonly (keyof CommunicateOptions)[] = [
  "input",
  "timeout",
  "signal",
  "encoding",
];

function decode(
  decoder: TextDecoder | null,
  bytes: Uint8Array<ArrayBuffer> | null,
): ProcessOutput | null {
  return bytes === null || decoder === null ? bytes : decoder.decode(bytes);
}

/**
 * A child process, started at once. Python: `subprocess.Popen`.
 *
 * The child runs alongside the parent: {@linkcode Popen.poll} tells, without blocking, whether
 * it has exited; {@linkcode Popen.wait} waits for the exit; {@linkcode Popen.communicate} sends
 * input, collects all output and waits; {@linkcode Popen.terminate}, {@linkcode Popen.kill} and
 * {@linkcode Popen.sendSignal} signal it. Piped streams are web streams
 * ({@linkcode Popen.stdin}, {@linkcode Popen.stdout}, {@linkcode Popen.stderr}), so one child's
 * stdout can be another's `stdin` option, and many children can run in parallel.
 *
 * {@linkcode Popen.returncode} follows Python: the exit code, or `-N` when the child was killed
 * by signal N (so `terminate()` gives `-15`).
 *
 * A `Popen` is awaitable (`await proc` is `await proc.wait()`, so do not return one from an
 * async function: the caller would get its exit status) and disposable: leaving an
 * `await using` scope kills a child still running (SIGKILL), waits for it, and releases all of
 * its pipes, discarding unread output. A child that is neither awaited nor disposed keeps
 * running, and keeps the parent alive until it exits.
 *
 * Process trees: by default only the child itself is signalled, so what it started (the
 * commands of a shell, the workers of a server) survives it. Start it with `processGroup: 0`
 * and it leads a process group of its own: then {@linkcode Popen.terminate},
 * {@linkcode Popen.kill}, {@linkcode Popen.sendSignal} and `await using` signal the whole group,
 * and no descendant survives disposal (see {@linkcode PopenOptions.processGroup}).
 *
 * Deadlock: a child that fills a pipe nobody reads (about 64 KiB on Linux) blocks until it is
 * read. {@linkcode Popen.communicate} reads every pipe; {@linkcode Popen.wait} does not.
 *
 * @example The book's polling loop
 * ```ts
 * import { Popen } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const proc = new Popen(["sleep", "0.2"]);
 * let polls = 0;
 * while (proc.poll() === null) {
 *   polls++;
 *   await new Promise((resolve) => setTimeout(resolve, 50));
 * }
 * assert.ok(polls >= 2);
 * assert.equal(proc.poll(), 0);
 * ```
 *
 * @example A process tree, stopped as one
 * ```ts
 * import { Popen } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * // A shell and its two sleeps, all in the group the shell leads (its id is proc.pid).
 * await using proc = new Popen(["sh", "-c", "sleep 10 & sleep 10 & wait"], { processGroup: 0 });
 * proc.terminate(); // SIGTERM to all three
 * assert.equal(await proc.wait(), -15);
 * ```
 *
 * @example A pipeline of two children
 * ```ts
 * import { Popen } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * await using hello = new Popen(["printf", "hello"], { stdout: "pipe" });
 * await using upper = new Popen(["tr", "a-z", "A-Z"], { stdin: hello.stdout!, stdout: "pipe" });
 * const { stdout } = await upper.communicate({ encoding: "utf-8" });
 * assert.equal(stdout, "HELLO");
 * assert.equal(await hello.wait(), 0);
 * ```
 */
export class Popen implements PromiseLike<number>, AsyncDisposable {
  /** The command line the child was started with. */
  readonly args: readonly string[];
  /**
   * The child's process id; with `processGroup: 0` or `startNewSession`, also the id of the
   * process group it leads (so {@linkcode killpg} takes it).
   */
  readonly pid: number;
  #child: Child;

  /**
   * Starts the child. Python: `subprocess.Popen(args, stdin=..., stdout=..., stderr=...,
   * cwd=..., env=..., process_group=..., start_new_session=...)`.
   *
   * @param args The program and its arguments, e.g. `["sleep", "1"]`. The program is looked up
   * in `PATH` unless it contains a slash. No shell is involved.
   * @param options Where the standard streams go, the working directory, the environment, and
   * whether the child gets a process group of its own.
   *
   * @throws {Deno.errors.NotFound} When the program (or `cwd`) does not exist; the message
   * names it.
   * @throws {Deno.errors.PermissionDenied} When the program cannot be executed (the system
   * refuses it).
   * @throws {Deno.errors.NotCapable} When the `run` permission is missing (Deno 2); with
   * `processGroup` or `startNewSession`, without run permission for every program
   * (`--allow-run` without a list); nothing is started.
   * @throws {Deno.errors.NotSupported} With `processGroup` or `startNewSession`, on Windows.
   * @throws {TypeError} When `args` is not a non-empty array of strings, or an option has the
   * wrong type or value (the message names it).
   * @throws {RangeError} When `processGroup` is a number other than 0.
   * @throws {Error} On a runtime without `Deno.Command` (Bun, Node), naming the runtime.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * await using proc = new Popen(["echo", "hi"], { stdout: "pipe" });
   * assert.ok(proc.pid > 0);
   * assert.equal(await new Response(proc.stdout).text(), "hi\n");
   * assert.equal(await proc.wait(), 0);
   * ```
   */
  constructor(args: readonly string[], options?: PopenOptions) {
    const what = "start process";
    valid.checkRuntime(what);
    const checked = valid.checkArgs(what, args);
    const opts = valid.checkOptions<PopenOptions>(what, options, POPEN_OPTIONS);
    this.#child = new Child({
      args: checked,
      stdin: valid.checkStdin(what, opts.stdin, "inherit"),
      stdout: valid.checkStdio(what, "stdout", opts.stdout, "inherit"),
      stderr: valid.checkStderr(what, opts.stderr, "inherit"),
      cwd: valid.checkCwd(what, opts.cwd),
      env: valid.checkEnv(what, opts.env),
      clearEnv: valid.checkBoolean(what, "clearEnv", opts.clearEnv),
      group: checkGroupOptions(what, opts),
    });
    this.args = Object.freeze(checked);
    this.pid = this.#child.pid;
  }

  /**
   * The exit status, or `null` while the child runs: the exit code, or `-N` when it was killed
   * by signal N. Python: `Popen.returncode`.
   */
  get returncode(): number | null {
    return this.#child.returncode;
  }

  /**
   * The parent's end of the child's stdin, when `stdin` is `"pipe"`; otherwise `null`. Close it
   * to send end of file. Python: `Popen.stdin`.
   */
  get stdin(): WritableStream<Uint8Array> | null {
    return this.#child.stdin;
  }

  /**
   * The child's stdout (merged with stderr when `stderr` is `"stdout"`), when `stdout` is
   * `"pipe"`; otherwise `null`. From the first {@linkcode Popen.communicate} on, that reads the
   * stream (which is locked meanwhile) to its end. Python: `Popen.stdout`.
   */
  get stdout(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#child.stdout?.stream ?? null;
  }

  /**
   * The child's stderr, when `stderr` is `"pipe"`; otherwise `null`. From the first
   * {@linkcode Popen.communicate} on, that reads the stream (which is locked meanwhile) to its
   * end. Python: `Popen.stderr`.
   */
  get stderr(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#child.stderr?.stream ?? null;
  }

  /**
   * Tells whether the child has exited, without waiting. Python: `Popen.poll()`.
   *
   * It reports an exit once the event loop has observed it, so a loop that polls must yield
   * (e.g. `await` a timer) between calls.
   *
   * @returns The exit status, or `null` while the child runs.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "0.1"]);
   * assert.equal(proc.poll(), null);
   * await proc.wait();
   * assert.equal(proc.poll(), 0);
   * ```
   */
  poll(): number | null {
    return this.#child.returncode;
  }

  /**
   * Waits for the child to exit. Python: `Popen.wait(timeout)`.
   *
   * It does not read the pipes: a child that fills a pipe nobody reads never exits, so use
   * {@linkcode Popen.communicate} when output is piped.
   *
   * @param options How long to wait (`timeout`, in ms) and an abort `signal`.
   * @returns The exit status (`-N` for death by signal N).
   *
   * @throws {TimeoutExpired} When `timeout` ms pass first; the child keeps running.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When `timeout` is negative.
   * @throws {unknown} `signal.reason`, when `signal` aborts first; the child keeps running.
   *
   * @example
   * ```ts
   * import { Popen, TimeoutExpired } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"]);
   * await assert.rejects(proc.wait({ timeout: 50 }), TimeoutExpired);
   * proc.terminate();
   * assert.equal(await proc.wait(), -15);
   * ```
   */
  async wait(options?: PopenWaitOptions): Promise<number> {
    const what = "wait for process";
    const opts = valid.checkOptions<PopenWaitOptions>(what, options, WAIT_OPTIONS);
    const timeout = valid.checkTimeout(what, opts.timeout);
    const signal = valid.checkSignal(what, opts.signal);
    const outcome = await this.#child.wait(timeout, signal);
    if (outcome === TIMED_OUT) throw new TimeoutExpired(this.args, timeout!);
    return outcome;
  }

  /**
   * Sends `input` to the child's stdin and closes it, reads stdout and stderr to their end, and
   * waits for the child to exit. Python: `Popen.communicate(input, timeout)`.
   *
   * Reading and writing run concurrently, so large input and output in both directions cannot
   * deadlock. They run in the background from the first call to the end of each stream: after
   * a timeout or abort the child keeps running, and a later call (without `input`) collects
   * everything, including what the earlier call had already read. Until they end,
   * {@linkcode Popen.stdout} and {@linkcode Popen.stderr} are locked by this reading. Output of
   * a child whose pipes a grandchild still holds ends only when the grandchild closes them.
   *
   * @param options The `input`, how long to wait (`timeout`, in ms), an abort `signal`, and the
   * `encoding` that turns the output into text.
   * @returns Everything the child wrote to each piped stream (`null` for a stream not piped).
   *
   * @throws {TimeoutExpired} When `timeout` ms pass first; it carries the output so far, and
   * the child keeps running.
   * @throws {TypeError} When `input` is given but stdin is not `"pipe"` or communication has
   * already started, when a piped stream is locked by a reader or writer of yours, or when an
   * option has the wrong type.
   * @throws {RangeError} When `timeout` is negative or `encoding` unknown.
   * @throws {unknown} `signal.reason`, when `signal` aborts first; the child keeps running.
   *
   * @example The book's timeout, then terminate
   * ```ts
   * import { Popen, TimeoutExpired } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"]);
   * try {
   *   await proc.communicate({ timeout: 100 });
   * } catch (error) {
   *   assert.ok(error instanceof TimeoutExpired);
   *   proc.terminate();
   *   await proc.wait();
   * }
   * assert.equal(proc.poll(), -15);
   * ```
   *
   * @example Input and output as text
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * await using proc = new Popen(["tr", "a-z", "A-Z"], { stdin: "pipe", stdout: "pipe" });
   * const { stdout, stderr } = await proc.communicate({ input: "shout", encoding: "utf-8" });
   * assert.equal(stdout, "SHOUT");
   * assert.equal(stderr, null);
   * ```
   */
  communicate(
    options: CommunicateOptions & { encoding: string },
  ): Promise<CommunicateResult<string>>;
  /**
   * Sends input, collects all output as bytes and waits for the exit (see the overload above).
   *
   * @param options The `input`, how long to wait (`timeout`, in ms) and an abort `signal`.
   * @returns Everything the child wrote to each piped stream (`null` for a stream not piped).
   */
  communicate(
    options?: CommunicateOptions & { encoding?: undefined },
  ): Promise<CommunicateResult<Uint8Array<ArrayBuffer>>>;
  /**
   * Sends input, collects all output and waits for the exit (see the first overload).
   *
   * @param options The `input`, `timeout` (ms), `signal` and `encoding`.
   * @returns Everything the child wrote to each piped stream (`null` for a stream not piped).
   */
  communicate(options?: CommunicateOptions): Promise<CommunicateResult<ProcessOutput>>;
  async communicate(options?: CommunicateOptions): Promise<CommunicateResult<ProcessOutput>> {
    const what = "communicate with process";
    const opts = valid.checkOptions<CommunicateOptions>(what, options, COMMUNICATE_OPTIONS);
    const input = valid.checkInput(what, opts.input);
    const timeout = valid.checkTimeout(what, opts.timeout);
    const signal = valid.checkSignal(what, opts.signal);
    const decoder = valid.checkEncoding(what, opts.encoding);
    const outcome = await this.#child.communicate(what, input, opts.input, timeout, signal);
    if (outcome === TIMED_OUT) {
      const sofar = this.#child.output();
      throw new TimeoutExpired(this.args, timeout!, {
        stdout: decode(decoder, sofar.stdout),
        stderr: decode(decoder, sofar.stderr),
      });
    }
    return { stdout: decode(decoder, outcome.stdout), stderr: decode(decoder, outcome.stderr) };
  }

  /**
   * Sends a signal to the child; does nothing once it has exited. Python:
   * `Popen.send_signal(signal)`.
   *
   * A child with a process group of its own: sends the signal to the whole group (as a
   * terminal sends Ctrl-C to a whole job), and does nothing once no process is left in the
   * group, even while the child itself has exited and others remain.
   *
   * @param signal A signal name such as `"SIGUSR1"`, or a signal number.
   *
   * @throws {TypeError} When `signal` is not a signal name or number, or not one this platform
   * supports.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"]);
   * proc.sendSignal("SIGINT");
   * assert.equal(await proc.wait(), -2);
   * ```
   */
  sendSignal(signal: Deno.Signal | number): void {
    const what = "send signal to process";
    this.#child.sendSignal(what, valid.checkSignalNumber(what, signal));
  }

  /**
   * Asks the child to stop, with SIGTERM; does nothing once it has exited. The child may catch
   * or ignore the signal. Python: `Popen.terminate()`. A child with a process group of its own:
   * SIGTERM goes to every process left in the group (as {@linkcode Popen.sendSignal}).
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"]);
   * proc.terminate();
   * assert.equal(await proc.wait(), -15);
   * ```
   */
  terminate(): void {
    this.#child.sendSignal("terminate process", "SIGTERM");
  }

  /**
   * Kills the child, with SIGKILL, which it cannot catch or ignore; does nothing once it has
   * exited. Python: `Popen.kill()`. A child with a process group of its own: SIGKILL goes to
   * every process left in the group (as {@linkcode Popen.sendSignal}), so the whole tree dies.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"]);
   * proc.kill();
   * assert.equal(await proc.wait(), -9);
   * ```
   */
  kill(): void {
    this.#child.sendSignal("kill process", "SIGKILL");
  }

  /**
   * Waits for the exit, so `await proc` gives the exit status (as {@linkcode Popen.wait}).
   *
   * @typeParam R1 The result of `onfulfilled`.
   * @typeParam R2 The result of `onrejected`.
   * @param onfulfilled Called with the exit status.
   * @param onrejected Called if waiting fails.
   * @returns A promise of the callback's result.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const procs = [1, 2, 3].map((n) => new Popen(["sh", "-c", `exit ${n}`]));
   * assert.deepEqual(await Promise.all(procs), [1, 2, 3]);
   * ```
   */
  then<R1 = number, R2 = never>(
    onfulfilled?: ((returncode: number) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#child.exited.then(onfulfilled, onrejected);
  }

  /**
   * Kills the child if it is still running (SIGKILL), waits for it to exit, and releases its
   * pipes: stdin is closed, a stream feeding stdin is cancelled, stdout and stderr are
   * cancelled and their unread output discarded. Called on leaving an `await using` scope;
   * safe to call more than once. Python: `Popen.__exit__` (which waits instead of killing).
   *
   * A child with a process group of its own: SIGKILL goes to every process left in the group,
   * even when the child itself has already exited, so nothing it started outlives the scope.
   *
   * @returns A promise that resolves once the child is gone and the pipes are released.
   *
   * @example
   * ```ts
   * import { Popen } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * const proc = new Popen(["sleep", "10"], { stdout: "pipe" });
   * await proc[Symbol.asyncDispose]();
   * assert.equal(proc.returncode, -9);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#child.dispose();
  }
}
