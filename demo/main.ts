/**
 * The demo runner: `deno task demo` runs every item's demo in book order, `deno task demo 55`
 * runs one (`deno task demo 64 --nats`: item 64 on NATS), `deno task demo --list` lists them.
 * The same entry is what `deno task compile` turns into a single binary.
 *
 * @module
 */

interface Demo {
  title: string;
  load: () => Promise<{ main(): Promise<void> }>;
}

// Literal dynamic imports: each demo loads only when it runs, and `deno compile` still finds
// every file.
const DEMOS: Record<string, Demo> = {
  "52": {
    title: "Use subprocess to Manage Child Processes",
    load: () => import("./item52_subprocess.ts"),
  },
  "53": {
    title: "Use Threads for Blocking I/O, Avoid for Parallelism",
    load: () => import("./item53_blocking_io.ts"),
  },
  "54": {
    title: "Use Lock to Prevent Data Races in Threads",
    load: () => import("./item54_locks.ts"),
  },
  "55": {
    title: "Use Queue to Coordinate Work Between Threads",
    load: () => import("./item55_queue_pipeline.ts"),
  },
  "56": {
    title: "Know How to Recognize When Concurrency Is Necessary",
    load: () => import("./item56_fan_out_in.ts"),
  },
  "57": {
    title: "Avoid Creating New Thread Instances for On-demand Fan-out",
    load: () => import("./item57_thread_fanout.ts"),
  },
  "58": {
    title: "Understand How Using Queue for Concurrency Requires Refactoring",
    load: () => import("./item58_queue_life.ts"),
  },
  "59": {
    title: "Consider ThreadPoolExecutor When Threads Are Necessary for Concurrency",
    load: () => import("./item59_pool_life.ts"),
  },
  "60": {
    title: "Achieve Highly Concurrent I/O with Coroutines",
    load: () => import("./item60_coroutine_life.ts"),
  },
  "61": {
    title: "Know How to Port Threaded I/O to asyncio",
    load: () => import("./item61_port_to_async.ts"),
  },
  "62": {
    title: "Mix Threads and Coroutines to Ease the Transition to asyncio",
    load: () => import("./item62_mixed_threads_coroutines.ts"),
  },
  "63": {
    title: "Avoid Blocking the asyncio Event Loop to Maximize Responsiveness",
    load: () => import("./item63_event_loop_monitor.ts"),
  },
  "64": {
    title: "Consider concurrent.futures for True Parallelism",
    load: () => import("./item64_gcd.ts"),
  },
  "64-progress": {
    title: "Consider concurrent.futures for True Parallelism: progress, and a cancel half way",
    load: () => import("./item64_progress.ts"),
  },
  "64-nats": {
    title: "Consider concurrent.futures for True Parallelism, past one machine (NATS)",
    load: () => import("./item64_nats.ts"),
  },
};

function list(): string {
  return Object.entries(DEMOS).map(([item, demo]) => `  ${item}  ${demo.title}`).join("\n");
}

async function runDemo(item: string): Promise<void> {
  const demo = DEMOS[item];
  console.log(`\n=== Item ${item}: ${demo.title} ===\n`);
  const module = await demo.load();
  await module.main();
}

/**
 * Runs the demos named in `args` (all of them when empty).
 *
 * @param args Item numbers, or `--list`.
 * @returns The process exit code.
 */
export async function main(args: string[]): Promise<number> {
  // `64 --nats` is item 64 on NatsExecutor.
  if (args.includes("--nats")) {
    args = args.filter((arg) => arg !== "--nats").map((arg) => arg === "64" ? "64-nats" : arg);
  }
  if (args.includes("--list") || args.includes("--help")) {
    console.log(`Demos (deno task demo [item ...]):\n${list()}`);
    return 0;
  }
  const unknown = args.filter((item) => !(item in DEMOS));
  if (unknown.length > 0) {
    console.error(`Unknown item${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
    console.error(`Demos (deno task demo [item ...]):\n${list()}`);
    return 1;
  }
  const items = args.length > 0
    ? args
    : Object.keys(DEMOS).sort((a, b) => parseFloat(a) - parseFloat(b));
  for (const item of items) await runDemo(item);
  return 0;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
