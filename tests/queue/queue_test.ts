import assert from "node:assert/strict";
import { TimeoutError } from "@tandem/tandem/futures";
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
} from "@tandem/tandem/queue";
import { countListeners, observe, settle, sleep } from "./_helpers.ts";

// --- construction ------------------------------------------------------------------------------

Deno.test("new Queue() is unbounded: maxsize 0, empty, never full", () => {
  const queue = new Queue<number>();
  assert.equal(queue.maxsize, 0);
  assert.equal(queue.empty(), true);
  for (let i = 0; i < 1000; i++) queue.putNowait(i);
  assert.equal(queue.full(), false);
  assert.equal(queue.qsize(), 1000);
  assert.equal(queue.closed, false);
});

Deno.test("maxsize can be given positionally or as an option", () => {
  assert.equal(new Queue<number>(3).maxsize, 3);
  assert.equal(new Queue<number>({ maxsize: 4 }).maxsize, 4);
  assert.equal(new Queue<number>({}).maxsize, 0);
  assert.equal(new LifoQueue<number>(2).maxsize, 2);
  assert.equal(new PriorityQueue<number>({ maxsize: 5 }).maxsize, 5);
});

Deno.test("a negative or non-integer maxsize is a RangeError naming 'maxsize' and the class", () => {
  for (const maxsize of [-1, 1.5, NaN, Infinity, -Infinity]) {
    assert.throws(
      () => new Queue<number>(maxsize),
      (error: unknown) =>
        error instanceof RangeError && /Cannot create Queue: 'maxsize'/.test(error.message) &&
        error.message.includes(String(maxsize)),
    );
    assert.throws(() => new Queue<number>({ maxsize }), RangeError);
  }
  assert.throws(() => new LifoQueue<number>(-2), /Cannot create LifoQueue: 'maxsize'/);
  assert.throws(() => new PriorityQueue<number>({ maxsize: 0.5 }), /PriorityQueue: 'maxsize'/);
});

Deno.test("a maxsize that is not a number is a TypeError naming 'maxsize'", () => {
  assert.throws(() => new Queue<number>("3" as unknown as number), TypeError);
  assert.throws(() => new Queue<number>({ maxsize: "3" as unknown as number }), /'maxsize'/);
});

Deno.test("a negative or NaN timeout rejects put, get and join with a RangeError naming 'timeout'", async () => {
  const queue = new Queue<number>();
  for (const timeout of [-1, NaN]) {
    await assert.rejects(queue.put(1, { timeout }), /Cannot put on the Queue: 'timeout'/);
    await assert.rejects(queue.get({ timeout }), /Cannot get from the Queue: 'timeout'/);
    await assert.rejects(queue.join({ timeout }), /Cannot join the Queue: 'timeout'/);
  }
  assert.equal(queue.qsize(), 0);
});

// --- order, nowait, qsize ----------------------------------------------------------------------

Deno.test("Queue delivers items first in, first out, and qsize/empty/full track them", async () => {
  const queue = new Queue<string>(3);
  await queue.put("a");
  queue.putNowait("b");
  await queue.put("c");
  assert.equal(queue.qsize(), 3);
  assert.equal(queue.full(), true);
  assert.equal(await queue.get(), "a");
  assert.equal(queue.full(), false);
  assert.equal(queue.getNowait(), "b");
  assert.equal(await queue.get(), "c");
  assert.equal(queue.empty(), true);
});

Deno.test("putNowait throws QueueFull when full; getNowait throws QueueEmpty when empty", () => {
  const queue = new Queue<number>(1);
  assert.throws(() => queue.getNowait(), QueueEmpty);
  queue.putNowait(1);
  assert.throws(() => queue.putNowait(2), (error: unknown) => {
    return error instanceof QueueFull && error.name === "QueueFull" &&
      /maxsize 1/.test(error.message);
  });
  assert.equal(queue.getNowait(), 1);
});

Deno.test("the ring buffer keeps FIFO order across growth, wrap-around and shrinking", () => {
  const queue = new Queue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    const puts = (round * 37) % 3000;
    for (let i = 0; i < puts; i++) queue.putNowait(next++);
    const gets = Math.min(queue.qsize(), (round * 53) % 3100);
    for (let i = 0; i < gets; i++) assert.equal(queue.getNowait(), expected++);
  }
  while (!queue.empty()) assert.equal(queue.getNowait(), expected++);
  assert.equal(expected, next);
});

// --- waiting and fairness ----------------------------------------------------------------------

