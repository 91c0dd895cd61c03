import assert from "node:assert/strict";
import { currentIsolateId, isIsolateAlive, TimeoutError } from "@tandem/tandem/futures";
import { Thread } from "@tandem/tandem/threads";
import { double, sleepThen } from "../../examples/tasks.ts";
import { throwTypeError, waitForever, whoAmI } from "./_tasks.ts";

Deno.test("Thread.join() resolves with the task's return value", async () => {
  const thread = new Thread(double, 21);
  assert.equal(thread.isAlive(), false);
  assert.equal(thread.ident, undefined);
  thread.start();
  assert.equal(thread.isAlive(), true);
  assert.equal(await thread.join(), 42);
  assert.equal(thread.isAlive(), false);
  assert.equal(await thread.join(), 42, "joining again gives the same result");
  assert.equal(await thread, 42, "a thread is awaitable");
});

Deno.test("Thread runs in its own isolate, which ends with the task", async () => {
  const thread = new Thread(whoAmI);
  thread.start();
  const id = await thread.join();
  assert.equal(id, thread.ident);
  assert.notEqual(id, currentIsolateId());
  assert.equal(isIsolateAlive(id), false, "the worker was terminated when the task ended");
});

Deno.test("Thread.join() rejects with the exception thrown in the thread", async () => {
  const thread = new Thread(throwTypeError, "bad value");
  thread.start();
  await assert.rejects(thread.join(), (error) => {
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, "bad value");
    assert.match(error.stack ?? "", /throwTypeError/);
    assert.equal((error.cause as Error).name, "RangeError");
    return true;
  });
  assert.equal(thread.isAlive(), false);
});

Deno.test("Thread.join({ timeout }) rejects with TimeoutError and the thread keeps running", async () => {
  await using thread = new Thread(sleepThen, 100, "late");
  thread.start();
  await assert.rejects(thread.join({ timeout: 10 }), (e) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /Thread-\d+ \(sleepThen\): it is still running/);
    return true;
  });
  assert.equal(thread.isAlive(), true);
  assert.equal(await thread.join({ timeout: 10_000 }), "late");
  const controller = new AbortController();
  controller.abort(new Error("stop waiting"));
  await assert.rejects(thread.join({ signal: controller.signal }), /stop waiting/);
});

Deno.test("Thread refuses a second start, a join before start, and a non-task", async () => {
  const thread = new Thread(double, 1);
  await assert.rejects(thread.join(), /Cannot join Thread-\d+ \(double\) before it is started/);
  thread.start();
  assert.throws(() => thread.start(), /threads can only be started once/);
  await thread.join();
  // @ts-expect-error: a plain function is not a task
  assert.throws(() => new Thread((n: number) => n), /Cannot create Thread: 'task' must be a task/);
  await assert.rejects(thread.join({ timeout: -1 }), RangeError);
});

Deno.test("Thread has Python's default name, and takes a name before start", async () => {
  const thread = new Thread(double, 2);
  assert.match(thread.name, /^Thread-\d+ \(double\)$/);
  thread.name = "doubler";
  thread.start();
  assert.equal(await thread.join(), 4);
  assert.equal(thread.name, "doubler");
});

Deno.test("Thread disposal terminates a running thread; its join then rejects", async () => {
  let ident: number | undefined;
  {
    await using thread = new Thread(waitForever);
    thread.start();
    ident = thread.ident;
    assert.equal(isIsolateAlive(ident!), true);
  }
  assert.equal(isIsolateAlive(ident!), false);
  const thread = new Thread(waitForever);
  thread.start();
  await thread[Symbol.asyncDispose]();
  assert.equal(thread.isAlive(), false);
  await assert.rejects(thread.join(), { name: "BrokenExecutorError" });
  // Disposing a finished or never-started thread does nothing.
  await thread[Symbol.asyncDispose]();
  await new Thread(double, 1)[Symbol.asyncDispose]();
});

Deno.test("An unjoined thread that fails neither leaks nor reports an unhandled rejection", async () => {
  const thread = new Thread(throwTypeError, "nobody listens");
  thread.start();
  while (thread.isAlive()) await new Promise((resolve) => setTimeout(resolve, 5));
  // The preload checks that its worker was terminated; the error waits for a join.
  await assert.rejects(thread.join(), /nobody listens/);
});
