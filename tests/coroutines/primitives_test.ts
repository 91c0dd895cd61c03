// The threads primitives, re-exported by coroutines, serving coroutines of one event loop
// through their async forms (Python's asyncio.Lock, Semaphore, Event, Condition).
import assert from "node:assert/strict";
import {
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  Semaphore,
  sleep,
  TaskGroup,
} from "@tandem/tandem/coroutines";
import { TimeoutError } from "@tandem/tandem/futures";
import * as threads from "@tandem/tandem/threads";

Deno.test("coroutines re-exports the same classes as threads", () => {
  assert.equal(Lock, threads.Lock);
  assert.equal(Semaphore, threads.Semaphore);
  assert.equal(BoundedSemaphore, threads.BoundedSemaphore);
  assert.equal(Event, threads.Event);
  assert.equal(Condition, threads.Condition);
});

Deno.test("a Semaphore(2) lets at most 2 of 10 coroutines in at a time", async () => {
  const semaphore = new Semaphore(2);
  let inside = 0;
  let most = 0;
  const finished: number[] = [];
  await TaskGroup.run((group) => {
    for (let i = 0; i < 10; i++) {
      group.create(async () => {
        await using _held = await semaphore.holdAsync({ timeout: 5_000 });
        inside++;
        most = Math.max(most, inside);
        await sleep(2);
        inside--;
        finished.push(i);
      });
    }
  });
  assert.equal(most, 2);
  assert.equal(finished.length, 10);
  assert.equal(semaphore.value, 2);
});

Deno.test("a BoundedSemaphore refuses a release beyond its initial value", async () => {
  const semaphore = new BoundedSemaphore(1);
  await semaphore.acquireAsync();
  semaphore.release();
  assert.throws(() => semaphore.release());
});

Deno.test("an Event wakes every coroutine waiting on it", async () => {
  const event = new Event();
  const woken: number[] = [];
  const waiters = Array.from({ length: 8 }, (_, i) =>
    (async () => {
      await event.waitAsync({ timeout: 5_000 });
      woken.push(i);
    })());
  await sleep(5);
  assert.deepEqual(woken, []);
  event.set();
  await Promise.all(waiters);
  assert.equal(woken.length, 8);
  // Once set, waiting returns at once; a timeout on a cleared event rejects.
  await event.waitAsync({ timeout: 0 });
  event.clear();
  await assert.rejects(event.waitAsync({ timeout: 5 }), TimeoutError);
});

Deno.test("a Condition hands items from a producer to consumers on one loop", async () => {
  const condition = new Condition();
  const items: number[] = [];
  const consumed: number[] = [];
  let producing = true;
  async function consumer(): Promise<void> {
    for (;;) {
      await using _held = await condition.holdAsync({ timeout: 5_000 });
      await condition.waitForAsync(() => items.length > 0 || !producing, { timeout: 5_000 });
      if (items.length === 0) return;
      consumed.push(items.shift()!);
    }
  }
  async function producer(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      {
        await using _held = await condition.holdAsync();
        items.push(i);
        condition.notify();
      }
      if (i % 5 === 0) await sleep(1);
    }
    await using _held = await condition.holdAsync();
    producing = false;
    condition.notifyAll();
  }
  await Promise.all([consumer(), consumer(), consumer(), producer()]);
  assert.deepEqual(consumed.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("a Lock keeps coroutines out of each other's critical section", async () => {
  const lock = new Lock();
  let counter = 0;
  await Promise.all([0, 1, 2, 3].map(async () => {
    for (let i = 0; i < 25; i++) {
      await using _held = await lock.holdAsync();
      const seen = counter;
      await sleep(0);
      counter = seen + 1;
    }
  }));
  assert.equal(counter, 100);
});

Deno.test("an async wait honours its AbortSignal", async () => {
  const semaphore = new Semaphore(0);
  const controller = new AbortController();
  const waiting = semaphore.acquireAsync({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
});