Deno.test("Queue.get() waits while empty and wakes on put", async () => {
  const queue = new Queue<string>();
  const got = observe(queue.get());
  await settle();
  assert.equal(got.current.state, "pending");
  await queue.put("x");
  await settle();
  assert.deepEqual(got.current, { state: "fulfilled", value: "x" });
});

Deno.test("Queue.put() waits while full and completes when an item is taken", async () => {
  const queue = new Queue<string>(1);
  await queue.put("a");
  const put = observe(queue.put("b"));
  await settle();
  assert.equal(put.current.state, "pending");
  assert.equal(queue.qsize(), 1);
  assert.equal(await queue.get(), "a");
  await settle();
  assert.equal(put.current.state, "fulfilled");
  assert.equal(queue.getNowait(), "b");
});

Deno.test("waiting getters are served first come, first served", async () => {
  const queue = new Queue<number>();
  const getters = [queue.get(), queue.get(), queue.get()];
  queue.putNowait(1);
  queue.putNowait(2);
  queue.putNowait(3);
  assert.deepEqual(await Promise.all(getters), [1, 2, 3]);
});

Deno.test("waiting putters are served first come, first served", async () => {
  const queue = new Queue<string>(1);
  queue.putNowait("x");
  const order: string[] = [];
  const puts = ["a", "b", "c"].map((item) => queue.put(item).then(() => order.push(item)));
  const got: string[] = [];
  for (let i = 0; i < 4; i++) got.push(await queue.get());
  await Promise.all(puts);
  assert.deepEqual(got, ["x", "a", "b", "c"]);
  assert.deepEqual(order, ["a", "b", "c"]);
});

Deno.test("an item put while a getter waits is handed to it: a later get cannot take it", async () => {
  const queue = new Queue<string>();
  const first = queue.get();
  queue.putNowait("only");
  assert.equal(queue.qsize(), 0);
  assert.throws(() => queue.getNowait(), QueueEmpty);
  const second = observe(queue.get({ timeout: 20 }));
  assert.equal(await first, "only");
  await sleep(30);
  assert.ok(second.current.state === "rejected" && second.current.error instanceof TimeoutError);
});

Deno.test("space freed by a get goes to the waiting putter, not to a later putNowait", async () => {
  const queue = new Queue<string>(1);
  queue.putNowait("a");
  const waiting = queue.put("b");
  assert.equal(queue.getNowait(), "a");
  assert.throws(() => queue.putNowait("c"), QueueFull);
  await waiting;
  assert.equal(queue.getNowait(), "b");
});

// --- timeouts ----------------------------------------------------------------------------------

Deno.test("get({ timeout }) on an empty queue rejects with TimeoutError and takes nothing", async () => {
  const queue = new Queue<number>();
  await assert.rejects(queue.get({ timeout: 10 }), (error: unknown) => {
    return error instanceof TimeoutError && /Cannot get from the Queue: timed out after 10 ms/
      .test(error.message);
  });
  queue.putNowait(1);
  assert.equal(queue.qsize(), 1);
  assert.equal(await queue.get(), 1);
});

Deno.test("put({ timeout }) on a full queue rejects with TimeoutError and adds nothing", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(1);
  await assert.rejects(
    queue.put(2, { timeout: 10 }),
    /Cannot put on the Queue: timed out after 10 ms/,
  );
  assert.equal(queue.qsize(), 1);
  assert.equal(queue.getNowait(), 1);
  assert.equal(queue.empty(), true);
  queue.taskDone();
  await queue.join({ timeout: 0 }); // the timed-out item was never counted as unfinished
});

Deno.test("timeout 0 does not wait: it succeeds when it can and rejects at once otherwise", async () => {
  const queue = new Queue<number>(1);
  await assert.rejects(queue.get({ timeout: 0 }), TimeoutError);
  await queue.put(1, { timeout: 0 });
  await assert.rejects(queue.put(2, { timeout: 0 }), TimeoutError);
  assert.equal(await queue.get({ timeout: 0 }), 1);
  await assert.rejects(queue.join({ timeout: 0 }), TimeoutError);
  queue.taskDone();
  await queue.join({ timeout: 0 });
});

Deno.test("join({ timeout }) rejects with TimeoutError while items are unfinished", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  await assert.rejects(queue.join({ timeout: 10 }), /Cannot join the Queue: timed out after 10 ms/);
});

Deno.test("an Infinity timeout waits without limit and leaves no timer", async () => {
  const queue = new Queue<number>();
  const got = queue.get({ timeout: Infinity });
  setTimeout(() => queue.putNowait(5), 5);
  assert.equal(await got, 5);
});

