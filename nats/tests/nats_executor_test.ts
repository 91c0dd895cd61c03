import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { BrokenExecutorError, task, TimeoutError } from "@tandem/tandem/futures";
import { PoolQueueFullError } from "@tandem/tandem/parallel";
import { connect } from "@nats-io/transport-node";
import { NatsExecutor, serveTasks } from "../mod.ts";
import { decode } from "../_protocol.ts";
import { double, fail, gcd, noop, pid, recordThen, sleepThen } from "./_tasks.ts";
import { lines, processesWith, queued, ROOT, startServer, uniqueName, until } from "./_helpers.ts";

Deno.test("NatsExecutor.connect() names the address when no server runs there", async () => {
  await assert.rejects(
    NatsExecutor.connect({ servers: "127.0.0.1:9", connectTimeout: 2_000 }),
    (error: Error) => {
      assert.match(error.message, /Cannot connect NatsExecutor to 127\.0\.0\.1:9/);
      assert.match(error.message, /nats-server -js/);
      return true;
    },
  );
});

Deno.test("NatsExecutor runs submit and map, and carries errors through the hub's codec", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using _worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 2 });
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  assert.equal(await pool.submit(double, 21), 42);
  const error = await pool.submit(fail, "too big").exception();
  assert.ok(error instanceof RangeError);
  assert.equal((error as RangeError).message, "too big");
  const results: number[] = [];
  for await (const n of pool.map(gcd, [[12, 18], [35, 49], [9, 6]])) results.push(n);
  assert.deepEqual(results, [6, 7, 3]);
  const many = Array.from({ length: 250 }, (_, i) => i);
  const chunked: number[] = [];
  for await (const n of pool.map(double, many, { chunkSize: 40 })) chunked.push(n);
  assert.deepEqual(chunked, many.map((n) => n * 2));
});

Deno.test("NatsExecutor.map() with chunkSize throws an item's error at its position", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using _worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 1 });
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const s of pool.map(fail, ["a", "b"], { chunkSize: 2 })) seen.push(s);
  }, /a/);
  assert.deepEqual(seen, []);
});

Deno.test("A NatsExecutor future is pending until a worker starts it; cancel() works only then", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    const first = pool.submit(recordThen, log, "first", 300, "first");
    const second = pool.submit(recordThen, log, "second", 0, "second");
    assert.equal(first.running(), false);
    await using _worker = await serveTasks({
      servers: server.url,
      name,
      root: ROOT,
      maxWorkers: 1,
      prefetch: 1,
    });
    await until(() => first.running());
    assert.equal(first.cancel(), false, "a running task cannot be cancelled");
    assert.equal(second.cancel(), true, "a pending task can be cancelled");
    assert.equal(await first, "first");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await lines(log), ["first"], "a cancelled task never runs");
  } finally {
    await Deno.remove(log);
  }
});

/**
 * A server, a queue with one in-process worker, and a count of the start requests that reach the
 * queue's submitters.
 */
