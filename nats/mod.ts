/**
 * tandem past one machine: {@linkcode NatsExecutor}, the hub's `Executor` on NATS JetStream, and
 * {@linkcode serveTasks}, the worker side that runs its tasks on a local worker or process pool.
 * Python: `dask.distributed`'s `Client.submit`/`map`, `mpi4py.futures.MPIPoolExecutor`.
 *
 * Delivery is at-least-once: a task whose worker dies mid-task runs again on another worker.
 * Running tasks cannot be cancelled from the submitter; pending ones can.
 *
 * @example Change one line: the same gcd, on workers anywhere
 * ```ts
 * import { NatsExecutor, serveTasks } from "@tandem/nats";
 * import { NatsServer } from "@tandem/nats/server";
 * import type { Executor } from "@tandem/tandem/futures";
 * import { gcd } from "./tests/_tasks.ts";
 * import assert from "node:assert/strict";
 *
 * async function gcds(pool: Executor): Promise<number[]> {
 *   const out: number[] = [];
 *   for await (const n of pool.map(gcd, [[12, 18], [35, 49]])) out.push(n);
 *   return out;
 * }
 * if (await NatsServer.available()) {
 *   await using server = await NatsServer.start();
 *   const root = new URL(".", import.meta.url);
 *   await using _worker = await serveTasks({ servers: server.url, root, maxWorkers: 2 });
 *   await using pool = await NatsExecutor.connect({ servers: server.url, root });
 *   assert.deepEqual(await gcds(pool), [6, 7]);
 * }
 * ```
 *
 * @module
 */

export * from "./nats_executor.ts";
export * from "./serve_tasks.ts";
