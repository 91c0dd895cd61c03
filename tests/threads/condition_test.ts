import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { Condition, Lock, RLock, Thread } from "@tandem/tandem/threads";
import { pong, waitForNotify, waitUnowned } from "./_tasks.ts";

function cells(n: number): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(64), 0, n);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` under the condition's lock until it holds. */
async function until(condition: Condition, predicate: () => boolean): Promise<void> {
  for (;;) {
    {
      await using _held = await condition.holdAsync();
      if (predicate()) return;
    }
    await pause(5);
  }
}

Deno.test("Condition.notify(1) wakes exactly one blocked worker, notify(2) the others", async () => {
  const condition = new Condition(new RLock());
  const state = cells(2);
  const threads = [1, 2, 3].map(() => new Thread(waitForNotify, condition, state));
  for (const thread of threads) thread.start();
  try {
    await until(condition, () => state[0] === 3);
    {
      await using _held = await condition.holdAsync();
      condition.notify();
    }
    await until(condition, () => state[1] >= 1);
    await pause(100);
    assert.equal(state[1], 1, "one notify wakes one waiter");
    {
      await using _held = await condition.holdAsync();
      condition.notify(2);
    }
    assert.deepEqual(await Promise.all(threads.map((t) => t.join())), [true, true, true]);
    assert.equal(state[1], 3);
  } finally {
    await Promise.all(threads.map((t) => t[Symbol.asyncDispose]()));
  }
});

Deno.test("Condition never gives a notification to a wait that started after it", async () => {
  const condition = new Condition();
  const state = cells(2);
  const thread = new Thread(waitForNotify, condition, state);
  thread.start();
  await until(condition, () => state[0] === 1);
  await condition.acquireAsync();
  condition.notify();
  // This wait began after the notify: it must time out, and the worker must get the wake-up.
  await assert.rejects(condition.waitAsync({ timeout: 60 }), TimeoutError);
  condition.release();
  assert.equal(await thread.join(), true);
});

Deno.test("Condition.notifyAll() wakes blocked workers and async waiters together", async () => {
  const condition = new Condition(new Lock());
  const state = cells(2);
  const threads = [1, 2].map(() => new Thread(waitForNotify, condition, state));
  for (const thread of threads) thread.start();
  const local = [1, 2].map(async () => {
    await using _held = await condition.holdAsync();
    state[0]++;
    await condition.waitAsync({ timeout: 10_000 });
    state[1]++;
  });
  await until(condition, () => state[0] === 4);
  {
    await using _held = await condition.holdAsync();
    condition.notifyAll();
  }
  await Promise.all([...local, ...threads.map((t) => t.join())]);
  assert.equal(state[1], 4);
});

Deno.test("Condition loses no wake-up in a 2000-round ping-pong between main and a worker", async () => {
  for (const lock of [new Lock(), new RLock()]) {
    const condition = new Condition(lock);
    const box = cells(1);
    const rounds = 1000;
    const worker = new Thread(pong, condition, box, rounds);
    worker.start();
    for (let i = 0; i < rounds; i++) {
      await using _held = await condition.holdAsync();
      await condition.waitForAsync(() => box[0] % 2 === 0, { timeout: 10_000 });
      box[0]++;
      condition.notifyAll();
    }
    assert.equal(await worker.join(), 2 * rounds);
  }
});

Deno.test("Condition.wait() in a worker returns false on timeout, holding the lock again", async () => {
  const condition = new Condition();
  const state = cells(2);
  const thread = new Thread(waitForNotify, condition, state, 30);
  thread.start();
  assert.equal(await thread.join(), false);
  assert.equal(state[1], 1);
  assert.equal(condition.lock.locked(), false);
});

Deno.test("Condition.waitAsync() rejects on timeout and abort with the lock held again", async () => {
  const condition = new Condition(new RLock());
  await using _held = await condition.holdAsync();
  await assert.rejects(condition.waitAsync({ timeout: 20 }), TimeoutError);
  assert.equal((condition.lock as RLock).owned(), true);
  await assert.rejects(condition.waitForAsync(() => false, { timeout: 20 }), TimeoutError);
  const controller = new AbortController();
  const waiting = condition.waitAsync({ signal: controller.signal });
  setTimeout(() => controller.abort(new Error("abandoned")), 10);
  await assert.rejects(waiting, /abandoned/);
  assert.equal((condition.lock as RLock).owned(), true);
});

Deno.test("Condition.waitAsync() on an RLock releases every level while waiting", async () => {
  const condition = new Condition(new RLock());
  const box = cells(1);
  const worker = new Thread(pong, condition, box, 1);
  worker.start();
  await condition.acquireAsync();
  await condition.acquireAsync();
  box[0] = 1;
  condition.notifyAll();
  await condition.waitForAsync(() => box[0] === 2, { timeout: 10_000 });
  condition.release();
  assert.equal(condition.lock.locked(), true);
  condition.release();
  assert.equal(condition.lock.locked(), false);
  assert.equal(await worker.join(), 2);
});

Deno.test("Condition refuses wait and notify without its lock", async () => {
  const condition = new Condition();
  assert.throws(() => condition.notify(), /Cannot notify a Condition: its lock is not held/);
  await assert.rejects(condition.waitAsync(), /Cannot wait on a Condition: its lock is not held/);
  const thread = new Thread(waitUnowned, condition);
  thread.start();
  assert.match(await thread.join(), /its lock is not held by this isolate/);
  await using _held = await condition.holdAsync();
  assert.throws(() => condition.wait(), /main thread.*condition\.waitAsync/s);
  assert.throws(() => condition.notify(-1), RangeError);
});

Deno.test("Condition checks its lock and rebuilds from its handle", async () => {
  // @ts-expect-error: not a shared lock
  assert.throws(() => new Condition({}), /'lock' must be a Lock or RLock.*received an object/);
  const condition = new Condition(new Lock());
  const twin = Condition[fromHandle](condition[toHandle]().state);
  await twin.acquireAsync();
  assert.equal(condition.lock.locked(), true);
  condition.notify();
  condition.release();
  assert.throws(() => Condition[fromHandle]({ cells: 1 }), TypeError);
});
