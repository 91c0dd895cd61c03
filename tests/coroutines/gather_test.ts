import assert from "node:assert/strict";
import { gather, sleep } from "@tandem/tandem/coroutines";

Deno.test("gather() returns results in the order given, not the order they finish", async () => {
  const results = await gather([
    sleep(6).then(() => "slow"),
    (signal: AbortSignal) => sleep(1, { signal }).then(() => 2),
    "plain",
    () => true,
  ]);
  assert.deepEqual(results, ["slow", 2, "plain", true]);
  const typed: [string, number, string, boolean] = results;
  assert.equal(typed.length, 4);
});

Deno.test("gather() of nothing resolves to an empty array", async () => {
  assert.deepEqual(await gather([]), []);
});

Deno.test("gather() rejects with the first failure and leaves the others running", async () => {
  const first = new Error("first");
  let slowFinished = false;
  let slowSignal: AbortSignal | undefined;
  const late = Promise.withResolvers<never>();
  await assert.rejects(
    gather([
      async (signal: AbortSignal) => {
        slowSignal = signal;
        await sleep(5);
        slowFinished = true;
      },
      Promise.reject(first),
      late.promise,
    ]),
    (error) => error === first,
  );
  late.reject(new Error("later failure")); // handled by gather: no unhandled rejection
  await sleep(10);
  assert.equal(slowFinished, true);
  assert.equal(slowSignal?.aborted, false);
});

Deno.test("gather() with returnExceptions puts each failure in its place", async () => {
  const bad = new RangeError("bad");
  const results = await gather([
    Promise.resolve(1),
    () => {
      throw bad;
    },
    async () => {
      await sleep(1);
      return 3;
    },
  ], { returnExceptions: true });
  assert.deepEqual(results, [1, bad, 3]);
});

Deno.test("aborting gather() fires the functions' signal and waits for them to settle", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const events: string[] = [];
  const never = new Promise<never>(() => {});
  const pending = gather([
    async (signal: AbortSignal) => {
      try {
        await sleep(10_000, { signal });
      } finally {
        await sleep(2);
        events.push("cleaned up");
      }
    },
    never, // a promise cannot be cancelled, and is not waited for
  ], { signal: controller.signal });
  await sleep(1);
  controller.abort(reason);
  await assert.rejects(pending, (error) => {
    events.push("rejected");
    return error === reason;
  });
  assert.deepEqual(events, ["cleaned up", "rejected"]);
});

Deno.test("gather() with an aborted signal calls nothing and rejects with its reason", async () => {
  const controller = new AbortController();
  controller.abort(new Error("already"));
  let called = false;
  await assert.rejects(
    gather([() => (called = true)], { signal: controller.signal }),
    /already/,
  );
  assert.equal(called, false);
});

Deno.test("gather() rejects bad arguments with errors naming the parameter", () => {
  const notIterable = 42 as unknown as unknown[];
  assert.throws(() => gather(notIterable), /Cannot gather: 'items' must be an array/);
  const notASignal = "x" as unknown as AbortSignal;
  assert.throws(() => gather([], { signal: notASignal }), /'signal' must be an AbortSignal/);
});
