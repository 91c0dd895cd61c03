/**
 * Executors behind the hub's one interface (Python's `concurrent.futures`, items 59 and 64):
 *
 * - {@linkcode AsyncPoolExecutor}: bounded concurrency on the event loop, for I/O-bound tasks
 *   (the `ThreadPoolExecutor` role);
 * - {@linkcode WorkerPoolExecutor}: a pool of worker threads, for CPU-bound tasks in parallel;
 * - {@linkcode ProcessPoolExecutor}: a pool of child Deno processes, for isolation.
 *
 * All three extend the hub's `BaseExecutor`: `submit`, `map`, `shutdown` and `await using`
 * behave the same on each, so moving work between them is a one-line change. Each is also a
 * `StreamingExecutor`: `stream(task, ...args)` runs an async generator task and yields its values
 * to the caller in order, with backpressure (`streamWith({ buffer, signal, timeout }, ...)`).
 *
 * @example Moving the book's gcd from one executor to another
 * ```ts
 * import { AsyncPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
 * import type { Executor } from "@tandem/tandem/futures";
 * import { gcd } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * async function run(pool: Executor): Promise<number[]> {
 *   const out: number[] = [];
 *   for await (const n of pool.map(gcd, [[12, 18], [35, 49]])) out.push(n);
 *   return out;
 * }
 * await using threads = new AsyncPoolExecutor({ maxWorkers: 2 });
 * await using workers = new WorkerPoolExecutor({ maxWorkers: 2 });
 * assert.deepEqual(await run(threads), [6, 7]);
 * assert.deepEqual(await run(workers), [6, 7]);
 * ```
 *
 * @example Streaming a generator's values from a child process, and leaving early
 * ```ts
 * import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
 * import { countTo } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
 * const seen: number[] = [];
 * // The child's generator runs at most 4 values ahead of this loop; `break` closes it there.
 * for await (const n of pool.streamWith({ buffer: 4 }, countTo, Infinity)) {
 *   seen.push(n);
 *   if (n === 5) break;
 * }
 * assert.deepEqual(seen, [1, 2, 3, 4, 5]);
 * ```
 *
 * @module
 */

export * from "./async_pool_executor.ts";
export * from "./pool_executor.ts";
export * from "./runner.ts";
export * from "./worker_pool_executor.ts";
export * from "./process_pool_executor.ts";
export * from "./submit_options.ts";
export * from "./errors.ts";
