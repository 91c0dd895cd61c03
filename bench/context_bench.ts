// Benchmarks for the task context (`taskContext()`), each group against a raw-platform baseline:
// - what asking the context costs: a no-op task that calls `taskContext().cancelled()` against a
//   plain no-op, 10,000 in flight on a warm WorkerPoolExecutor (target: at most 5% slower than
//   the plain one), and raw postMessage round trips;
// - progress messages per second: 10,000 progress values delivered to `future.onProgress`, from
//   a task that reports as fast as it can until the caller has them all and cancels it (so every
//   value the caller counts went the whole way; the ones coalesced away are not counted), against
//   a raw Worker posting 10,000 messages. The task keeps one core busy while the caller reads, as
//   a real one does; the raw Worker is done posting long before the caller has read them.
// Pools are warm (see _shared.ts). This module is also the task module of the workers: the benches register only on the
// main thread.
import { task, taskContext } from "@tandem/tandem/futures";
import { type PoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { rawRoundTrip, warm } from "./_shared.ts";

const IN_FLIGHT = 10_000;
const VALUES = 10_000;

// --- tasks (run in workers) ---------------------------------------------------------------

export const plainNoop = task(import.meta.url, function plainNoop(n: number): number {
  return n;
});

export const contextNoop = task(import.meta.url, function contextNoop(n: number): number {
  if (taskContext().cancelled()) throw new Error("cancelled");
  return n;
});

export const reportUntilCancelled = task(
  import.meta.url,
  function reportUntilCancelled(): number {
    const context = taskContext();
    let i = 0;
    while (!context.cancelled()) context.progress(i++);
    return i;
  },
);

// --- benches (main thread only) -------------------------------------------------------------

// A raw Worker that posts `n` messages when it receives `n`.
const POSTER = `data:application/javascript,${
  encodeURIComponent(
    "self.onmessage = (e) => { for (let i = 0; i < e.data; i++) postMessage(i); };",
  )
}`;
let poster: Worker | undefined;

function rawMessages(n: number): Promise<void> {
  poster ??= new Worker(POSTER, { type: "module" });
  const worker = poster;
  return new Promise((resolve) => {
    let seen = 0;
    worker.onmessage = () => {
      if (++seen === n) resolve();
    };
    worker.postMessage(n);
  });
}

// Collects `n` progress values from a task that reports until cancelled.
async function progressValues(pool: PoolExecutor, n: number): Promise<void> {
  const controller = new AbortController();
  const future = pool.submitWith({ signal: controller.signal }, reportUntilCancelled);
  let seen = 0;
  let last = -1;
  future.onProgress((value: unknown) => {
    if ((value as number) <= last) throw new Error(`progress out of order: ${value} after ${last}`);
    last = value as number;
    if (++seen === n) controller.abort();
  });
  await future;
}

if (!("WorkerGlobalScope" in globalThis)) {
  globalThis.addEventListener("unload", () => poster?.terminate());

  const workers = () => new WorkerPoolExecutor({ maxWorkers: 2, idleTimeout: Infinity });
  const group = `no-op task, ${IN_FLIGHT} in flight`;
  Deno.bench({
    name: `raw postMessage, ${IN_FLIGHT} in flight`,
    group,
    baseline: true,
    async fn() {
      const replies = [];
      for (let i = 0; i < IN_FLIGHT; i++) replies.push(rawRoundTrip(i));
      await Promise.all(replies);
    },
  });
  // The context-aware one runs first, so that any cost of a pool's first rounds counts against it.
  for (const [name, noop] of [["context-aware", contextNoop], ["plain", plainNoop]] as const) {
    Deno.bench({
      name: `WorkerPoolExecutor, ${name} no-op`,
      group,
      // The first rounds on a new pool start its second worker and compile the hot paths.
      warmup: 5,
      n: 30,
      async fn(b) {
        const pool = await warm("WorkerPoolExecutor", workers, plainNoop);
        b.start();
        const futures = [];
        for (let i = 0; i < IN_FLIGHT; i++) futures.push(pool.submit(noop, i));
        await Promise.all(futures);
        b.end();
      },
    });
  }

  const progressGroup = `${VALUES} progress values delivered`;
  Deno.bench({
    name: `raw Worker posting ${VALUES} messages`,
    group: progressGroup,
    baseline: true,
    async fn() {
      await rawMessages(VALUES);
    },
  });
  Deno.bench({
    name: "WorkerPoolExecutor: taskContext().progress() to future.onProgress",
    group: progressGroup,
    async fn(b) {
      const pool = await warm(
        "WorkerPoolExecutor, one worker",
        () => new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: Infinity }),
        plainNoop,
      );
      b.start();
      await progressValues(pool, VALUES);
      b.end();
    },
  });
}
