// Streamed values per second: a task's async generator yielding 10,000 numbers to the caller,
// against a raw Worker that posts 10,000 messages, one per value, with no backpressure (the
// baseline). tandem's streams add credit-based backpressure (the task runs at most `buffer`
// values ahead of the reader) and send values in runs, at most `buffer` per round trip, so the
// buffer sets the pace: a small one (16), the default (64) and a large one (256) are measured. Pools are created and warmed outside the
// measured part and shut down when the bench process unloads (Deno.bench has no teardown).
import {
  AsyncPoolExecutor,
  type PoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { countTo } from "../examples/tasks.ts";

const VALUES = 10_000;
const GROUP = `stream ${VALUES} values`;

// The raw platform: a Worker that, asked for n values, posts 1..n one message each, then null.
const COUNTER = `data:application/javascript,${
  encodeURIComponent(
    "self.onmessage = (e) => { for (let i = 1; i <= e.data; i++) self.postMessage(i); " +
      "self.postMessage(null); };",
  )
}`;
let counter: Worker | undefined;

function rawStream(n: number): Promise<number> {
  counter ??= new Worker(COUNTER, { type: "module" });
  const worker = counter;
  return new Promise((resolve) => {
    let sum = 0;
    worker.onmessage = (event) => {
      if (event.data === null) resolve(sum);
      else sum += event.data;
    };
    worker.postMessage(n);
  });
}

const pools = new Map<string, Promise<PoolExecutor>>();

function warm(name: string, make: () => PoolExecutor): Promise<PoolExecutor> {
  let pool = pools.get(name);
  if (pool === undefined) {
    pool = (async () => {
      const made = make();
      for await (const _ of made.stream(countTo, 10)) { /* starts the worker and loads the task */ }
      return made;
    })();
    pools.set(name, pool);
  }
  return pool;
}

globalThis.addEventListener("unload", () => {
  counter?.terminate();
  for (const pool of pools.values()) pool.then((p) => p.shutdown());
});

async function sum(values: AsyncIterable<number>): Promise<number> {
  let total = 0;
  for await (const n of values) total += n;
  return total;
}

Deno.bench({
  name: "raw postMessage, one message per value",
  group: GROUP,
  baseline: true,
  n: 50,
  async fn() {
    await rawStream(VALUES);
  },
});

const asyncPool = new AsyncPoolExecutor({ maxWorkers: 1 });
pools.set("AsyncPoolExecutor", Promise.resolve(asyncPool as unknown as PoolExecutor));
Deno.bench({
  name: "AsyncPoolExecutor.stream (this event loop)",
  group: GROUP,
  n: 50,
  async fn() {
    await sum(asyncPool.stream(countTo, VALUES));
  },
});

const kinds: [string, () => PoolExecutor][] = [
  ["WorkerPoolExecutor", () => new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: Infinity })],
  ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 1, idleTimeout: Infinity })],
];
for (const [name, make] of kinds) {
  for (const buffer of [16, 64, 256]) {
    Deno.bench({
      name: `${name}.stream, buffer ${buffer}`,
      group: GROUP,
      n: 10,
      async fn(b) {
        const pool = await warm(name, make);
        b.start();
        await sum(pool.streamWith({ buffer }, countTo, VALUES));
        b.end();
      },
    });
  }
}
