/**
 * Runs the bench suites several times, interleaved (every file once per round), and prints each
 * figure as a ratio to the raw baseline of its group: the median over the rounds with its spread
 * (lowest–highest). One run of `deno bench` on a 2-core machine moves by tens of percent; medians
 * of interleaved rounds are what the closing notes quote.
 *
 * ```sh
 * deno task bench:report                        # every suite, 5 rounds
 * deno task bench:report --rounds 3 bench/pool_bench.ts
 * deno task bench:report --json figures.json    # also write the raw figures
 * ```
 *
 * It prints the 1-minute load average first and warns when it is 0.6 or more: a busy machine
 * makes every ratio noisier.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One figure of one `deno bench --json` run. */
export interface BenchFigure {
  /** The bench file. */
  origin: string;
  /** Its group (`""` when it has none). */
  group: string;
  /** Its name. */
  name: string;
  /** Whether it is its group's baseline. */
  baseline: boolean;
  /** Mean time per iteration, in nanoseconds. */
  avg: number;
}

/** A figure summarized over the rounds. */
export interface BenchRow {
  /** `origin` without the folder, and the group. */
  group: string;
  /** The figure's name. */
  name: string;
  /** Whether it is the group's baseline. */
  baseline: boolean;
  /** The median of the mean times, in nanoseconds. */
  median: number;
  /** The median ratio to the baseline's time in the same round (1 for the baseline). */
  ratio: number;
  /** The lowest and highest of those ratios. */
  spread: [number, number];
  /** How many rounds measured it. */
  rounds: number;
}

/**
 * Summarizes rounds of figures: for each figure, the median time, and its ratio to the baseline
 * of its group in the same round (median, lowest, highest). A group without a baseline is
 * compared with its first figure.
 *
 * @param rounds The figures of each round.
 * @returns One row per figure, in the order of the first round.
 *
 * @example
 * ```ts
 * import { summarize } from "./bench_report.ts";
 * import assert from "node:assert/strict";
 *
 * const round = (raw: number, pool: number) => [
 *   { origin: "a.ts", group: "g", name: "raw", baseline: true, avg: raw },
 *   { origin: "a.ts", group: "g", name: "pool", baseline: false, avg: pool },
 * ];
 * const [, pool] = summarize([round(10, 20), round(10, 30), round(20, 30)]);
 * assert.equal(pool.ratio, 2);
 * assert.deepEqual(pool.spread, [1.5, 3]);
 * ```
 */
export function summarize(rounds: BenchFigure[][]): BenchRow[] {
  const key = (f: BenchFigure) => `${f.origin}\0${f.group}\0${f.name}`;
  const groupKey = (f: BenchFigure) => `${f.origin}\0${f.group}`;
  const order: BenchFigure[] = [];
  const seen = new Set<string>();
  for (const round of rounds) {
    for (const figure of round) {
      if (!seen.has(key(figure))) {
        seen.add(key(figure));
        order.push(figure);
      }
    }
  }
  const times = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  for (const round of rounds) {
    const reference = new Map<string, number>();
    for (const figure of round) {
      if (figure.baseline) reference.set(groupKey(figure), figure.avg);
    }
    for (const figure of round) {
      if (!reference.has(groupKey(figure))) reference.set(groupKey(figure), figure.avg);
    }
    for (const figure of round) {
      const k = key(figure);
      if (!times.has(k)) times.set(k, []);
      if (!ratios.has(k)) ratios.set(k, []);
      times.get(k)!.push(figure.avg);
      ratios.get(k)!.push(figure.avg / reference.get(groupKey(figure))!);
    }
  }
  return order.map((figure) => {
    const list = ratios.get(key(figure))!;
    const file = figure.origin.slice(figure.origin.lastIndexOf("/") + 1);
    return {
      group: figure.group === "" ? file : `${file}: ${figure.group}`,
      name: figure.name,
      baseline: figure.baseline,
      median: median(times.get(key(figure))!),
      ratio: median(list),
      spread: [Math.min(...list), Math.max(...list)],
      rounds: list.length,
    };
  });
}

/**
 * The rows as a Markdown table: time, and the ratio to the baseline with its spread (above 1:
 * slower than the baseline).
 *
 * @param rows From {@linkcode summarize}.
 * @returns The table.
 *
 * @example
 * ```ts
 * import { table } from "./bench_report.ts";
 * import assert from "node:assert/strict";
 *
 * const text = table([{
 *   group: "a.ts: g", name: "pool", baseline: false, median: 2e6, ratio: 2, spread: [1.5, 3],
 *   rounds: 3,
 * }]);
 * assert.match(text, /\| a\.ts: g \| pool \| 2\.00 ms \| 2\.00× \(1\.50–3\.00\) \| 3 \|/);
 * ```
 */
export function table(rows: BenchRow[]): string {
  const lines = [
    "| group | benchmark | median time | ratio to baseline (lowest–highest) | rounds |",
    "|---|---|---:|---:|---:|",
  ];
  for (const row of rows) {
    const ratio = row.baseline
      ? "baseline"
      : `${row.ratio.toFixed(2)}× (${row.spread[0].toFixed(2)}–${row.spread[1].toFixed(2)})`;
    lines.push(
      `| ${row.group} | ${row.name} | ${formatTime(row.median)} | ${ratio} | ${row.rounds} |`,
    );
  }
  return lines.join("\n");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function formatTime(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** Runs one bench file with `--json` and returns its figures. */
async function runFile(file: string): Promise<BenchFigure[]> {
  const { stdout, stderr, success } = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "-A", "--json", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (!success) {
    throw new Error(
      `deno bench ${file} failed:\n${new TextDecoder().decode(stderr).slice(-2_000)}`,
    );
  }
  const report = JSON.parse(text.slice(text.indexOf("{"))) as {
    benches: {
      origin: string;
      group: string | null;
      name: string;
      baseline: boolean;
      results: { ok?: { avg: number } }[];
    }[];
  };
  const figures: BenchFigure[] = [];
  for (const bench of report.benches) {
    const avg = bench.results[0]?.ok?.avg;
    if (avg === undefined) continue;
    figures.push({
      origin: bench.origin,
      group: bench.group ?? "",
      name: bench.name,
      baseline: bench.baseline,
      avg,
    });
  }
  return figures;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { rounds: { type: "string", default: "5" }, json: { type: "string" } },
    allowPositionals: true,
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`bench_report: '--rounds' must be a positive integer, received ${values.rounds}`);
    return 2;
  }
  const root = new URL("../", import.meta.url);
  const files = positionals.length > 0 ? positionals : [
    ...[...Deno.readDirSync(new URL("bench/", root))]
      .filter((e) => e.isFile && e.name.endsWith("_bench.ts"))
      .map((e) => new URL(`bench/${e.name}`, root).pathname)
      .sort(),
    new URL("nats/bench/nats_bench.ts", root).pathname,
  ];
  const load = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  console.log(
    `1-minute load average: ${load}${load >= 0.6 ? " (busy: ratios will be noisy)" : ""}`,
  );
  const all: BenchFigure[][] = [];
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const figures: BenchFigure[] = [];
    for (const file of files) {
      console.error(`round ${round}/${rounds}: ${file}`);
      try {
        figures.push(...await runFile(file));
      } catch (error) {
        // One suite that fails does not cost the others' figures.
        console.error((error as Error).message);
        failures.push(`round ${round}: ${file}`);
      }
    }
    all.push(figures);
  }
  console.log(table(summarize(all)));
  if (values.json !== undefined) {
    await Deno.writeTextFile(values.json, JSON.stringify(all, null, 2));
  }
  for (const failure of failures) console.log(`failed: ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
