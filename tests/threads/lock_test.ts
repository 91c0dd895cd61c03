import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { Event, Lock, Thread } from "@tandem/tandem/threads";
import {
  acquireAndRelease,
  blockOn,
  countUnderLock,
  countWithHold,
  holdAndReport,
  holdForever,
  releaseIt,
  tryAcquire,
  tryHold,
} from "./_tasks.ts";

function counter(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(64), 0, 1);
}

async function runAll(threads: Thread[]): Promise<unknown[]> {
  for (const thread of threads) thread.start();
  return await Promise.all(threads.map((thread) => thread.join()));
}

Deno.test("Lock keeps non-atomic increments exact across four workers", async () => {
  const lock = new Lock();
  const count = counter();
  await runAll([1, 2, 3, 4].map(() => new Thread(countUnderLock, lock, count, 20_000)));
  assert.equal(count[0], 80_000);
  assert.equal(lock.locked(), false);
});

Deno.test("Lock.hold() releases on every exit, so scoped increments stay exact", async () => {
  const lock = new Lock();
  const count = counter();
  await runAll([1, 2, 3].map(() => new Thread(countWithHold, lock, count, 10_000)));
  assert.equal(count[0], 30_000);
  assert.equal(lock.locked(), false);
});

Deno.test("Lock mixes async holders on the main thread with blocking workers", async () => {
  const lock = new Lock();
  const count = counter();
  const threads = [1, 2].map(() => new Thread(countUnderLock, lock, count, 5_000));
  for (const thread of threads) thread.start();
  const mainSide = (async () => {
    for (let i = 0; i < 500; i++) {
      await using _held = await lock.holdAsync();
      const seen = count[0];
      await Promise.resolve();
      count[0] = seen + 1;
    }
  })();
  await Promise.all([mainSide, ...threads.map((thread) => thread.join())]);
  assert.equal(count[0], 10_500);
});

Deno.test("Lock's blocking forms refuse the main thread and name the async form", () => {
  const lock = new Lock();
  assert.throws(() => lock.acquire(), /main thread.*lock\.acquireAsync\(\)/s);
  assert.throws(() => lock.acquire({ timeout: 10 }), /main thread/);
  assert.throws(() => lock.hold(), /main thread.*lock\.holdAsync\(\)/s);
  assert.equal(lock.locked(), false);
  // Forms that never wait are fine on the main thread.
  assert.equal(lock.acquire({ blocking: false }), true);
  assert.equal(lock.acquire({ blocking: false }), false);
  assert.equal(lock.acquire({ timeout: 0 }), false);
  lock.release();
});

Deno.test("Lock validates its options", async () => {
  const lock = new Lock();
  assert.throws(
    () => lock.acquire({ timeout: -1 }),
    (e) => e instanceof RangeError && /'timeout' must be a non-negative number.*-1/.test(e.message),
  );
  assert.throws(() => lock.acquire({ blocking: false, timeout: 5 }), TypeError);
  await assert.rejects(lock.acquireAsync({ timeout: Number.NaN }), RangeError);
});

Deno.test("Lock.release() throws when unlocked or held by another isolate", async () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), /Cannot release a Lock that is not locked/);
  await lock.acquireAsync();
  const thread = new Thread(releaseIt, lock);
  thread.start();
  await assert.rejects(thread.join(), /Cannot release a Lock held by isolate \d+ from isolate/);
  assert.equal(lock.locked(), true);
  lock.release();
});

Deno.test("Lock's blocking acquire in a worker times out, then succeeds once free", async () => {
  const lock = new Lock();
  await lock.acquireAsync();
  try {
    assert.deepEqual(
      await runAll([
        new Thread(tryAcquire, lock, 30),
        new Thread(tryAcquire, lock),
        new Thread(tryHold, lock, 30),
      ]),
      [false, false, "TimeoutError"],
    );
  } finally {
    lock.release();
  }
  assert.deepEqual(await runAll([new Thread(tryHold, lock, 1000)]), ["held"]);
  assert.equal(lock.locked(), false);
});

