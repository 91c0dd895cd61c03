// Item 64's gcd on the fair load (the book's ten pairs 20 times = 200 tasks) on warm pools of
// two workers: serial (the baseline) against AsyncPoolExecutor, WorkerPoolExecutor and
// ProcessPoolExecutor, and two raw web Workers fed one pair per message, two in flight each (the
// platform's own speed-up on this machine: the ceiling is 2x, and what the raw Workers miss of it
// is noise and scheduling). Pools and Workers are created and warmed outside the measured part,
// and ended when the bench process unloads (Deno.bench has no teardown).
import type { Executor } from "@tandem/tandem/futures";
import {
  AsyncPoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { gcd } from "../examples/tasks.ts";
import { FAIR_LOAD, NUMBERS } from "../demo/item64_gcd.ts";

const GROUP = "gcd: 200 tasks, 2 workers, warm pools";

const pools = new Map<string, Promise<Executor>>();

function warm(name: string, make: () => Executor): Promise<Executor> {
  let pool = pools.get(name);
  if (pool === undefined) {
    pool = (async () => {
      const made = make();
      for await (const _ of made.map(gcd, NUMBERS)) { /* start the workers, load the module */ }
      return made;
    })();
    pools.set(name, pool);
  }
  return pool;
}

async function drain(iterator: AsyncIterable<number>): Promise<number> {
  let sum = 0;
  for await (const n of iterator) sum += n;
  return sum;
}

let rawWorkers: Worker[] | undefined;

// The pairs' gcds summed, computed by the two raw Workers, each kept two pairs ahead.
function rawMap(pairs: [number, number][]): Promise<number> {
  rawWorkers ??= [0, 1].map(() =>
    new Worker(new URL("./_gcd_worker.ts", import.meta.url), { type: "module" })
  );
  return new Promise((resolve) => {
    let next = 0;
    let done = 0;
    let sum = 0;
    for (const worker of rawWorkers!) {
      worker.onmessage = (event: MessageEvent<number>) => {
        sum += event.data;
        if (next < pairs.length) worker.postMessage(pairs[next++]);
        if (++done === pairs.length) resolve(sum);
      };
      for (let ahead = 0; ahead < 2 && next < pairs.length; ahead++) {
        worker.postMessage(pairs[next++]);
      }
    }
  });
}

globalThis.addEventListener("unload", () => {
  // With no work in flight, shutdown() releases the workers synchronously.
  for (const pool of pools.values()) pool.then((p) => p.shutdown());
  for (const worker of rawWorkers ?? []) worker.terminate();
});

Deno.bench({
  name: "serial",
  group: GROUP,
  baseline: true,
  fn() {
    let sum = 0;
    for (const pair of FAIR_LOAD) sum += gcd(pair) as number;
    if (sum === 0) throw new Error("unreachable");
  },
});

let rawWarm: Promise<number> | undefined;

Deno.bench({
  name: "two raw web Workers, two pairs in flight each",
  group: GROUP,
  async fn(b) {
    await (rawWarm ??= rawMap(NUMBERS));
    b.start();
    await rawMap(FAIR_LOAD);
    b.end();
  },
});

const executors: [string, () => Executor][] = [
  ["AsyncPoolExecutor", () => new AsyncPoolExecutor({ maxWorkers: 2 })],
  ["WorkerPoolExecutor", () => new WorkerPoolExecutor({ maxWorkers: 2, idleTimeout: Infinity })],
  ["ProcessPoolExecutor", () => new ProcessPoolExecutor({ maxWorkers: 2, idleTimeout: Infinity })],
];

for (const [name, make] of executors) {
  Deno.bench({
    name,
    group: GROUP,
    async fn(b) {
      const pool = await warm(name, make);
      b.start();
      await drain(pool.map(gcd, FAIR_LOAD));
      b.end();
    },
  });
}
