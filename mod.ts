/**
 * tandem: Python's concurrency toolbox for Deno. Child processes, threads on Web Workers with
 * shared-memory locks, async queues, structured coroutines and executor pools, all sharing one
 * `Future`/`Executor` interface. Import a topic module (`@tandem/tandem/futures`, ...) or
 * everything from here.
 *
 * @example
 * ```ts
 * import { Future } from "@tandem/tandem";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<string>();
 * future.setResult("hello");
 * assert.equal(await future, "hello");
 * ```
 *
 * @module
 */

export * from "./futures/mod.ts";
export * from "./subprocess/mod.ts";
export * from "./threads/mod.ts";
export * from "./queue/mod.ts";
export * from "./coroutines/mod.ts";
export * from "./parallel/mod.ts";
