/**
 * The worker CLI: serves a `NatsExecutor` queue on this machine until SIGINT or SIGTERM.
 *
 * ```sh
 * deno run -A jsr:@tandem/nats/worker --server 127.0.0.1:4222 --root ./code
 * ```
 *
 * Options: `--server HOST:PORT` (repeatable; default `127.0.0.1:4222`), `--name NAME` (the
 * queue, default `tandem`), `--root DIR` (the code folder, default the current folder),
 * `--pool worker|process`, `--workers N`, `--prefetch N`, `--ack-wait MS`, `--max-deliver N`,
 * `--id NAME`. It prints one `ready` line to stderr once it is serving.
 *
 * @example Running the worker from code
 * ```ts
 * import { main } from "@tandem/nats/worker";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["--help"]), 0);
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serveTasks } from "./serve_tasks.ts";

const USAGE = `Usage: deno run -A jsr:@tandem/nats/worker [options]

  --server HOST:PORT   NATS server (repeatable)            [127.0.0.1:4222]
  --name NAME          queue name, as given to NatsExecutor [tandem]
  --root DIR           code folder: tasks are found here    [current folder]
  --pool worker|process  run tasks on Web Workers or child processes [worker]
  --workers N          tasks at once                        [CPU count]
  --prefetch N         task messages held at once           [2 x workers]
  --ack-wait MS        redeliver a task whose worker went silent after MS [30000]
  --max-deliver N      deliveries before a task fails       [3]
  --id NAME            this worker's name                   [host:pid]`;

/**
 * Runs the worker CLI with `args` until SIGINT or SIGTERM (or `signal`), then stops gracefully.
 *
 * @param args The command-line arguments.
 * @param signal Stops the worker when aborted (for embedding).
 * @returns The exit code: 0 after a graceful stop or `--help`, 2 for bad arguments.
 * @throws {Error} Naming the address, if no server answers there.
 *
 * @example
 * ```ts
 * import { main } from "@tandem/nats/worker";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await main(["--pool", "threads"]), 2);
 * ```
 */
export async function main(args: string[], signal?: AbortSignal): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        server: { type: "string", multiple: true },
        name: { type: "string" },
        root: { type: "string" },
        pool: { type: "string" },
        workers: { type: "string" },
        prefetch: { type: "string" },
        "ack-wait": { type: "string" },
        "max-deliver": { type: "string" },
        id: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const pool = values.pool ?? "worker";
  if (pool !== "worker" && pool !== "process") {
    console.error(`--pool must be 'worker' or 'process', received '${pool}'\n\n${USAGE}`);
    return 2;
  }
  const number = (value: string | undefined) => value === undefined ? undefined : Number(value);
  const server = await serveTasks({
    servers: values.server ?? ["127.0.0.1:4222"],
    name: values.name,
    root: values.root,
    pool,
    maxWorkers: number(values.workers),
    prefetch: number(values.prefetch),
    ackWait: number(values["ack-wait"]),
    maxDeliver: number(values["max-deliver"]),
    id: values.id,
  });
  console.error(
    `tandem worker ${server.id} ready: queue '${values.name ?? "tandem"}', root ${
      values.root ?? Deno.cwd()
    }`,
  );
  const stop = () => void server.stop();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  signal?.addEventListener("abort", stop, { once: true });
  try {
    await server.closed;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    signal?.removeEventListener("abort", stop);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
