// Item 64's gcd on the fair load (the book's ten pairs 20 times = 200 tasks) on warm pools of
// two workers: serial (the baseline) against AsyncPoolExecutor, WorkerPoolExecutor and
// ProcessPoolExecutor. Pools are created and warmed outside the measured part, and shut down
// when the bench process unloads (Deno.bench has no teardown).
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

globalThis.addEventListener("unload", () => {
  // With no work in flight, shutdown() releases the workers synchronously.
  for (const pool of pools.values()) pool.then((p) => p.shutdown());
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
