/**
 * {@linkcode run}: start a child process, wait for it, and collect what it wrote.
 *
 * @module
 */

import { Child, KILL_DRAIN_GRACE_MS, type RawOutput } from "./_child.ts";
import { TIMED_OUT } from "./_deadline.ts";
import { checkGroupOptions } from "./_process_group.ts";
import * as valid from "./_validate.ts";
import { CompletedProcess } from "./completed_process.ts";
import { type ProcessOutput, TimeoutExpired } from "./errors.ts";
import type { PopenOptions } from "./popen.ts";

/**
 * Options for {@linkcode run}. Python: the keyword arguments of `subprocess.run()`, with
 * `capture_output` as `capture` and `timeout` in milliseconds.
 */
export interface RunOptions extends PopenOptions {
  /**
   * Capture both stdout and stderr (`stdout: "pipe", stderr: "pipe"`). Cannot be combined with
   * `stdout` or `stderr`. Python: `capture_output=True`.
   *
   * @default {false}
   */
  capture?: boolean;
  /**
   * Decode the captured output as text with this encoding (any label `TextDecoder` knows, such
   * as `"utf-8"`); without it the output is bytes. Python: `encoding=...`.
   *
   * @default {undefined} (bytes)
   */
  encoding?: string;
  /**
   * Bytes, or a string (encoded as UTF-8), to write to the child's stdin, which is then closed.
   * Cannot be combined with `stdin`. Python: `input=...`.
   *
   * @default {undefined} (stdin as the `stdin` option says)
   */
  input?: string | Uint8Array;
  /**
   * How long the child may run, in milliseconds (Python counts seconds). When it runs out, the
   * child is killed (SIGKILL), with its whole process group when it has one (`processGroup`),
   * and `run` rejects with {@linkcode TimeoutExpired}, carrying what the child wrote before it
   * died (read to the end of its pipes, or for at most 100 ms more when a grandchild outside
   * its group holds them open).
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * Reject with {@linkcode CalledProcessError} when the exit status is not 0.
   *
   * @default {false}
   */
  check?: boolean;
  /**
   * Aborting kills the child (SIGKILL), with its whole process group when it has one, and
   * rejects with `signal.reason`. A signal aborted before the call rejects without starting the
   * child.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

const RUN_OPTIONS: readonly (keyof RunOptions)[] = [
  "stdin",
  "stdout",
  "stderr",
  "cwd",
  "env",
  "clearEnv",
  "processGroup",
  "startNewSession",
  "capture",
  "encoding",
  "input",
  "timeout",
  "check",
  "signal",
];

const WHAT = "run process";

function decode(
  decoder: TextDecoder | null,
  bytes: Uint8Array<ArrayBuffer> | null,
): ProcessOutput | null {
  return bytes === null || decoder === null ? bytes : decoder.decode(bytes);
}

/**
 * Runs a command and waits for it to finish. Python: `subprocess.run(args, capture_output=...,
 * encoding=..., input=..., timeout=..., check=...)`.
 *
 * Standard streams are inherited unless `capture`, `stdout`, `stderr`, `stdin` or `input` say
 * otherwise; captured streams are read concurrently to their end (and input written
 * concurrently), so no amount of output deadlocks.
 *
 * Guarantees: when `run` settles, the child has exited and every pipe to it is released —
 * whether it resolves, times out (the child is killed with SIGKILL), is aborted (likewise),
 * or fails `check`. By default, grandchildren the child started are not tracked; if one keeps a
 * captured pipe open, `run` waits for it (as Python does), unless a timeout or abort ends the
 * wait. With `processGroup: 0` (or `startNewSession`), the child leads a process group of its
 * own, and when `run` settles every process left in that group has been killed too, on every
 * path: the whole tree a shell command or a build tool started goes with it.
 *
 * @param args The program and its arguments, e.g. `["echo", "hi"]`. The program is looked up in
 * `PATH` unless it contains a slash. No shell is involved.
 * @param options What to capture, input, encoding, timeout (ms), check, working directory,
 * environment and abort signal.
 * @returns The finished process: command line, exit status (`-N` for death by signal N) and
 * the captured output (text with `encoding`, bytes without, `null` where not captured).
 *
 * @throws {Deno.errors.NotFound} When the program (or `cwd`) does not exist; the message names
 * it.
 * @throws {Deno.errors.PermissionDenied} When the program cannot be executed (the system refuses
 * it).
 * @throws {Deno.errors.NotCapable} When the `run` permission is missing (Deno 2); with
 * `processGroup` or `startNewSession`, without run permission for every program (`--allow-run`
 * without a list); nothing is started.
 * @throws {Deno.errors.NotSupported} With `processGroup` or `startNewSession`, on Windows.
 * @throws {TimeoutExpired} When `timeout` ms pass first; it carries the output so far.
 * @throws {CalledProcessError} With `check: true`, when the exit status is not 0; it carries
 * the status and the output.
 * @throws {TypeError} When `args` is not a non-empty array of strings, or an option has the
 * wrong type or conflicts with another (the message names it).
 * @throws {RangeError} When `timeout` is negative, `encoding` is unknown, or `processGroup` is
 * not 0.
 * @throws {unknown} `signal.reason`, when `signal` aborts.
 * @throws {Error} On a runtime without `Deno.Command` (Bun, Node), naming the runtime.
 *
 * @example The book's first example
 * ```ts
 * import { run } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const result = await run(["echo", "Hello from the child!"], {
 *   capture: true,
 *   encoding: "utf-8",
 * });
 * result.checkReturncode();
 * assert.equal(result.stdout, "Hello from the child!\n");
 * ```
 *
 * @example Input, merged output, and a failing check
 * ```ts
 * import { CalledProcessError, run } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const echoed = await run(["cat"], { input: "data\n", capture: true, encoding: "utf-8" });
 * assert.equal(echoed.stdout, "data\n");
 *
 * const merged = await run(["sh", "-c", "echo oops >&2"], {
 *   stdout: "pipe",
 *   stderr: "stdout",
 *   encoding: "utf-8",
 * });
 * assert.equal(merged.stdout, "oops\n");
 * assert.equal(merged.stderr, null);
 *
 * await assert.rejects(run(["sh", "-c", "exit 2"], { check: true }), CalledProcessError);
 * ```
 *
 * @example A process tree, killed whole on timeout
 * ```ts
 * import { run, TimeoutExpired } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * // The shell prints the pids of its two sleeps; the timeout kills all three processes, so
 * // the sleeps close the captured pipe at once and the output is complete.
 * const error = await run(["sh", "-c", "sleep 10 & echo $!; sleep 10 & echo $!; wait"], {
 *   processGroup: 0,
 *   timeout: 200,
 *   capture: true,
 *   encoding: "utf-8",
 * }).catch((e) => e);
 * assert.ok(error instanceof TimeoutExpired);
 * assert.match(String(error.stdout), /^\d+\n\d+\n$/);
 * ```
 */
export function run(
  args: readonly string[],
  options: RunOptions & { encoding: string },
): Promise<CompletedProcess<string>>;
/**
 * Runs a command and waits for it to finish, with output as bytes (see the overload above).
 *
 * @param args The program and its arguments.
 * @param options What to capture, input, timeout (ms), check, cwd, env and abort signal.
 * @returns The finished process, with output as bytes (`null` where not captured).
 */
export function run(
  args: readonly string[],
  options?: RunOptions & { encoding?: undefined },
): Promise<CompletedProcess<Uint8Array<ArrayBuffer>>>;
/**
 * Runs a command and waits for it to finish (see the first overload).
 *
 * @param args The program and its arguments.
 * @param options What to capture, encoding, input, timeout (ms), check, cwd, env and signal.
 * @returns The finished process.
 */
export function run(
  args: readonly string[],
  options?: RunOptions,
): Promise<CompletedProcess<ProcessOutput>>;
export async function run(
  args: readonly string[],
  options?: RunOptions,
): Promise<CompletedProcess<ProcessOutput>> {
  valid.checkRuntime(WHAT);
  const checked = valid.checkArgs(WHAT, args);
  const opts = valid.checkOptions<RunOptions>(WHAT, options, RUN_OPTIONS);
  const capture = valid.checkBoolean(WHAT, "capture", opts.capture);
  if (capture && (opts.stdout !== undefined || opts.stderr !== undefined)) {
    throw new TypeError(
      `Cannot ${WHAT}: 'capture' must be left out when 'stdout' or 'stderr' is given, received ${
        valid.describe({ capture, stdout: opts.stdout, stderr: opts.stderr })
      }`,
    );
  }
  const input = valid.checkInput(WHAT, opts.input);
  if (input !== undefined && opts.stdin !== undefined) {
    throw new TypeError(
      `Cannot ${WHAT}: 'stdin' must be left out when 'input' is given, received ${
        valid.describe(opts.stdin)
      }`,
    );
  }
  const stdin = input !== undefined ? "pipe" : valid.checkStdin(WHAT, opts.stdin, "inherit");
  const stdout = capture ? "pipe" : valid.checkStdio(WHAT, "stdout", opts.stdout, "inherit");
  const stderr = capture ? "pipe" : valid.checkStderr(WHAT, opts.stderr, "inherit");
  const cwd = valid.checkCwd(WHAT, opts.cwd);
  const env = valid.checkEnv(WHAT, opts.env);
  const clearEnv = valid.checkBoolean(WHAT, "clearEnv", opts.clearEnv);
  const group = checkGroupOptions(WHAT, opts);
  const decoder = valid.checkEncoding(WHAT, opts.encoding);
  const timeout = valid.checkTimeout(WHAT, opts.timeout);
  const check = valid.checkBoolean(WHAT, "check", opts.check);
  const signal = valid.checkSignal(WHAT, opts.signal);
  signal?.throwIfAborted();

  const args_ = Object.freeze(checked);
  const child = new Child({ args: checked, stdin, stdout, stderr, cwd, env, clearEnv, group });
  let output: RawOutput;
  try {
    const outcome = await child.communicate(WHAT, input, opts.input, timeout, signal);
    if (outcome === TIMED_OUT) {
      child.sendSignal(WHAT, "SIGKILL");
      await child.settle(KILL_DRAIN_GRACE_MS);
      const sofar = child.output();
      throw new TimeoutExpired(args_, timeout!, {
        stdout: decode(decoder, sofar.stdout),
        stderr: decode(decoder, sofar.stderr),
      });
    }
    output = outcome;
  } finally {
    await child.dispose();
  }
  const completed = new CompletedProcess<ProcessOutput>(args_, child.returncode!, {
    stdout: decode(decoder, output.stdout),
    stderr: decode(decoder, output.stderr),
  });
  if (check) completed.checkReturncode();
  return completed;
}
