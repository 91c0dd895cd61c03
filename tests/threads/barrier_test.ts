import assert from "node:assert/strict";
import { toHandle } from "@tandem/tandem/futures";
import { Barrier, BrokenBarrierError, Thread } from "@tandem/tandem/threads";
import { barrierCounting, barrierOnce, barrierRounds, countTrip, failingAction } from "./_tasks.ts";

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function untilWaiting(barrier: Barrier, n: number): Promise<void> {
  while (barrier.nWaiting < n) await pause(5);
}

Deno.test("Barrier gives each of four workers a distinct index, for 50 generations", async () => {
  const barrier = new Barrier(4);
  const threads = [1, 2, 3, 4].map(() => new Thread(barrierRounds, barrier, 50, 10_000));
  for (const thread of threads) thread.start();
  const perWorker = await Promise.all(threads.map((thread) => thread.join()));
  for (let round = 0; round < 50; round++) {
    assert.deepEqual(perWorker.map((indexes) => indexes[round]).sort(), [0, 1, 2, 3]);
  }
  assert.equal(barrier.broken, false);
  assert.equal(barrier.nWaiting, 0);
});

Deno.test("Barrier mixes async waits on the main thread with blocking workers", async () => {
  const barrier = new Barrier(3);
  const threads = [1, 2].map(() => new Thread(barrierRounds, barrier, 20, 10_000));
  for (const thread of threads) thread.start();
  const mine: number[] = [];
  for (let i = 0; i < 20; i++) mine.push(await barrier.waitAsync({ timeout: 10_000 }));
  const theirs = await Promise.all(threads.map((thread) => thread.join()));
  for (let round = 0; round < 20; round++) {
    assert.deepEqual([mine[round], theirs[0][round], theirs[1][round]].sort(), [0, 1, 2]);
  }
});

Deno.test("Barrier breaks for every waiter when one times out", async () => {
  const barrier = new Barrier(3);
  const threads = [new Thread(barrierOnce, barrier, 10_000), new Thread(barrierOnce, barrier, 40)];
  for (const thread of threads) thread.start();
  const results = await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(results, ["BrokenBarrierError", "BrokenBarrierError"]);
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.waitAsync(), BrokenBarrierError);
});

Deno.test("Barrier's timeout error names the timeout as its cause", async () => {
  const barrier = new Barrier(2, { timeout: 20 });
  await assert.rejects(
    barrier.waitAsync(),
    (e) => e instanceof BrokenBarrierError && (e.cause as Error).name === "TimeoutError",
  );
});

Deno.test("Barrier.abort() breaks the workers waiting at it", async () => {
  const barrier = new Barrier(3);
  const threads = [1, 2].map(() => new Thread(barrierOnce, barrier));
  for (const thread of threads) thread.start();
  await untilWaiting(barrier, 2);
  barrier.abort();
  const results = await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(results, ["BrokenBarrierError", "BrokenBarrierError"]);
  assert.equal(barrier.nWaiting, 0);
});

Deno.test("Barrier.reset() fails the current waiters and makes the barrier usable again", async () => {
  const barrier = new Barrier(3);
  const threads = [1, 2].map(() => new Thread(barrierOnce, barrier));
  for (const thread of threads) thread.start();
  await untilWaiting(barrier, 2);
  barrier.reset();
  assert.deepEqual(await Promise.all(threads.map((thread) => thread.join())), [
    "BrokenBarrierError",
    "BrokenBarrierError",
  ]);
  assert.equal(barrier.broken, false);
  const again = [1, 2].map(() => new Thread(barrierOnce, barrier, 10_000));
  for (const thread of again) thread.start();
  const mine = await barrier.waitAsync({ timeout: 10_000 });
  const theirs = await Promise.all(again.map((thread) => thread.join()));
  assert.deepEqual([mine, ...theirs].sort(), [0, 1, 2]);
});

Deno.test("Barrier.reset() after abort() clears the broken state", async () => {
  const barrier = new Barrier(2);
  barrier.abort();
  assert.equal(barrier.broken, true);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const both = await Promise.all([barrier.waitAsync(), barrier.waitAsync()]);
  assert.deepEqual(both.sort(), [0, 1]);
});

Deno.test("Barrier's task action runs once per generation, in the isolate that trips it", async () => {
  const trips = new Int32Array(new SharedArrayBuffer(64), 0, 1);
  const barrier = new Barrier(3, { action: countTrip });
  const threads = [1, 2, 3].map(() => new Thread(barrierCounting, barrier, trips, 10));
  for (const thread of threads) thread.start();
  const seen = await Promise.all(threads.map((thread) => thread.join()));
  const expected = Array.from({ length: 10 }, (_, i) => i + 1);
  // The action ran before anyone was released: each worker saw every trip counted.
  assert.deepEqual(seen, [expected, expected, expected]);
  assert.equal(trips[0], 10);
});

Deno.test("Barrier's failing action throws in the last party and breaks the others", async () => {
  const barrier = new Barrier(2, { action: failingAction });
  const threads = [1, 2].map(() => new Thread(barrierOnce, barrier, 10_000));
  for (const thread of threads) thread.start();
  const results = await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(results.sort(), ["BrokenBarrierError", "RangeError"]);
  assert.equal(barrier.broken, true);
});

Deno.test("Barrier's local action runs on the main thread but cannot be sent to a worker", async () => {
  let trips = 0;
  const barrier = new Barrier(2, { action: () => trips++ });
  await Promise.all([barrier.waitAsync(), barrier.waitAsync()]);
  assert.equal(trips, 1);
  assert.throws(() => barrier[toHandle](), /'action' is a plain function/);
  const thread = new Thread(barrierOnce, barrier);
  thread.start();
  await assert.rejects(thread.join(), TypeError);
  const asyncAction = new Barrier(1, { action: () => Promise.resolve() });
  await assert.rejects(asyncAction.waitAsync(), /must be synchronous/);
});

Deno.test("Barrier.waitAsync() aborted breaks the barrier and rejects with the reason", async () => {
  const barrier = new Barrier(2);
  const controller = new AbortController();
  const waiting = barrier.waitAsync({ signal: controller.signal });
  controller.abort(new Error("leaving"));
  await assert.rejects(waiting, /leaving/);
  assert.equal(barrier.broken, true);
});

Deno.test("Barrier validates its arguments and refuses to block the main thread", () => {
  assert.throws(
    () => new Barrier(0),
    (e) =>
      e instanceof RangeError && /Cannot create Barrier: 'parties'.*received 0/.test(e.message),
  );
  assert.throws(() => new Barrier(65_536), /'parties'/);
  assert.throws(() => new Barrier(2.5), /'parties'/);
  // @ts-expect-error: not a function
  assert.throws(() => new Barrier(2, { action: 3 }), TypeError);
  assert.throws(() => new Barrier(2, { timeout: -1 }), RangeError);
  const barrier = new Barrier(2);
  assert.equal(barrier.parties, 2);
  assert.throws(() => barrier.wait(), /main thread.*barrier\.waitAsync/s);
});
