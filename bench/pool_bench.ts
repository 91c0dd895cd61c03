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
import { rawRoundTrip, warm } from "./_shared.ts";

const IN_FLIGHT = 10_000;
const MAP_ITEMS = 100_000;
const ITEMS = Array.from({ length: MAP_ITEMS }, (_, i) => i);

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
      const pool = await warm(name, make, double);
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
      const pool = await warm(name, make, double);
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
        const pool = await warm(name, make, double);
        b.start();
        let count = 0;
        for await (const _ of pool.map(double, ITEMS, { chunkSize })) count++;
        b.end();
        if (count !== MAP_ITEMS) throw new Error(`lost items: ${count}`);
      },
    });
  }
}
