// The threads demos (items 53, 54 and 57), run in-process with console.log captured.
import assert from "node:assert/strict";
import { main as item53 } from "../../demo/item53_blocking_io.ts";
import { main as item54 } from "../../demo/item54_locks.ts";
import { main as item57 } from "../../demo/item57_thread_fanout.ts";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { capture } from "../_capture.ts";

/**
 * Runs `fn` counting the workers it starts and the most that were alive at once, through the
 * registry of live tandem workers (`Symbol.for("tandem.liveWorkers")`).
 */
async function countWorkers(fn: () => Promise<void>): Promise<{ started: number; peak: number }> {
  const live = (globalThis as Record<symbol, Set<unknown>>)[Symbol.for("tandem.liveWorkers")] ??=
    new Set();
  let started = 0;
  let peak = 0;
  live.add = function (worker: unknown) {
    if (!this.has(worker)) started++;
    Set.prototype.add.call(this, worker);
    peak = Math.max(peak, this.size);
    return this;
  };
  try {
    await fn();
  } finally {
    delete (live as { add?: unknown }).add;
  }
  return { started, peak };
}

Deno.test("demo 53 times factorizing and blocking calls, serially and in real threads", async () => {
  let output = "";
  const workers = await countWorkers(async () => {
    output = await capture(item53);
  });
  assert.match(output, /^Factorizing serially took \d+\.\d{3} seconds$/m);
  assert.match(output, /^Factorizing in 4 threads took \d+\.\d{3} seconds/m);
  assert.match(output, /^Five blocking calls in a row took \d+\.\d{3} seconds$/m);
  assert.match(output, /^Five blocking calls in threads took \d+\.\d{3} seconds/m);
  // Real threads: a Worker per thread (4 factorizers, 5 blocking calls), and the five blocking
  // calls' workers alive at once. "Threads" that ran inline, or one after another, would fail
  // here. (Timings are not compared: on a loaded machine starting five workers can take longer
  // than the serial run.)
  assert.equal(workers.started, 9);
  assert.ok(workers.peak >= 5, `at most ${workers.peak} workers were alive at once`);
});

Deno.test("demo 54 prints the book's exact count with the Lock, and a racy one without", async () => {
  const output = await capture(item54);
  assert.match(output, /^Counter should be 500000, got \d+$/m);
  assert.equal(output.split("\n").at(-1), "Counter should be 500000, got 500000");
});

Deno.test("demo 57 prints the serial generations, its costs, and the thread's exception", async () => {
  const output = await capture(item57);
  assert.ok(output.startsWith(await runGenerations(simulate) + "\n"));
  assert.match(output, /^Same generations as the serial simulate: true$/m);
  assert.match(output, /^Starting and joining one thread \(a Web Worker\): \d+\.\d\d ms$/m);
  assert.match(output, /^join\(\) rejected with OSError: Problem with I\/O/m);
});
