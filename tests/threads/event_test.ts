import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { Event, Thread } from "@tandem/tandem/threads";
import { blockInWait, waitEvent } from "./_tasks.ts";

Deno.test("Event.set() wakes every blocked worker and async waiter", async () => {
  const event = new Event();
  const threads = [1, 2, 3].map(() => new Thread(waitEvent, event, 10_000));
  for (const thread of threads) thread.start();
  const local = event.waitAsync({ timeout: 10_000 });
  setTimeout(() => event.set(), 20);
  assert.deepEqual(await Promise.all([...threads.map((t) => t.join()), local]), [
    true,
    true,
    true,
    undefined,
  ]);
});

Deno.test("Event.wait() returns at once while set, and waits again after clear()", async () => {
  const event = new Event();
  event.set();
  assert.equal(event.wait({ timeout: 0 }), true);
  await event.waitAsync({ timeout: 0 });
  event.clear();
  assert.equal(event.isSet(), false);
  const thread = new Thread(waitEvent, event, 30);
  thread.start();
  assert.equal(await thread.join(), false);
  await assert.rejects(event.waitAsync({ timeout: 20 }), TimeoutError);
  const controller = new AbortController();
  const pending = event.waitAsync({ signal: controller.signal });
  controller.abort(new Error("gone"));
  await assert.rejects(pending, /gone/);
});

Deno.test("Event.wait() refuses the main thread; a terminated waiter leaves its wait", async () => {
  const event = new Event();
  assert.throws(() => event.wait(), /main thread.*event\.waitAsync/s);
  assert.throws(() => event.wait({ timeout: -5 }), RangeError);
  const started = new Event();
  const thread = new Thread(blockInWait, event, started);
  thread.start();
  await started.waitAsync({ timeout: 10_000 });
  await thread[Symbol.asyncDispose]();
  await assert.rejects(thread.join(), { name: "BrokenExecutorError" });
});

Deno.test("Event rebuilds from its handle over the same memory", () => {
  const event = new Event();
  const twin = Event[fromHandle](event[toHandle]().state);
  twin.set();
  assert.equal(event.isSet(), true);
  assert.throws(() => Event[fromHandle]("nope"), /Cannot rebuild an Event/);
});

// Ported from CPython's lock_tests.py, EventTests.test_set_and_clear (gh-57711): waiters woken
// by set() return true even if clear() follows at once, before they run. Run for blocked
// workers (threading.Event) and for async waiters (asyncio.Event) at once. CPython sleeps until
// its threads are probably blocked; a worker here may take long to start on a loaded machine,
// so the flag is raised and lowered at once every 20 ms until every waiter has returned: each
// must return true at the first pulse after it blocked. Before the fix a waiter saw the flag
// lowered again whenever it woke, so it missed every pulse and timed out.
Deno.test("Event: waiters woken by set() return true even when clear() follows at once", async () => {
  const event = new Event();
  const N = 5;
  const threads = Array.from({ length: N }, () => new Thread(waitEvent, event, 10_000));
  for (const thread of threads) thread.start();
  const local = Array.from(
    { length: N },
    () => event.waitAsync({ timeout: 10_000 }).then(() => true),
  );
  const all = Promise.all([...threads.map((t) => t.join()), ...local]);
  let done = false;
  all.finally(() => done = true);
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    event.set();
    event.clear();
  }
  assert.deepEqual(await all, Array(2 * N).fill(true));
  assert.equal(event.isSet(), false);
});

Deno.test("Event: a wait that starts after set() and clear() waits for the next set()", async () => {
  const event = new Event();
  event.set();
  event.clear();
  await assert.rejects(event.waitAsync({ timeout: 20 }), TimeoutError);
  const thread = new Thread(waitEvent, event, 20);
  thread.start();
  assert.equal(await thread.join(), false);
});
