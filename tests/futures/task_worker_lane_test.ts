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
  // The lane is open while the host sits in its short idle wait; on a loaded machine the host may
  // not have reached it (or may have left it) when a call comes, and that call is posted instead.
  const posts = countPosts();
  try {
    using worker = new TaskWorker();
    assert.equal(await worker.run(square, [7]), 49); // the first call defines the task: a message
    const afterFirst = posts.count;
    assert.ok(afterFirst >= 1);
    // Repeat calls until five have taken the lane (or 5 s pass): every one gets its answer.
    let laned = 0;
    let calls = 0;
    for (const start = performance.now(); laned < 5 && performance.now() - start < 5_000;) {
      const before = posts.count;
      assert.equal(await worker.run(square, [calls]), calls * calls);
      calls++;
      if (posts.count === before) laned++;
    }
    assert.equal(laned, 5, `only ${laned} of ${calls} repeat calls took the lane`);
    // A value the mailbox does not carry takes the message lane, and keeps its type.
    const map = new Map([[1, "one"]]);
    const beforeMap = posts.count;
    assert.deepEqual(await worker.run(echo, [map]), map);
    assert.ok(posts.count > beforeMap, "a Map went through the mailbox");
  } finally {
    posts.restore();
  }
});

Deno.test("a fast-lane answer in the mailbox when the worker ends is kept, not reported as broken", async () => {
  // The answer sits in shared memory; the parent learns of it on a later turn. An end that comes
  // first (a crash reported by message, a terminate) must not turn a finished call into a broken
  // one.
  // A round whose call was posted (the host was not in its idle wait: a loaded machine) does not
  // test the lane, and its outcome may be either. Rounds go on until four of each kind have taken
  // the lane (or 10 s pass).
  const posts = countPosts();
  try {
    for (const end of ["terminate", "crash"] as const) {
      let laned = 0;
      let round = 0;
      for (const start = performance.now(); laned < 4 && performance.now() - start < 10_000;) {
        round++;
        using worker = new TaskWorker();
        assert.deepEqual(await worker.attempt(valueThenCrash, [1, false]), {
          ok: true,
          value: 1,
        });
        const before = posts.count;
        const answered = worker.attempt(valueThenCrash, [round, end === "crash"]);
        await null; // a posted call goes out in a microtask
        const tookLane = posts.count === before;
        // Busy while the worker answers (and crashes), so the news wait for the same turn.
        for (const busy = performance.now(); performance.now() - busy < 20;);
        if (end === "terminate") worker.terminate();
        const outcome = await answered;
        if (!tookLane) continue;
        laned++;
        assert.deepEqual(outcome, { ok: true, value: round }, `${end}, round ${round}`);
      }
      assert.equal(laned, 4, `only ${laned} of ${round} rounds took the lane (${end})`);
    }
  } finally {
    posts.restore();
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