Deno.test("a get that is handed an item clears its timer at once", async () => {
  // The op sanitizer fails this test if the 60 s timer outlives the call.
  const queue = new Queue<number>();
  const got = queue.get({ timeout: 60_000 });
  queue.putNowait(1);
  assert.equal(await got, 1);
  const full = new Queue<number>(1);
  full.putNowait(1);
  const put = full.put(2, { timeout: 60_000 });
  full.getNowait();
  await put;
  const join = full.join({ timeout: 60_000 });
  full.taskDone();
  full.getNowait();
  full.taskDone();
  await join;
});

Deno.test("a timeout and a put racing for a waiting get deliver the item exactly once", async () => {
  for (let i = 0; i < 40; i++) {
    const queue = new Queue<number>();
    const got = observe(queue.get({ timeout: 2 }));
    const putAt = i % 5; // before, at or after the timeout
    await sleep(putAt);
    queue.putNowait(i);
    await sleep(3);
    const current = got.current;
    if (current.state === "fulfilled") {
      assert.equal(current.value, i);
      assert.equal(queue.qsize(), 0);
    } else {
      assert.equal(current.state, "rejected");
      assert.ok((current as { error: unknown }).error instanceof TimeoutError);
      assert.equal(queue.getNowait(), i);
    }
  }
});

// --- aborts ------------------------------------------------------------------------------------

Deno.test("an already-aborted signal rejects with its reason without taking or adding anything", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(1);
  const signal = AbortSignal.abort(new Error("too late"));
  await assert.rejects(queue.get({ signal }), /too late/);
  assert.equal(queue.qsize(), 1);
  queue.getNowait();
  await assert.rejects(queue.put(2, { signal }), /too late/);
  assert.equal(queue.qsize(), 0);
  await assert.rejects(queue.join({ signal }), /too late/);
});

Deno.test("aborting a waiting get rejects with signal.reason; the next item goes to the next getter", async () => {
  const queue = new Queue<string>();
  const controller = new AbortController();
  const aborted = queue.get({ signal: controller.signal });
  const next = queue.get();
  const reason = new Error("stop waiting");
  controller.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  queue.putNowait("x");
  assert.equal(await next, "x");
});

Deno.test("aborting a waiting put rejects with signal.reason and leaves the queue unchanged", async () => {
  const queue = new Queue<string>(1);
  queue.putNowait("a");
  const controller = new AbortController();
  const put = queue.put("b", { signal: controller.signal });
  const later = queue.put("c");
  controller.abort("cancelled");
  await assert.rejects(put, (error) => error === "cancelled");
  assert.equal(queue.getNowait(), "a");
  await later;
  assert.equal(queue.getNowait(), "c");
  assert.equal(queue.empty(), true);
});

Deno.test("aborting a waiting join rejects with signal.reason; other joins still resolve", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  const controller = new AbortController();
  const aborted = queue.join({ signal: controller.signal });
  const other = queue.join();
  controller.abort(new Error("enough"));
  await assert.rejects(aborted, /enough/);
  queue.getNowait();
  queue.taskDone();
  await other;
});

Deno.test("a put and an abort in the same tick: put first hands the item over, the abort is too late", async () => {
  const queue = new Queue<number>();
  const controller = new AbortController();
  const listeners = countListeners(controller.signal);
  const got = queue.get({ signal: controller.signal });
  assert.equal(listeners.count, 1);
  queue.putNowait(42);
  assert.equal(listeners.count, 0); // the hand-off removed the listener synchronously
  controller.abort(new Error("too late"));
  assert.equal(await got, 42);
  assert.equal(queue.qsize(), 0);
});

Deno.test("an abort and a put in the same tick: abort first, and the item stays for the next getter", async () => {
  const queue = new Queue<number>();
  const controller = new AbortController();
  const got = queue.get({ signal: controller.signal });
  controller.abort(new Error("first"));
  queue.putNowait(42);
  await assert.rejects(got, /first/);
  assert.equal(queue.qsize(), 1);
  assert.equal(await queue.get(), 42);
});

Deno.test("a get and the abort of a waiting put in the same tick: get first, so the put completed", async () => {
  const queue = new Queue<string>(1);
  queue.putNowait("a");
  const controller = new AbortController();
  const put = queue.put("b", { signal: controller.signal });
  assert.equal(queue.getNowait(), "a"); // moves "b" in and settles the put
  controller.abort(new Error("too late"));
  await put;
  assert.equal(queue.getNowait(), "b");
});

