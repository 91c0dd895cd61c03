// The fast lane of TaskWorker, observed from outside: a repeat call to an idle worker goes
// through the shared mailbox, so it posts no message. (task_worker_test.ts checks the results
// of both lanes; this checks which lane was taken.)
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { TaskWorker } from "@tandem/tandem/futures";
import { POKE } from "../../futures/_protocol.ts";
import { echo, square } from "../parallel/_tasks.ts";
import { valueThenCrash } from "./_tasks.ts";

Deno.test("a repeat call to an idle TaskWorker takes the shared-memory lane, posting no message", async () => {
  const original = Worker.prototype.postMessage;
  let posted = 0;
  Worker.prototype.postMessage = function (this: InstanceType<typeof Worker>, ...args: unknown[]) {
    posted++;
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  try {
    using worker = new TaskWorker();
    assert.equal(await worker.run(square, [7]), 49); // the first call defines the task: a message
    const afterFirst = posted;
    assert.ok(afterFirst >= 1);
    assert.equal(await worker.run(square, [8]), 64);
    assert.equal(await worker.run(square, [9]), 81);
    assert.equal(posted, afterFirst, "a repeat call to an idle worker was posted as a message");
    // A value the mailbox does not carry takes the message lane, and keeps its type.
    const map = new Map([[1, "one"]]);
    assert.deepEqual(await worker.run(echo, [map]), map);
    assert.ok(posted > afterFirst, "a Map went through the mailbox");
  } finally {
    Worker.prototype.postMessage = original;
  }
});

Deno.test("a fast-lane answer in the mailbox when the worker ends is kept, not reported as broken", async () => {
  // The answer sits in shared memory; the parent learns of it on a later turn. An end that comes
  // first (a crash reported by message, a terminate) must not turn a finished call into a broken
  // one.
  for (const end of ["terminate", "crash"] as const) {
    for (let round = 0; round < 8; round++) {
      using worker = new TaskWorker();
      assert.deepEqual(await worker.attempt(valueThenCrash, [1, false]), { ok: true, value: 1 });
      const answered = worker.attempt(valueThenCrash, [round, end === "crash"]);
      // Busy while the worker answers (and crashes), so the news wait for the same turn.
      for (const start = performance.now(); performance.now() - start < 20;);
      if (end === "terminate") worker.terminate();
      assert.deepEqual(await answered, { ok: true, value: round }, `${end}, round ${round}`);
    }
  }
});

Deno.test("stress: calls after idle gaps of every length never wait for the stall check's poke", async () => {
  // A fast call to a host that had gone back to its event loop used to wait for an
  // Atomics.waitAsync wake-up, which Deno does not always deliver; such a call stalled until the
  // stall check poked the host (0.5 to 1 s). Now only a host blocked in its idle wait takes fast
  // calls, so no call needs a poke, whatever the gap before it.
  const original = Worker.prototype.postMessage;
  let pokes = 0;
  Worker.prototype.postMessage = function (this: InstanceType<typeof Worker>, ...args: unknown[]) {
    if (Array.isArray(args[0]) && args[0].length === 1 && args[0][0] === POKE) pokes++;
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  try {
    using worker = new TaskWorker();
    for (let i = 0; i < 200; i++) {
      assert.equal(await worker.run(square, [i]), i * i);
      const gap = i % 5; // 0..4 ms: inside, at and past the host's 2 ms idle wait
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    }
    assert.equal(pokes, 0, "a call needed the stall check's poke");
  } finally {
    Worker.prototype.postMessage = original;
  }
});
