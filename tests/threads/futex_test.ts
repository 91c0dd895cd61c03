import assert from "node:assert/strict";
import {
  assertCanBlock,
  canBlock,
  deadlineOf,
  holdEventLoop,
  sleepOn,
  Thread,
  TIMED_OUT,
  waitUntil,
  waitUntilAsync,
  waitWord,
  waitWordAsync,
} from "@tandem/tandem/threads";
import { reportCanBlock, waitWhileWord } from "./_tasks.ts";

function words(count = 1): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(4 * count));
}

function setWord(cells: Int32Array<SharedArrayBuffer>, index: number, value: number): void {
  Atomics.store(cells, index, value);
  Atomics.notify(cells, index);
}

/** An async wait loop as the docs show it: the word's value once it differs, null on timeout. */
async function waitWhileAsync(
  cells: Int32Array<SharedArrayBuffer>,
  expected: number,
  timeout?: number,
  signal?: AbortSignal,
): Promise<number | null> {
  const deadline = deadlineOf(timeout);
  using _held = holdEventLoop();
  for (;;) {
    const value = Atomics.load(cells, 0);
    if (value !== expected) return value;
    if (!(await waitWordAsync(cells, 0, expected, deadline, signal))) return null;
  }
}

Deno.test("canBlock is false on the main thread and true in a worker", async () => {
  assert.equal(canBlock, false);
  const thread = new Thread(reportCanBlock);
  thread.start();
  assert.equal(await thread.join(), true);
});

Deno.test("assertCanBlock() throws on the main thread, naming the async form", () => {
  assert.throws(() => assertCanBlock("wait on a word", "'await waitWordAsync()'"), {
    name: "Error",
    message: /^Cannot wait on a word on the main thread: .*Use 'await waitWordAsync\(\)' there/,
  });
});

Deno.test("waitWord() in a worker wakes when another isolate changes the word", async () => {
  const cells = words();
  const thread = new Thread(waitWhileWord, cells, 0, 0, 10_000);
  thread.start();
  const timer = setTimeout(() => setWord(cells, 0, 7), 20);
  try {
    assert.equal(await thread.join(), 7);
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("waitWord() in a worker gives up at its deadline when nothing changes", async () => {
  const cells = words();
  const thread = new Thread(waitWhileWord, cells, 0, 0, 30);
  thread.start();
  assert.equal(await thread.join(), null);
  assert.equal(Atomics.load(cells, 0), 0);
});

Deno.test("waitWord() returns false without sleeping once the deadline has passed", () => {
  const cells = words();
  assert.equal(waitWord(cells, 0, 0, deadlineOf(0)), false);
  assert.equal(waitWord(cells, 0, 0, performance.now() - 1), false);
});

Deno.test("waitWordAsync() is woken by a notify and sees the new value", async () => {
  const cells = words();
  const timer = setTimeout(() => setWord(cells, 0, 9), 20);
  try {
    assert.equal(await waitWhileAsync(cells, 0, 10_000), 9);
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("waitWordAsync() returns true at once when the word already differs", () => {
  const cells = words();
  assert.equal(waitWordAsync(cells, 0, 1, deadlineOf(1000)), true);
});

Deno.test("waitWordAsync() resolves false once its deadline has passed", async () => {
  const cells = words();
  assert.equal(await waitWhileAsync(cells, 0, 30), null);
  assert.equal(waitWordAsync(cells, 0, 0, deadlineOf(0)), false);
});

Deno.test("waitWordAsync() rejects with signal.reason on abort", async (t) => {
  await t.step("while it waits", async () => {
    const cells = words();
    const controller = new AbortController();
    const reason = new Error("stop waiting");
    const waiting = waitWhileAsync(cells, 0, 10_000, controller.signal);
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(waiting, (error) => error === reason);
    // The abandoned Atomics.waitAsync ends within one slice; let it, for the op sanitizer.
    await new Promise((resolve) => setTimeout(resolve, 60));
  });
  await t.step("when already aborted, without waiting", () => {
    const cells = words();
    const reason = new Error("already stopped");
    assert.throws(
      () => waitWordAsync(cells, 0, 0, deadlineOf(10_000), AbortSignal.abort(reason)),
      (error) => error === reason,
    );
  });
});

Deno.test("deadlineOf() is Infinity without a timeout, else now plus the timeout", () => {
  assert.equal(deadlineOf(undefined), Infinity);
  assert.equal(deadlineOf(Infinity), Infinity);
  const before = performance.now();
  const deadline = deadlineOf(100);
  assert.ok(deadline >= before + 100 && deadline <= performance.now() + 100);
});

Deno.test("the wait kernel drives one step both ways: blocking and async give the same answers", async () => {
  const cells = words();
  const seen: number[] = [];
  const step = () => {
    const value = Atomics.load(cells, 0);
    seen.push(value);
    return value >= 2 ? value : sleepOn(cells, 0, value);
  };
  assert.equal(waitUntil(step, deadlineOf(0)), TIMED_OUT);
  assert.equal(await waitUntilAsync(step, deadlineOf(20)), TIMED_OUT);
  const timer = setTimeout(() => setWord(cells, 0, 1), 5);
  const later = setTimeout(() => setWord(cells, 0, 2), 30);
  assert.equal(await waitUntilAsync(step, deadlineOf(10_000)), 2);
  assert.equal(waitUntil(step, deadlineOf(0)), 2);
  clearTimeout(timer);
  clearTimeout(later);
  assert.ok(seen.includes(1), "the step ran again after the first change");
  const controller = new AbortController();
  Atomics.store(cells, 0, 0);
  const pending = waitUntilAsync(step, deadlineOf(undefined), controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
});

Deno.test("holdEventLoop() is a Disposable: disposing twice releases once", () => {
  const first = holdEventLoop();
  const second = holdEventLoop();
  first[Symbol.dispose]();
  first[Symbol.dispose]();
  second[Symbol.dispose](); // the sanitizer would report the timer if the count were off
});
