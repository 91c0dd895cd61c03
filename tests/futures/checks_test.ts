// The one vocabulary of argument checks, seen from every module that uses it: a wrong type is a
// TypeError, a wrong range a RangeError, the value is quoted as given, and unknown option keys
// are refused with the known ones listed.
import assert from "node:assert/strict";
import { checkOptions, describeValue, Future, onAbort } from "@tandem/tandem/futures";
import { Queue, SharedQueue } from "@tandem/tandem/queue";
import { Barrier, Event, Lock, Semaphore } from "@tandem/tandem/threads";
import { AsyncPoolExecutor } from "@tandem/tandem/parallel";
import { sleep, TaskGroup } from "@tandem/tandem/coroutines";
import { run } from "@tandem/tandem/subprocess";

const FIVE = "5" as unknown as number;
const quoted = /received "5" \(a string\)/;

function typeErrorQuotingFive(error: unknown): boolean {
  assert.ok(error instanceof TypeError, String(error));
  assert.match(error.message, quoted);
  return true;
}

Deno.test("describeValue() never shows a string as a number", () => {
  assert.equal(describeValue("5"), '"5" (a string)');
  assert.equal(describeValue(5), "5");
  assert.equal(describeValue(undefined), "undefined");
  assert.equal(describeValue(new Map()), "an object (Map)");
  assert.equal(describeValue(function named() {}), "function named");
});

Deno.test("a string timeout is a TypeError quoting it, in every module", async () => {
  await assert.rejects(new Queue().get({ timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(new SharedQueue().getAsync({ timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(new Lock().acquireAsync({ timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(new Future().result({ timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(new Event().waitAsync({ timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(new Barrier(2).waitAsync({ timeout: FIVE }), typeErrorQuotingFive);
  assert.throws(() => new Barrier(2, { timeout: FIVE }), typeErrorQuotingFive);
  await assert.rejects(run(["true"], { timeout: FIVE }), typeErrorQuotingFive);
  assert.throws(() => sleep(FIVE), typeErrorQuotingFive);
});

Deno.test("a negative timeout is a RangeError, in every module", async () => {
  await assert.rejects(new Queue().get({ timeout: -1 }), RangeError);
  await assert.rejects(new SharedQueue().getAsync({ timeout: -1 }), RangeError);
  await assert.rejects(new Lock().acquireAsync({ timeout: -1 }), RangeError);
  await assert.rejects(new Future().result({ timeout: -1 }), RangeError);
  await assert.rejects(run(["true"], { timeout: -1 }), RangeError);
});

Deno.test("a string count is a TypeError quoting it; a count out of range a RangeError", () => {
  assert.throws(() => new Semaphore("2" as unknown as number), {
    name: "TypeError",
    message: /^Cannot create Semaphore: 'value' must be .*, received "2" \(a string\)$/,
  });
  assert.throws(() => new Barrier("2" as unknown as number), {
    name: "TypeError",
    message: /^Cannot create Barrier: 'parties' must be .*, received "2" \(a string\)$/,
  });
  assert.throws(() => new Queue("2" as unknown as number), TypeError);
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Queue(1.5), RangeError);
});

Deno.test("unknown option keys are refused everywhere, listing the known ones", async () => {
  const block = { block: false } as unknown as { timeout: number };
  await assert.rejects(new Queue().get(block), {
    name: "TypeError",
    message: "Cannot get from the Queue: 'options' has no field 'block' (known fields: timeout, " +
      "signal)",
  });
  await assert.rejects(new SharedQueue().getAsync(block), /has no field 'block'/);
  await assert.rejects(new Future().result(block), /has no field 'block'/);
  assert.throws(
    () => new AsyncPoolExecutor({ max_workers: 2 } as unknown as { maxWorkers: number }),
    /'options' has no field 'max_workers' \(known fields: maxWorkers\)/,
  );
  assert.throws(
    () => new Queue({ maxSize: 2 } as unknown as { maxsize: number }),
    /'options' has no field 'maxSize' \(known fields: maxsize\)/,
  );
  assert.throws(
    () => new TaskGroup({ timeout: 5 } as unknown as { name: string }),
    /'options' has no field 'timeout' \(known fields: signal, name\)/,
  );
  await assert.rejects(
    run(["true"], { capture_output: true } as unknown as { capture: boolean }),
    /'options' has no field 'capture_output'/,
  );
  assert.deepEqual(checkOptions<{ a?: number }>("x", { a: 1 }, ["a"]), { a: 1 });
});

Deno.test("onAbort() returns its cleanup, and does nothing for an absent or aborted signal", () => {
  let calls = 0;
  const controller = new AbortController();
  const stop = onAbort(controller.signal, () => calls++);
  stop();
  controller.abort("late");
  onAbort(undefined, () => calls++)();
  onAbort(AbortSignal.abort("already"), () => calls++)();
  assert.equal(calls, 0);
  const reasons: unknown[] = [];
  const again = new AbortController();
  onAbort(again.signal, (reason) => reasons.push(reason));
  again.abort("now");
  assert.deepEqual(reasons, ["now"]);
});