Deno.test("many aborted getters are skipped and the queue still serves the live ones in order", async () => {
  const queue = new Queue<number>();
  const controller = new AbortController();
  const live: Promise<number>[] = [];
  const dead: Promise<number>[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) live.push(queue.get());
    else dead.push(queue.get({ signal: controller.signal }));
  }
  controller.abort("gone");
  await Promise.allSettled(dead);
  for (let i = 0; i < live.length; i++) queue.putNowait(i);
  assert.deepEqual(await Promise.all(live), live.map((_, i) => i));
  assert.equal(queue.qsize(), 0);
});

// --- taskDone and join -------------------------------------------------------------------------

Deno.test("taskDone() more times than items were put throws a RangeError", () => {
  const queue = new Queue<number>();
  assert.throws(() => queue.taskDone(), /taskDone\(\) was called more times than items were put/);
  queue.putNowait(1);
  queue.taskDone();
  assert.throws(() => queue.taskDone(), RangeError);
});

Deno.test("join() resolves at once when nothing was put, and only after every item is done", async () => {
  const queue = new Queue<number>();
  await queue.join();
  queue.putNowait(1);
  const pending = queue.get(); // handed-off items count too
  queue.putNowait(2);
  const joined = observe(queue.join());
  await pending;
  queue.getNowait();
  queue.taskDone();
  await settle();
  assert.equal(joined.current.state, "pending");
  queue.taskDone();
  await settle();
  assert.equal(joined.current.state, "fulfilled");
});

Deno.test("an item handed directly to a waiting getter counts for join", async () => {
  const queue = new Queue<number>();
  const got = queue.get();
  await queue.put(1);
  await got;
  const joined = observe(queue.join());
  await settle();
  assert.equal(joined.current.state, "pending");
  queue.taskDone();
  await settle();
  assert.equal(joined.current.state, "fulfilled");
});

// --- close -------------------------------------------------------------------------------------

Deno.test("close() refuses new puts with QueueShutDown and lets consumers drain what is left", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  queue.close();
  assert.equal(queue.closed, true);
  await assert.rejects(queue.put(3), /Cannot put on the Queue: it was closed/);
  assert.throws(() => queue.putNowait(3), QueueShutDown);
  assert.equal(await queue.get(), 1);
  assert.equal(queue.getNowait(), 2);
  await assert.rejects(queue.get(), /Cannot get from the Queue: it was closed and is empty/);
  assert.throws(() => queue.getNowait(), QueueShutDown);
});

Deno.test("close() wakes waiting getters with QueueShutDown when the queue is empty", async () => {
  const queue = new Queue<number>();
  const getters = [queue.get(), queue.get({ timeout: 60_000 })];
  queue.close();
  for (const getter of getters) await assert.rejects(getter, QueueShutDown);
});

Deno.test("puts already waiting for space when close() is called still complete, in order", async () => {
  const queue = new Queue<string>(1);
  queue.putNowait("a");
  const waiting = [queue.put("b"), queue.put("c")];
  queue.close();
  await assert.rejects(queue.put("d"), QueueShutDown);
  const drained: string[] = [];
  for await (const item of queue) drained.push(item);
  await Promise.all(waiting);
  assert.deepEqual(drained, ["a", "b", "c"]);
  await queue.join();
});

Deno.test("close() is idempotent and does nothing after shutdown()", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(1);
  const put = queue.put(2);
  queue.shutdown();
  queue.close();
  queue.close();
  await assert.rejects(put, /it was shut down/);
  assert.equal(queue.getNowait(), 1);
  assert.throws(() => queue.getNowait(), /shut down and is empty/);
});

// --- shutdown ----------------------------------------------------------------------------------

Deno.test("shutdown() refuses waiting and new puts; getters drain, then get QueueShutDown", async () => {
  const queue = new Queue<number>(2);
  queue.putNowait(1);
  queue.putNowait(2);
  const waiting = queue.put(3);
  queue.shutdown();
  await assert.rejects(waiting, QueueShutDown);
  await assert.rejects(queue.put(4), QueueShutDown);
  assert.deepEqual([await queue.get(), await queue.get()], [1, 2]);
  await assert.rejects(queue.get(), QueueShutDown);
  queue.taskDone();
  queue.taskDone();
  await queue.join({ timeout: 0 });
});

Deno.test("shutdown({ immediate }) drops the items, counts them done for join, and rejects getters", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  queue.putNowait(3);
  const taken = queue.getNowait(); // taken but not yet marked done
  const joined = observe(queue.join());
  queue.shutdown({ immediate: true });
  assert.equal(queue.qsize(), 0);
  await assert.rejects(queue.get(), QueueShutDown);
  await settle();
  assert.equal(joined.current.state, "pending"); // item 1 is still being worked on
  assert.equal(taken, 1);
  queue.taskDone();
  await settle();
  assert.equal(joined.current.state, "fulfilled");
  assert.throws(() => queue.taskDone(), RangeError);
});

