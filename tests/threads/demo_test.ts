// The threads demos (items 53, 54 and 57), run in-process with console.log captured.
import assert from "node:assert/strict";
import { main as item53 } from "../../demo/item53_blocking_io.ts";
import { main as item54 } from "../../demo/item54_locks.ts";
import { main as item57 } from "../../demo/item57_thread_fanout.ts";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { capture } from "../_capture.ts";

Deno.test("demo 53 times factorizing and blocking calls, serially and in threads", async () => {
  const output = await capture(item53);
  assert.match(output, /^Factorizing serially took \d+\.\d{3} seconds$/m);
  assert.match(output, /^Factorizing in 4 threads took \d+\.\d{3} seconds/m);
  const serial = Number(
    output.match(/^Five blocking calls in a row took (\d+\.\d{3}) seconds$/m)?.[1],
  );
  const threaded = Number(
    output.match(/^Five blocking calls in threads took (\d+\.\d{3}) seconds/m)?.[1],
  );
  // Real threads overlap the five blocking calls; "threads" that ran one after another (or on
  // the main thread) would take at least as long as the serial run, whatever the start-up cost.
  assert.ok(serial >= 0.5 && threaded > 0, output);
  assert.ok(threaded < serial, `threads took ${threaded} s, serial ${serial} s`);
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
