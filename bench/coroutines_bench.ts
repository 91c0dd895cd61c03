/**
 * Benchmarks for the coroutines module, each group against a raw-platform baseline:
 * - fan-out of 100,000 concurrent tasks: `TaskGroup` and `gather` against raw `Promise.all`;
 * - event-loop throughput (macrotask and microtask hops, and a TaskGroup whose children are
 *   labelled for the monitor) with the event-loop monitor running, against the same loop
 *   without it;
 * - how soon a 200 ms block is reported, against the loop's next timer turn after the block.
 *
 * Monitored benches run one long-lived monitor, started and stopped outside the measured part
 * (`b.start()` / `b.end()`).
 *
 * @module
 */

import {
  type BlockReport,
  type EventLoopMonitor,
  gather,
  monitorEventLoop,
  shutdownDefaultExecutor,
  TaskGroup,
  toThread,
} from "@tandem/tandem/coroutines";
import { double } from "../examples/tasks.ts";

const CHILDREN = 100_000;

async function work(i: number): Promise<number> {
  await null;
  return i;
}

Deno.bench({
  name: "Promise.all of 100,000 async calls",
  group: "fan-out 100,000 tasks",
  baseline: true,
  async fn() {
    const promises = new Array<Promise<number>>(CHILDREN);
    for (let i = 0; i < CHILDREN; i++) promises[i] = work(i);
    await Promise.all(promises);
  },
});

Deno.bench({
  name: "TaskGroup with 100,000 children",
  group: "fan-out 100,000 tasks",
  async fn() {
    await using group = new TaskGroup();
    for (let i = 0; i < CHILDREN; i++) group.create(() => work(i));
  },
});

Deno.bench({
  name: "gather of 100,000 promises",
  group: "fan-out 100,000 tasks",
  async fn() {
    const promises = new Array<Promise<number>>(CHILDREN);
    for (let i = 0; i < CHILDREN; i++) promises[i] = work(i);
    await gather(promises);
  },
});

// Event-loop throughput: the same loop without and with the monitor.

const HOPS = 20_000;

/** `HOPS` macrotask hops: each waits for a message posted to itself. */
async function macrotaskHops(): Promise<void> {
  const channel = new MessageChannel();
  try {
    for (let i = 0; i < HOPS; i++) {
      await new Promise<void>((resolve) => {
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(i);
      });
    }
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}

const MICRO_HOPS = 2_000_000;

/** `MICRO_HOPS` microtask hops. */
async function microtaskHops(): Promise<void> {
  for (let i = 0; i < MICRO_HOPS; i++) await null;
}

async function fiftyThousandChildren(): Promise<void> {
  await using group = new TaskGroup();
  for (let i = 0; i < 50_000; i++) group.create(() => work(i));
}

const N = 30;
const WARMUP = 3;

/**
 * A bench that runs `work` while one long-lived monitor runs, as it would in a program: the
 * monitor starts before the first call and is given half a second to settle (a worker that has
 * just started is still compiling and collecting, which is start-up cost, not overhead), and is
 * stopped after the last call (Deno calls a bench of this length `warmup + n` times).
 */
function benchWithMonitor(name: string, group: string, work: () => Promise<void>): void {
  let monitor: EventLoopMonitor | undefined;
  let calls = 0;
  Deno.bench({
    name,
    group,
    n: N,
    warmup: WARMUP,
    async fn(b) {
      try {
        if (monitor === undefined) {
          monitor = monitorEventLoop({ onBlock() {} });
          await monitor.ready;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        b.start();
        await work();
        b.end();
      } catch (error) {
        calls = N + WARMUP - 1;
        throw error;
      } finally {
        if (++calls === N + WARMUP) {
          await monitor?.stop();
          monitor = undefined;
          calls = 0;
        }
      }
    },
  });
}

function benchBaseline(name: string, group: string, work: () => Promise<void>): void {
  Deno.bench({ name, group, baseline: true, n: N, warmup: WARMUP, fn: work });
}

benchBaseline("20,000 macrotask hops", "event loop: macrotask hops", macrotaskHops);
benchWithMonitor("20,000 macrotask hops, monitor on", "event loop: macrotask hops", macrotaskHops);

benchBaseline("2,000,000 microtask hops", "event loop: microtask hops", microtaskHops);
benchWithMonitor(
  "2,000,000 microtask hops, monitor on",
  "event loop: microtask hops",
  microtaskHops,
);

benchBaseline(
  "TaskGroup with 50,000 children",
  "event loop: labelled TaskGroup children",
  fiftyThousandChildren,
);
benchWithMonitor(
  "TaskGroup with 50,000 children, monitor on (each child labelled)",
  "event loop: labelled TaskGroup children",
  fiftyThousandChildren,
);

// Report latency: a 200 ms block, then the loop's next timer turn (baseline) or the report.

function block(ms: number): void {
  const start = performance.now();
  while (performance.now() - start < ms) { /* spin */ }
}

Deno.bench({
  name: "200 ms block, then the next timer turn",
  group: "200 ms block until reported",
  baseline: true,
  n: 10,
  warmup: 1,
  async fn() {
    block(200);
    await new Promise((resolve) => setTimeout(resolve, 0));
  },
});

Deno.bench({
  name: "200 ms block, then its report from the monitor",
  group: "200 ms block until reported",
  n: 10,
  warmup: 1,
  async fn(b) {
    let reported: (report: BlockReport) => void = () => {};
    await using monitor = monitorEventLoop({ onBlock: (report) => reported(report) });
    await monitor.ready;
    const report = new Promise<BlockReport>((resolve) => reported = resolve);
    b.start();
    block(200);
    await report;
    b.end();
  },
});

// toThread round trip against a raw Worker that echoes one postMessage: the cost of running a
// trivial task off the event loop. Both workers are warm; they end when the bench unloads.
const ECHO = `data:application/javascript,${
  encodeURIComponent("self.onmessage = (e) => self.postMessage(e.data * 2);")
}`;
let echo: Worker | undefined;

function rawEcho(value: number): Promise<number> {
  echo ??= new Worker(ECHO, { type: "module" });
  const worker = echo;
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<number>) => resolve(event.data);
    worker.postMessage(value);
  });
}

globalThis.addEventListener("unload", () => {
  echo?.terminate();
  void shutdownDefaultExecutor();
});

Deno.bench({
  name: "raw postMessage round trip",
  group: "toThread round trip",
  baseline: true,
  async fn() {
    if (await rawEcho(21) !== 42) throw new Error("wrong echo");
  },
});

Deno.bench({
  name: "toThread(double, 21)",
  group: "toThread round trip",
  async fn() {
    if (await toThread(double, 21) !== 42) throw new Error("wrong result");
  },
});
