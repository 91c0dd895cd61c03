import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { BoundedSemaphore, Semaphore, Thread } from "@tandem/tandem/threads";
import { countWithHold, enterLimited, tryAcquire, tryHold } from "./_tasks.ts";

function cells(n: number): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(64), 0, n);
}

Deno.test("Semaphore(2) never lets more than two of four workers in at once", async () => {
  const semaphore = new Semaphore(2);
  const state = cells(3);
  const threads = [1, 2, 3, 4].map(() => new Thread(enterLimited, semaphore, state, 30));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.equal(state[0], 0);
  assert.ok(state[1] >= 1 && state[1] <= 2, `peak ${state[1]}`);
  assert.equal(semaphore.value, 2);
});

Deno.test("Semaphore(1) works as a lock across workers", async () => {
  const semaphore = new BoundedSemaphore(1);
  const count = cells(1);
  const threads = [1, 2, 3].map(() => new Thread(countWithHold, semaphore, count, 5_000));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.equal(count[0], 15_000);
  assert.equal(semaphore.value, 1);
});

Deno.test("Semaphore.release(n) wakes waiting workers and async waiters", async () => {
  const semaphore = new Semaphore(0);
  const threads = [1, 2].map(() => new Thread(tryAcquire, semaphore, 10_000));
  for (const thread of threads) thread.start();
  const local = semaphore.acquireAsync({ timeout: 10_000 });
  setTimeout(() => semaphore.release(3), 20);
  assert.deepEqual(await Promise.all([...threads.map((t) => t.join()), local]), [
    true,
    true,
    undefined,
  ]);
  assert.equal(semaphore.value, 0);
});

Deno.test("Semaphore's timeouts: false from a blocked worker, TimeoutError when async", async () => {
  const semaphore = new Semaphore(0);
  const threads = [new Thread(tryAcquire, semaphore, 30), new Thread(tryHold, semaphore, 30)];
  for (const thread of threads) thread.start();
  assert.deepEqual(await Promise.all(threads.map((t) => t.join())), [false, "TimeoutError"]);
  await assert.rejects(semaphore.acquireAsync({ timeout: 20 }), TimeoutError);
  await assert.rejects(semaphore.holdAsync({ signal: AbortSignal.abort(new Error("x")) }), /x/);
  assert.equal(semaphore.acquire({ blocking: false }), false);
  assert.equal(semaphore.value, 0);
});

Deno.test("Semaphore refuses blocking on the main thread and bad arguments", () => {
  const semaphore = new Semaphore(1);
  assert.throws(() => semaphore.acquire(), /main thread.*semaphore\.acquireAsync/s);
  assert.throws(() => semaphore.hold(), /main thread/);
  assert.throws(
    () => new Semaphore(-1),
    (e) => e instanceof RangeError && e.message.includes("'value' must be a non-negative integer"),
  );
  assert.throws(() => new BoundedSemaphore(1.5), /Cannot create BoundedSemaphore: 'value'/);
  assert.throws(() => semaphore.release(0), /'n' must be a positive integer, received 0/);
  assert.throws(() => semaphore.acquire({ blocking: false, timeout: 1 }), TypeError);
  assert.equal(semaphore.value, 1);
});

Deno.test("BoundedSemaphore throws when released above its initial value", async () => {
  const semaphore = new BoundedSemaphore(2);
  assert.throws(() => semaphore.release(), /released too many times/);
  await semaphore.acquireAsync();
  assert.throws(() => semaphore.release(2), /released too many times/);
  semaphore.release();
  assert.equal(semaphore.value, 2);
  {
    await using _slot = await semaphore.holdAsync();
    assert.equal(semaphore.value, 1);
  }
  assert.equal(semaphore.value, 2);
});

Deno.test("Semaphores rebuild from their handles as the right class", () => {
  const plain = new Semaphore(3);
  const bounded = new BoundedSemaphore(1);
  const plainTwin = Semaphore[fromHandle](plain[toHandle]().state);
  const boundedTwin = BoundedSemaphore[fromHandle](bounded[toHandle]().state);
  assert.equal(bounded[toHandle]().name, "BoundedSemaphore");
  assert.ok(!(plainTwin instanceof BoundedSemaphore));
  assert.ok(boundedTwin instanceof BoundedSemaphore);
  assert.equal(plainTwin.value, 3);
  assert.throws(() => BoundedSemaphore[fromHandle](plain[toHandle]().state), TypeError);
});
