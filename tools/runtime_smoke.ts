// Runtime smoke checks: one small check per module (or per part of a module that needs more than
// the others), run by Deno, Bun or Node 24+. Each check prints `ok <name>` or
// `fail <name>: <error> (<ms> ms)` and ends within CHECK_MS: a check that hangs is reported as a
// failure, never waited for. The script then ends its process whatever is still pending.
//
//   deno run -A tools/runtime_smoke.ts            # Deno, straight from the repository
//   tools/runtime_smoke.sh                        # Bun and Node 24, from a temporary copy
//
// Bun and Node do not read deno.json, so tools/runtime_smoke.sh runs this file from a copy of the
// sources whose package.json maps `@tandem/tandem/*` to the same files (a package may import
// itself by name). Names given as arguments run only those checks.
import process from "node:process";
import assert from "node:assert/strict";
import { asCompleted, Future, TaskWorker, wait } from "@tandem/tandem/futures";
import { LifoQueue, pipeline, PriorityQueue, Queue, SharedQueue } from "@tandem/tandem/queue";
import {
  gather,
  MainThreadBridge,
  monitorEventLoop,
  shutdownDefaultExecutor,
  sleep,
  TaskGroup,
  timeout,
  toThread,
  waitFor,
} from "@tandem/tandem/coroutines";
import { Barrier, Condition, Event, Lock, Semaphore, Thread } from "@tandem/tandem/threads";
import {
  AsyncPoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { Popen, run } from "@tandem/tandem/subprocess";
import { callDouble, double, gcd } from "../examples/tasks.ts";

/** How long one check may take before it counts as hung. */
const CHECK_MS = 10_000;

const checks: [string, () => Promise<void>][] = [
  ["futures", async () => {
    const future = new Future<number>();
    setTimeout(() => future.setResult(7), 1);
    assert.equal(await future, 7);
    const futures = [1, 2, 3].map((n) => {
      const f = new Future<number>();
      setTimeout(() => f.setResult(n), 4 - n);
      return f;
    });
    const order: number[] = [];
    for await (const { index } of asCompleted(futures, { timeout: 1_000 })) order.push(index);
    assert.deepEqual(order.sort(), [0, 1, 2]);
    const { done, notDone } = await wait(futures, { timeout: 1_000 });
    assert.equal(done.size, 3);
    assert.equal(notDone.size, 0);
  }],
  ["futures/TaskWorker", async () => {
    using worker = new TaskWorker();
    assert.equal(await worker.run(double, [21]), 42);
  }],
  ["queue", async () => {
    const queue = new Queue<number>(2);
    const got: number[] = [];
    const consumer = (async () => {
      for await (const n of queue) got.push(n);
    })();
    for (let n = 0; n < 5; n++) await queue.put(n);
    queue.close();
    await queue.join();
    await consumer;
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    const lifo = new LifoQueue<number>();
    lifo.putNowait(1);
    lifo.putNowait(2);
    assert.equal(lifo.getNowait(), 2);
    const priority = new PriorityQueue<number>();
    priority.putNowait(3);
    priority.putNowait(1);
    assert.equal(priority.getNowait(), 1);
  }],
  ["queue/pipeline", async () => {
    const out: string[] = [];
    const results = pipeline([1, 2, 3])
      .stage((n: number) => Promise.resolve(n * 10), { workers: 2 })
      .stage((n) => `#${n}`);
    for await (const s of results.run({ ordered: true })) out.push(s);
    assert.deepEqual(out, ["#10", "#20", "#30"]);
  }],
  ["queue/SharedQueue", async () => {
    const queue = new SharedQueue<number>(4);
    await queue.putAsync(1);
    await queue.putAsync(2);
    assert.equal(await queue.getAsync(), 1);
    assert.equal(await queue.getAsync(), 2);
  }],
  ["coroutines", async () => {
    const pages = await TaskGroup.run(async (group) => {
      const made = [3, 1, 2].map((n) =>
        group.create(async (signal) => {
          await sleep(n, { signal });
          return n;
        })
      );
      return await Promise.all(made);
    });
    assert.deepEqual(pages, [3, 1, 2]);
    assert.deepEqual(await gather([sleep(2).then(() => "a"), Promise.resolve("b")]), ["a", "b"]);
    await assert.rejects(timeout(5, (signal) => sleep(10_000, { signal })), {
      name: "TimeoutError",
    });
    assert.equal(await waitFor(sleep(1).then(() => 1), 1_000), 1);
  }],
  ["coroutines/toThread", async () => {
    try {
      assert.equal(await toThread(gcd, [12, 18]), 6);
    } finally {
      await shutdownDefaultExecutor();
    }
  }],
  ["coroutines/MainThreadBridge", async () => {
    using bridge = new MainThreadBridge({ double: (n: number) => Promise.resolve(2 * n) });
    const thread = new Thread(callDouble, bridge, 21);
    thread.start();
    assert.equal(await thread.join({ timeout: 5_000 }), 42);
  }],
  ["coroutines/monitorEventLoop", async () => {
    await using monitor = monitorEventLoop({ threshold: 1_000 });
    await sleep(5);
    assert.ok(monitor);
  }],
  ["threads", async () => {
    const lock = new Lock();
    await lock.acquireAsync({ timeout: 1_000 });
    assert.equal(lock.locked(), true);
    lock.release();
    const event = new Event();
    setTimeout(() => event.set(), 2);
    await event.waitAsync({ timeout: 1_000 });
    const semaphore = new Semaphore(1);
    await semaphore.acquireAsync({ timeout: 1_000 });
    semaphore.release();
    const condition = new Condition();
    await condition.acquireAsync({ timeout: 1_000 });
    condition.notifyAll();
    condition.release();
    const barrier = new Barrier(1);
    await barrier.waitAsync({ timeout: 1_000 });
  }],
  ["threads/Thread", async () => {
    const thread = new Thread(double, 21);
    thread.start();
    assert.equal(await thread.join({ timeout: 5_000 }), 42);
  }],
  ["parallel/AsyncPoolExecutor", async () => {
    await using pool = new AsyncPoolExecutor({ maxWorkers: 2 });
    assert.equal(await pool.submit(double, 4), 8);
    const out: number[] = [];
    for await (const n of pool.map(double, [1, 2, 3])) out.push(n);
    assert.deepEqual(out, [2, 4, 6]);
  }],
  ["parallel/WorkerPoolExecutor", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    assert.equal(await pool.submit(double, 4), 8);
    const out: number[] = [];
    for await (const n of pool.map(gcd, [[12, 18], [35, 49]])) out.push(n);
    assert.deepEqual(out, [6, 7]);
  }],
  ["parallel/ProcessPoolExecutor", async () => {
    // Every task settles: all work, or all fail.
    await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => pool.submit(double, n)));
    for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
    assert.deepEqual(outcomes.map((o) => o.status === "fulfilled" && o.value), [2, 4, 6]);
  }],
  ["subprocess", async () => {
    const result = await run(["echo", "hi"], { capture: true, encoding: "utf-8", timeout: 5_000 });
    result.checkReturncode();
    assert.equal(result.stdout, "hi\n");
    await using child = new Popen(["true"]);
    assert.equal(await child.wait({ timeout: 5_000 }), 0);
  }],
];

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, " ").slice(0, 400);
}

async function check(name: string, body: () => Promise<void>): Promise<boolean> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hung: did not end within ${CHECK_MS} ms`)),
      CHECK_MS,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(body), hung]);
    console.log(`ok ${name}`);
    return true;
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    console.log(`fail ${name}: ${describe(error)} (${ms} ms)`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const only = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const versions = process.versions as Record<string, string | undefined>;
const runtime = versions.bun
  ? `Bun ${versions.bun}`
  : versions.deno
  ? `Deno ${versions.deno}`
  : `Node ${versions.node}`;
console.log(`runtime ${runtime}`);
let failed = 0;
for (const [name, body] of checks) {
  if (only.length > 0 && !only.includes(name)) continue;
  if (!(await check(name, body))) failed++;
}
console.log(`summary ${runtime}: ${failed} failed`);
// A check that hung may have left work behind: end here rather than wait for it.
process.exit(0);
