import assert from "node:assert/strict";
import { fromHandle, TimeoutError, toHandle } from "@tandem/tandem/futures";
import { QueueEmpty, QueueFull, QueueShutDown, SharedQueue } from "@tandem/tandem/queue";
import { Thread } from "@tandem/tandem/threads";
import {
  consume,
  getWithTimeout,
  joinThenCount,
  produce,
  putWithTimeout,
} from "./_shared_tasks.ts";

function started<A extends unknown[], R>(thread: Thread<A, R>): Thread<A, R> {
  thread.start();
  return thread;
}

Deno.test("SharedQueue hands items out in the order they were put, as fresh copies", async () => {
  const queue = new SharedQueue<{ n: number; tags: Set<string> }>();
  const item = { n: 1, tags: new Set(["a"]) };
  await queue.putAsync(item);
  queue.putNowait({ n: 2, tags: new Set() });
  assert.equal(queue.qsize(), 2);
  const first = await queue.getAsync();
  assert.deepEqual(first, item);
  assert.notEqual(first, item);
  assert.equal(queue.getNowait().n, 2);
  assert.equal(queue.empty(), true);
});

Deno.test("SharedQueue's nowait forms throw QueueFull and QueueEmpty", () => {
  const queue = new SharedQueue<number>(2);
  queue.putNowait(1);
  queue.putNowait(2);
  assert.equal(queue.full(), true);
  assert.throws(() => queue.putNowait(3), QueueFull);
  assert.equal(queue.getNowait(), 1);
  assert.equal(queue.getNowait(), 2);
  assert.throws(() => queue.getNowait(), QueueEmpty);
});

