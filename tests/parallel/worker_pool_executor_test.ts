import assert from "node:assert/strict";
import {
  BrokenExecutorError,
  CancelledError,
  currentIsolateId,
  TimeoutError,
} from "@tandem/tandem/futures";
import { PoolQueueFullError, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { SharedCounter } from "./_shared.ts";
import {
  addToCounter,
  closeSelf,
  crashLater,
  echo,
  exitWith,
  failWith,
  hang,
  isolateId,
  maybeFail,
  rejectUnhandled,
  sleep,
  square,
} from "./_tasks.ts";

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("WorkerPoolExecutor runs tasks in workers, not in this isolate", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  assert.equal(pool.workerCount, 0);
  assert.equal(await pool.submit(square, 12), 144);
  const ids = await Promise.all([pool.submit(isolateId), pool.submit(isolateId)]);
  for (const id of ids) assert.notEqual(id, currentIsolateId());
  assert.ok(pool.workerCount >= 1 && pool.workerCount <= 2);
});

Deno.test("map() yields results in input order, with and without chunks", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 3 });
  const items = Array.from({ length: 500 }, (_, i) => i);
  const squares = items.map((i) => i * i);
  assert.deepEqual(await collect(pool.map(square, items)), squares);
  assert.deepEqual(await collect(pool.map(square, items, { chunkSize: 7 })), squares);
  assert.deepEqual(await collect(pool.map(square, items, { chunkSize: 1000 })), squares);
  // Tasks that finish out of order still come back in order.
  assert.deepEqual(
    await collect(pool.map(echo, [3, 1, 2].map((n) => n))),
    [3, 1, 2],
  );
});

Deno.test("a task's exception reaches its own future with its class name; others succeed", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  const futures = [
    pool.submit(square, 2),
    pool.submit(failWith, "nope", 5),
    pool.submit(square, 3),
  ];
  assert.equal(await futures[0], 4);
  const error = await futures[1].exception();
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ValidationError");
  assert.equal((error as { code?: number }).code, 5);
  assert.equal(await futures[2], 9);
  // In a chunked map, the failure is thrown at its position.
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of pool.map(maybeFail, [1, 2, 7, 8], { chunkSize: 2 })) seen.push(n);
  }, (e) => (e as Error).name === "ValidationError");
  assert.deepEqual(seen, [2, 4]);
});

Deno.test("arguments that cannot be cloned fail that future at submit, naming the task and the argument", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const bad = pool.submit(echo, () => 1);
  assert.equal(bad.done(), true, "refused in submit()");
  const good = pool.submit(square, 4);
  await assert.rejects(
    bad.result(),
    (e) =>
      e instanceof TypeError &&
      /'echo' from .*_tasks\.ts: argument 1 is an anonymous function, and functions do not cross isolates/
        .test(e.message),
  );
  const nested = pool.submit(echo, { ok: 1, later: Promise.resolve(2) });
  await assert.rejects(nested.result(), /argument 1 holds a Promise/);
  assert.equal(await good, 16);
});

Deno.test("future.cancel() before start keeps the task from ever running", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const counter = new SharedCounter();
  const first = pool.submit(sleep, 100, "first");
  await delay(20); // the first task is now running; the pool learns it is a slow one
  const second = pool.submit(addToCounter, counter, 1);
  assert.equal(second.cancel(), true);
  assert.equal(await first, "first");
  await assert.rejects(second.result(), CancelledError);
  assert.equal(await pool.submit(addToCounter, counter, 10), 10); // the second never ran
});

Deno.test("submitWith({ signal }): aborting before start drops the task, during it replaces the worker", async (t) => {
  await t.step(
    "before start: the task never runs and the future fails with the reason",
    async () => {
      await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const counter = new SharedCounter();
      const blocker = pool.submit(sleep, 80, "done");
      const controller = new AbortController();
      const queued = pool.submitWith({ signal: controller.signal }, addToCounter, counter, 1);
      controller.abort(new Error("not needed"));
      await assert.rejects(queued.result(), /not needed/);
      assert.equal(await blocker, "done");
      assert.equal(counter.value, 0);
    },
  );
  await t.step("while running: the worker is replaced and other tasks are unaffected", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    const controller = new AbortController();
    const stuck = pool.submitWith({ signal: controller.signal }, hang);
    const others = [pool.submit(sleep, 30, "a"), pool.submit(sleep, 30, "b")];
    await delay(50);
    assert.equal(stuck.running(), true);
    controller.abort();
    await assert.rejects(stuck.result(), (e) => (e as Error).name === "AbortError");
    assert.deepEqual(await Promise.all(others), ["a", "b"]);
    assert.deepEqual(await collect(pool.map(square, [1, 2, 3])), [1, 4, 9]);
  });
  await t.step("an already aborted signal fails the future at once", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const future = pool.submitWith({ signal: AbortSignal.abort("early") }, square, 2);
    assert.equal(future.done(), true);
    await assert.rejects(future.result(), (e) => e === "early");
  });
});