Deno.test("Lock.acquireAsync() rejects on timeout and on abort, and leaves the lock alone", async () => {
  const lock = new Lock();
  await lock.acquireAsync();
  await assert.rejects(lock.acquireAsync({ timeout: 20 }), TimeoutError);
  await assert.rejects(lock.holdAsync({ timeout: 0 }), TimeoutError);
  const controller = new AbortController();
  const pending = lock.acquireAsync({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  await assert.rejects(
    lock.acquireAsync({ signal: AbortSignal.abort(new Error("already")) }),
    /already/,
  );
  lock.release();
  assert.equal(lock.locked(), false);
  await lock.acquireAsync({ timeout: 100 });
  lock.release();
});

Deno.test("Lock.acquireAsync() waits while a live worker holds the lock", async () => {
  const lock = new Lock();
  const acquired = new Event();
  const holder = new Thread(holdForever, lock, acquired);
  holder.start();
  try {
    await acquired.waitAsync({ timeout: 10_000 });
    // The worker idles holding the lock; this acquire must wait (not take it over).
    await assert.rejects(lock.acquireAsync({ timeout: 120 }), TimeoutError);
    assert.equal(lock.ownerDied, false);
  } finally {
    await holder[Symbol.asyncDispose]();
  }
});

Deno.test("Lock taken over from a terminated holder tells the next acquirer", async () => {
  const lock = new Lock();
  const acquired = new Event();
  const holder = new Thread(holdForever, lock, acquired);
  holder.start();
  await acquired.waitAsync({ timeout: 10_000 });
  const waiter = new Thread(holdAndReport, lock);
  waiter.start();
  await holder[Symbol.asyncDispose]();
  await assert.rejects(holder.join(), { name: "BrokenExecutorError" });
  // The blocked worker notices the dead owner within a sleep slice and is told.
  assert.equal(await waiter.join(), true);
  assert.equal(lock.locked(), false);
  assert.equal(lock.ownerDied, false);
});

Deno.test("Lock taken over on the main thread reports ownerDied on the hold", async () => {
  const lock = new Lock();
  const acquired = new Event();
  const holder = new Thread(holdForever, lock, acquired);
  holder.start();
  await acquired.waitAsync({ timeout: 10_000 });
  const waiting = lock.holdAsync({ timeout: 10_000 });
  await holder[Symbol.asyncDispose]();
  {
    await using held = await waiting;
    assert.equal(held.ownerDied, true);
    assert.equal(lock.ownerDied, true);
  }
  assert.equal(lock.locked(), false);
  // Once released, the next acquisition is a normal one.
  assert.equal(await runAll([new Thread(acquireAndRelease, lock)]).then((r) => r[0]), false);
});

Deno.test("Lock taken over without waiting: a non-blocking acquire recovers a dead owner", async () => {
  const lock = new Lock();
  const acquired = new Event();
  const holder = new Thread(holdForever, lock, acquired);
  holder.start();
  await acquired.waitAsync({ timeout: 10_000 });
  assert.equal(lock.acquire({ blocking: false }), false);
  await holder[Symbol.asyncDispose]();
  assert.equal(lock.acquire({ blocking: false }), true);
  assert.equal(lock.ownerDied, true);
  lock.release();
});

Deno.test("A worker terminated while blocked in acquire() leaves its wait", async () => {
  const lock = new Lock();
  await lock.acquireAsync();
  const started = new Event();
  const blocked = new Thread(blockOn, lock, started);
  blocked.start();
  await started.waitAsync({ timeout: 10_000 });
  // Terminate only once the worker is in acquire()'s slow path (it has set the lock word's
  // waiters bit): a terminated worker still running JS before that point (Deno 2.9 does not stop
  // it) could take the lock on the fast path, which the owner-died takeover then reports.
  const word = lock[toHandle]().state as Int32Array;
  const giveUp = performance.now() + 10_000;
  while ((Atomics.load(word, 0) & (1 << 31)) === 0) {
    assert.ok(performance.now() < giveUp, "the worker never started waiting for the lock");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await blocked[Symbol.asyncDispose]();
  await assert.rejects(blocked.join(), { name: "BrokenExecutorError" });
  // The zombie worker must not take the lock after we release it.
  lock.release();
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(lock.acquire({ blocking: false }), true);
  assert.equal(lock.ownerDied, false);
  lock.release();
});

Deno.test("Lock rebuilds from its handle over the same memory, and checks the state", async () => {
  const lock = new Lock();
  const handle = lock[toHandle]();
  assert.equal(handle.name, "Lock");
  const twin = Lock[fromHandle](handle.state);
  await twin.acquireAsync();
  assert.equal(lock.locked(), true);
  lock.release();
  assert.throws(() => Lock[fromHandle](new Int32Array(1)), TypeError);
  assert.throws(() => Lock[fromHandle]({}), /Cannot rebuild a Lock/);
});
