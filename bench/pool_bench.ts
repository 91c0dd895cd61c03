// Dispatch overhead of the executors, on a task that does (almost) nothing (`double`), against
// a raw Worker that echoes postMessage (the baseline of each group):
// - one task at a time: submit, await, repeat (a round trip);
// - many in flight: 10,000 submits, then await them all;
// - map with chunkSize 100 and 1000: 100,000 items.
// Pools have two workers and are created and warmed outside the measured part; they are shut
// down when the bench process unloads (Deno.bench has no teardown).
import type { Executor } from "@tandem/tandem/futures";
import {
  AsyncPoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { double } from "../examples/tasks.ts";

const IN_FLIGHT = 10_000;
const MAP_ITEMS = 100_000;
const ITEMS = Array.from({ length: MAP_ITEMS }, (_, i) => i);

// The raw platform: one Worker that sends back what it receives (doubling numbers, and arrays
// of numbers item by item, like the task).
const ECHO = `data:application/javascript,${
  encodeURIComponent(
    "self.onmessage = (e) => { const d = e.data; " +
      "self.postMessage(Array.isArray(d) ? d.map((n) => n * 2) : d * 2); };",
  )
}`;
let echo: Worker | undefined;
let echoWaiters: ((value: unknown) => void)[] = [];
let echoHead = 0;

function rawWorker(): Worker {
  if (echo === undefined) {
    echo = new Worker(ECHO, { type: "module" });
    echo.onmessage = (event) => {
      const resolve = echoWaiters[echoHead++];
      if (echoHead === echoWaiters.length) {
        echoWaiters = [];
        echoHead = 0;
      }
      resolve(event.data);
    };
  }
  return echo;
}

function rawRoundTrip(value: unknown): Promise<unknown> {
  const worker = rawWorker();
  return new Promise((resolve) => {
    echoWaiters.push(resolve);
    worker.postMessage(value);
  });
}

const pools = new Map<string, Promise<Executor>>();

function warm(name: string, make: () => Executor): Promise<Executor> {
  let pool = pools.get(name);
  if (pool === undefined) {
    pool = (async () => {
      const made = make();
      await Promise.all([made.submit(double, 1), made.submit(double, 2)]);
      return made;
    })();
    pools.set(name, pool);
  }
  return pool;
}

globalThis.addEventListener("unload", () => {
  echo?.terminate();
  // With no work in flight, shutdown() releases the workers synchronously.
  for (const pool of pools.values()) pool.then((p) => p.shutdown());
});

const executors: [string, () => Executor][] = [
  ["AsyncPoolExecutor", () => new AsyncPoolExecutor({ maxWorkers: 2 })],
  ["WorkerPoolExecutor", () => new WorkerPoolExecutor({ maxWorkers: 2, idleTimeout: Infinity })],
  ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 2, idleTimeout: Infinity })],
];

// One task at a time: a round trip per task.
Deno.bench({
  name: "raw postMessage round trip",
  group: "one task at a time",
  baseline: true,
  async fn() {
    await rawRoundTrip(1);
  },
});
const asyncPool = new AsyncPoolExecutor({ maxWorkers: 2 });
pools.set("eager AsyncPoolExecutor", Promise.resolve(asyncPool));
Deno.bench({
  name: "AsyncPoolExecutor.submit",
  group: "one task at a time",
  async fn() {
    await asyncPool.submit(double, 1);
  },
});
for (const [name, make] of executors.slice(1)) {
  Deno.bench({
    name: `${name}.submit`,
    group: "one task at a time",
    async fn(b) {
      const pool = await warm(name, make);
      b.start();
      await pool.submit(double, 1);
      b.end();
    },
  });
}

// Many tasks in flight.
Deno.bench({
  name: `raw postMessage, ${IN_FLIGHT} in flight`,
  group: "many in flight",
  baseline: true,
  async fn() {
    const replies = [];
    for (let i = 0; i < IN_FLIGHT; i++) replies.push(rawRoundTrip(i));
    await Promise.all(replies);
  },
});
for (const [name, make] of executors) {
  Deno.bench({
    name: `${name}.submit, ${IN_FLIGHT} in flight`,
    group: "many in flight",
    async fn(b) {
      const pool = await warm(name, make);
      b.start();
      const futures = [];
      for (let i = 0; i < IN_FLIGHT; i++) futures.push(pool.submit(double, i));
      await Promise.all(futures);
      b.end();
    },
  });
}

// map in chunks.
for (const chunkSize of [100, 1000]) {
  const group = `map, ${MAP_ITEMS} items, chunkSize ${chunkSize}`;
  Deno.bench({
    name: `raw postMessage of ${chunkSize}-item arrays`,
    group,
    baseline: true,
    async fn() {
      const replies = [];
      for (let i = 0; i < MAP_ITEMS; i += chunkSize) {
        replies.push(rawRoundTrip(ITEMS.slice(i, i + chunkSize)));
      }
      let count = 0;
      for (const reply of await Promise.all(replies)) count += (reply as number[]).length;
      if (count !== MAP_ITEMS) throw new Error(`lost items: ${count}`);
    },
  });
  for (const [name, make] of executors) {
    Deno.bench({
      name: `${name}.map`,
      group,
      async fn(b) {
        const pool = await warm(name, make);
        b.start();
        let count = 0;
        for await (const _ of pool.map(double, ITEMS, { chunkSize })) count++;
        b.end();
        if (count !== MAP_ITEMS) throw new Error(`lost items: ${count}`);
      },
    });
  }
}
