/**
 * Item 52: what tandem's subprocess layer costs over raw `Deno.Command`.
 *
 * - Group "run": one short-lived child (`true`) through `run()`, against
 *   `new Deno.Command("true").output()` as the baseline. Target: at most 1.10× the baseline.
 * - Group "parallel": ten `sleep 0.1` children at once, through `run()` and `Popen`, against the
 *   same with raw `Deno.Command`. Target: under 0.15 s of wall time, about one sleep.
 *
 * `deno bench -A bench/subprocess_bench.ts` runs the groups (Deno reports means). Spawning is
 * noisy on a busy machine, so `deno run -A bench/subprocess_bench.ts` also measures the "run"
 * group interleaved (each round runs every case once, in turn) and prints median ratios.
 *
 * @module
 */

import { Popen, run } from "@tandem/tandem/subprocess";

const SLEEPERS = 10;

const RUN_CASES: Record<string, () => Promise<unknown>> = {
  'raw Deno.Command("true").output()': () => new Deno.Command("true").output(),
  'run(["true"])': () => run(["true"]),
  'run(["true"], { capture: true })': () => run(["true"], { capture: true }),
};

const PARALLEL_CASES: Record<string, () => Promise<unknown>> = {
  "raw Deno.Command: 10 × sleep 0.1 in parallel": () =>
    Promise.all(
      Array.from(
        { length: SLEEPERS },
        () => new Deno.Command("sleep", { args: ["0.1"] }).output(),
      ),
    ),
  "run(): 10 × sleep 0.1 in parallel": () =>
    Promise.all(Array.from({ length: SLEEPERS }, () => run(["sleep", "0.1"]))),
  "Popen: 10 × sleep 0.1 in parallel": () =>
    Promise.all(Array.from({ length: SLEEPERS }, () => new Popen(["sleep", "0.1"]))),
};

for (const [group, cases] of [["run", RUN_CASES], ["parallel", PARALLEL_CASES]] as const) {
  for (const [i, [name, fn]] of Object.entries(cases).entries()) {
    Deno.bench({
      name,
      group,
      baseline: i === 0,
      async fn() {
        await fn();
      },
    });
  }
}

async function medians(
  cases: Record<string, () => Promise<unknown>>,
  rounds: number,
): Promise<Map<string, number>> {
  const times = new Map(Object.keys(cases).map((name) => [name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = performance.now();
      await fn();
      times.get(name)!.push(performance.now() - start);
    }
  }
  return new Map(
    [...times].map(([name, list]) => [name, list.sort((a, b) => a - b)[list.length >> 1]]),
  );
}

function report(title: string, results: Map<string, number>): void {
  const [baseline] = results.values();
  console.log(title);
  for (const [name, median] of results) {
    const ratio = (median / baseline).toFixed(2);
    console.log(`  ${name.padEnd(48)} median ${median.toFixed(3).padStart(8)} ms  ${ratio}×`);
  }
}

if (import.meta.main) {
  report("run (interleaved, 500 rounds)", await medians(RUN_CASES, 500));
  report("parallel (interleaved, 20 rounds)", await medians(PARALLEL_CASES, 20));
}
