import assert from "node:assert/strict";
import { BrokenExecutorError, TimeoutError } from "@tandem/tandem/futures";
import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
import { isRunning, whenGone } from "./_proc.ts";
import { SharedCounter } from "./_shared.ts";
import {
  addToCounter,
  crashLater,
  echo,
  exitOn,
  exitWith,
  failWith,
  hang,
  permissionState,
  processId,
  returnFunction,
  sharedAtTwo,
  sleep,
  square,
  startSleeperAndHang,
  typesOf,
} from "./_tasks.ts";

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

Deno.test("ProcessPoolExecutor runs tasks in child processes; values keep their types", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const pid = await pool.submit(processId);
  assert.notEqual(pid, Deno.pid);
  assert.equal(await pool.submit(square, 9), 81);
  const when = new Date(86_400_000);
  assert.deepEqual(await pool.submit(echo, new Map([["when", when]])), new Map([["when", when]]));
  assert.deepEqual(
    await pool.submit(typesOf, { m: new Map(), s: new Set(), d: when, u: new Uint16Array(3) }),
    ["[object Map]", "[object Set]", "[object Date]", "[object Uint16Array]"],
  );
  const error = await pool.submit(failWith, "rejected", 11).exception();
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ValidationError");
  assert.equal((error as { code?: number }).code, 11);
  assert.match(error.stack ?? "", /failWith/);
  assert.deepEqual(
    await collect(pool.map(square, [1, 2, 3, 4, 5, 6, 7], { chunkSize: 3 })),
    [1, 4, 9, 16, 25, 36, 49],
  );
});

Deno.test("Deno.exit(3) in a task fails only that task, naming it and the exit code", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const first = await pool.submit(processId);
  const futures = [pool.submit(square, 2), pool.submit(exitWith, 3), pool.submit(square, 3)];
  assert.equal(await futures[0], 4);
  await assert.rejects(
    futures[1].result(),
    (e) =>
      e instanceof BrokenExecutorError &&
      /Task 'exitWith' from .*_tasks\.ts did not finish: process \d+ exited with code 3/.test(
        e.message,
      ),
  );
  assert.equal(await futures[2], 9);
  const second = await pool.submit(processId);
  assert.notEqual(second, first);
});

Deno.test("an uncaught error in a child is reported as a crash of the task that was running", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  await assert.rejects(
    pool.submit(crashLater, "kaboom").result(),
    (e) =>
      e instanceof BrokenExecutorError &&
      /'crashLater' .*did not finish: process \d+ crashed: Error: kaboom/.test(e.message) &&
      (e.cause as Error).message === "kaboom",
  );
  assert.equal(await pool.submit(square, 4), 16);
});

Deno.test("arguments that cannot cross a process boundary fail at submit, naming the task and the argument", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const shared = pool.submit(addToCounter, new SharedCounter(), 1);
  assert.equal(shared.done(), true, "refused in submit(), before any process starts");
  assert.equal(pool.workerCount, 0);
  await assert.rejects(
    shared.result(),
    (e) =>
      e instanceof TypeError &&
      /Cannot run task 'addToCounter' .*argument 1 is a SharedCounter.*shared memory cannot cross a process boundary/
        .test(e.message),
  );
  await assert.rejects(
    pool.submit(echo, () => 1).result(),
    (e) => e instanceof TypeError && /'echo' .*argument 1 is an anonymous function/.test(e.message),
  );
  await assert.rejects(
    pool.submit(returnFunction).result(),
    (e) =>
      e instanceof TypeError && /returned a value that cannot be structured-cloned/.test(e.message),
  );
  assert.equal(await pool.submit(square, 5), 25);
});

Deno.test("a result that cannot leave the child fails its own call, not the rest of its chunk", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const notSerializable = (e: unknown) =>
    e instanceof TypeError && /cannot be serialized to cross the process boundary/.test(e.message);
  const seen: unknown[] = [];
  await assert.rejects(async () => {
    for await (const value of pool.map(sharedAtTwo, [0, 1, 2, 3, 4], { chunkSize: 5 })) {
      seen.push(value);
    }
  }, notSerializable);
  assert.deepEqual(seen, [0, 1], "map yields the chunk's results up to the failed one");
  const futures = [0, 1, 2, 3, 4].map((n) => pool.submit(sharedAtTwo, n));
  const settled = await Promise.allSettled(futures.map((f) => f.result()));
  assert.deepEqual(settled.filter((s) => s.status === "fulfilled").map((s) => s.value), [
    0,
    1,
    3,
    4,
  ]);
  assert.ok(settled[2].status === "rejected" && notSerializable(settled[2].reason));
});

