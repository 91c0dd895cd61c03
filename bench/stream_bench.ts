// Streamed values per second: a task's async generator yielding 10,000 numbers to the caller,
// against a raw Worker that posts 10,000 messages, one per value, with no backpressure (the
// baseline). tandem's streams add credit-based backpressure (the task runs at most `buffer`
// values ahead of the reader) and send values in runs, at most `buffer` per round trip, so the
// buffer sets the pace: a small one (16), the default (64) and a large one (256) are measured.
// Pools are warm (see _shared.ts).
import {
  AsyncPoolExecutor,
  type PoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { countTo, double } from "../examples/tasks.ts";
import { warm } from "./_shared.ts";

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

globalThis.addEventListener("unload", () => counter?.terminate());

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

const asyncPool = new AsyncPoolExecutor({ maxWorkers: 1 }); // holds no worker: nothing to shut down
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
        // double lives in the module of countTo: warming with it loads both.
        const pool = await warm(name, make, double);
        b.start();
        await sum(pool.streamWith({ buffer }, countTo, VALUES));
        b.end();
      },
    });
  }
}
