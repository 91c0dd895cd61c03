import assert from "node:assert/strict";
import { CancelledError } from "@tandem/tandem/futures";
import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
import {
  delayed,
  failWith,
  overlap,
  overlapStats,
  pushInto,
  rejectLater,
  square,
} from "./_tasks.ts";

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

Deno.test("AsyncPoolExecutor never runs more than maxWorkers tasks at once", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 3 });
  overlapStats.peak = 0;
  const futures = Array.from({ length: 12 }, (_, i) => pool.submit(overlap, 5, i));
  assert.ok(pool.running <= 3);
  assert.deepEqual(await Promise.all(futures), Array.from({ length: 12 }, (_, i) => i));
  assert.equal(overlapStats.peak, 3);
  assert.equal(pool.running, 0);
});

Deno.test("AsyncPoolExecutor runs tasks in this isolate, with their arguments as they are", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
  const list: number[] = [];
  assert.equal(await pool.submit(pushInto, list, 1), 1);
  assert.equal(await pool.submit(pushInto, list, 2), 2);
  assert.deepEqual(list, [1, 2]);
});

Deno.test("submit() returns before the task starts; map() keeps input order", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
  const future = pool.submit(square, 3);
  assert.equal(future.state, "pending");
  assert.equal(await future, 9);
  const delays = [30, 5, 20, 1, 10];
  assert.deepEqual(await collect(pool.map(delayed, delays)), delays);
});

Deno.test("a throwing or rejecting task fails only its own future", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const thrown = pool.submit(failWith, "sync failure", 3);
  const rejected = pool.submit(rejectLater, "async failure");
  const fine = pool.submit(square, 5);
  await assert.rejects(thrown.result(), (e) => (e as Error).name === "ValidationError");
  await assert.rejects(rejected.result(), (e) => e instanceof RangeError);
  assert.equal(await fine, 25);
});

Deno.test("a future cancelled before its task starts never runs; shutdown cancels on request", async () => {
  const pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const list: number[] = [];
  const busy = pool.submit(overlap, 20, 0);
  const cancelled = pool.submit(pushInto, list, 1);
  assert.equal(cancelled.cancel(), true);
  const queued = [pool.submit(pushInto, list, 2), pool.submit(pushInto, list, 3)];
  await new Promise((resolve) => setTimeout(resolve, 1)); // the first task has started
  assert.equal(busy.running(), true);
  await pool.shutdown({ cancelFutures: true });
  assert.equal(await busy, 0);
  await assert.rejects(cancelled.result(), CancelledError);
  assert.ok(queued.every((f) => f.cancelled()));
  assert.deepEqual(list, []);
  assert.throws(() => pool.submit(square, 1), /AsyncPoolExecutor has been shut down/);
});

Deno.test("AsyncPoolExecutor validates maxWorkers and defaults like Python", () => {
  assert.throws(
    () => new AsyncPoolExecutor({ maxWorkers: 0 }),
    (e) =>
      e instanceof RangeError &&
      e.message ===
        "Cannot create AsyncPoolExecutor: 'maxWorkers' must be a positive integer, received 0",
  );
  assert.equal(
    new AsyncPoolExecutor().maxWorkers,
    Math.min(32, navigator.hardwareConcurrency + 4),
  );
});
