import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { Event, RLock, Thread } from "@tandem/tandem/threads";
import {
  acquireAndRelease,
  countReentrant,
  countUnderLock,
  holdForever,
  releaseIt,
  tryAcquire,
} from "./_tasks.ts";

function counter(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(64), 0, 1);
}

Deno.test("RLock lets its holder re-enter and keeps workers mutually exclusive", async () => {
  const rlock = new RLock();
  const count = counter();
  const threads = [
    new Thread(countReentrant, rlock, count, 10_000),
    new Thread(countReentrant, rlock, count, 10_000),
    new Thread(countUnderLock, rlock, count, 10_000),
  ];
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.equal(count[0], 30_000);
  assert.equal(rlock.locked(), false);
});

Deno.test("RLock is released only when every acquire has been matched", async () => {
  const rlock = new RLock();
  await rlock.acquireAsync();
  await rlock.acquireAsync();
  assert.equal(rlock.acquire({ blocking: false }), true);
  rlock.release();
  rlock.release();
  assert.equal(rlock.owned(), true);
  const probe = new Thread(tryAcquire, rlock, 20);
  probe.start();
  assert.equal(await probe.join(), false);
  rlock.release();
  assert.equal(rlock.locked(), false);
  assert.throws(() => rlock.release(), /Cannot release an RLock that is not locked/);
  // Released from level one, it starts again at level one.
  assert.equal(rlock.acquire({ blocking: false }), true);
  rlock.release();
  assert.equal(rlock.locked(), false);
  assert.throws(() => rlock.release(), /Cannot release an RLock that is not locked/);
});

Deno.test("RLock refuses a release from an isolate that does not own it", async () => {
  const rlock = new RLock();
  await rlock.acquireAsync();
  const thread = new Thread(releaseIt, rlock);
  thread.start();
  await assert.rejects(
    thread.join(),
    /Cannot release an RLock held by isolate \d+ from isolate \d+/,
  );
  assert.equal(rlock.owned(), true);
  rlock.release();
});

Deno.test("RLock's async forms time out and abort without taking the lock", async () => {
  const rlock = new RLock();
  const acquired = new Event();
  await using holder = new Thread(holdForever, rlock, acquired);
  holder.start();
  await acquired.waitAsync({ timeout: 10_000 });
  await assert.rejects(rlock.acquireAsync({ timeout: 20 }), TimeoutError);
  await assert.rejects(rlock.holdAsync({ signal: AbortSignal.abort(new Error("no")) }), /no/);
  assert.equal(rlock.owned(), false);
  assert.throws(() => rlock.acquire(), /main thread.*rlock\.acquireAsync/s);
});

Deno.test("RLock taken over from a dead owner restarts at level one", async () => {
  const rlock = new RLock();
  const acquired = new Event();
  const holder = new Thread(holdForever, rlock, acquired);
  holder.start();
  await acquired.waitAsync({ timeout: 10_000 });
  await holder[Symbol.asyncDispose]();
  {
    await using held = await rlock.holdAsync({ timeout: 10_000 });
    assert.equal(held.ownerDied, true);
    assert.equal(rlock.ownerDied, true);
  }
  assert.equal(rlock.locked(), false);
  const after = new Thread(acquireAndRelease, rlock);
  after.start();
  assert.equal(await after.join(), false);
});

Deno.test("RLock rebuilds from its handle and checks the state", async () => {
  const rlock = new RLock();
  const twin = RLock[fromHandle](rlock[toHandle]().state);
  await twin.acquireAsync();
  assert.equal(rlock.owned(), true);
  rlock.release();
  assert.equal(twin.locked(), false);
  assert.throws(() => RLock[fromHandle](new Int32Array(new SharedArrayBuffer(4))), TypeError);
});
