// TaskWorker: the one worker host behind Thread, the worker pool and the bridges.
import assert from "node:assert/strict";
import {
  BrokenExecutorError,
  ChunkFailure,
  currentIsolateId,
  isIsolateAlive,
  type Task,
  TaskWorker,
} from "@tandem/tandem/futures";
import { reportCanBlock } from "../threads/_tasks.ts";
import { SharedCounter } from "../parallel/_shared.ts";
import * as tasks from "../parallel/_tasks.ts";
import { failOn, identity } from "./_tasks.ts";

Deno.test("TaskWorker.run() returns the task's result, through either lane", async () => {
  using worker = new TaskWorker();
  // The first call of a task travels by message; later ones by the shared mailbox when idle.
  assert.equal(await worker.run(tasks.square, [7]), 49);
  assert.equal(await worker.run(tasks.square, [8]), 64);
  assert.deepEqual(await worker.run(tasks.echo, [{ a: [1, "two", null, true], b: -0.5 }]), {
    a: [1, "two", null, true],
    b: -0.5,
  });
  assert.equal(await worker.run(tasks.echo, ["ü€😀".repeat(100)]), "ü€😀".repeat(100));
  assert.equal(Object.is(await worker.run(tasks.echo, [-0]), -0), true);
  assert.equal(await worker.run(tasks.noop, []), undefined);
  // Values the mailbox does not carry take the message lane and keep their types.
  const when = new Date(0);
  assert.deepEqual(await worker.run(tasks.echo, [new Map([[1, when]])]), new Map([[1, when]]));
  assert.deepEqual(
    await worker.run(tasks.typesOf, [{
      m: new Map(),
      s: new Set(),
      d: when,
      r: /x/,
      u: new Uint8Array(2),
    }]),
    ["[object Map]", "[object Set]", "[object Date]", "[object RegExp]", "[object Uint8Array]"],
  );
});

Deno.test("TaskWorker runs calls one at a time, in the order they were made", async () => {
  using worker = new TaskWorker();
  const started = performance.now();
  const results = await Promise.all([
    worker.run(tasks.sleep, [30, "first"]),
    worker.run(tasks.square, [3]),
    worker.run(tasks.sleep, [1, "third"]),
  ]);
  assert.deepEqual(results, ["first", 9, "third"]);
  assert.ok(performance.now() - started >= 30);
  assert.equal(worker.busy, 0);
});

Deno.test("a call's outcome is sent as it ends, not held back by the call queued behind it", async () => {
  // Both calls go in one message, so the host has the second queued when the first ends. Outcomes
  // of short calls are gathered for a moment; a call that itself ran that long is reported at once.
  using worker = new TaskWorker();
  await worker.run(tasks.square, [1]); // started, and the spin task loaded below
  await worker.run(tasks.spin, [0, "warm"]);
  const lane = worker.run(tasks.square, [2]); // an idle worker's first call may take the fast lane
  const first = worker.run(tasks.spin, [100, "first"]).then(() => performance.now());
  const second = worker.run(tasks.spin, [1500, "second"]).then(() => performance.now());
  const [, firstAt, secondAt] = await Promise.all([lane, first, second]);
  assert.ok(
    secondAt - firstAt > 1000,
    `the first outcome came ${(secondAt - firstAt).toFixed(0)} ms before the second's end`,
  );
});

Deno.test("a task's exception comes back with its class name, message, stack and properties", async () => {
  using worker = new TaskWorker();
  const error = await worker.run(tasks.failWith, ["bad input", 42]).catch((e) => e);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ValidationError");
  assert.equal(error.message, "bad input");
  assert.equal((error as { code?: number }).code, 42);
  assert.match(error.stack ?? "", /failWith/);
  await assert.rejects(worker.run(tasks.rejectLater, ["late"]), (e) => e instanceof RangeError);
  // The worker is fine afterwards.
  assert.equal(await worker.run(tasks.square, [2]), 4);
});

