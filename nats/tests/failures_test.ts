import assert from "node:assert/strict";
import { BrokenExecutorError } from "@tandem/tandem/futures";
import { NatsExecutor, serveTasks } from "../mod.ts";
import { double, pidThen, sleepThen } from "./_tasks.ts";
import {
  lines,
  processesWith,
  queued,
  ROOT,
  startServer,
  startWorker,
  uniqueName,
  until,
} from "./_helpers.ts";

Deno.test("A worker killed mid-task: the task runs again on another worker (at-least-once)", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    const options = ["--ack-wait", "1000", "--prefetch", "1"];
    await using first = await startWorker(server.url, name, options);
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    const future = pool.submit(pidThen, log, 1_500);
    await until(async () => (await lines(log)).length === 1);
    await using second = await startWorker(server.url, name, options);
    const [ranOn] = await lines(log);
    const victim = Number(ranOn) === first.pid ? first : second;
    const survivor = victim === first ? second : first;
    assert.ok(future.running());
    await victim.kill();
    assert.equal(await future.result({ timeout: 15_000 }), survivor.pid);
    assert.deepEqual(await lines(log), [String(victim.pid), String(survivor.pid)]);
    await survivor.stop();
    assert.deepEqual(processesWith(name), []);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("A task whose workers die maxDeliver times fails with BrokenExecutorError", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    const options = ["--ack-wait", "1000", "--prefetch", "1", "--max-deliver", "2"];
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    const future = pool.submit(pidThen, log, 60_000);
    for (let delivery = 1; delivery <= 2; delivery++) {
      await using worker = await startWorker(server.url, name, options);
      await until(async () => (await lines(log)).length === delivery, 15_000);
      await worker.kill();
    }
    // The server gives up on a task when it would deliver it again: to a worker that is there.
    await using survivor = await startWorker(server.url, name, options);
    const error = await future.exception({ timeout: 15_000 });
    assert.ok(error instanceof BrokenExecutorError);
    assert.match((error as Error).message, /'pidThen' was delivered 2 times/);
    await until(async () => (await queued(server.url, name)) === 0);
    await survivor.stop();
    assert.deepEqual(processesWith(name), []);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("A submitter that dies: its queued tasks are dropped unrun, its running task finishes, nothing hangs", async () => {
  await using server = await startServer();
  const name = uniqueName();
  const log = await Deno.makeTempFile();
  try {
    await using worker = await serveTasks({
      servers: server.url,
      name,
      root: ROOT,
      maxWorkers: 1,
      prefetch: 1,
    });
    const submitter = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_submitter.ts", import.meta.url).href, server.url, name, log],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = submitter.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /submitted/);
    await until(async () => (await lines(log)).includes("running"));
    submitter.kill("SIGKILL");
    await reader.cancel();
    await submitter.status;
    await until(async () => (await queued(server.url, name)) === 0, 10_000);
    assert.deepEqual(await lines(log), ["running"]);
    // The worker is still serving.
    await using pool = await NatsExecutor.connect({ servers: server.url, name, root: ROOT });
    assert.equal(await pool.submit(double, 5), 10);
    assert.equal(worker.completed, 2);
    assert.deepEqual(processesWith(name), []);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("A server restart: running, pending and newly submitted futures complete after the reconnect", async () => {
  await using server = await startServer();
  const name = uniqueName();
  await using worker = await startWorker(server.url, name, [
    "--ack-wait",
    "1000",
    "--prefetch",
    "1",
  ]);
  await using pool = await NatsExecutor.connect({
    servers: server.url,
    name,
    root: ROOT,
    reconnectTimeout: 20_000,
  });
  const futures = [1, 2, 3, 4].map((n) => pool.submit(sleepThen, 300, n));
  await until(() => futures[0].running());
  await server.stop();
  const duringOutage = pool.submit(double, 21);
  await new Promise((r) => setTimeout(r, 500));
  await server.restart();
  const started = performance.now();
  assert.deepEqual(
    await Promise.all(futures.map((f) => f.result({ timeout: 20_000 }))),
    [1, 2, 3, 4],
  );
  assert.equal(await duringOutage.result({ timeout: 20_000 }), 42);
  assert.ok(performance.now() - started < 20_000);
  await worker.stop();
  assert.deepEqual(processesWith(name), []);
});
