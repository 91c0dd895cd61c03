/**
 * Item 64, continued: a long task that talks back.
 *
 * `concurrent.futures` gives a running task no way to report how far it got, and `cancel()` has
 * no effect once it runs. Here one long CPU-bound task (the book's naive gcd over 600 pairs: item
 * 64's fair load three times over) runs on a `WorkerPoolExecutor` and reports progress through
 * `taskContext()`; the caller draws it as a live progress bar (redrawn in place on a terminal,
 * one line per tenth otherwise) and cancels the task half way. The task sees the cancel with one
 * atomic load between pairs and stops, so its worker is kept: the next task runs on it.
 *
 * @module
 */

import { CancelledError, currentIsolateId, task, taskContext } from "@tandem/tandem/futures";
import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { gcd } from "../examples/tasks.ts";
import { bar, FAIR_LOAD, NUMBERS } from "./item64_gcd.ts";

/** The long task's load: item 64's fair load three times over, 600 pairs. */
export const LONG_LOAD: [number, number][] = [FAIR_LOAD, FAIR_LOAD, FAIR_LOAD].flat();

/**
 * The long task: the gcd of every pair, one after another. Before each pair it checks whether
 * it was cancelled (an atomic load, no event-loop turn: the loop never yields), and after each
 * it reports the fraction done. Reports are coalesced, so reporting often costs little.
 */
export const gcdAll = task(
  import.meta.url,
  function gcdAll(pairs: [number, number][]): number[] {
    const context = taskContext();
    const results: number[] = [];
    for (const pair of pairs) {
      context.throwIfCancelled();
      results.push(gcd(pair) as number);
      context.progress(results.length / pairs.length);
    }
    return results;
  },
);

/** Which worker runs a task: the id of its isolate. */
export const workerId = task(import.meta.url, function workerId(): number {
  return currentIsolateId();
});

const BAR_WIDTH = 20;
const encoder = new TextEncoder();

/** Draws progress: redrawn in place on a terminal, else one line per tenth reached. */
export class ProgressBar {
  #terminal: boolean;
  #write: (text: string) => void;
  #tenths = -1;
  #drawn = "";

  /**
   * @param terminal Redraw one line in place (`\r`) instead of printing lines.
   * @param write Where the text goes.
   */
  constructor(terminal: boolean, write: (text: string) => void) {
    this.#terminal = terminal;
    this.#write = write;
  }

  /** Shows `fraction` (0..1) done. */
  update(fraction: number): void {
    if (this.#terminal) {
      const line = ProgressBar.line(fraction);
      if (line !== this.#drawn) this.#write(`\r${line}`);
      this.#drawn = line;
      return;
    }
    // Every tenth up to this one, even those the coalesced values skipped.
    const tenths = Math.floor(fraction * 10);
    while (this.#tenths < tenths) this.#write(`${ProgressBar.line(++this.#tenths / 10)}\n`);
  }

  /** Ends the bar's line on a terminal. */
  end(): void {
    if (this.#terminal && this.#drawn !== "") this.#write("\n");
  }

  /** One line of the bar: `  50% │██████████          │`. */
  static line(fraction: number): string {
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    return `${percent} │${bar(fraction, BAR_WIDTH).padEnd(BAR_WIDTH)}│`;
  }
}

/** Runs the demo. */
export async function main(): Promise<void> {
  const terminal = Deno.stdout.isTerminal();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const before = await pool.submit(workerId); // the worker is up before the clock starts

  console.log(
    `One long task on a WorkerPoolExecutor: the naive gcd of ${LONG_LOAD.length} pairs, ` +
      "reporting progress",
  );
  const controller = new AbortController();
  const future = pool.submitWith({ signal: controller.signal }, gcdAll, LONG_LOAD);
  const progressBar = new ProgressBar(terminal, write);
  let cancelledAt = 0;
  future.onProgress((value) => {
    const fraction = value as number;
    if (cancelledAt !== 0) return;
    // The bar stops at the half; a coalesced value may have gone a little past it.
    progressBar.update(Math.min(fraction, 0.5));
    if (fraction < 0.5) return;
    progressBar.end();
    console.log(
      `Half way (${(fraction * 100).toFixed(1)}% done): cancelling; the task checks ` +
        "taskContext() before every pair",
    );
    cancelledAt = performance.now();
    controller.abort(new CancelledError("half way is enough"));
  });
  const error = await future.then(() => undefined, (error: unknown) => error);
  if (!(error instanceof CancelledError)) throw new Error(`the task was not cancelled: ${error}`);
  const stoppedIn = performance.now() - cancelledAt;
  console.log(
    `The future failed with CancelledError (${error.message}): the task stopped ` +
      `${stoppedIn.toFixed(0)} ms after the cancel`,
  );

  const after = await pool.submit(workerId);
  const results = await pool.submit(gcdAll, NUMBERS);
  console.log(
    after === before
      ? `The worker was kept: the next task ran on the same worker, which then computed the ` +
        `book's ten gcds: ${results.join(", ")}`
      : `The worker was replaced (worker ${before}, now ${after})`,
  );
}

if (import.meta.main) {
  await main();
}
