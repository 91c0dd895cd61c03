import assert from "node:assert/strict";
import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type ReturnWhen,
  wait,
} from "@tandem/tandem/futures";

function settleLater<T>(
  future: Future<T>,
  ms: number,
  fn: (f: Future<T>) => void,
): ReturnType<typeof setTimeout> {
  return setTimeout(() => fn(future), ms);
}

Deno.test("wait() with ALL_COMPLETED returns when every future is done", async () => {
  const futures = [new Future<number>(), new Future<number>(), new Future<number>()];
  futures.forEach((f, i) => settleLater(f, i * 5, (g) => g.setResult(i)));
  const { done, notDone } = await wait(futures);
  assert.equal(done.size, 3);
  assert.equal(notDone.size, 0);
});

Deno.test("wait() with FIRST_COMPLETED returns as soon as one is done", async () => {
  const fast = new Future<number>();
  const slow = new Future<number>();
  settleLater(fast, 1, (f) => f.setResult(1));
  const { done, notDone } = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
  assert.deepEqual([...done], [fast]);
  assert.deepEqual([...notDone], [slow]);
});

Deno.test("wait() with FIRST_EXCEPTION returns on the first failure, not on successes or cancels", async () => {
  const ok = new Future<number>();
  const cancelled = new Future<number>();
  const failing = new Future<number>();
  const never = new Future<number>();
  settleLater(ok, 1, (f) => f.setResult(1));
  settleLater(cancelled, 2, (f) => f.cancel());
  settleLater(failing, 15, (f) => f.setException(new Error("x")));
  const { done, notDone } = await wait([ok, cancelled, failing, never], {
    returnWhen: FIRST_EXCEPTION,
  });
  assert.deepEqual(new Set(done), new Set([ok, cancelled, failing]));
  assert.deepEqual([...notDone], [never]);
});

Deno.test("wait() with FIRST_EXCEPTION behaves like ALL_COMPLETED when nothing fails", async () => {
  const futures = [new Future<number>(), new Future<number>()];
  futures.forEach((f, i) => settleLater(f, i * 5, (g) => g.setResult(i)));
  const { done } = await wait(futures, { returnWhen: FIRST_EXCEPTION });
  assert.equal(done.size, 2);
});

Deno.test("wait() returns at once when the condition already holds", async () => {
  const failed = new Future<number>();
  failed.setException(new Error("x"));
  const pending = new Future<number>();
  for (const returnWhen of [FIRST_COMPLETED, FIRST_EXCEPTION] as ReturnWhen[]) {
    const { done, notDone } = await wait([failed, pending], { returnWhen });
    assert.deepEqual([...done], [failed]);
    assert.deepEqual([...notDone], [pending]);
  }
  const empty = await wait([]);
  assert.equal(empty.done.size + empty.notDone.size, 0);
});

Deno.test("wait() with a timeout returns what is done, without an error", async () => {
  const fast = new Future<number>();
  const never = new Future<number>();
  settleLater(fast, 1, (f) => f.setResult(1));
  const { done, notDone } = await wait([fast, never], { timeout: 30, returnWhen: ALL_COMPLETED });
  assert.deepEqual([...done], [fast]);
  assert.deepEqual([...notDone], [never]);
});

Deno.test("wait() counts duplicates once and validates its options", async () => {
  const a = new Future<number>();
  a.setResult(1);
  const { done } = await wait([a, a]);
  assert.equal(done.size, 1);
  await assert.rejects(wait([a], { timeout: -1 }), RangeError);
  await assert.rejects(
    // @ts-expect-error: not a ReturnWhen
    wait([a], { returnWhen: "SOMETIMES" }),
    (e) =>
      e instanceof RangeError && /'returnWhen'.*received "SOMETIMES" \(a string\)/.test(e.message),
  );
});

Deno.test("wait() stops with the signal's reason on abort", async () => {
  const controller = new AbortController();
  const waiting = wait([new Future<number>()], { signal: controller.signal });
  controller.abort(new Error("give up"));
  await assert.rejects(waiting, /give up/);
});