Deno.test("arguments that cannot be cloned reject with a TypeError naming the task", async () => {
  using worker = new TaskWorker();
  await assert.rejects(
    worker.run(tasks.echo, [() => 1]),
    (e) =>
      e instanceof TypeError && /Cannot run task 'echo' from .*_tasks\.ts/.test(e.message) &&
      /cannot be structured-cloned/.test(e.message),
  );
  // Calls made in the same tick are unaffected by their neighbour's bad argument.
  const [good, bad, alsoGood] = await Promise.allSettled([
    worker.run(tasks.square, [5]),
    worker.run(tasks.echo, [Symbol("no")]),
    worker.run(tasks.square, [6]),
  ]);
  assert.deepEqual(good, { status: "fulfilled", value: 25 });
  assert.equal(bad.status, "rejected");
  assert.deepEqual(alsoGood, { status: "fulfilled", value: 36 });
});

Deno.test("a result that cannot be cloned fails only its own call", async () => {
  using worker = new TaskWorker();
  const [bad, good] = await Promise.allSettled([
    worker.run(tasks.returnFunction, []),
    worker.run(tasks.square, [4]),
  ]);
  assert.equal(bad.status, "rejected");
  assert.match(
    String((bad as PromiseRejectedResult).reason),
    /'returnFunction'.*cannot be structured-cloned/,
  );
  assert.deepEqual(good, { status: "fulfilled", value: 16 });
});

Deno.test("a progress value that cannot be cloned fails its call with a TypeError naming the task", async () => {
  using worker = new TaskWorker();
  // Sent at once (the task sees the error), or held back behind a slow listener (the call fails
  // when it ends): the same outcome.
  for (const [before, listenerMs] of [[0, 0], [1000, 1]]) {
    const outcome = await worker.attempt(tasks.reportUnclonable, [before], {
      onProgress() {
        const end = performance.now() + listenerMs;
        while (performance.now() < end) { /* a slow listener */ }
      },
    });
    assert.ok(outcome !== undefined && !outcome.ok);
    assert.ok(outcome.error instanceof TypeError);
    assert.match(
      outcome.error.message,
      /Task 'reportUnclonable' .*reported a progress value that cannot be structured-cloned/,
    );
  }
  assert.equal(await worker.run(tasks.square, [3]), 9, "the worker carries on");
});

Deno.test("a crash fails the running call, rejects later calls as not started, and marks the isolate dead", async () => {
  const broken: BrokenExecutorError[] = [];
  const worker = new TaskWorker({ onBroken: (error) => broken.push(error) });
  try {
    const id = await worker.run(tasks.isolateId, []);
    assert.equal(id, worker.id);
    assert.equal(isIsolateAlive(id), true);
    const before = worker.run(tasks.square, [3]);
    const running = worker.run(tasks.crashLater, ["boom"]);
    const after = worker.run(tasks.square, [4]);
    assert.equal(await before, 9);
    await assert.rejects(
      running,
      (e) =>
        e instanceof BrokenExecutorError &&
        /Task 'crashLater' from .* did not finish: worker \d+ crashed: Error: boom/.test(
          e.message,
        ) &&
        (e.cause as Error).message === "boom",
    );
    await assert.rejects(
      after,
      (e) => e instanceof BrokenExecutorError && /Task 'square' .*did not start/.test(e.message),
    );
    assert.equal(worker.broken, true);
    assert.equal(isIsolateAlive(id), false);
    assert.equal(broken.length, 1);
    await assert.rejects(worker.run(tasks.square, [1]), BrokenExecutorError);
  } finally {
    worker.terminate();
  }
});

Deno.test("attempt() reports a crash's victims: the running call fails, later calls are undefined", async () => {
  using worker = new TaskWorker();
  const outcomes = await Promise.all([
    worker.attempt(tasks.square, [2]),
    worker.attempt(tasks.rejectUnhandled, ["unhandled"]),
    worker.attempt(tasks.square, [3]),
  ]);
  assert.deepEqual(outcomes[0], { ok: true, value: 4 });
  assert.ok(!outcomes[1]?.ok && outcomes[1]?.error instanceof BrokenExecutorError);
  assert.match((outcomes[1] as { error: Error }).error.message, /crashed: TypeError: unhandled/);
  assert.equal(outcomes[2], undefined);
});

