// Tasks that talk back: cooperative cancellation and progress, in worker and process pools.
import assert from "node:assert/strict";
import { CancelledError, TimeoutError } from "@tandem/tandem/futures";
import {
  type PoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import {
  isolateId,
  processId,
  reportRapidly,
  reportSteps,
  reportThenWait,
  spin,
  spinChecking,
  spinUntilCancelled,
  waitForCancel,
} from "./_tasks.ts";

const kinds: [string, (grace?: number) => PoolExecutor][] = [
  ["WorkerPoolExecutor", (cancelGrace) => new WorkerPoolExecutor({ maxWorkers: 1, cancelGrace })],
  ["ProcessPoolExecutor", (cancelGrace) => new ProcessPoolExecutor({ maxWorkers: 1, cancelGrace })],
];

for (const [name, make] of kinds) {
  const who = name === "WorkerPoolExecutor" ? isolateId : processId;

  Deno.test(`${name}: a CPU-bound task that checks its context stops at once when cancelled, and its worker is kept`, async () => {
    await using pool = make(5000);
    const before = await pool.submit(who);
    const controller = new AbortController();
    const future = pool.submitWith({ signal: controller.signal }, spinChecking, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(future.running(), true);
    const cancelledAt = performance.now();
    controller.abort(new Error("stop"));
    await assert.rejects(future.result(), /stop/);
    const took = performance.now() - cancelledAt;
    assert.ok(took < 1000, `the task stopped ${took.toFixed(0)} ms after the cancel (grace: 5 s)`);
    assert.equal(await pool.submit(who), before, "the same worker runs the next task");
  });

  Deno.test(`${name}: a task that ignores its context is ended after the grace period`, async () => {
    await using pool = make(150);
    const before = await pool.submit(who);
    const start = performance.now();
    await assert.rejects(
      pool.submitWith({ timeout: 100 }, spin, 20_000, "never").result(),
      TimeoutError,
    );
    const took = performance.now() - start;
    assert.ok(took >= 240, `rejected after ${took.toFixed(0)} ms: before timeout + grace`);
    assert.notEqual(await pool.submit(who), before, "a new worker runs the next task");
  });

  Deno.test(`${name}: an async task sees its context's signal abort`, async () => {
    await using pool = make(5000);
    const before = await pool.submit(who);
    const start = performance.now();
    await assert.rejects(pool.submitWith({ timeout: 100 }, waitForCancel).result(), TimeoutError);
    assert.ok(performance.now() - start < 2000);
    assert.equal(await pool.submit(who), before);
  });

  Deno.test(`${name}: progress reaches future.onProgress in order`, async () => {
    await using pool = make();
    const future = pool.submit(reportSteps, 5);
    const seen: unknown[] = [];
    future.onProgress((value) => seen.push(value));
    assert.equal(await future, 5);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  });

  Deno.test(`${name}: a slow listener gets 100,000 rapid progress values coalesced, in order, the last before the result`, async () => {
    await using pool = make();
    const future = pool.submit(reportRapidly, 100_000);
    const seen: number[] = [];
    let lastWhenDone: number | undefined;
    future.onProgress((value) => {
      seen.push(value as number);
      busyWait(1);
    });
    future.addDoneCallback(() => lastWhenDone = seen.at(-1));
    assert.equal(await future, 100_000);
    assert.equal(lastWhenDone, 99_999);
    assertIncreasing(seen);
    assert.ok(seen.length < 1000, `the listener was called ${seen.length} times`);
  });

  Deno.test(`${name}: the last progress value comes before the result, call after call`, async () => {
    await using pool = make();
    for (let call = 0; call < 20; call++) {
      // After the first call, the worker is idle and warm: calls take the fast lane.
      const future = pool.submit(reportRapidly, 1000);
      const seen: number[] = [];
      let lastWhenDone: number | undefined;
      future.onProgress((value) => seen.push(value as number));
      future.addDoneCallback(() => lastWhenDone = seen.at(-1));
      assert.equal(await future, 1000);
      assert.equal(lastWhenDone, 999, `call ${call}`);
      assertIncreasing(seen);
    }
  });

  Deno.test(`${name}: a value held back while an async task waits reaches a slow listener before the task ends`, async () => {
    await using pool = make();
    const controller = new AbortController();
    const future = pool.submitWith({ signal: controller.signal }, reportThenWait, 2000);
    const last = Promise.withResolvers<void>();
    future.onProgress((value) => {
      busyWait(1);
      if (value === 1999) last.resolve();
    });
    const timer = setTimeout(() => last.reject(new Error("the last value did not arrive")), 5000);
    try {
      await last.promise;
      assert.equal(future.running(), true);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    assert.equal(await future, "cancelled");
  });

  Deno.test(`${name}: shutdown({ cancelFutures }) stops a cooperative task and ends promptly`, async () => {
    const pool = make(5000);
    const future = pool.submit(spinUntilCancelled, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const start = performance.now();
    await pool.shutdown({ cancelFutures: true });
    assert.ok(performance.now() - start < 2000, "shutdown waited for the whole task");
    assert.match(await future, /^cancelled in \d+$/);
  });
}

Deno.test("a task that sees the cancel and returns anyway gives its result, as in asyncio", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const controller = new AbortController();
  const future = pool.submitWith({ signal: controller.signal }, spinUntilCancelled, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort(new CancelledError("stop"));
  assert.match(await future, /^cancelled in \d+$/);
});

Deno.test("a cancel that reaches a task after it finished leaves its result", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  await pool.submit(isolateId);
  const controller = new AbortController();
  const future = pool.submitWith({ signal: controller.signal }, spin, 50, "finished");
  controller.abort(new CancelledError("too late"));
  assert.equal(await future, "finished");
});

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* a slow listener */ }
}

function assertIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i] > values[i - 1], `value ${values[i]} came after ${values[i - 1]}`);
  }
}
