/**
 * {@linkcode ProcessPoolExecutor}: a pool of child Deno processes, for isolation.
 *
 * @module
 */

import { PoolExecutor, type PoolExecutorOptions } from "./pool_executor.ts";
import { ProcessRunner } from "./_process_runner.ts";
import type { Runner, RunnerHooks } from "./runner.ts";
import { typeError } from "@tandem/tandem/futures";

// A literal URL, so that `deno compile --include parallel/_process_host.ts` can find it.
const HOST = new URL("./_process_host.ts", import.meta.url);

/** Options for {@linkcode ProcessPoolExecutor}: those of every pool, and `denoArgs`. */
export interface ProcessPoolExecutorOptions extends PoolExecutorOptions {
  /**
   * The arguments given to `deno run` for each child, before the host script: its permissions
   * above all. The default lets the child read files, which it needs to load task modules; add
   * what your tasks need (`"--allow-net=example.com"`), V8 flags
   * (`"--v8-flags=--max-old-space-size=256"`), or a configuration file (`"--config", path`;
   * without one, the child uses the parent's, see the class doc). `--no-prompt` is always
   * added.
   *
   * @default {["--allow-read"]}
   */
  denoArgs?: string[];
}

/**
 * Runs tasks in a pool of child Deno processes: Python's
 * `concurrent.futures.ProcessPoolExecutor` (item 64), for isolation. Each child is
 * `deno run <denoArgs> parallel/_process_host.ts`, started lazily and reused; tasks and results
 * cross the process boundary serialized with `node:v8`, so they keep their structured-clone
 * types (`Map`, `Set`, `Date`, typed arrays, errors with their class name and stack). Shared
 * memory cannot cross: an argument holding a `SharedArrayBuffer` or a shareable object fails
 * the future with a `TypeError`.
 *
 * A task that exhausts memory, calls `Deno.exit()` or crashes ends only its own process: its
 * future fails with a `BrokenExecutorError` naming the task and the exit code (or signal, or
 * uncaught error), tasks that process held but had not started run elsewhere, and the process
 * is replaced. Everything else works as in `WorkerPoolExecutor` (same options, `submitWith`,
 * `submitAsync`, `ready`, `map` with `chunkSize`, and every guarantee of `PoolExecutor`), at the
 * cost of a process start (tens of milliseconds) per child and a pipe round trip per task.
 *
 * Inside each child, tasks run on the same worker host as in `WorkerPoolExecutor`, while the
 * child's main thread only carries frames: so a child whose parent ends (normally, by a crash,
 * or killed with SIGKILL) sees its stdin close and exits at once, even while its task is busy
 * in a computation. No child outlives its parent or the pool: `shutdown()` (and `await using`)
 * waits for submitted work, then kills every child and waits until it has exited. A child that
 * exits (or is killed) while it holds tasks fails the one it was running, and the ones it had
 * not started run elsewhere; if it is killed from outside, every task it held fails (none is
 * run twice).
 *
 * Configuration and permissions: a child runs with the parent's configuration file (the
 * `deno.json` or `deno.jsonc` that Deno finds for the main module, with its import map and lock
 * file), unless `denoArgs` names one (`"--config", path` or `"--no-config"`). It gets only the
 * permissions in `denoArgs`; the parent needs `--allow-run` to start it. Task output on
 * `console` goes to the child's stderr (stdout carries the protocol; a task must not write to
 * `Deno.stdout` itself).
 *
 * Under `deno compile`, `Deno.execPath()` is the compiled binary, which cannot `run` a script:
 * use `WorkerPoolExecutor` in compiled programs.
 *
 * @example The book's run_parallel.py
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * const NUMBERS: [number, number][] = [[1963309, 2265973], [1551645, 2229620]];
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * const results: number[] = [];
 * for await (const result of pool.map(gcd, NUMBERS)) results.push(result);
 * assert.deepEqual(results, [1, 5]);
 * ```
 *
 * @example Children with more permissions and their own configuration
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { double } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ProcessPoolExecutor({
 *   maxWorkers: 1,
 *   denoArgs: ["--allow-read", "--allow-env=HOME", "--config", "deno.json"],
 * });
 * assert.equal(await pool.submit(double, 21), 42);
 * ```
 *
 * @example Errors keep their class across the process boundary
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { BrokenExecutorError } from "@tandem/tandem/futures";
 * import { double, fail } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
 * await assert.rejects(pool.submit(fail, "bad").result(), RangeError);
 * assert.equal(await pool.submit(double, 21), 42);
 * assert.equal(new BrokenExecutorError("x").name, "BrokenExecutorError");
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor {
  readonly #denoArgs: string[];

  /**
   * Creates the pool; no process starts until work is submitted.
   *
   * @param options `maxWorkers`, `maxTasksPerWorker`, `idleTimeout`, `maxQueue`, `denoArgs`.
   * @throws {RangeError} If an option is out of range, naming it and the value received.
   * @throws {TypeError} If `options` is not an object or has an unknown key.
   * @throws {Error} If called while a worker imports a task module to find a task.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    super(
      {
        owner: "ProcessPoolExecutor",
        noun: "process",
        destination: "process",
        extraOptions: ["denoArgs"],
        // A call crosses a pipe and a thread each way: keep more queued than for a worker.
        queueAheadMs: 4,
      },
      options,
    );
    const what = "create ProcessPoolExecutor";
    // The pool base has checked the options object and its keys.
    const denoArgs = options.denoArgs ?? ["--allow-read"];
    if (!Array.isArray(denoArgs) || denoArgs.some((arg) => typeof arg !== "string")) {
      typeError(what, "denoArgs", "an array of strings", denoArgs);
    }
    this.#denoArgs = [...parentConfig(denoArgs), ...denoArgs];
  }

  /**
   * Starts one child process.
   *
   * @param hooks What the child reports.
   * @returns The child, as a runner.
   */
  protected spawnRunner(hooks: RunnerHooks): Runner {
    return new ProcessRunner({ host: HOST, denoArgs: this.#denoArgs, ...hooks });
  }
}

// The configuration file Deno found for this program: the first deno.json or deno.jsonc in the
// main module's folder or above it (Deno looks there, not in the working directory). Children
// start from the host script, elsewhere, so they are told. Nothing when `denoArgs` names one.
function parentConfig(denoArgs: string[]): string[] {
  if (denoArgs.some((arg) => /^(--config|-c|--no-config)(=|$)/.test(arg))) return [];
  let dir: URL;
  try {
    dir = new URL(".", Deno.mainModule);
  } catch {
    return [];
  }
  if (dir.protocol !== "file:") return [];
  for (;;) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const candidate = new URL(name, dir);
      try {
        if (Deno.statSync(candidate).isFile) {
          return ["--config", decodeURIComponent(candidate.pathname)];
        }
      } catch { /* not there, or not readable */ }
    }
    const parent = new URL("..", dir);
    if (parent.href === dir.href) return [];
    dir = parent;
  }
}
