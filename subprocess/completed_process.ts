/**
 * {@linkcode CompletedProcess}: what `run()` returns once a child has exited.
 *
 * @module
 */

import { CalledProcessError, type ProcessOutput } from "./errors.ts";

/**
 * Options for the {@linkcode CompletedProcess} constructor. Python: its `stdout` and `stderr`
 * arguments.
 *
 * @typeParam T The type of the output: `string` when decoded, `Uint8Array` otherwise.
 */
export interface CompletedProcessOptions<T extends ProcessOutput> {
  /**
   * What the child wrote to stdout, or `null` when stdout was not captured.
   *
   * @default {null}
   */
  stdout?: T | null;
  /**
   * What the child wrote to stderr, or `null` when stderr was not captured.
   *
   * @default {null}
   */
  stderr?: T | null;
}

/**
 * A child process that has exited: its command line, exit status and captured output. Python:
 * `subprocess.CompletedProcess`.
 *
 * @typeParam T The type of the output: `string` when `run()` was given an `encoding`,
 * `Uint8Array` otherwise.
 *
 * @example Reading a completed process
 * ```ts
 * import { run } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const result = await run(["echo", "Hello from the child!"], {
 *   capture: true,
 *   encoding: "utf-8",
 * });
 * result.checkReturncode();
 * assert.equal(result.returncode, 0);
 * assert.equal(result.stdout, "Hello from the child!\n");
 * assert.equal(result.stderr, "");
 * ```
 */
export class CompletedProcess<T extends ProcessOutput = Uint8Array<ArrayBuffer>> {
  /** The command line the child was started with. */
  readonly args: readonly string[];
  /** The exit status: the exit code, or `-N` when the child was killed by signal N. */
  readonly returncode: number;
  /** What the child wrote to stdout, or `null` when stdout was not captured. */
  readonly stdout: T | null;
  /** What the child wrote to stderr, or `null` when stderr was not captured (or was merged). */
  readonly stderr: T | null;

  /**
   * Creates the record.
   *
   * @param args The command line the child was started with.
   * @param returncode The exit status (`-N` for death by signal N).
   * @param options The captured output.
   */
  constructor(args: readonly string[], returncode: number, options?: CompletedProcessOptions<T>) {
    this.args = args;
    this.returncode = returncode;
    this.stdout = options?.stdout ?? null;
    this.stderr = options?.stderr ?? null;
  }

  /**
   * Throws if the child failed. Python: `CompletedProcess.check_returncode()`.
   *
   * @throws {CalledProcessError} When {@linkcode CompletedProcess.returncode} is not 0; the error
   * carries the status, the command line and the captured output.
   *
   * @example
   * ```ts
   * import { CalledProcessError, CompletedProcess } from "@tandem/tandem/subprocess";
   * import assert from "node:assert/strict";
   *
   * new CompletedProcess(["true"], 0).checkReturncode();
   * assert.throws(() => new CompletedProcess(["false"], 1).checkReturncode(), CalledProcessError);
   * ```
   */
  checkReturncode(): void {
    if (this.returncode !== 0) {
      throw new CalledProcessError(this.returncode, this.args, {
        stdout: this.stdout,
        stderr: this.stderr,
      });
    }
  }
}