Deno.test("submitWith({ timeout }) stops a task that runs too long and replaces its worker", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const before = await pool.submit(isolateId);
  const slow = pool.submitWith({ timeout: 100 }, hang);
  await assert.rejects(
    slow.result(),
    (e) =>
      e instanceof TimeoutError &&
      /'hang' .*within 100 ms; it was cancelled/.test(e.message),
  );
  const after = await pool.submit(isolateId);
  assert.notEqual(after, before);
  // A quick task under a generous timeout just succeeds.
  assert.equal(await pool.submitWith({ timeout: 10_000 }, square, 5), 25);
});

Deno.test("a crashing worker fails only its task, is replaced, and no other task is lost", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 4 });
  const crashers = [crashLater, rejectUnhandled, closeSelf, exitWith] as const;
  const futures = [];
  const expected: (number | "broken")[] = [];
  for (let i = 0; i < 400; i++) {
    if (i % 50 === 25) {
      const crasher = crashers[(i / 50) % 4 | 0];
      futures.push(
        crasher === exitWith
          ? pool.submit(exitWith, 3)
          : crasher === closeSelf
          ? pool.submit(closeSelf)
          : pool.submit(crasher as typeof crashLater, `crash ${i}`),
      );
      expected.push("broken");
    } else {
      futures.push(pool.submit(square, i));
      expected.push(i * i);
    }
  }
  const settled = await Promise.allSettled(futures);
  settled.forEach((outcome, i) => {
    if (expected[i] === "broken") {
      assert.equal(outcome.status, "rejected", `task ${i}`);
      const error = (outcome as PromiseRejectedResult).reason;
      assert.ok(error instanceof BrokenExecutorError, `task ${i}: ${error}`);
      assert.match(error.message, /did not finish: worker \d+ (crashed|closed itself|exited)/);
    } else {
      assert.deepEqual(outcome, { status: "fulfilled", value: expected[i] }, `task ${i}`);
    }
  });
  assert.equal(await pool.submit(square, 3), 9);
});

Deno.test("maxQueue: submit() throws PoolQueueFullError, submitAsync() and ready() wait for room", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 2 });
  const running = pool.submit(sleep, 60, "running");
  await delay(10);
  const queued = [pool.submit(square, 1), pool.submit(square, 2)];
  assert.equal(pool.waiting, 2);
  assert.throws(
    () => pool.submit(square, 3),
    (e) =>
      e instanceof PoolQueueFullError &&
      /Cannot submit task 'square' .*already has 2 task\(s\) waiting \(maxQueue\)/.test(e.message),
  );
  await assert.rejects(pool.ready({ timeout: 5 }), TimeoutError);
  const { future: later } = await pool.submitAsync(square, 3); // waits until there is room
  assert.equal(running.done(), true);
  assert.equal(later.done(), false, "submitAsync gives the future, not the task's result");
  assert.deepEqual(await Promise.all([...queued, later]), [1, 4, 9]);
  // map is not limited: it submits all its items at once.
  assert.deepEqual(await collect(pool.map(square, [1, 2, 3, 4, 5])), [1, 4, 9, 16, 25]);
});

Deno.test("maxQueue: a task cancelled while it waits frees its place at once", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 2 });
  const blocker = pool.submit(sleep, 40, "x");
  await delay(10);
  const a = pool.submit(square, 6);
  const b = pool.submit(square, 7);
  assert.throws(() => pool.submit(square, 8), PoolQueueFullError);
  assert.equal(a.cancel(), true);
  assert.equal(pool.waiting, 1);
  const c = pool.submit(square, 8);
  assert.equal(await blocker, "x");
  assert.deepEqual(await Promise.all([b, c]), [49, 64]);
});

Deno.test("maxTasksPerWorker replaces a worker after that many tasks", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxTasksPerWorker: 3 });
  const ids: number[] = [];
  for (let i = 0; i < 7; i++) ids.push(await pool.submit(isolateId));
  assert.equal(ids[0], ids[1]);
  assert.equal(ids[1], ids[2]);
  assert.notEqual(ids[2], ids[3]);
  assert.equal(ids[3], ids[5]);
  assert.notEqual(ids[5], ids[6]);
  assert.equal(new Set(ids).size, 3);
});

Deno.test("idle workers are terminated after idleTimeout and restarted on demand", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2, idleTimeout: 30 });
  const first = await pool.submit(isolateId);
  assert.equal(pool.workerCount, 1);
  await delay(120);
  assert.equal(pool.workerCount, 0);
  const second = await pool.submit(isolateId);
  assert.notEqual(second, first);
});

