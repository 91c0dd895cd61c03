import assert from "node:assert/strict";
import { sleep, timeout, TimeoutScope, waitFor } from "@tandem/tandem/coroutines";
import { Future, InvalidStateError, TimeoutError } from "@tandem/tandem/futures";

/** Waits until `signal` fires, then rejects with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** A promise that resolves with `value` from a timer of `ms`, created now. */
function later<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

Deno.test("waitFor() returns the result of work that finishes in time", async () => {
  assert.equal(await waitFor(later(1, "fast"), 1_000), "fast");
  assert.equal(await waitFor(async (signal) => (await sleep(1, { signal }), 7), 1_000), 7);
  assert.equal(await waitFor(later(1, "no limit"), Infinity), "no limit");
});

Deno.test("waitFor() aborts a function at the deadline and waits for its cleanup", async () => {
  const events: string[] = [];
  await assert.rejects(
    waitFor(async (signal) => {
      try {
        await untilAborted(signal);
      } finally {
        await sleep(2);
        events.push("cleaned up");
      }
    }, 5),
    (error) => {
      events.push("timed out");
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /^Cannot finish within the timeout: timed out after \d+ ms$/);
      return true;
    },
  );
  assert.deepEqual(events, ["cleaned up", "timed out"]);
});

Deno.test("waitFor() exactly at expiry: the timer created first wins", async () => {
  // The work's timer is created before waitFor's deadline timer: the work wins.
  const first = later(10, "work");
  assert.equal(await waitFor(first, 10), "work");
  // The deadline timer is created before the work's timer: the deadline wins.
  const gate = Promise.withResolvers<string>();
  const racing = waitFor(gate.promise, 10);
  setTimeout(() => gate.resolve("too late"), 10);
  await assert.rejects(racing, TimeoutError);
});

Deno.test("waitFor() with timeout 0 returns an already-resolved promise, like Python's done future", async () => {
  assert.equal(await waitFor(Promise.resolve("done"), 0), "done");
  await assert.rejects(waitFor(new Promise(() => {}), 0), TimeoutError);
});

Deno.test("waitFor() returns the result of a function that finishes despite the abort, as Python does", async () => {
  const value = await waitFor(async () => {
    await sleep(10); // ignores its signal
    return "finished anyway";
  }, 1);
  assert.equal(value, "finished anyway");
});

Deno.test("waitFor() passes on a different error raised after the deadline", async () => {
  await assert.rejects(
    waitFor(async (signal) => {
      await untilAborted(signal).catch(() => {});
      throw new RangeError("cleanup failed");
    }, 1),
    RangeError,
  );
});

Deno.test("waitFor() cancels a pending Future at the deadline", async () => {
  const future = new Future<number>();
  await assert.rejects(waitFor(future, 1), TimeoutError);
  assert.equal(future.cancelled(), true);
});

Deno.test("waitFor() leaves a promise running and handles its later rejection", async () => {
  const gate = Promise.withResolvers<never>();
  await assert.rejects(waitFor(gate.promise, 1), TimeoutError);
  gate.reject(new Error("after the deadline")); // must not be an unhandled rejection
  await sleep(1);
});

