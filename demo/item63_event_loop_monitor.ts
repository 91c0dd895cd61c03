/**
 * Item 63: Avoid blocking the asyncio event loop to maximize responsiveness.
 *
 * The book runs a coroutine that calls `time.sleep(0.5)` under `asyncio.run(..., debug=True)`
 * and gets `Executing <Task finished name='Task-1' coro=<slow_coroutine() ...> took 0.508
 * seconds`. Here an event-loop monitor catches the same block (a 500 ms synchronous busy loop in
 * a TaskGroup child) and names the task; then the fix moves the blocking call off the event
 * loop, onto a worker, and the monitor stays quiet.
 *
 * @module
 */

import {
  type BlockReport,
  monitorEventLoop,
  shutdownDefaultExecutor,
  sleep,
  TaskGroup,
  toThread,
} from "@tandem/tandem/coroutines";
import { task } from "@tandem/tandem/futures";

/** How long the blocking call takes, in milliseconds (the book's `time.sleep(0.5)`). */
const BLOCK_MS = 500;

/**
 * Slow, blocking I/O: it holds the thread it runs on for `ms` milliseconds. A task, so that the
 * fix can run it on a worker.
 */
export const slowIo = task(import.meta.url, function slowIo(ms: number): number {
  const start = performance.now();
  while (performance.now() - start < ms) { /* the thread is stuck here */ }
  return performance.now() - start;
});

/** The book's `slow_coroutine`: an async function that blocks the loop anyway. */
function slowCoroutine(): Promise<void> {
  slowIo(BLOCK_MS); // Simulating slow I/O
  return Promise.resolve();
}

/**
 * Runs the blocking coroutine under the monitor, then the fix, and returns the reports.
 *
 * @param log Where to print.
 * @returns The reports for the blocking run and for the fixed run, and how often a 10 ms timer
 * ran while the worker did the blocking call.
 */
export async function demonstrate(
  log: (line: string) => void = console.log,
): Promise<{ blocking: BlockReport[]; fixed: BlockReport[]; ticks: number }> {
  const blocking: BlockReport[] = [];
  const fixed: BlockReport[] = [];
  let reports = blocking;
  // Start toThread's worker first, as a server would at start-up: creating a worker holds the
  // creating thread for tens of milliseconds (more on a loaded machine).
  await toThread(slowIo, 0);
  await using monitor = monitorEventLoop({
    threshold: 100,
    onBlock(report) {
      reports.push(report);
      log(report.message);
    },
  });
  await monitor.ready;

  log("A coroutine that blocks the event loop:");
  {
    await using group = new TaskGroup();
    group.create(slowCoroutine, { name: "slow_coroutine" });
  }
  await sleep(0); // the monitor's report arrives on the loop's next timer turn

  log("\nThe fix: run the blocking call in a thread with toThread, off the event loop:");
  reports = fixed;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  try {
    const took = await toThread(slowIo, BLOCK_MS);
    log(`slow_coroutine's I/O took ${(took / 1000).toFixed(3)} seconds in a thread`);
  } finally {
    clearInterval(ticker);
    await shutdownDefaultExecutor();
  }
  await sleep(0);
  log(`Meanwhile the loop stayed responsive: a 10 ms timer ran ${ticks} times`);
  log(fixed.length === 0 ? "No warning." : `${fixed.length} warning(s)!`);
  return { blocking, fixed, ticks };
}

/** Shows the warning for a blocking coroutine, then no warning once the call moved away. */
export async function main(): Promise<void> {
  await demonstrate();
}

if (import.meta.main) {
  await main();
}