async function spiedQueue() {
  const server = await startServer();
  const name = uniqueName();
  const nc = await connect({ servers: server.url });
  let starts = 0;
  nc.subscribe(`tandem.${name}.client.>`, {
    callback: (_, msg) => {
      if (decode<{ kind: string }>(msg.data).kind === "start") starts++;
    },
  });
  await nc.flush();
  const worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 1 });
  return {
    url: server.url,
    name,
    get starts() {
      return starts;
    },
    async [Symbol.asyncDispose]() {
      await worker.stop();
      await nc.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("An idle executor's lone task is running at once and runs without a start request", async () => {
  await using queue = await spiedQueue();
  await using pool = await NatsExecutor.connect({
    servers: queue.url,
    name: queue.name,
    root: ROOT,
  });
  // No worker has reported yet: the first task waits for its start request.
  const first = pool.submit(double, 1);
  assert.equal(first.running(), false);
  assert.equal(await first, 2);
  assert.equal(queue.starts, 1);
  // A worker has just reported and nothing else is unfinished: this one starts eagerly.
  const lone = pool.submit(double, 2);
  assert.equal(lone.running(), true);
  assert.equal(lone.cancel(), false, "an eagerly started task cannot be cancelled");
  assert.equal(await lone, 4);
  // A task submitted while another is unfinished waits for the worker's request.
  const log = await Deno.makeTempFile();
  try {
    const slow = pool.submit(recordThen, log, "slow", 300, "slow");
    const queuedBehind = pool.submit(recordThen, log, "behind", 0, "behind");
    assert.equal(slow.running(), true);
    assert.equal(queuedBehind.running(), false);
    assert.equal(queuedBehind.cancel(), true);
    assert.equal(await slow, "slow");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await lines(log), ["slow"], "the cancelled task never ran");
  } finally {
    await Deno.remove(log);
  }
  assert.equal(queue.starts, 1, "only the first task asked to start");
});

Deno.test("eagerStarts: 0 and a submit with a signal keep the future pending until a worker asks", async () => {
  await using queue = await spiedQueue();
  const options = { servers: queue.url, name: queue.name, root: ROOT };
  await using strict = await NatsExecutor.connect({ ...options, eagerStarts: 0 });
  await using eager = await NatsExecutor.connect(options);
  assert.equal(await strict.submit(double, 1), 2);
  assert.equal(await eager.submit(double, 1), 2);
  const strictFuture = strict.submit(double, 2);
  const signalled = eager.submitWith({ signal: new AbortController().signal }, double, 3);
  assert.equal(strictFuture.running(), false);
  assert.equal(signalled.running(), false);
  assert.deepEqual([await strictFuture, await signalled], [4, 6]);
  assert.equal(queue.starts, 4);
});

Deno.test("NatsExecutor and serveTasks refuse unknown and invalid options, naming them", async () => {
  await assert.rejects(
    // @ts-expect-error: an unknown option, as a JavaScript caller could pass it
    NatsExecutor.connect({ servers: "127.0.0.1:9", maxQueu: 5 }),
    {
      name: "TypeError",
      message: "Cannot create NatsExecutor: 'options' has no field 'maxQueu' (known fields: " +
        "servers, name, root, maxQueue, verify, reconnectTimeout, connectTimeout, eagerStarts)",
    },
  );
  await assert.rejects(NatsExecutor.connect({ servers: "127.0.0.1:9", eagerStarts: -1 }), {
    name: "RangeError",
    message: "Cannot create NatsExecutor: 'eagerStarts' must be a non-negative integer, " +
      "received -1",
  });
  await assert.rejects(NatsExecutor.connect({ servers: "127.0.0.1:9", maxQueue: 0 }), {
    name: "RangeError",
    message: "Cannot create NatsExecutor: 'maxQueue' must be a positive integer, received 0",
  });
  await assert.rejects(
    // @ts-expect-error: an unknown option
    serveTasks({ servers: "127.0.0.1:9", workers: 2 }),
    {
      name: "TypeError",
      message: "Cannot serve tasks: 'options' has no field 'workers' (known fields: servers, " +
        "name, root, pool, maxWorkers, prefetch, ackWait, maxDeliver, id, connectTimeout)",
    },
  );
  await assert.rejects(serveTasks({ servers: "127.0.0.1:9", prefetch: 0.5 }), {
    name: "RangeError",
    message: "Cannot serve tasks: 'prefetch' must be a positive integer, received 0.5",
  });
  // @ts-expect-error: a pool kind that does not exist
  await assert.rejects(serveTasks({ servers: "127.0.0.1:9", pool: "thread" }), {
    name: "TypeError",
    message: `Cannot serve tasks: 'pool' must be "worker" or "process", received "thread" ` +
      "(a string)",
  });
  await using server = await startServer();
  await using pool = await NatsExecutor.connect({ servers: server.url, name: uniqueName() });
  // @ts-expect-error: an unknown option
  assert.throws(() => pool.submitWith({ timeot: 5 }, double, 1), {
    name: "TypeError",
    message: "Cannot submit to NatsExecutor: 'options' has no field 'timeot' (known fields: " +
      "id, timeout, signal)",
  });
  assert.throws(() => pool.submitWith({ timeout: -1 }, double, 1), {
    name: "RangeError",
    message: /'timeout' must be/,
  });
  await assert.rejects(pool.submitAsync({ queueTimeout: "5" as unknown as number }, double, 1), {
    name: "TypeError",
    message: /'queueTimeout' must be .*received "5" \(a string\)/,
  });
});

Deno.test("NatsExecutor.submitWith({ timeout }) fails a task that runs too long, and the worker goes on", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using _worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 1 });
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  await assert.rejects(
    pool.submitWith({ timeout: 200 }, sleepThen, 60_000, "late").result(),
    TimeoutError,
  );
  assert.equal(await pool.submit(double, 2), 4);
});

