/**
 * Issue #14: what a pool's cold start costs over the platform's own.
 *
 * - Group "process cold start": from `new ProcessPoolExecutor({ maxWorkers: 2 })` to the results
 *   of four `double` calls, against two bare `deno run` children of an empty file, with the flags
 *   the pool's children get (spawn both, wait for both to exit). Target: at most 1.15× the
 *   baseline. A second reference, two children that each start one empty web Worker and exit at
 *   its first message, is the floor of any child that keeps its main thread free while a task
 *   computes (see docs/execution_layer.md, "What a process child's start costs").
 * - Group "worker cold start": from `new WorkerPoolExecutor({ maxWorkers: 2 })` to the results of
 *   four `double` calls, against two raw web Workers to their first message.
 *
 * Each case starts from nothing and ends with nothing left running: the pools are shut down, and
 * their children have exited, outside the measured part. `deno bench -A bench/cold_start_bench.ts`
 * runs the groups (Deno reports means). Starting processes is noisy on a busy machine, so
 * `deno run -A bench/cold_start_bench.ts` also measures each group interleaved (each round runs
 * every case once, in turn) and prints medians, minimums and ratios.
 *
 * @module
 */

import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { double } from "../examples/tasks.ts";

// The flags a pool's child gets (see ProcessPoolExecutor): the same configuration file.
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const EMPTY = Deno.makeTempFileSync({ prefix: "tandem-cold-start-", suffix: ".ts" });
globalThis.addEventListener("unload", () => Deno.removeSync(EMPTY));

const RAW_WORKER = `data:application/javascript,${encodeURIComponent("self.postMessage(0);")}`;
const ONE_WORKER = Deno.makeTempFileSync({ prefix: "tandem-cold-start-", suffix: ".ts" });
Deno.writeTextFileSync(
  ONE_WORKER,
  `new Worker(${JSON.stringify(RAW_WORKER)}, { type: "module" }).onmessage = () => Deno.exit(0);\n`,
);
globalThis.addEventListener("unload", () => Deno.removeSync(ONE_WORKER));

// Each case runs the part timed and returns, untimed, how to end whatever it started.
async function twoChildren(script: string): Promise<() => Promise<void>> {
  const children = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--config", CONFIG, "--allow-read", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  const statuses = await Promise.all(children.map((child) => child.status));
  if (!statuses.every((status) => status.success)) throw new Error(`${script} failed`);
  return () => Promise.resolve();
}

async function processPool(): Promise<() => Promise<void>> {
  const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  await Promise.all([1, 2, 3, 4].map((n) => pool.submit(double, n)));
  return () => pool.shutdown();
}

async function rawWorkers(): Promise<() => Promise<void>> {
  const workers = [0, 1].map(() => new Worker(RAW_WORKER, { type: "module" }));
  await Promise.all(
    workers.map((worker) => new Promise((resolve) => worker.onmessage = resolve)),
  );
  return () => {
    for (const worker of workers) worker.terminate();
    return Promise.resolve();
  };
}

async function workerPool(): Promise<() => Promise<void>> {
  const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  await Promise.all([1, 2, 3, 4].map((n) => pool.submit(double, n)));
  return () => pool.shutdown();
}

const GROUPS: Record<string, Record<string, () => Promise<() => Promise<void>>>> = {
  "process cold start": {
    "two bare deno children (deno run of an empty file)": () => twoChildren(EMPTY),
    "two deno children that each start one web Worker": () => twoChildren(ONE_WORKER),
    "ProcessPoolExecutor(2): start to 4 results": processPool,
  },
  "worker cold start": {
    "two raw web Workers to their first message": rawWorkers,
    "WorkerPoolExecutor(2): start to 4 results": workerPool,
  },
};

for (const [group, cases] of Object.entries(GROUPS)) {
  for (const [i, [name, measured]] of Object.entries(cases).entries()) {
    Deno.bench({
      name,
      group,
      baseline: i === 0,
      n: 20,
      warmup: 2,
      async fn(b) {
        b.start();
        const cleanUp = await measured();
        b.end();
        await cleanUp();
      },
    });
  }
}

async function interleaved(
  cases: Record<string, () => Promise<() => Promise<void>>>,
  rounds: number,
): Promise<Map<string, number[]>> {
  const times = new Map(Object.keys(cases).map((name) => [name, [] as number[]]));
  for (let round = -1; round < rounds; round++) {
    for (const [name, measured] of Object.entries(cases)) {
      const start = performance.now();
      const cleanUp = await measured();
      const took = performance.now() - start;
      await cleanUp();
      if (round >= 0) times.get(name)!.push(took); // round -1 warms up
    }
  }
  return times;
}

function report(title: string, results: Map<string, number[]>): void {
  const [baseline] = [...results.values()].map((list) => list.sort((a, b) => a - b));
  const floor = baseline[baseline.length >> 1];
  console.log(title);
  for (const [name, list] of results) {
    list.sort((a, b) => a - b);
    const median = list[list.length >> 1];
    console.log(
      `  ${name.padEnd(52)} median ${median.toFixed(1).padStart(6)} ms (${
        (median / floor).toFixed(2)
      }×)  min ${list[0].toFixed(1).padStart(6)} ms (${(list[0] / baseline[0]).toFixed(2)}×)`,
    );
  }
}

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 15);
  for (const [group, cases] of Object.entries(GROUPS)) {
    report(`${group} (interleaved, ${rounds} rounds)`, await interleaved(cases, rounds));
  }
}
