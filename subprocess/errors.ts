/**
 * The error classes of the subprocess module: {@linkcode SubprocessError} and its two
 * subclasses, {@linkcode TimeoutExpired} and {@linkcode CalledProcessError}, as in Python's
 * `subprocess` module.
 *
 * @module
 */

/**
 * The output a child wrote: text when an `encoding` was given, bytes otherwise. Python: `str`
 * or `bytes`.
 */
export type ProcessOutput = string | Uint8Array<ArrayBuffer>;

/**
 * Options for the {@linkcode TimeoutExpired} and {@linkcode CalledProcessError} constructors.
 * Python: their `output` (here `stdout`) and `stderr` arguments.
 */
export interface SubprocessErrorOptions extends ErrorOptions {
  /**
   * What the child wrote to its stdout (captured so far), or `null` when stdout was not piped.
   *
   * @default {null}
   */
  stdout?: ProcessOutput | null;
  /**
   * What the child wrote to its stderr (captured so far), or `null` when stderr was not piped
   * (or was merged into stdout).
   *
   * @default {null}
   */
  stderr?: ProcessOutput | null;
}

/**
 * The base class of the errors this module throws for a child process. Python:
 * `subprocess.SubprocessError`.
 *
 * @example Catching both kinds of subprocess error
 * ```ts
 * import { run, SubprocessError } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(run(["false"], { check: true }), SubprocessError);
 * ```
 */
export class SubprocessError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong with which command.
   * @param options The standard error options (`cause`).
   */
  constructor(message = "A child process failed", options?: ErrorOptions) {
    super(message, options);
    this.name = "SubprocessError";
  }
}

/**
 * Thrown when a wait on a child process runs out of time: by `run()` with `timeout` (after it has
 * killed the child), and by `Popen.wait()` and `Popen.communicate()` with `timeout` (which leave
 * the child running). Carries the command, the timeout and the output captured so far. Python:
 * `subprocess.TimeoutExpired` (whose `timeout` is in seconds; here it is in milliseconds).
 *
 * @example A child that runs out of time
 * ```ts
 * import { run, TimeoutExpired } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const error = await run(["sh", "-c", "echo started; exec sleep 10"], {
 *   capture: true,
 *   encoding: "utf-8",
 *   timeout: 500,
 * }).catch((e) => e);
 * assert.ok(error instanceof TimeoutExpired);
 * assert.deepEqual(error.cmd, ["sh", "-c", "echo started; exec sleep 10"]);
 * assert.equal(error.timeout, 500);
 * assert.equal(error.stdout, "started\n");
 * ```
 */
export class TimeoutExpired extends SubprocessError {
  /** The command line of the child. */
  readonly cmd: readonly string[];
  /** The timeout that expired, in milliseconds. */
  readonly timeout: number;
  /** What the child wrote to stdout before the timeout, or `null` when it was not captured. */
  readonly stdout: ProcessOutput | null;
  /** What the child wrote to stderr before the timeout, or `null` when it was not captured. */
  readonly stderr: ProcessOutput | null;

  /**
   * Creates the error.
   *
   * @param cmd The command line of the child.
   * @param timeout The timeout that expired, in milliseconds.
   * @param options The output captured so far, and the standard error options (`cause`).
   */
  constructor(cmd: readonly string[], timeout: number, options?: SubprocessErrorOptions) {
    super(`Command ${formatCommand(cmd)} timed out after ${timeout} ms`, options);
    this.name = "TimeoutExpired";
    this.cmd = cmd;
    this.timeout = timeout;
    this.stdout = options?.stdout ?? null;
    this.stderr = options?.stderr ?? null;
  }

  /** The same as {@linkcode TimeoutExpired.stdout}. Python: `TimeoutExpired.output`. */
  get output(): ProcessOutput | null {
    return this.stdout;
  }
}

/**
 * Thrown by `run()` with `check: true` and by `CompletedProcess.checkReturncode()` when the child
 * exited with a non-zero status or was killed by a signal. Carries the status, the command and
 * the captured output. Python: `subprocess.CalledProcessError`.
 *
 * @example A child that fails
 * ```ts
 * import { CalledProcessError, run } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const error = await run(["sh", "-c", "echo oops >&2; exit 3"], {
 *   capture: true,
 *   encoding: "utf-8",
 *   check: true,
 * }).catch((e) => e);
 * assert.ok(error instanceof CalledProcessError);
 * assert.equal(error.returncode, 3);
 * assert.equal(error.stderr, "oops\n");
 * assert.equal(error.message, `Command ["sh","-c","echo oops >&2; exit 3"] returned non-zero exit status 3`);
 * ```
 */
export class CalledProcessError extends SubprocessError {
  /** The exit status: the exit code, or `-N` when the child was killed by signal N. */
  readonly returncode: number;
  /** The command line of the child. */
  readonly cmd: readonly string[];
  /** What the child wrote to stdout, or `null` when it was not captured. */
  readonly stdout: ProcessOutput | null;
  /** What the child wrote to stderr, or `null` when it was not captured. */
  readonly stderr: ProcessOutput | null;

  /**
   * Creates the error.
   *
   * @param returncode The exit status (`-N` for death by signal N).
   * @param cmd The command line of the child.
   * @param options The captured output, and the standard error options (`cause`).
   */
  constructor(returncode: number, cmd: readonly string[], options?: SubprocessErrorOptions) {
    super(`Command ${formatCommand(cmd)} ${describeStatus(returncode)}`, options);
    this.name = "CalledProcessError";
    this.returncode = returncode;
    this.cmd = cmd;
    this.stdout = options?.stdout ?? null;
    this.stderr = options?.stderr ?? null;
  }

  /** The same as {@linkcode CalledProcessError.stdout}. Python: `CalledProcessError.output`. */
  get output(): ProcessOutput | null {
    return this.stdout;
  }
}

// Names of the signals whose numbers are the same on Linux and macOS.
const SIGNAL_NAMES: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

function formatCommand(cmd: readonly string[]): string {
  const text = JSON.stringify(cmd);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function describeStatus(returncode: number): string {
  if (returncode >= 0) return `returned non-zero exit status ${returncode}`;
  const name = SIGNAL_NAMES[-returncode];
  return `died with signal ${name === undefined ? -returncode : `${name} (${-returncode})`}`;
}
