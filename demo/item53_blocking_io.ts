/**
 * Item 53: Use threads for blocking I/O, avoid them for parallelism. In Python the GIL makes
 * threads useless for computation but fine for blocking system calls. A tandem `Thread` is a
 * worker with its own JavaScript thread, so it helps with both: computation runs in parallel on
 * every core, and blocking calls in several threads overlap while the main thread keeps
 * computing.
 *
 * @module
 */

import { task } from "@tandem/tandem/futures";
import { Thread } from "@tandem/tandem/threads";

/** The book's numbers, times 40 so that the work outweighs starting a worker. */
const NUMBERS = [2139079, 1214759, 1516637, 1852285].map((n) => n * 40);

/** The book's naive factorization: every divisor, by trial. */
export const factorize = task(import.meta.url, function factorize(number: number): number[] {
  const factors: number[] = [];
  for (let i = 1; i <= number; i++) {
    if (number % i === 0) factors.push(i);
  }
  return factors;
});

/**
 * A blocking system call: the worker sleeps in the kernel (a futex wait on memory nobody else
 * touches) for `ms` milliseconds, like the book's `select.select(..., 0.1)`.
 */
export const slowSystemcall = task(import.meta.url, function slowSystemcall(ms = 100): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
});

/** The book's stand-in for work the main thread does meanwhile. */
function computeHelicopterLocation(index: number): number {
  let x = index;
  for (let i = 0; i < 200_000; i++) x = (x * 1103515245 + 12345) % 2147483648;
  return x;
}

function seconds(start: number): string {
  return ((performance.now() - start) / 1000).toFixed(3);
}

/** Runs the demo. */
export async function main(): Promise<void> {
  let start = performance.now();
  for (const number of NUMBERS) factorize(number);
  console.log(`Factorizing serially took ${seconds(start)} seconds`);

  start = performance.now();
  const factorizers: Thread[] = [];
  for (const number of NUMBERS) {
    const thread = new Thread(factorize, number);
    thread.start();
    factorizers.push(thread);
  }
  for (const thread of factorizers) await thread.join();
  console.log(
    `Factorizing in ${NUMBERS.length} threads took ${seconds(start)} seconds ` +
      `(${navigator.hardwareConcurrency} cores, no GIL: the threads run in parallel)`,
  );

  start = performance.now();
  for (let i = 0; i < 5; i++) slowSystemcall();
  console.log(`\nFive blocking calls in a row took ${seconds(start)} seconds`);

  start = performance.now();
  const threads: Thread[] = [];
  for (let i = 0; i < 5; i++) {
    const thread = new Thread(slowSystemcall);
    thread.start();
    threads.push(thread);
  }
  for (let i = 0; i < 5; i++) computeHelicopterLocation(i);
  for (const thread of threads) await thread.join();
  console.log(
    `Five blocking calls in threads took ${seconds(start)} seconds ` +
      "(one call plus thread start-up, not five: they overlap, while the main thread computed " +
      "five locations)",
  );
}

if (import.meta.main) {
  await main();
}