Deno.test("a process that dies in a chunk of map fails that item; the rest of the chunk runs elsewhere", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const futures = [1, 2, 3].map((n) => pool.submit(exitOn, n));
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const n of pool.map(exitOn, [1, 2, 3, 4, 5, 6], { chunkSize: 3 })) seen.push(n);
    },
    (e) => e instanceof BrokenExecutorError && /'exitOn' .*exited with code 4/.test(e.message),
  );
  assert.deepEqual(seen, [1]);
  assert.equal(await futures[0], 1);
  await assert.rejects(futures[1].result(), BrokenExecutorError);
  assert.equal(await futures[2], 3, "the call after the exit never started, so it ran elsewhere");
  assert.deepEqual(
    await collect(pool.map(exitOn, [1, 3, 5, 7], { chunkSize: 2 })),
    [1, 3, 5, 7],
  );
});

Deno.test("submitWith({ timeout }) kills a stuck process and the pool carries on", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const first = await pool.submit(processId);
  await assert.rejects(
    pool.submitWith({ timeout: 100 }, hang).result(),
    (e) => e instanceof TimeoutError && /within 100 ms; it was cancelled/.test(e.message),
  );
  assert.notEqual(await pool.submit(processId), first);
  assert.equal(await pool.submit(sleep, 1, "after"), "after");
});

Deno.test("a timed-out task's own child processes end with its process (the child leads a process group)", async () => {
  const file = await Deno.makeTempFile();
  try {
    await using pool = new ProcessPoolExecutor({
      maxWorkers: 1,
      denoArgs: ["--allow-read", "--allow-write", "--allow-run=sleep"],
    });
    await assert.rejects(
      pool.submitWith({ timeout: 1500 }, startSleeperAndHang, file).result(),
      TimeoutError,
    );
    const sleeper = Number(await Deno.readTextFile(file));
    assert.ok(sleeper > 0, "the task started its sleep");
    await whenGone(sleeper, 2000);
    assert.ok(!isRunning(sleeper), "the task's sleep outlived its process");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("children get only the permissions in denoArgs", async () => {
  {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    assert.equal(await pool.submit(permissionState, "read"), "granted");
    assert.notEqual(await pool.submit(permissionState, "env"), "granted");
    assert.notEqual(await pool.submit(permissionState, "net"), "granted");
  }
  {
    await using pool = new ProcessPoolExecutor({
      maxWorkers: 1,
      denoArgs: ["--allow-read", "--allow-env"],
    });
    assert.equal(await pool.submit(permissionState, "env"), "granted");
  }
});

Deno.test("a child that may not read the task host fails the task with the platform's message", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, denoArgs: [] });
  await assert.rejects(
    pool.submit(square, 2).result(),
    (e) =>
      e instanceof BrokenExecutorError && /could not start: .*Requires read access/.test(e.message),
  );
});

Deno.test("shutdown() ends every child process", async () => {
  const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const pids = await Promise.all([pool.submit(sleep, 30, 1), pool.submit(processId)]);
  assert.equal(pids.length, 2);
  assert.ok(pool.workerCount >= 1);
  await pool.shutdown();
  assert.equal(pool.workerCount, 0);
  assert.throws(() => pool.submit(square, 1), /has been shut down/);
});

Deno.test("ProcessPoolExecutor validates its options", () => {
  assert.throws(
    () => new ProcessPoolExecutor({ denoArgs: "--allow-all" as unknown as string[] }),
    (e) =>
      e instanceof TypeError &&
      /Cannot create ProcessPoolExecutor: 'denoArgs' must be an array of strings, received "--allow-all"/
        .test(e.message),
  );
  assert.throws(
    () => new ProcessPoolExecutor({ maxWorkers: -1 }),
    /Cannot create ProcessPoolExecutor: 'maxWorkers' must be a positive integer, received -1/,
  );
});
