// The item 59 and 64 demos' logic, without their timing.
import assert from "node:assert/strict";
import { AsyncPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { simulatePool } from "../../demo/item59_pool_life.ts";
import { bar, barChart } from "../../demo/item64_gcd.ts";
import { ProgressBar } from "../../demo/item64_progress.ts";

Deno.test("item 59: the Game of Life stepped on a pool prints what the serial simulate() prints", async () => {
  const expected = await runGenerations(simulate);
  {
    await using pool = new AsyncPoolExecutor({ maxWorkers: 10 });
    assert.equal(await runGenerations((grid) => simulatePool(pool, grid)), expected);
  }
  {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    assert.equal(await runGenerations((grid) => simulatePool(pool, grid)), expected);
  }
});

Deno.test("item 64: the bar chart scales bars to the longest, in eighths of a block", () => {
  assert.equal(bar(1, 4), "████");
  assert.equal(bar(0.5, 4), "██");
  assert.equal(bar(1 / 32, 4), "▏");
  assert.equal(bar(0, 4), "");
  assert.equal(
    barChart([["serial", 2, "2 s"], ["pool", 1, "1 s"]], 4),
    "serial │████ 2 s\npool   │██ 1 s",
  );
});

Deno.test("item 64-progress: the bar prints every tenth reached, even those the coalescing skipped", () => {
  let out = "";
  const progress = new ProgressBar(false, (text) => out += text);
  progress.update(0.05);
  progress.update(0.32);
  progress.update(0.39);
  progress.end();
  assert.deepEqual(out.split("\n"), [
    "  0% │                    │",
    " 10% │██                  │",
    " 20% │████                │",
    " 30% │██████              │",
    "",
  ]);
});

Deno.test("item 64-progress: on a terminal the bar redraws one line in place", () => {
  let out = "";
  const progress = new ProgressBar(true, (text) => out += text);
  progress.update(0.5);
  progress.update(0.5);
  progress.update(1);
  progress.end();
  assert.equal(out, `\r${ProgressBar.line(0.5)}\r${ProgressBar.line(1)}\n`);
  assert.equal(ProgressBar.line(1), "100% │████████████████████│");
});
