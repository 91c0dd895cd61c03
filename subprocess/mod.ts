/**
 * Child processes, the Python way: {@linkcode run} a command and get a
 * {@linkcode CompletedProcess}, or start a {@linkcode Popen} to poll, wait for, talk to, signal
 * and pipe between children. Python: the `subprocess` module (Effective Python, item 52).
 *
 * Built on `Deno.Command`, with Python's semantics: `returncode` is `-N` for a child killed by
 * signal N, {@linkcode TimeoutExpired} carries the output so far, {@linkcode CalledProcessError}
 * carries the status and output. Unlike Python, every `timeout` is in milliseconds, as
 * everywhere in tandem. After `run` settles, or a `Popen` is disposed, no child is left running
 * and no pipe is left open; with `processGroup: 0`, no process the child started either: its
 * whole process group is killed, and {@linkcode killpg} does the same for any group.
 *
 * @example Run a command and read what it printed
 * ```ts
 * import { run } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const result = await run(["echo", "Hello from the child!"], {
 *   capture: true,
 *   encoding: "utf-8",
 * });
 * assert.equal(result.returncode, 0);
 * assert.equal(result.stdout, "Hello from the child!\n");
 * ```
 *
 * @example Many children in parallel
 * ```ts
 * import { Popen } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const start = performance.now();
 * const procs = Array.from({ length: 10 }, () => new Popen(["sleep", "0.1"]));
 * assert.deepEqual(await Promise.all(procs), Array(10).fill(0));
 * assert.ok(performance.now() - start < 1000);
 * ```
 *
 * @module
 */

export * from "./run.ts";
export * from "./popen.ts";
export * from "./completed_process.ts";
export * from "./errors.ts";
export * from "./killpg.ts";