Deno.test("NatsExecutor with maxQueue refuses a submit beyond it; submitAsync waits for room", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using pool = await NatsExecutor.connect({
    servers: server.url,
    name,
    root: ROOT,
    maxQueue: 2,
  });
  const queued = [pool.submit(double, 1), pool.submit(double, 2)];
  await new Promise((r) => setTimeout(r, 100));
  const third = pool.submit(double, 3);
  assert.ok((await third.exception()) instanceof PoolQueueFullError);
  const waiting = pool.submitAsync({}, double, 4);
  await using _worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 1 });
  assert.deepEqual(await Promise.all(queued), [2, 4]);
  const { future } = await waiting;
  assert.equal(await future, 8);
});

Deno.test("The same submit id twice runs the task once", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    await using other = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    const a = pool.submitWith({ id: "job-1" }, recordThen, log, "ran", 0, "a");
    const b = pool.submitWith({ id: "job-1" }, recordThen, log, "ran", 0, "b");
    await new Promise((r) => setTimeout(r, 100));
    const c = other.submitWith({ id: "job-1" }, recordThen, log, "ran", 0, "c");
    await assert.rejects(c.result(), /already submitted by another executor/);
    await using _worker = await serveTasks({
      servers: server.url,
      name,
      root: ROOT,
      maxWorkers: 1,
    });
    assert.deepEqual([await a, await b], ["a", "a"]);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await lines(log), ["ran"]);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("A task address is relative to the root; a module outside it is refused at submit", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const root = new URL("./tests/", ROOT);
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root });
  const outside = task(new URL("../mod.ts", root), function elsewhere() {});
  const error = await pool.submit(outside).exception();
  assert.ok(error instanceof TypeError);
  assert.match((error as Error).message, /'elsewhere'.*not under the executor's root/);
});

