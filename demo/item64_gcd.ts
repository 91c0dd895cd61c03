/**
 * Item 64: Consider `concurrent.futures` for true parallelism.
 *
 * The book times its naive gcd over ten pairs of numbers serially (`run_serial.py`), with a
 * `ThreadPoolExecutor` (`run_threads.py`) and with a `ProcessPoolExecutor` (`run_parallel.py`),
 * two workers each, pool creation included. Here: serially, with `AsyncPoolExecutor` (the
 * thread pool's role: no speed-up for CPU work), `WorkerPoolExecutor` (Web Workers) and
 * `ProcessPoolExecutor` (child processes). Ten tasks are too few to pay for starting workers,
 * so the demo then runs a fair load: the ten pairs twenty times over (200 tasks) on warm pools.
 *
 * @module
 */

import type { Executor } from "@tandem/tandem/futures";
import {
  AsyncPoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { gcd } from "../examples/tasks.ts";

/** The book's numbers (item 64). */
export const NUMBERS: [number, number][] = [
  [1963309, 2265973],
  [2030677, 3814172],
  [1551645, 2229620],
  [2039045, 2020802],
  [1823712, 1924928],
  [2293129, 1020491],
  [1281238, 2273782],
  [3823812, 4237281],
  [3812741, 4729139],
  [1292391, 2123811],
];

/** The fair load: the ten pairs repeated 20 times. */
export const FAIR_LOAD: [number, number][] = Array.from({ length: 20 }, () => NUMBERS).flat();

type Style = "serial" | "AsyncPoolExecutor" | "WorkerPoolExecutor" | "ProcessPoolExecutor";

/** What each run stands for in the book. */
const TITLES: Record<Style, string> = {
  serial: "serially, like run_serial.py",
  AsyncPoolExecutor: "AsyncPoolExecutor({ maxWorkers: 2 }), like run_threads.py",
  WorkerPoolExecutor:
    "WorkerPoolExecutor({ maxWorkers: 2 }), like run_parallel.py with Web Workers",
  ProcessPoolExecutor: "ProcessPoolExecutor({ maxWorkers: 2 }), like run_parallel.py",
};

function makePool(style: Exclude<Style, "serial">): Executor {
  switch (style) {
    case "AsyncPoolExecutor":
      return new AsyncPoolExecutor({ maxWorkers: 2 });
    case "WorkerPoolExecutor":
      return new WorkerPoolExecutor({ maxWorkers: 2 });
    case "ProcessPoolExecutor":
      return new ProcessPoolExecutor({ maxWorkers: 2 });
  }
}

/** Collects what an async iterable yields. */
export async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

/** Milliseconds as the book prints seconds: `0.123`. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** The book's experiment: one run of the ten pairs, pool creation included. */
async function timeBookRun(style: Style): Promise<{ ms: number; results: number[] }> {
  const start = performance.now();
  if (style === "serial") {
    const results = NUMBERS.map((pair) => gcd(pair) as number);
    return { ms: performance.now() - start, results };
  }
  const pool = makePool(style);
  try {
    const results = await collect(pool.map(gcd, NUMBERS));
    return { ms: performance.now() - start, results };
  } finally {
    await pool.shutdown();
  }
}

/** The fair load on a warm pool (each pool has already run the ten pairs once). */
async function timeFairLoad(style: Style): Promise<{ ms: number; results: number[] }> {
  if (style === "serial") {
    const start = performance.now();
    const results = FAIR_LOAD.map((pair) => gcd(pair) as number);
    return { ms: performance.now() - start, results };
  }
  const pool = makePool(style);
  try {
    await collect(pool.map(gcd, NUMBERS)); // warm up: start both workers, load the module
    const start = performance.now();
    const results = await collect(pool.map(gcd, FAIR_LOAD));
    return { ms: performance.now() - start, results };
  } finally {
    await pool.shutdown();
  }
}

const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A horizontal bar of `fraction` (0..1) of `width` cells, in eighths of a block. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.max(0, Math.round(fraction * width * 8));
  return "█".repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

/** Draws labelled horizontal bars scaled to the largest value. */
export function barChart(rows: [string, number, string][], width = 40): string {
  const longest = Math.max(...rows.map(([, value]) => value));
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value, note]) =>
    `${label.padEnd(labelWidth)} │${bar(longest === 0 ? 0 : value / longest, width)} ${note}`
  ).join("\n");
}

/** Runs the demo. */
export async function main(): Promise<void> {
  const styles: Style[] = [
    "serial",
    "AsyncPoolExecutor",
    "WorkerPoolExecutor",
    "ProcessPoolExecutor",
  ];
  const expected = NUMBERS.map((pair) => gcd(pair) as number);

  console.log("The book's runs: ten pairs, two workers, pool creation included");
  let serialMs = 0;
  for (const style of styles) {
    const { ms, results } = await timeBookRun(style);
    if (results.join() !== expected.join()) throw new Error(`${style} computed ${results}`);
    if (style === "serial") serialMs = ms;
    console.log(`\n${TITLES[style]}`);
    console.log(
      `Took ${seconds(ms)} seconds` +
        (style === "serial" ? "" : `  (speed-up over serial: ${(serialMs / ms).toFixed(2)}x)`),
    );
  }

  console.log(`\nThe fair load: the ten pairs 20 times (${FAIR_LOAD.length} tasks), warm pools`);
  const fair: [string, number, string][] = [];
  let fairSerialMs = 0;
  for (const style of styles) {
    const { ms, results } = await timeFairLoad(style);
    if (results.length !== FAIR_LOAD.length || results.slice(0, 10).join() !== expected.join()) {
      throw new Error(`${style} computed wrong results`);
    }
    if (style === "serial") fairSerialMs = ms;
    const speedup = fairSerialMs / ms;
    console.log(
      `${style.padEnd(20)} Took ${seconds(ms)} seconds  (speed-up over serial: ${
        speedup.toFixed(2)
      }x)`,
    );
    fair.push([style, ms, `${seconds(ms)} s  ${speedup.toFixed(2)}x`]);
  }
  console.log(`\n${barChart(fair)}`);
}

if (import.meta.main) {
  await main();
}
