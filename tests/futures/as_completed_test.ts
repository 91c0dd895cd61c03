import assert from "node:assert/strict";
import { asCompleted, Future, TimeoutError } from "@tandem/tandem/futures";

function later<T>(future: Future<T>, ms: number, value: T): ReturnType<typeof setTimeout> {
  return setTimeout(() => future.setResult(value), ms);
}

Deno.test("asCompleted() yields futures in completion order, done ones first", async () => {
  const done = new Future<string>();
  done.setResult("done");
  const slow = new Future<string>();
  const fast = new Future<string>();
  later(slow, 30, "slow");
  later(fast, 5, "fast");
  const order: string[] = [];
  const indexes: number[] = [];
  for await (const { future, index } of asCompleted([slow, fast, done])) {
    assert.ok(future instanceof Future);
    assert.equal(future.done(), true);
    order.push(await future);
    indexes.push(index);
  }
  assert.deepEqual(order, ["done", "fast", "slow"]);
  assert.deepEqual(indexes, [2, 1, 0]);
});

Deno.test("asCompleted() yields a future listed twice only once", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  later(a, 1, 1);
  later(b, 2, 2);
  const seen: [Future<number>, number][] = [];
  for await (const { future, index } of asCompleted([a, b, a, a])) seen.push([future, index]);
  assert.deepEqual(seen, [[a, 0], [b, 1]]);
});

Deno.test("asCompleted() yields a future cancelled while iterating", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  later(a, 1, 1);
  const seen: string[] = [];
  for await (const { future } of asCompleted([a, b])) {
    seen.push(future.state);
    if (future === a) b.cancel();
  }
  assert.deepEqual(seen, ["finished", "cancelled"]);
});

Deno.test("asCompleted() with a timeout throws TimeoutError naming how many are unfinished", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  const c = new Future<number>();
  later(a, 1, 1);
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const { future } of asCompleted([a, b, c], { timeout: 30 })) {
        seen.push(await future);
      }
    },
    (e) => e instanceof TimeoutError && /2 \(of 3\) futures unfinished/.test(e.message),
  );
  assert.deepEqual(seen, [1]);
});

Deno.test("asCompleted() counts its timeout from the call, not from each wait", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  const timers = [later(a, 25, 1), later(b, 80, 2)];
  const start = performance.now();
  await assert.rejects(async () => {
    for await (const { future } of asCompleted([a, b], { timeout: 40 })) {
      await future;
      // Stay busy past the deadline: the next wait must not get a fresh 40 ms.
      await new Promise((r) => setTimeout(r, 20));
    }
  }, TimeoutError);
  assert.ok(performance.now() - start < 80);
  timers.forEach(clearTimeout);
});

Deno.test("asCompleted() stops with the signal's reason on abort", async () => {
  const controller = new AbortController();
  const pending = new Future<number>();
  const iteration = (async () => {
    for await (const _ of asCompleted([pending], { signal: controller.signal })) { /* none */ }
  })();
  controller.abort(new Error("aborted"));
  await assert.rejects(iteration, /aborted/);
});

Deno.test("asCompleted() of nothing ends at once, and breaking early leaves futures alone", async () => {
  for await (const _ of asCompleted([])) assert.fail("nothing to yield");
  const a = new Future<number>();
  const b = new Future<number>();
  a.setResult(1);
  for await (const { future } of asCompleted([a, b])) {
    assert.equal(future, a);
    break;
  }
  b.setResult(2);
  assert.equal(await b, 2);
  assert.throws(() => asCompleted([a], { timeout: -1 }), RangeError);
});