Deno.test("shutdown({ immediate }) wakes every waiting getter and putter with QueueShutDown", async () => {
  const empty = new Queue<number>();
  const getters = [empty.get(), empty.get({ timeout: 60_000 })];
  const full = new Queue<number>(1);
  full.putNowait(0);
  const putters = [full.put(1), full.put(2, { timeout: 60_000 })];
  empty.shutdown({ immediate: true });
  full.shutdown({ immediate: true });
  for (const waiting of [...getters, ...putters]) await assert.rejects(waiting, QueueShutDown);
  await full.join();
});

Deno.test("shutdown() can be made immediate by a second call", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  queue.shutdown();
  assert.equal(queue.qsize(), 1);
  queue.shutdown({ immediate: true });
  assert.equal(queue.qsize(), 0);
  await queue.join();
});

// --- iteration ---------------------------------------------------------------------------------

Deno.test("for await takes items until the queue is closed and empty, marking each done after its body", async () => {
  const queue = new Queue<number>();
  const seen: Array<[number, boolean]> = [];
  const consumer = (async () => {
    for await (const n of queue) {
      const joined = observe(queue.join());
      await settle();
      seen.push([n, joined.current.state === "pending"]); // still unfinished during the body
    }
  })();
  for (let n = 0; n < 3; n++) queue.putNowait(n);
  await queue.join();
  queue.close();
  await consumer;
  assert.deepEqual(seen, [[0, true], [1, true], [2, true]]);
});

Deno.test("for await marks the item done when the loop body throws", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  await assert.rejects(async () => {
    for await (const n of queue) throw new Error(`failed on ${n}`);
  }, /failed on 1/);
  assert.equal(queue.qsize(), 1);
  queue.getNowait();
  queue.taskDone();
  await queue.join({ timeout: 0 });
});

Deno.test("for await marks the item done on break and on continue", async () => {
  const queue = new Queue<number>();
  for (let n = 0; n < 4; n++) queue.putNowait(n);
  for await (const n of queue) {
    if (n < 2) continue;
    break;
  }
  assert.equal(queue.qsize(), 1);
  queue.close();
  for await (const _ of queue) { /* drain */ }
  await queue.join({ timeout: 0 });
});

Deno.test("several for await loops share one queue: every item goes to exactly one loop", async () => {
  const queue = new Queue<number>(5);
  const seen: number[][] = [[], [], []];
  const consumers = seen.map(async (mine) => {
    for await (const n of queue) {
      mine.push(n);
      await sleep(0);
    }
  });
  for (let n = 0; n < 60; n++) await queue.put(n);
  queue.close();
  await queue.join();
  await Promise.all(consumers);
  assert.deepEqual(seen.flat().sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i));
  assert.ok(seen.every((mine) => mine.length > 0));
});

Deno.test("for await over a queue ends at once after shutdown({ immediate: true })", async () => {
  const queue = new Queue<number>();
  for (let n = 1; n <= 3; n++) queue.putNowait(n);
  const seen: number[] = [];
  for await (const n of queue) {
    seen.push(n);
    queue.shutdown({ immediate: true }); // drops 2 and 3
  }
  assert.deepEqual(seen, [1]);
  await queue.join({ timeout: 0 }); // 1 was marked done, 2 and 3 were dropped
});

Deno.test("values({ signal }) rejects the pending next() with signal.reason", async () => {
  const queue = new Queue<number>();
  const controller = new AbortController();
  const loop = (async () => {
    for await (const _ of queue.values({ signal: controller.signal })) { /* nothing comes */ }
  })();
  await settle();
  controller.abort(new Error("consumer stopped"));
  await assert.rejects(loop, /consumer stopped/);
  queue.putNowait(1);
  assert.equal(queue.qsize(), 1); // the aborted get took nothing
});

Deno.test("disposing a queue iterator marks its current item done", async () => {
  const queue = new Queue<number>();
  queue.putNowait(1);
  {
    await using items = queue.values();
    assert.deepEqual(await items.next(), { done: false, value: 1 });
  }
  await queue.join({ timeout: 0 });
});

Deno.test("a queue reports its class in toString", () => {
  assert.equal(String(new Queue()), "[object Queue]");
  assert.equal(String(new LifoQueue()), "[object LifoQueue]");
});