Deno.test("A worker that cannot resolve a task, or has other code, answers with a clear error", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const submitterRoot = await Deno.makeTempDir();
  const workerRoot = await Deno.makeTempDir();
  try {
    const futures = new URL("../../futures/mod.ts", import.meta.url).href;
    const source = (body: string) =>
      `import { task } from "${futures}";\n` +
      `export const triple = task(import.meta.url, function triple(n: number): number {\n` +
      `  return ${body};\n});\n`;
    await Deno.writeTextFile(`${submitterRoot}/tasks.ts`, source("n * 3"));
    await Deno.writeTextFile(`${workerRoot}/other.ts`, source("n * 3"));
    await Deno.writeTextFile(`${workerRoot}/changed.ts`, source("n * 3 + 1"));
    await Deno.writeTextFile(`${submitterRoot}/changed.ts`, source("n * 3"));
    await Deno.writeTextFile(`${submitterRoot}/other.ts`, source("n * 3"));
    await using _worker = await serveTasks({
      servers: server.url,
      name,
      root: workerRoot,
      maxWorkers: 1,
    });
    await using pool = await NatsExecutor.connect({
      servers: server.url,
      name,
      root: submitterRoot,
    });
    const at = (file: string, exportName: string) =>
      task(pathToFileURL(`${submitterRoot}/${file}`), function triple(_n: number): number {
        return 0;
      }, { name: exportName });

    const missing = await pool.submit(at("tasks.ts", "triple"), 1).exception() as Error;
    assert.ok(missing instanceof TypeError);
    assert.match(missing.message, /'triple' from \.\/tasks\.ts/);
    assert.match(missing.message, /no module \.\/tasks\.ts under its root/);

    const changed = await pool.submit(at("changed.ts", "triple"), 1).exception() as Error;
    assert.match(changed.message, /refused task 'triple' from \.\/changed\.ts/);
    assert.match(changed.message, /differs from the submitter's/);

    assert.equal(await pool.submit(at("other.ts", "triple"), 2), 6);
    const noExport = await pool.submit(at("other.ts", "quadruple"), 2).exception() as Error;
    assert.match(String(noExport.message), /quadruple/);
  } finally {
    await Deno.remove(submitterRoot, { recursive: true });
    await Deno.remove(workerRoot, { recursive: true });
  }
});

Deno.test("NatsExecutor bursts and chunked maps reach in-process workers", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using _worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 2 });
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  const burst = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.submit(noop, i)));
  assert.equal(burst.length, 500);
  assert.equal(processesWith(name).length, 0);
});

Deno.test("NatsExecutor fails unfinished futures with BrokenExecutorError when the server stays away", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using pool = await NatsExecutor.connect({
    servers: server.url,
    name,
    root: ROOT,
    reconnectTimeout: 1_000,
  });
  const pending = pool.submit(double, 1);
  await new Promise((r) => setTimeout(r, 100));
  await server.kill();
  const started = performance.now();
  const error = await pending.exception();
  assert.ok(error instanceof BrokenExecutorError);
  assert.match((error as Error).message, /Lost the NATS server at nats:\/\/127\.0\.0\.1:\d+/);
  assert.ok(performance.now() - started < 5_000);
  await assert.rejects(pool.submit(double, 2).result(), BrokenExecutorError);
});

Deno.test("A task that runs longer than ackWait is kept alive by heartbeats and runs once", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    const options = { servers: server.url, name, root: ROOT, maxWorkers: 1, ackWait: 600 };
    await using _one = await serveTasks(options);
    await using _two = await serveTasks(options);
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    assert.equal(await pool.submit(recordThen, log, "ran", 2_000, "done"), "done");
    assert.deepEqual(await lines(log), ["ran"]);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("serveTasks({ pool: 'process' }) runs tasks in child Deno processes", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using _worker = await serveTasks({
    servers: server.url,
    name,
    root: ROOT,
    pool: "process",
    maxWorkers: 1,
  });
  await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  const ranIn = await pool.submit(pid);
  assert.notEqual(ranIn, Deno.pid);
  assert.equal(await pool.submit(double, 4), 8);
});

Deno.test("shutdown({ cancelFutures: true }) cancels pending tasks and deletes them from the stream", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
  const futures = [1, 2, 3].map((n) => pool.submit(double, n));
  await new Promise((r) => setTimeout(r, 100));
  await pool.shutdown({ cancelFutures: true });
  assert.deepEqual(futures.map((f) => f.cancelled()), [true, true, true]);
  await until(async () => (await queued(server.url, name)) === 0, 5_000);
  const log = await Deno.makeTempFile();
  try {
    // A worker that starts later finds nothing of them to run.
    await using worker = await serveTasks({ servers: server.url, name, root: ROOT, maxWorkers: 1 });
    await using other = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    assert.equal(await other.submit(recordThen, log, "later", 0, "ok"), "ok");
    assert.equal(worker.completed, 1);
  } finally {
    await Deno.remove(log);
  }
});
