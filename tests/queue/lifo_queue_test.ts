import assert from "node:assert/strict";
import { LifoQueue, Queue, QueueFull } from "@tandem/tandem/queue";

Deno.test("LifoQueue serves the newest item first", async () => {
  const queue = new LifoQueue<number>();
  for (const n of [1, 2, 3]) await queue.put(n);
  assert.deepEqual([await queue.get(), queue.getNowait(), await queue.get()], [3, 2, 1]);
  assert.ok(queue instanceof Queue);
});

Deno.test("LifoQueue hands an item to a waiting getter and keeps getters first come, first served", async () => {
  const queue = new LifoQueue<string>();
  const first = queue.get();
  const second = queue.get();
  queue.putNowait("a");
  queue.putNowait("b");
  assert.deepEqual([await first, await second], ["a", "b"]);
});

Deno.test("LifoQueue with maxsize: a waiting putter's item goes on top when space frees", async () => {
  const queue = new LifoQueue<string>(2);
  queue.putNowait("a");
  queue.putNowait("b");
  assert.throws(() => queue.putNowait("x"), QueueFull);
  const waiting = queue.put("c");
  assert.equal(queue.getNowait(), "b");
  await waiting;
  assert.deepEqual([queue.getNowait(), queue.getNowait()], ["c", "a"]);
});

Deno.test("LifoQueue supports close, join and for await like Queue", async () => {
  const queue = new LifoQueue<number>();
  for (const n of [1, 2, 3]) queue.putNowait(n);
  queue.close();
  const seen: number[] = [];
  for await (const n of queue) seen.push(n);
  assert.deepEqual(seen, [3, 2, 1]);
  await queue.join({ timeout: 0 });
});
