// The queue demos (items 55 and 58), run in-process with console.log captured.
import assert from "node:assert/strict";
import { main as item55 } from "../../demo/item55_queue_pipeline.ts";
import { main as item58 } from "../../demo/item58_queue_life.ts";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { capture } from "../_capture.ts";

Deno.test("demo 55 prints the book's line by hand, with pipeline() (timed) and with threads", async () => {
  const output = await capture(item55);
  const lines = output.split("\n");
  assert.equal(lines[0], "1000 items finished");
  assert.equal(lines.filter((line) => line === "1000 items finished").length, 3);
  assert.match(output, /Elapsed: \d+\.\d ms\n/);
  assert.match(output, /real threads.*\n1000 items finished$/);
});

Deno.test("demo 58 prints exactly the generations of the serial simulate()", async () => {
  const output = await capture(item58);
  assert.equal(output, await runGenerations(simulate));
});
