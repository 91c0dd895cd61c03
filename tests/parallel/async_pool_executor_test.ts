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

Deno.test("submit() returns before the function is called; map() keeps input order", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const calls: number[] = [];
  const future = pool.submit((n: number) => calls.push(n) && n * n, 3);
  const queued = pool.submit(square, 4);
  assert.deepEqual(calls, []);
  assert.equal(future.state, "running"); // it has the slot
  assert.equal(queued.state, "pending"); // it waits for one
  assert.equal(await future, 9);
  assert.equal(await queued, 16);
  const delays = [30, 5, 20, 1, 10];
  assert.deepEqual(await Array.fromAsync(pool.map(delayed, delays)), delays);
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

// Ported from CPython's test_shutdown.py, ThreadPoolShutdownTest.test_cancel_futures: shutdown
// with cancel_futures cancels only queued work; the tasks that have a worker finish.
Deno.test("shutdown({ cancelFutures }) right after the submits cancels only the queued tasks", async () => {
  const pool = new AsyncPoolExecutor({ maxWorkers: 5 });
  const futures = Array.from({ length: 50 }, () => pool.submit(delayed, 100));
  await pool.shutdown({ cancelFutures: true });
  const cancelled = futures.filter((f) => f.cancelled());
  const others = futures.filter((f) => !f.cancelled());
  assert.ok(cancelled.length > 20);
  assert.equal(others.length, 5); // the first maxWorkers futures were running
  for (const future of others) {
    assert.equal(future.done(), true);
    assert.equal(await future.exception(), undefined);
  }
});

Deno.test("AsyncPoolExecutor takes plain functions and closures; map() too", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
  let calls = 0;
  assert.equal(
    await pool.submit((a: number, b: number) => Promise.resolve((calls++, a + b)), 2, 3),
    5,
  );
  assert.equal(calls, 1);
  assert.deepEqual(await Array.fromAsync(pool.map((n: number) => n * 10, [1, 2, 3])), [10, 20, 30]);
  assert.throws(
    () => pool.submit(42 as unknown as () => number),
    (e) =>
      e instanceof TypeError &&
      e.message === "Cannot submit to AsyncPoolExecutor: 'fn' must be a function, received 42",
  );
});

Deno.test("AsyncPoolExecutor.submitWith(): a signal drops a queued task; a timeout fails a running one", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const ran: string[] = [];
  const slow = pool.submitWith(
    { timeout: 20 },
    () => new Promise((resolve) => setTimeout(() => resolve(ran.push("slow")), 60)),
  );
  const controller = new AbortController();
  const dropped = pool.submitWith({ signal: controller.signal }, () => ran.push("dropped"));
  controller.abort(new Error("not needed"));
  await assert.rejects(dropped.result(), /not needed/);
  await assert.rejects(slow.result(), {
    name: "TimeoutError",
    message: /^Cannot run '.*' on AsyncPoolExecutor: timed out after 20 ms$/,
  });
  assert.equal(pool.running, 1); // the function itself keeps its slot until it returns
  assert.equal(await pool.submit(() => "next"), "next");
  assert.deepEqual(ran, ["slow"]);
  assert.throws(
    () => pool.submitWith({ timeout: "5" } as unknown as { timeout: number }, square, 1),
    { name: "TypeError", message: /'timeout' must be .* received "5" \(a string\)/ },
  );
  assert.throws(
    () => pool.submitWith({ timeOut: 5 } as unknown as { timeout: number }, square, 1),
    /'options' has no field 'timeOut' \(known fields: signal, timeout\)/,
  );
  await pool.ready();
});

Deno.test("AsyncPoolExecutor refuses unknown options instead of ignoring them", () => {
  assert.throws(
    () => new AsyncPoolExecutor({ max_workers: 2 } as unknown as { maxWorkers: number }),
    {
      name: "TypeError",
      message:
        "Cannot create AsyncPoolExecutor: 'options' has no field 'max_workers' (known fields: maxWorkers)",
    },
  );
  assert.throws(
    () => new AsyncPoolExecutor({ maxWorkers: "2" as unknown as number }),
    { name: "TypeError", message: /received "2" \(a string\)/ },
  );
});
