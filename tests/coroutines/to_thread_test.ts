import assert from "node:assert/strict";
import { currentIsolateId, Future } from "@tandem/tandem/futures";
import { shutdownDefaultExecutor, toThread } from "@tandem/tandem/coroutines";
import { blockFor, refuse, whereAmI } from "./_thread_tasks.ts";

Deno.test("toThread() runs a task in a worker and returns its future", async () => {
  try {
    const future = toThread(blockFor, 5);
    assert.ok(future instanceof Future);
    assert.equal(await future, 5);
    // Not inline: the task ran in another isolate, a worker.
    const where = await toThread(whereAmI);
    assert.notEqual(where.isolate, currentIsolateId());
    assert.equal(where.worker, true);
  } finally {
    await shutdownDefaultExecutor();
  }
});

Deno.test("toThread() leaves the event loop free while the task blocks its worker", async () => {
  try {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await toThread(blockFor, 150);
    } finally {
      clearInterval(timer);
    }
    // A blocked main thread would have run no timer at all during the 150 ms.
    assert.ok(ticks >= 3, `the loop ran ${ticks} timer ticks`);
  } finally {
    await shutdownDefaultExecutor();
  }
});

Deno.test("toThread() carries the task's error back with its class and message", async () => {
  try {
    await assert.rejects(
      toThread(refuse, "this").result(),
      (e) => e instanceof RangeError && e.message === "refused this",
    );
  } finally {
    await shutdownDefaultExecutor();
  }
});

Deno.test("shutdownDefaultExecutor() ends the shared pool, and toThread() starts a new one", async () => {
  await shutdownDefaultExecutor(); // nothing started: harmless
  assert.equal(await toThread(blockFor, 1), 1);
  await shutdownDefaultExecutor();
  // The preload fails this test if a worker of the first pool were still running; a new call
  // works on a fresh pool.
  assert.equal(await toThread(blockFor, 2), 2);
  await shutdownDefaultExecutor();
});

Deno.test("toThread() rejects something that is not a task", () => {
  assert.throws(
    // @ts-expect-error: a plain function is not a task
    () => toThread(() => 1),
    TypeError,
  );
});
