import assert from "node:assert/strict";
import { naturalOrder, PriorityQueue, Queue } from "@tandem/tandem/queue";
import { prng } from "./_helpers.ts";

interface Job {
  priority: number;
  seq: number;
}

const byPriority = (a: Job, b: Job) => a.priority - b.priority;

Deno.test("PriorityQueue serves the smallest item first", async () => {
  const queue = new PriorityQueue<number>();
  for (const n of [5, 1, 4, 2, 3]) await queue.put(n);
  const out: number[] = [];
  while (!queue.empty()) out.push(await queue.get());
  assert.deepEqual(out, [1, 2, 3, 4, 5]);
  assert.ok(queue instanceof Queue);
});

Deno.test("PriorityQueue is stable: each get takes the lowest priority, earliest put first", () => {
  const random = prng(7);
  for (let round = 0; round < 20; round++) {
    const queue = new PriorityQueue<Job>({ compare: byPriority });
    const reference: Job[] = []; // kept sorted by (priority, seq)
    let seq = 0;
    for (let i = 0; i < 500; i++) {
      // Interleave puts and gets so the heap is checked while it changes.
      if (random() < 0.6 || queue.empty()) {
        const job = { priority: Math.floor(random() * 5), seq: seq++ };
        queue.putNowait(job);
        reference.push(job);
        reference.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
      } else {
        assert.equal(queue.getNowait(), reference.shift());
      }
      assert.equal(queue.qsize(), reference.length);
    }
  }
});

Deno.test("PriorityQueue drains a batch in (priority, insertion) order", () => {
  const random = prng(11);
  const queue = new PriorityQueue<Job>({ compare: byPriority });
  const jobs = Array.from({ length: 1000 }, (_, seq) => ({
    priority: Math.floor(random() * 8),
    seq,
  }));
  for (const job of jobs) queue.putNowait(job);
  const out: Job[] = [];
  while (!queue.empty()) out.push(queue.getNowait());
  const expected = [...jobs].sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  assert.deepEqual(out, expected);
});

Deno.test("PriorityQueue's default order compares [priority, data] arrays like Python tuples", () => {
  const queue = new PriorityQueue<[number, string | object]>();
  const first = {};
  const second = {};
  queue.putNowait([2, "b"]);
  queue.putNowait([1, first]);
  queue.putNowait([2, "a"]);
  queue.putNowait([1, second]);
  assert.deepEqual(
    [queue.getNowait(), queue.getNowait(), queue.getNowait(), queue.getNowait()],
    [[1, first], [1, second], [2, "a"], [2, "b"]],
  );
  assert.ok(naturalOrder("a", "b") < 0);
  assert.ok(naturalOrder(2n, 1n) > 0);
  assert.ok(naturalOrder([1], [1, 0]) < 0);
});

Deno.test("PriorityQueue with maxsize: a waiting putter's item enters in priority order", async () => {
  const queue = new PriorityQueue<number>(2);
  queue.putNowait(5);
  queue.putNowait(3);
  const waiting = queue.put(1);
  assert.equal(queue.getNowait(), 3);
  await waiting;
  assert.deepEqual([queue.getNowait(), queue.getNowait()], [1, 5]);
});

Deno.test("a PriorityQueue comparator that throws fails that put and leaves the queue unchanged", async () => {
  const queue = new PriorityQueue<number>({
    compare: (a, b) => {
      if (a === 13 || b === 13) throw new Error("unlucky");
      return a - b;
    },
  });
  for (const n of [4, 2, 6, 1]) queue.putNowait(n);
  assert.throws(() => queue.putNowait(13), /unlucky/);
  await assert.rejects(queue.put(13), /unlucky/);
  assert.equal(queue.qsize(), 4);
  assert.deepEqual([1, 2, 4, 6].map(() => queue.getNowait()), [1, 2, 4, 6]);
  for (let i = 0; i < 4; i++) queue.taskDone();
  await queue.join({ timeout: 0 }); // the failed puts never counted
});

Deno.test("a waiting put whose item the comparator rejects fails; the get that made space does not", async () => {
  const queue = new PriorityQueue<number>({
    maxsize: 2,
    compare: (a, b) => {
      if (a === 13 || b === 13) throw new Error("unlucky");
      return a - b;
    },
  });
  queue.putNowait(1);
  queue.putNowait(2);
  const waiting = queue.put(13);
  assert.equal(queue.getNowait(), 1);
  await assert.rejects(waiting, /unlucky/);
  assert.equal(queue.qsize(), 1);
});

Deno.test("PriorityQueue rejects a compare that is not a function with a TypeError", () => {
  assert.throws(
    () => new PriorityQueue<number>({ compare: 3 as unknown as (a: number, b: number) => number }),
    /Cannot create PriorityQueue: 'compare' must be a function, received 3/,
  );
});
