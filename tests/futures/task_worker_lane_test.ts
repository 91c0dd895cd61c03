// The fast lane of TaskWorker, observed from outside: a repeat call to an idle worker goes
// through the shared mailbox, so it posts no message. (task_worker_test.ts checks the results
// of both lanes; this checks which lane was taken.)
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { TaskWorker } from "@tandem/tandem/futures";
import { echo, square } from "../parallel/_tasks.ts";
import { valueThenCrash } from "./_tasks.ts";

// Counts the messages every TaskWorker posts to its worker, until restore().
function countPosts(): { readonly count: number; restore(): void } {
  const original = Worker.prototype.postMessage;
  let count = 0;
  Worker.prototype.postMessage = function (this: InstanceType<typeof Worker>, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  return {
    get count() {
      return count;
    },
    restore: () => Worker.prototype.postMessage = original,
  };
}

Deno.test("a repeat call to an idle TaskWorker takes the shared-memory lane, posting no message", async () => {
  const posts = countPosts();
  try {
    using worker = new TaskWorker();
    assert.equal(await worker.run(square, [7]), 49); // the first call defines the task: a message
    const afterFirst = posts.count;
    assert.ok(afterFirst >= 1);
    assert.equal(await worker.run(square, [8]), 64);
    assert.equal(await worker.run(square, [9]), 81);
    assert.equal(
      posts.count,
      afterFirst,
      "a repeat call to an idle worker was posted as a message",
    );
    // A value the mailbox does not carry takes the message lane, and keeps its type.
    const map = new Map([[1, "one"]]);
    assert.deepEqual(await worker.run(echo, [map]), map);
    assert.ok(posts.count > afterFirst, "a Map went through the mailbox");
  } finally {
    posts.restore();
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

Deno.test("a call to a host back on its event loop goes by message, never waiting on a wake-up", async () => {
  // A fast call to a host that had gone back to its event loop used to wait for an
  // Atomics.waitAsync wake-up, which Deno does not always deliver: such a call stalled until the
  // stall check poked the host (0.5 to 1 s). Only a host still blocked in its short idle wait
  // takes the mailbox now; any other gets a message, which always wakes it.
  const posts = countPosts();
  try {
    using worker = new TaskWorker();
    assert.equal(await worker.run(square, [2]), 4);
    for (let i = 0; i < 5; i++) {
      // Well past the host's idle wait (IDLE_BLOCK_MS): it is back on its event loop.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const before = posts.count;
      assert.equal(await worker.run(square, [i]), i * i);
      assert.equal(posts.count, before + 1, "a call to a host on its event loop took the mailbox");
    }
  } finally {
    posts.restore();
  }
});