Deno.test("SharedQueue.putAsync() waits for space and getAsync() waits for an item", async () => {
  const queue = new SharedQueue<string>(1);
  await queue.putAsync("a");
  let putDone = false;
  const second = queue.putAsync("b").then(() => putDone = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(putDone, false);
  assert.equal(await queue.getAsync(), "a");
  await second;
  assert.equal(await queue.getAsync(), "b");
  const waiting = queue.getAsync();
  setTimeout(() => queue.putNowait("c"), 10);
  assert.equal(await waiting, "c");
});

Deno.test("SharedQueue.taskDone() counts items and throws when called too often", async () => {
  const queue = new SharedQueue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  await assert.rejects(queue.joinAsync({ timeout: 10 }), TimeoutError);
  queue.getNowait();
  queue.getNowait();
  queue.taskDone();
  const joined = queue.joinAsync();
  queue.taskDone();
  await joined;
  assert.throws(() => queue.taskDone(), RangeError);
});

Deno.test("SharedQueue.close() refuses puts, lets consumers drain, then ends iteration", async () => {
  const queue = new SharedQueue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  queue.close();
  assert.equal(queue.closed, true);
  await assert.rejects(queue.putAsync(3), QueueShutDown);
  assert.throws(() => queue.putNowait(3), QueueShutDown);
  const seen: number[] = [];
  for await (const n of queue) seen.push(n);
  assert.deepEqual(seen, [1, 2]);
  await queue.joinAsync({ timeout: 1000 });
  await assert.rejects(queue.getAsync(), /closed and is empty/);
});

Deno.test("SharedQueue.close() lets a put that was already waiting complete", async () => {
  const queue = new SharedQueue<number>(1);
  queue.putNowait(1);
  const waiting = queue.putAsync(2);
  await new Promise((resolve) => setTimeout(resolve, 10));
  queue.close();
  assert.equal(await queue.getAsync(), 1);
  await waiting;
  assert.equal(await queue.getAsync(), 2);
  await assert.rejects(queue.getAsync(), QueueShutDown);
});

Deno.test("SharedQueue.shutdown() wakes waiting getters and putters with QueueShutDown", async () => {
  const empty = new SharedQueue<number>();
  const getter = empty.getAsync();
  const full = new SharedQueue<number>(1);
  full.putNowait(1);
  const putter = full.putAsync(2);
  await new Promise((resolve) => setTimeout(resolve, 10));
  empty.shutdown();
  full.shutdown();
  await assert.rejects(getter, QueueShutDown);
  await assert.rejects(putter, QueueShutDown);
  assert.equal(await full.getAsync(), 1); // without immediate, the items left are still taken
});

Deno.test("SharedQueue.shutdown({ immediate }) drops items, counts them done, refuses gets", async () => {
  const queue = new SharedQueue<number>();
  queue.putNowait(1);
  queue.putNowait(2);
  queue.putNowait(3);
  queue.getNowait();
  queue.shutdown({ immediate: true });
  assert.equal(queue.qsize(), 0);
  await assert.rejects(queue.getAsync(), QueueShutDown);
  await assert.rejects(queue.joinAsync({ timeout: 10 }), TimeoutError); // the taken item
  queue.taskDone();
  await queue.joinAsync({ timeout: 1000 });
});

Deno.test("SharedQueue's async waits time out with TimeoutError and leave the queue as it was", async () => {
  const queue = new SharedQueue<number>(1);
  await assert.rejects(queue.getAsync({ timeout: 10 }), TimeoutError);
  await assert.rejects(queue.getAsync({ timeout: 0 }), TimeoutError);
  queue.putNowait(1);
  await assert.rejects(queue.putAsync(2, { timeout: 10 }), /timed out after 10 ms/);
  assert.equal(queue.qsize(), 1);
  assert.equal(queue.getNowait(), 1);
  assert.throws(() => queue.getNowait(), QueueEmpty);
  await assert.rejects(queue.getAsync({ timeout: -1 }), RangeError);
});

Deno.test("SharedQueue's async waits reject with signal.reason on abort", async () => {
  const queue = new SharedQueue<number>();
  const controller = new AbortController();
  const reason = new Error("stop");
  const waiting = queue.getAsync({ signal: controller.signal });
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(waiting, (error) => error === reason);
  queue.putNowait(1);
  await assert.rejects(queue.getAsync({ signal: controller.signal }), (error) => error === reason);
  assert.equal(queue.qsize(), 1); // an aborted get took nothing
});

Deno.test("SharedQueue's blocking forms refuse the main thread and name the async form", () => {
  const queue = new SharedQueue<number>();
  assert.throws(() => queue.get(), /main thread.*queue\.getAsync\(\)/s);
  assert.throws(() => queue.put(1), /main thread.*queue\.putAsync\(item\)/s);
  assert.throws(() => queue.join(), /main thread.*queue\.joinAsync\(\)/s);
  assert.throws(() => {
    for (const _ of queue) break;
  }, /main thread/);
  queue.put(1, { timeout: 0 }); // never waits, so allowed
  assert.equal(queue.get({ timeout: 0 }), 1);
  assert.throws(() => queue.get({ timeout: 0 }), TimeoutError);
});

Deno.test("SharedQueue refuses an item larger than its buffer with a RangeError naming it", async () => {
  const queue = new SharedQueue<string>({ byteCapacity: 64 });
  assert.equal(queue.byteCapacity, 64);
  await assert.rejects(queue.putAsync("x".repeat(100)), (error) => {
    assert.ok(error instanceof RangeError);
    assert.match(error.message, /\d+ bytes serialized.*byteCapacity of 64 bytes/s);
    return true;
  });
  assert.throws(() => queue.putNowait((() => 1) as unknown as string), TypeError);
  assert.equal(queue.qsize(), 0);
});

Deno.test("SharedQueue wraps items around its ring buffer and waits for bytes", async () => {
  const queue = new SharedQueue<string>({ byteCapacity: 64 });
  const expected: string[] = [];
  const producer = (async () => {
    for (let i = 0; i < 200; i++) {
      const item = `item-${i}-${"y".repeat(i % 17)}`;
      expected.push(item);
      await queue.putAsync(item, { timeout: 5000 });
    }
    queue.close();
  })();
  const seen: string[] = [];
  for await (const item of queue) seen.push(item);
  await producer;
  assert.deepEqual(seen, expected);
});

Deno.test("SharedQueue rejects bad options at construction", () => {
  assert.throws(() => new SharedQueue(-1), /'maxsize' must be a non-negative integer, received -1/);
  assert.throws(() => new SharedQueue({ byteCapacity: 4 }), RangeError);
  assert.throws(() => new SharedQueue({ maxsize: "2" as unknown as number }), TypeError);
  assert.throws(() => SharedQueue[fromHandle]({}), TypeError);
  const queue = new SharedQueue<number>(3);
  const twin = SharedQueue[fromHandle](queue[toHandle]().state) as SharedQueue<number>;
  twin.putNowait(9);
  assert.equal(queue.getNowait(), 9);
  assert.equal(twin.maxsize, 3);
});

Deno.test("SharedQueue carries items from a worker producer to a main-thread consumer", async () => {
  const queue = new SharedQueue<number>(4);
  const thread = started(new Thread(produce, queue, 0, 100));
  const seen: number[] = [];
  try {
    for (let i = 0; i < 100; i++) seen.push(await queue.getAsync({ timeout: 10_000 }));
  } finally {
    queue.shutdown();
    await thread.join();
  }
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("SharedQueue carries items from the main thread to a worker's blocking for loop", async () => {
  const queue = new SharedQueue<number>(4);
  const thread = started(new Thread(consume, queue));
  try {
    for (let i = 0; i < 100; i++) await queue.putAsync(i);
    await queue.joinAsync({ timeout: 10_000 });
  } finally {
    queue.close();
  }
  assert.deepEqual(await thread.join(), Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("SharedQueue delivers every item exactly once under 4 producers and 3 consumers", async () => {
  const queue = new SharedQueue<number>(16);
  const perProducer = 2_000;
  const producers = [0, 1, 2, 3].map((p) =>
    started(new Thread(produce, queue, p * perProducer, perProducer))
  );
  const consumers = [0, 1].map(() => started(new Thread(consume, queue)));
  const mainSeen: number[] = [];
  const mainConsumer = (async () => {
    for await (const n of queue) mainSeen.push(n);
  })();
  let results: number[][];
  try {
    await Promise.all(producers.map((thread) => thread.join()));
    await queue.joinAsync({ timeout: 20_000 });
  } finally {
    queue.close();
    results = await Promise.all(consumers.map((thread) => thread.join()));
    await mainConsumer;
  }
  const all = [...mainSeen, ...results.flat()].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 4 * perProducer }, (_, i) => i));
  // Each producer's items reach each consumer in the order that producer put them.
  for (const seen of [mainSeen, ...results]) {
    for (let p = 0; p < 4; p++) {
      const mine = seen.filter((n) => Math.floor(n / perProducer) === p);
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    }
  }
});

Deno.test("SharedQueue.get({ timeout }) blocks a worker, then times out or takes an item", async () => {
  const queue = new SharedQueue<string>();
  const timedOut = await started(new Thread(getWithTimeout, queue, 20)).join();
  assert.deepEqual(timedOut, {
    error: "TimeoutError",
    message: "Cannot get from the SharedQueue: timed out after 20 ms",
  });
  const waiting = started(new Thread(getWithTimeout, queue, 10_000));
  setTimeout(() => queue.putNowait("hello"), 30);
  assert.deepEqual(await waiting.join(), { item: "hello" });
});

Deno.test("SharedQueue.put({ timeout }) in a worker times out on a full queue", async () => {
  const queue = new SharedQueue<number>(1);
  queue.putNowait(1);
  assert.equal(await started(new Thread(putWithTimeout, queue, 2, 20)).join(), "TimeoutError");
  assert.equal(queue.qsize(), 1);
});

Deno.test("SharedQueue.close() wakes a worker blocked in get, ending its loop", async () => {
  const queue = new SharedQueue<number>();
  const waiting = started(new Thread(getWithTimeout, queue, 10_000));
  const looping = started(new Thread(consume, queue));
  await new Promise((resolve) => setTimeout(resolve, 30));
  queue.close();
  assert.deepEqual(await looping.join(), []);
  assert.equal((await waiting.join() as { error: string }).error, "QueueShutDown");
});

Deno.test("SharedQueue.join() in a worker waits for the main thread's taskDone", async () => {
  const queue = new SharedQueue<number>();
  queue.putNowait(1);
  const joiner = started(new Thread(joinThenCount, queue));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await queue.getAsync(), 1);
  queue.taskDone();
  assert.equal(await joiner.join(), 0);
});