Deno.test("self.close() and Deno.exit() in a task are detected, not left hanging", async (t) => {
  await t.step("self.close()", async () => {
    using worker = new TaskWorker();
    await assert.rejects(
      worker.run(tasks.closeSelf, []),
      (e) => e instanceof BrokenExecutorError && /closed itself \(self.close\(\)\)/.test(e.message),
    );
    assert.equal(worker.broken, true);
  });
  await t.step("Deno.exit()", async () => {
    using worker = new TaskWorker();
    await assert.rejects(
      worker.run(tasks.exitWith, [3]),
      (e) => e instanceof BrokenExecutorError && /exited \(Deno\.exit\(3\)\)/.test(e.message),
    );
  });
});

Deno.test("a TaskWorker on a web Worker (webWorker) runs calls and reports every end a task can cause", async (t) => {
  await t.step("results, through either lane, in order; the worker may block", async () => {
    using worker = new TaskWorker({ webWorker: true });
    assert.equal(await worker.run(tasks.square, [7]), 49);
    assert.equal(await worker.run(tasks.square, [8]), 64);
    assert.deepEqual(
      await worker.runBatch(tasks.square, [[1], [2], [3]]),
      [1, 4, 9].map((value) => ({ ok: true, value })),
    );
    const map = new Map([[1, "one"]]);
    assert.deepEqual(await worker.run(tasks.echo, [map]), map);
    assert.equal(await worker.run(reportCanBlock, []), true);
  });
  const ends = [
    {
      what: "an uncaught error",
      task: tasks.crashLater,
      args: ["boom"],
      end: /crashed: Error: boom/,
    },
    {
      what: "an unhandled rejection",
      task: tasks.rejectUnhandled,
      args: ["unhandled"],
      end: /crashed: TypeError: unhandled/,
    },
    { what: "self.close()", task: tasks.closeSelf, args: [], end: /closed itself/, code: 0 },
    { what: "Deno.exit(3)", task: tasks.exitWith, args: [3], end: /Deno\.exit\(3\)/, code: 3 },
    {
      what: "process.exit(5)",
      task: tasks.exitProcessWith,
      args: [5],
      end: /Deno\.exit\(5\)/,
      code: 5,
    },
  ];
  for (const { what, task, args, end, code } of ends) {
    await t.step(what, async () => {
      using worker = new TaskWorker({ webWorker: true });
      assert.equal(await worker.run(tasks.square, [2]), 4);
      const running = worker.run(task as Task<unknown[], unknown>, args);
      const after = worker.run(tasks.square, [3]);
      await assert.rejects(running, (e) => e instanceof BrokenExecutorError && end.test(e.message));
      await assert.rejects(
        after,
        (e) => e instanceof BrokenExecutorError && /did not start/.test(e.message),
      );
      assert.equal(worker.exitCode, code ?? 1);
    });
  }
});

Deno.test("terminate() rejects calls in flight and is idempotent", async () => {
  const worker = new TaskWorker();
  const running = worker.run(tasks.hang, []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  worker.terminate();
  worker.terminate();
  await assert.rejects(
    running,
    (e) => e instanceof BrokenExecutorError && /'hang'.*was terminated/.test(e.message),
  );
  assert.equal(isIsolateAlive(worker.id), false);
});

Deno.test("runBatch() and attemptBatch() run many calls in one message, each with its outcome", async () => {
  using worker = new TaskWorker();
  const outcomes = await worker.runBatch(tasks.square, Array.from({ length: 1000 }, (_, i) => [i]));
  assert.equal(outcomes.length, 1000);
  assert.deepEqual(outcomes[999], { ok: true, value: 999 * 999 });
  const mixed = await worker.attemptBatch(tasks.failWith, [["a"], ["b"]]);
  assert.equal(mixed.length, 2);
  assert.ok(
    mixed.every((o) => o !== undefined && !o.ok && (o.error as Error).name === "ValidationError"),
  );
  assert.deepEqual(await worker.runBatch(tasks.square, []), []);
});

Deno.test("a batch's long calls are reported as they end: a worker stopped mid-batch keeps them", async () => {
  // Inside a batch the host reads the clock only every few calls while calls are quick; a call
  // that ran a millisecond or more must still go back as it ends, before the worker is stopped.
  const worker = new TaskWorker();
  const batch = worker.attemptBatch(tasks.spin, [
    [30, "first"],
    [30, "second"],
    [5_000, "stopped"],
    [0, "never"],
  ]);
  while (worker.busy > 2) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 100)); // the third call is running
  worker.terminate();
  const outcomes = await batch;
  assert.deepEqual(outcomes.slice(0, 2), [
    { ok: true, value: "first" },
    { ok: true, value: "second" },
  ]);
  const stopped = outcomes[2];
  assert.ok(stopped !== undefined && !stopped.ok && stopped.error instanceof BrokenExecutorError);
  assert.equal(outcomes[3], undefined);
});

