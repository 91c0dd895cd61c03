import assert from "node:assert/strict";
import { sleep } from "@tandem/tandem/coroutines";

Deno.test("sleep() resolves after at least the delay", async () => {
  const start = performance.now();
  await sleep(20);
  // Timers never fire early (allow a millisecond of clock rounding).
  assert.ok(performance.now() - start >= 19);
  assert.equal(await sleep(0), undefined);
});

Deno.test("an aborted sleep() rejects with the signal's reason and clears its timer", async () => {
  const controller = new AbortController();
  const reason = new Error("wake up");
  const nap = sleep(60_000, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(nap, (error) => error === reason);
  // Ending the test now: a timer left behind would fail the op sanitizer.
});

Deno.test("sleep() with an already-aborted signal rejects at once", async () => {
  await assert.rejects(sleep(60_000, { signal: AbortSignal.abort(new Error("no")) }), /no/);
});

/** A signal that counts its abort listeners. */
function countedSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    count++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    count--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => count };
}

Deno.test("a finished sleep() stops listening to its signal", async () => {
  const { controller, listeners } = countedSignal();
  const nap = sleep(1, { signal: controller.signal });
  assert.equal(listeners(), 1);
  await nap;
  assert.equal(listeners(), 0);
  controller.abort(); // nothing is listening any more: no late rejection
});

Deno.test("sleep() rejects bad arguments with errors naming the parameter", () => {
  assert.throws(() => sleep(-1), /Cannot sleep: 'delay' must be between 0 and 2147483647/);
  assert.throws(() => sleep(Infinity), RangeError);
  const notANumber = "1" as unknown as number;
  assert.throws(() => sleep(notANumber), TypeError);
  const notASignal = {} as AbortSignal;
  assert.throws(() => sleep(1, { signal: notASignal }), /'signal' must be an AbortSignal/);
});
