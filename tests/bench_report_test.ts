import assert from "node:assert/strict";
import { type BenchFigure, summarize, table } from "../tools/bench_report.ts";

const figure = (group: string, name: string, avg: number, baseline = false): BenchFigure => ({
  origin: "file:///repo/bench/pool_bench.ts",
  group,
  name,
  baseline,
  avg,
});

Deno.test("bench_report compares each figure with its group's baseline of the same round", () => {
  const rounds = [
    [figure("g", "pool", 30), figure("g", "raw", 10, true), figure("h", "first", 5)],
    [figure("g", "pool", 40), figure("g", "raw", 20, true), figure("h", "first", 7)],
    [figure("g", "pool", 90), figure("g", "raw", 30, true), figure("h", "first", 6)],
  ];
  const rows = summarize(rounds);
  assert.deepEqual(rows.map((r) => [r.group, r.name, r.median, r.ratio, r.spread, r.rounds]), [
    ["pool_bench.ts: g", "pool", 40, 3, [2, 3], 3],
    ["pool_bench.ts: g", "raw", 20, 1, [1, 1], 3],
    // No baseline: its first figure is the reference.
    ["pool_bench.ts: h", "first", 6, 1, [1, 1], 3],
  ]);
  const text = table(rows);
  assert.match(text, /\| pool_bench\.ts: g \| pool \| 40\.0 ns \| 3\.00× \(2\.00–3\.00\) \| 3 \|/);
  assert.match(text, /\| pool_bench\.ts: g \| raw \| 20\.0 ns \| baseline \| 3 \|/);
});

Deno.test("bench_report takes the median of an even number of rounds as the mean of the middle two", () => {
  const rounds = [1, 2, 3, 4].map((n) => [figure("g", "raw", 1, true), figure("g", "x", n)]);
  const [, x] = summarize(rounds);
  assert.equal(x.ratio, 2.5);
  assert.deepEqual(x.spread, [1, 4]);
});

Deno.test("bench_report refuses a bad --rounds, naming it", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../tools/bench_report.ts", import.meta.url).href, "--rounds", "0"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  assert.match(
    new TextDecoder().decode(stderr),
    /'--rounds' must be a positive integer, received 0/,
  );
});
