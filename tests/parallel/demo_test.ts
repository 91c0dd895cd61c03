// The item 59 and 64 demos' logic, without their timing.
import assert from "node:assert/strict";
import { AsyncPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { simulatePool } from "../../demo/item59_pool_life.ts";
import { bar, barChart } from "../../demo/item64_gcd.ts";

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
