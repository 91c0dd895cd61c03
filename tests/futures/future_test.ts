import assert from "node:assert/strict";
import { CancelledError, Future, InvalidStateError, TimeoutError } from "@tandem/tandem/futures";

Deno.test("Future moves pending → running → finished and reports each state", async () => {
  const future = new Future<number>();
  assert.equal(future.state, "pending");
  assert.equal(future.running(), false);
  assert.equal(future.done(), false);
  assert.equal(future.setRunningOrNotifyCancel(), true);
  assert.equal(future.state, "running");
  assert.equal(future.running(), true);
  future.setResult(5);
  assert.equal(future.state, "finished");
  assert.equal(future.done(), true);
  assert.equal(future.running(), false);
  assert.equal(await future.result(), 5);
  assert.equal(await future.exception(), undefined);
});

Deno.test("Future.cancel() succeeds only while pending, and again once cancelled", async () => {
  const pending = new Future<number>();
  assert.equal(pending.cancel(), true);
  assert.equal(pending.cancel(), true);
  assert.equal(pending.cancelled(), true);
  assert.equal(pending.done(), true);
  await assert.rejects(pending.result(), CancelledError);
  await assert.rejects(pending.exception(), CancelledError);
  await assert.rejects(Promise.resolve(pending), CancelledError);
  assert.equal(pending.setRunningOrNotifyCancel(), false);

  const running = new Future<number>();
  running.setRunningOrNotifyCancel();
  assert.equal(running.cancel(), false);
  assert.equal(running.state, "running");

  const finished = new Future<number>();
  finished.setResult(1);
  assert.equal(finished.cancel(), false);
  assert.equal(await finished, 1);
});

Deno.test("Future refuses to settle twice or to start twice", () => {
  const future = new Future<number>();
  future.setRunningOrNotifyCancel();
  assert.throws(() => future.setRunningOrNotifyCancel(), InvalidStateError);
  future.setResult(1);
  assert.throws(() => future.setResult(2), InvalidStateError);
  assert.throws(() => future.setException(new Error("late")), InvalidStateError);

  const cancelled = new Future<number>();
  cancelled.cancel();
  assert.throws(() => cancelled.setResult(1), /already cancelled/);
});

Deno.test("Future carries the exception to result(), exception() and await", async () => {
  const error = new RangeError("out of range");
  const future = new Future<number>();
  future.setException(error);
  await assert.rejects(future.result(), (e) => e === error);
  assert.equal(await future.exception(), error);
  await assert.rejects(Promise.resolve(future), (e) => e === error);
});

Deno.test("Future.result() waits for a later result", async () => {
  const future = new Future<string>();
  const timer = setTimeout(() => future.setResult("later"), 5);
  assert.equal(await future.result(), "later");
  clearTimeout(timer);
});

Deno.test("Future.result({ timeout }) times out without affecting the future", async () => {
  const future = new Future<number>();
  await assert.rejects(future.result({ timeout: 5 }), TimeoutError);
  await assert.rejects(future.exception({ timeout: 0 }), TimeoutError);
  assert.equal(future.state, "pending");
  future.setResult(3);
  assert.equal(await future.result({ timeout: 0 }), 3);
});

Deno.test("Future.result() with a timeout that expires as the future completes returns the result or times out, never both", async () => {
  for (let i = 0; i < 50; i++) {
    const future = new Future<number>();
    const timer = setTimeout(() => future.setResult(i), 1);
    const outcome = await future.result({ timeout: 1 }).then(
      (value) => ({ value }),
      (error) => ({ error }),
    );
    if ("value" in outcome) assert.equal(outcome.value, i);
    else assert.ok(outcome.error instanceof TimeoutError);
    clearTimeout(timer);
    assert.equal(await future, i);
  }
});

Deno.test("Future.result() rejects a negative or non-numeric timeout with a RangeError", async () => {
  const future = new Future<number>();
  await assert.rejects(future.result({ timeout: -1 }), /'timeout' must be a non-negative number/);
  await assert.rejects(
    future.result({ timeout: Number.NaN }),
    (e) => e instanceof RangeError && /received NaN/.test(e.message),
  );
});

Deno.test("Future.result({ signal }) stops waiting with the signal's reason", async () => {
  const future = new Future<number>();
  const controller = new AbortController();
  const waiting = future.result({ signal: controller.signal, timeout: 10_000 });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(waiting, /stop waiting/);
  await assert.rejects(
    future.result({ signal: AbortSignal.abort("already") }),
    (e) => e === "already",
  );
  assert.equal(future.state, "pending");
});

Deno.test("Done callbacks run in order when the future settles, and at once if it is done", () => {
  const seen: string[] = [];
  const future = new Future<number>();
  future.addDoneCallback(() => void seen.push("first"));
  future.addDoneCallback((f) => seen.push(`second:${f.state}`));
  assert.equal(seen.length, 0);
  future.setResult(1);
  assert.deepEqual(seen.slice(), ["first", "second:finished"]);
  future.addDoneCallback(() => void seen.push("late"));
  assert.deepEqual(seen, ["first", "second:finished", "late"]);
});

Deno.test("Done callbacks run on cancel too", () => {
  const states: string[] = [];
  const future = new Future<number>();
  future.addDoneCallback((f) => states.push(f.state));
  future.cancel();
  assert.deepEqual(states, ["cancelled"]);
});

Deno.test("A done callback added from a done callback runs at once", () => {
  const seen: string[] = [];
  const future = new Future<number>();
  future.addDoneCallback((f) => {
    seen.push("outer");
    f.addDoneCallback(() => seen.push("inner"));
    seen.push("after inner");
  });
  future.addDoneCallback(() => seen.push("next"));
  future.setResult(1);
  assert.deepEqual(seen, ["outer", "inner", "after inner", "next"]);
});

Deno.test("A throwing done callback is reported and breaks neither the future nor the other callbacks", async () => {
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => reported.push(args);
  try {
    const seen: string[] = [];
    const future = new Future<number>();
    future.addDoneCallback(() => {
      throw new Error("callback failed");
    });
    future.addDoneCallback(() => seen.push("still called"));
    future.setResult(7);
    assert.deepEqual(seen, ["still called"]);
    assert.equal(await future, 7);
    assert.equal(reported.length, 1);
    assert.match(String(reported[0][0]), /done callback/);
    assert.equal((reported[0][1] as Error).message, "callback failed");
  } finally {
    console.error = original;
  }
});

Deno.test("addDoneCallback() rejects a non-function with a TypeError", () => {
  const future = new Future<number>();
  assert.throws(
    // @ts-expect-error: a string is not a callback
    () => future.addDoneCallback("nope"),
    (e) =>
      e instanceof TypeError &&
      /'fn' must be a function, received "nope" \(a string\)/.test(e.message),
  );
});

Deno.test("then() chains like a promise and an unobserved failed future raises no unhandled rejection", async () => {
  const failed = new Future<number>();
  failed.setException(new Error("nobody looks"));
  const future = new Future<number>();
  future.setResult(2);
  assert.equal(await future.then((n) => n * 10), 20);
  assert.equal(await failed.then(() => "no", () => "handled"), "handled");
  assert.equal(Object.prototype.toString.call(future), "[object Future]");
});
