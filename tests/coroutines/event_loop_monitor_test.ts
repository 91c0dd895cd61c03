import assert from "node:assert/strict";
import {
  type BlockReport,
  EventLoopMonitor,
  monitorEventLoop,
  sleep,
  TaskGroup,
  track,
} from "@tandem/tandem/coroutines";

/** Blocks the event loop for `ms` milliseconds; returns when the block started and ended. */
function block(ms: number): { start: number; end: number } {
  const start = performance.now();
  while (performance.now() - start < ms) { /* spin */ }
  return { start, end: performance.now() };
}

/** The report that covers the block (a loaded machine may add unrelated ones). */
function reportFor(reports: BlockReport[], span: { start: number; end: number }): BlockReport {
  const found = reports.find((r) => r.start <= span.start && r.end >= span.end);
  assert.ok(found, `no report covers the block; got ${JSON.stringify(reports)}`);
  return found;
}

Deno.test("the monitor reports a 200 ms block with a duration close to it", async () => {
  const reports: BlockReport[] = [];
  let span: { start: number; end: number };
  {
    await using monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
    await monitor.ready;
    span = block(200);
    await sleep(5);
    assert.ok(monitor.blocks >= 1);
  }
  const report = reportFor(reports, span);
  assert.ok(report.duration >= 200, `duration ${report.duration}`);
  assert.ok(report.duration < 400, `duration ${report.duration}`);
  assert.equal(report.label, undefined);
  assert.match(report.message, /^Executing <untracked code> took 0\.[23]\d\d seconds$/);
});

Deno.test("the monitor stays quiet while the loop is busy but yields between short tasks", async () => {
  const reports: BlockReport[] = [];
  {
    await using monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
    await monitor.ready;
    const start = performance.now();
    let tasks = 0;
    while (performance.now() - start < 500) {
      block(5);
      tasks++;
      await sleep(0);
    }
    assert.ok(tasks > 20);
  }
  assert.deepEqual(reports, []);
});

Deno.test("a block inside track() is reported under its name, and nested names are restored", async () => {
  const reports: BlockReport[] = [];
  let span: { start: number; end: number } | undefined;
  {
    await using monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
    await monitor.ready;
    track("outer", () => {
      track("inner", () => {});
      span = block(200);
    });
    await sleep(5);
  }
  const report = reportFor(reports, span!);
  assert.equal(report.label, "outer");
  assert.match(report.message, /^Executing <Task name='outer'> took 0\.\d{3} seconds$/);
});

Deno.test("a block in a TaskGroup child is reported under the child's name", async () => {
  const reports: BlockReport[] = [];
  let span: { start: number; end: number } | undefined;
  {
    await using monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
    await monitor.ready;
    await using group = new TaskGroup();
    group.create(() => {
      span = block(200);
    }, { name: "slow_coroutine" });
    await sleep(5);
  }
  assert.equal(reportFor(reports, span!).label, "slow_coroutine");
});

Deno.test("a block in an unnamed TaskGroup child is reported as Task-<n>", async () => {
  const reports: BlockReport[] = [];
  let span: { start: number; end: number } | undefined;
  {
    await using monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
    await monitor.ready;
    await using group = new TaskGroup();
    group.create(() => {
      span = block(150);
    });
    await sleep(5);
  }
  assert.match(reportFor(reports, span!).label ?? "", /^Task-\d+$/);
});

Deno.test("a block that ends just before stop() is still reported", async () => {
  const reports: BlockReport[] = [];
  const monitor = monitorEventLoop({ threshold: 100, onBlock: (r) => reports.push(r) });
  await monitor.ready;
  const span = block(150);
  await monitor.stop();
  assert.ok(reportFor(reports, span).duration >= 150);
});

Deno.test("stop() ends the watchdog and its worker, and can be called twice", async () => {
  const monitor = new EventLoopMonitor();
  assert.equal(monitor.running, true);
  await monitor.ready;
  const stopping = monitor.stop();
  assert.equal(monitor.stop(), stopping);
  await stopping;
  assert.equal(monitor.running, false);
  // The preload fails this test if the worker is still running, the sanitizer if the timer is.
});

Deno.test("a monitor stopped before its watchdog has started stops cleanly", async () => {
  const monitor = monitorEventLoop();
  await monitor.stop();
  await monitor.ready; // resolves rather than hanging
});

Deno.test("an onBlock callback that throws is logged and the monitor keeps going", async () => {
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  let calls = 0;
  try {
    await using monitor = monitorEventLoop({
      threshold: 50,
      onBlock: () => {
        calls++;
        throw new Error("bad callback");
      },
    });
    await monitor.ready;
    block(80);
    await sleep(5);
    block(80);
    await sleep(5);
  } finally {
    console.error = original;
  }
  assert.ok(calls >= 2);
  assert.ok(logged.length >= 2);
});

Deno.test("monitorEventLoop() rejects bad options with errors naming the option", () => {
  assert.throws(
    () => monitorEventLoop({ threshold: 0 }),
    /Cannot monitor the event loop: 'threshold' must be a positive number of milliseconds, received 0/,
  );
  assert.throws(() => monitorEventLoop({ interval: -1 }), /'interval' must be a positive number/);
  assert.throws(
    () => monitorEventLoop({ threshold: 10, interval: 10 }),
    /'interval' must be below 'threshold' \(10 ms\), received 10/,
  );
  const notAFunction = 1 as unknown as () => void;
  assert.throws(() => monitorEventLoop({ onBlock: notAFunction }), /'onBlock' must be a function/);
  assert.throws(() => track(notAFunction as unknown as string, () => 1), /'name' must be a string/);
});

Deno.test("track() is a plain call while no monitor runs", () => {
  assert.equal(track("idle", () => 42), 42);
  assert.throws(() =>
    track("throws", () => {
      throw new RangeError("passes through");
    }), RangeError);
});