Deno.test("single calls, batches and chunks made in one turn, in any mix, each get their own outcomes", async () => {
  // Batches and single calls travel in separate messages, in the order they were made; this
  // checks random mixes against a model: failOn(n) is 10n, and fails for n = 3.
  using worker = new TaskWorker();
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 40; round++) {
    const checks: Promise<void>[] = [];
    for (let op = 1 + random(8); op > 0; op--) {
      const items = Array.from({ length: random(40) }, () => random(6));
      const kind = random(4);
      if (kind === 0) {
        const n = random(6);
        checks.push(
          worker.attempt(failOn, [n]).then((outcome) => {
            if (n === 3) assert.ok(outcome !== undefined && !outcome.ok);
            else assert.deepEqual(outcome, { ok: true, value: n * 10 });
          }),
        );
      } else if (kind === 1) {
        checks.push(
          worker.attemptBatch(failOn, items.map((n) => [n])).then((outcomes) => {
            assert.equal(outcomes.length, items.length);
            outcomes.forEach((outcome, i) => {
              if (items[i] === 3) assert.ok(outcome !== undefined && !outcome.ok);
              else assert.deepEqual(outcome, { ok: true, value: items[i] * 10 });
            });
          }),
        );
      } else if (kind === 2) {
        checks.push(
          worker.attemptChunk(failOn, items).then((results) => {
            assert.equal(results.length, items.length);
            results.forEach((result, i) => {
              if (items[i] === 3) assert.ok(result instanceof ChunkFailure);
              else assert.equal(result, items[i] * 10);
            });
          }),
        );
      } else {
        // Object arguments take the general path (encoded, not sent as they are).
        const objects = items.map((n) => ({ n }));
        checks.push(
          worker.attemptChunk(identity, objects).then((results) => {
            assert.deepEqual(results, objects);
          }),
        );
      }
    }
    await Promise.all(checks);
  }
  assert.equal(worker.busy, 0);
});

Deno.test("attemptChunk() of a worker that ends mid-chunk stops after the call that ended it", async () => {
  using worker = new TaskWorker();
  const results = await worker.attemptChunk(tasks.exitOn, [1, 3, 2, 5, 7]);
  assert.equal(results.length, 3, "the calls after the exit never started");
  assert.deepEqual(results.slice(0, 2), [1, 3]);
  const ended = results[2];
  assert.ok(ended instanceof ChunkFailure && ended.error instanceof BrokenExecutorError);
  assert.match((ended.error as Error).message, /exit/i);
});

Deno.test("a shareable argument arrives live: the worker and this isolate share its memory", async () => {
  using worker = new TaskWorker();
  const counter = new SharedCounter();
  assert.equal(await worker.run(tasks.addToCounter, [counter, 5]), 5);
  counter.add(10);
  assert.equal(await worker.run(tasks.addToCounter, [counter, 1]), 16);
  // Nested in an array it is found too, and a shareable result comes back live.
  const [back] = (await worker.run(tasks.echo, [[counter]])) as SharedCounter[];
  assert.ok(back instanceof SharedCounter && back !== counter);
  assert.equal(back.value, 16);
  const made = await worker.run(tasks.makeCounter, [3]);
  assert.ok(made instanceof SharedCounter);
  assert.equal(await worker.run(tasks.addToCounter, [made, 1]), 4);
  assert.equal(made.value, 4);
});

Deno.test("each worker has its own isolate id, distinct from this one", async () => {
  using a = new TaskWorker({ name: "named-worker" });
  using b = new TaskWorker();
  assert.equal(a.name, "named-worker");
  const [ia, ib] = await Promise.all([a.run(tasks.isolateId, []), b.run(tasks.isolateId, [])]);
  assert.equal(ia, a.id);
  assert.equal(ib, b.id);
  assert.notEqual(ia, ib);
  assert.notEqual(ia, currentIsolateId());
});
