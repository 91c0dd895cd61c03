import assert from "node:assert/strict";
import { CancelledError, Future, TimeoutError } from "@tandem/tandem/futures";
import { TestExecutor } from "./_helpers.ts";
import { failOn, identity, wait } from "./_tasks.ts";

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

Deno.test("submit() runs the task and settles its future", async () => {
  await using executor = new TestExecutor();
  const future = executor.submit(identity, "hello");
  assert.ok(future instanceof Future);
  assert.equal(await future, "hello");
  await assert.rejects(executor.submit(failOn, 3).result(), RangeError);
});

Deno.test("submit() rejects something that is not a task, naming what it got", async () => {
  await using executor = new TestExecutor();
  assert.throws(
    // @ts-expect-error: a plain function is not a task
    () => executor.submit(() => 1),
    (e) =>
      e instanceof TypeError &&
      /Cannot submit to TestExecutor: 'task' must be a task/.test(e.message),
  );
});

Deno.test("map() yields results in input order even when they finish out of order", async () => {
  await using executor = new TestExecutor();
  const results = await collect(executor.map(wait, [30, 1, 15, 5]));
  assert.deepEqual(results, [30, 1, 15, 5]);
});

Deno.test("map() throws the first failure at its position, after the earlier results", async () => {
  await using executor = new TestExecutor();
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const n of executor.map(failOn, [1, 2, 3, 4])) seen.push(n);
    })(),
    (e) => e instanceof RangeError && e.message === "bad item 3",
  );
  assert.deepEqual(seen, [10, 20]);
});

Deno.test("map() with chunkSize sends chunks to startChunk and keeps order and failures", async (t) => {
  await t.step("results in order across chunks", async () => {
    await using executor = new TestExecutor(Infinity, true);
    const items = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(await collect(executor.map(identity, items, { chunkSize: 4 })), items);
    assert.equal(executor.chunks, 3);
  });
  await t.step("a failure inside a chunk is thrown at its position", async () => {
    await using executor = new TestExecutor(Infinity, true);
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const n of executor.map(failOn, [1, 2, 3, 4, 5], { chunkSize: 2 })) seen.push(n);
    }, /bad item 3/);
    assert.deepEqual(seen, [10, 20]);
  });
  await t.step("an executor without startChunk submits item by item", async () => {
    await using executor = new TestExecutor();
    assert.deepEqual(await collect(executor.map(identity, [1, 2, 3], { chunkSize: 2 })), [1, 2, 3]);
    assert.equal(executor.chunks, 0);
  });
});

Deno.test("map() validates chunkSize and timeout", async () => {
  await using executor = new TestExecutor();
  for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => executor.map(identity, [1], { chunkSize }),
      (e) => e instanceof RangeError && /'chunkSize' must be a positive integer/.test(e.message),
    );
  }
  assert.throws(() => executor.map(identity, [1], { timeout: -5 }), RangeError);
});

Deno.test("map() with a timeout throws TimeoutError and cancels the work not started", async () => {
  await using executor = new TestExecutor(1);
  const iterator = executor.map(wait, [5, 200, 200, 200], { timeout: 50 });
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of iterator) seen.push(n);
  }, TimeoutError);
  assert.deepEqual(seen, [5]);
  // Only the first two started; the two still queued were cancelled, not run.
  assert.deepEqual(executor.started, ["5", "200"]);
});

Deno.test("Leaving map() early cancels every item that has not started", async () => {
  await using executor = new TestExecutor(1);
  for await (const n of executor.map(wait, [1, 1, 1, 1, 1])) {
    assert.equal(n, 1);
    break;
  }
  await executor.shutdown();
  assert.ok(executor.started.length < 5, `started ${executor.started.length}`);
});

Deno.test("submit() and map() after shutdown throw an error naming the executor and the task", async () => {
  const executor = new TestExecutor();
  await executor.shutdown();
  assert.equal(executor.isShutdown, true);
  assert.throws(
    () => executor.submit(identity, 1),
    /Cannot submit task 'identity' from .*: TestExecutor has been shut down/,
  );
  assert.throws(() => executor.map(identity, [1]), /Cannot map task 'identity'.*shut down/);
});

Deno.test("shutdown({ wait: true }) waits for submitted work, then closes once", async () => {
  const executor = new TestExecutor();
  const future = executor.submit(wait, 20);
  await executor.shutdown();
  assert.equal(future.done(), true);
  assert.equal(executor.closed, true);
  await executor.shutdown();
});

Deno.test("shutdown({ wait: false }) returns at once and still closes after the work", async () => {
  const executor = new TestExecutor();
  const future = executor.submit(wait, 20);
  await executor.shutdown({ wait: false });
  assert.equal(future.done(), false);
  assert.equal(executor.closed, false);
  assert.equal(await future, 20);
  await executor.shutdown();
  assert.equal(executor.closed, true);
});

Deno.test("shutdown({ cancelFutures: true }) cancels what has not started and lets running work finish", async () => {
  const executor = new TestExecutor(1);
  const running = executor.submit(wait, 20);
  const queued = [executor.submit(wait, 20), executor.submit(wait, 20)];
  while (!running.running()) await Promise.resolve();
  await executor.shutdown({ cancelFutures: true });
  assert.equal(await running, 20);
  for (const future of queued) {
    assert.equal(future.cancelled(), true);
    await assert.rejects(future.result(), CancelledError);
  }
  assert.deepEqual(executor.started, ["20"]);
});

Deno.test("await using shuts the executor down and waits", async () => {
  let future: Future<number>;
  let executor: TestExecutor;
  {
    await using scoped = new TestExecutor();
    executor = scoped;
    future = scoped.submit(wait, 10);
  }
  assert.equal(future.done(), true);
  assert.equal(executor.closed, true);
});