Deno.test("waitFor() rejects with the signal's reason when aborted", async () => {
  const controller = new AbortController();
  const reason = new Error("cancelled by caller");
  let workSignal: AbortSignal | undefined;
  const pending = waitFor(
    (signal) => {
      workSignal = signal;
      return untilAborted(signal);
    },
    10_000,
    { signal: controller.signal },
  );
  const promiseWait = waitFor(new Promise(() => {}), 10_000, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  await assert.rejects(promiseWait, (error) => error === reason);
  assert.equal(workSignal?.reason, reason);
  await assert.rejects(waitFor(Promise.resolve(1), 10, { signal: controller.signal }), /cancelled/);
});

Deno.test("waitFor() rejects bad arguments with errors naming the parameter", () => {
  assert.throws(
    () => waitFor(Promise.resolve(1), -1),
    /Cannot waitFor: 'timeout' must be between 0/,
  );
  assert.throws(() => waitFor(Promise.resolve(1), NaN), {
    name: "RangeError",
    message: /received NaN/,
  });
  assert.throws(
    () => waitFor(Promise.resolve(1), "5" as unknown as number),
    {
      name: "TypeError",
      message: /'timeout' must be a number of milliseconds, received "5" \(a string\)/,
    },
  );
  const notWork = 5 as unknown as Promise<number>;
  assert.throws(() => waitFor(notWork, 1), /'work' must be a promise or a function/);
});

Deno.test("a timeout scope's signal fires with a TimeoutError at the deadline", async () => {
  using scope = timeout(5);
  assert.equal(scope.expired, false);
  assert.ok(scope.deadline > performance.now());
  await assert.rejects(untilAborted(scope.signal), TimeoutError);
  assert.equal(scope.expired, true);
});

Deno.test("a timeout scope can be rescheduled before it expires, and not after", async () => {
  const scope = new TimeoutScope(5);
  scope.reschedule(Infinity);
  assert.equal(scope.deadline, Infinity);
  await sleep(15);
  assert.equal(scope.expired, false);
  scope.reschedule(1);
  await assert.rejects(untilAborted(scope.signal), TimeoutError);
  assert.equal(scope.expired, true);
  assert.throws(() => scope.reschedule(100), (error) => {
    assert.ok(error instanceof InvalidStateError);
    assert.equal(error.message, "Cannot reschedule a timeout that has expired");
    return true;
  });
  scope[Symbol.dispose]();
  scope[Symbol.dispose]();
});

Deno.test("rescheduling a timeout scope moves its deadline later", async () => {
  using scope = timeout(5);
  scope.reschedule(30);
  await sleep(15);
  assert.equal(scope.expired, false);
  await assert.rejects(untilAborted(scope.signal), TimeoutError);
  assert.equal(scope.expired, true);
});

Deno.test("a disposed timeout scope clears its timer and refuses to reschedule", () => {
  const scope = timeout(60_000); // a leaked timer would fail the op sanitizer
  scope[Symbol.dispose]();
  assert.equal(scope.signal.aborted, false);
  assert.throws(() => scope.reschedule(1), /has disposed/);
});

Deno.test("a timeout scope follows its parent signal, without counting as expired", () => {
  const parent = new AbortController();
  using scope = timeout(60_000, { signal: parent.signal });
  parent.abort(new Error("parent"));
  assert.equal(scope.signal.reason.message, "parent");
  assert.equal(scope.expired, false);
  assert.throws(() => scope.reschedule(1), /has cancelled/);
  const aborted = AbortSignal.abort(new Error("early"));
  using early = timeout(60_000, { signal: aborted });
  assert.equal(early.signal.reason.message, "early");
});

Deno.test("timeout(delay, fn) runs fn under the deadline and follows Python's outcome rules", async () => {
  assert.equal(await timeout(1_000, () => "quick"), "quick");
  await assert.rejects(timeout(1, (signal) => untilAborted(signal)), TimeoutError);
  assert.equal(await timeout(1, () => later(10, "ignored the signal")), "ignored the signal");
  await assert.rejects(
    timeout(1_000, () => {
      throw new RangeError("sync");
    }),
    RangeError,
  );
});

Deno.test("timeout() rejects bad arguments with errors naming the parameter", () => {
  assert.throws(() => timeout(-5), /Cannot create a timeout: 'delay' must be between 0/);
  const notADelay = "5" as unknown as number;
  assert.throws(() => timeout(notADelay), /'delay' must be a number of milliseconds/);
  const notAFunction = 3 as unknown as () => void;
  assert.throws(() => timeout(5, notAFunction), /'fn' must be a function/);
  using scope = timeout(5);
  assert.throws(() => scope.reschedule(-1), RangeError);
});