Deno.test("shutdown() waits for work, refuses new work, and leaves no worker behind", async (t) => {
  await t.step("with wait: resolves after the submitted work is done", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    const futures = [
      pool.submit(sleep, 30, 1),
      pool.submit(sleep, 30, 2),
      pool.submit(sleep, 1, 3),
    ];
    await pool.shutdown();
    assert.ok(futures.every((f) => f.done()));
    assert.equal(pool.workerCount, 0);
    assert.throws(
      () => pool.submit(square, 1),
      (e) =>
        e instanceof Error && /Cannot submit task 'square' .*has been shut down/.test(e.message),
    );
    await assert.rejects(pool.submitAsync(square, 1), /has been shut down/);
    await assert.rejects(pool.ready(), /has been shut down/);
  });
  await t.step(
    "without wait: returns at once; the work still finishes, then workers end",
    async () => {
      const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const future = pool.submit(sleep, 40, "late");
      await pool.shutdown({ wait: false });
      assert.equal(future.done(), false);
      assert.equal(await future, "late");
      await pool.shutdown(); // waits for the release
      assert.equal(pool.workerCount, 0);
    },
  );
  await t.step("cancelFutures: tasks that have not started are cancelled", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const running = pool.submit(sleep, 50, "ran");
    await delay(10);
    const pending = [pool.submit(square, 1), pool.submit(square, 2)];
    await pool.shutdown({ cancelFutures: true });
    assert.equal(await running, "ran");
    assert.ok(pending.every((f) => f.cancelled()));
  });
});

Deno.test("a shareable argument stays live across the pool's workers", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 3 });
  const counter = new SharedCounter();
  await Promise.all(Array.from({ length: 300 }, () => pool.submit(addToCounter, counter, 1)));
  assert.equal(counter.value, 300);
});

Deno.test("options are validated, naming the option and the value received", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ maxWorkers: 0 }, /'maxWorkers' must be a positive integer, received 0/],
    [{ maxWorkers: 1.5 }, /'maxWorkers' must be a positive integer, received 1.5/],
    [
      { maxTasksPerWorker: 0 },
      /'maxTasksPerWorker' must be a positive integer or Infinity, received 0/,
    ],
    [
      { idleTimeout: -1 },
      /'idleTimeout' must be a non-negative number of milliseconds, received -1/,
    ],
    [{ maxQueue: -2 }, /'maxQueue' must be a non-negative integer or Infinity, received -2/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new WorkerPoolExecutor(options),
      (e) =>
        e instanceof RangeError && /^Cannot create WorkerPoolExecutor: /.test(e.message) &&
        message.test(e.message),
    );
  }
  // A wrong type is a TypeError that quotes the value as given; an unknown key lists the known.
  assert.throws(
    () => new WorkerPoolExecutor({ maxQueue: "3" as unknown as number }),
    (e) => e instanceof TypeError && /'maxQueue' .* received "3" \(a string\)/.test(e.message),
  );
  assert.throws(
    () => new WorkerPoolExecutor({ max_workers: 2 } as Record<string, unknown>),
    (e) =>
      e instanceof TypeError &&
      /'options' has no field 'max_workers' \(known fields: maxWorkers, .*cancelGrace\)/.test(
        e.message,
      ),
  );
  const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => pool.submitWith({ timeout: -5 }, square, 1),
    (e) => e instanceof RangeError && /'timeout' must be a non-negative number/.test(e.message),
  );
  assert.throws(
    () => pool.submitWith({ signal: "stop" as unknown as AbortSignal }, square, 1),
    (e) =>
      e instanceof TypeError && /'signal' must be an AbortSignal, received "stop"/.test(e.message),
  );
  assert.equal(pool.workerCount, 0);
});

Deno.test("stress: 2,000 tasks over 4 workers with failures and crashes all settle correctly", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 4 });
  const futures = [];
  for (let n = 1; n <= 2000; n++) {
    if (n % 250 === 0) futures.push(pool.submit(crashLater, `crash ${n}`));
    else futures.push(pool.submit(maybeFail, n, n % 3 === 0 ? 1 : 0));
  }
  const settled = await Promise.allSettled(futures);
  let ok = 0;
  let failed = 0;
  let broken = 0;
  settled.forEach((outcome, i) => {
    const n = i + 1;
    if (n % 250 === 0) {
      assert.ok((outcome as PromiseRejectedResult).reason instanceof BrokenExecutorError);
      broken++;
    } else if (n % 7 === 0) {
      const error = (outcome as PromiseRejectedResult).reason as Error;
      assert.equal(error.name, "ValidationError");
      assert.equal(error.message, `item ${n}`);
      failed++;
    } else {
      assert.deepEqual(outcome, { status: "fulfilled", value: 2 * n });
      ok++;
    }
  });
  assert.equal(ok + failed + broken, 2000);
  assert.equal(broken, 8);
});
