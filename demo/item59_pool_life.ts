/**
 * Item 59: Consider `ThreadPoolExecutor` when threads are necessary for concurrency.
 *
 * The book steps the Game of Life by fanning each cell out to a `ThreadPoolExecutor` and
 * fanning the futures back in. Here `AsyncPoolExecutor` plays that part: same `submit`, same
 * futures, bounded concurrency (`maxWorkers: 10`, as in the book). Because a task is a reference
 * to an exported function, the very same `simulatePool` also runs on `WorkerPoolExecutor`, in
 * Web Workers.
 *
 * @module
 */

import type { Executor, Future } from "@tandem/tandem/futures";
import { AsyncPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { countNeighbors, gameLogicTask, Grid, runGenerations, simulate } from "./_life.ts";

/** One generation: every cell's next state is computed by a task submitted to `pool`. */
export async function simulatePool(pool: Executor, grid: Grid): Promise<Grid> {
  const next = new Grid(grid.height, grid.width);
  const get = (y: number, x: number) => grid.get(y, x);
  const futures: [number, number, Future<string>][] = [];
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      // Fan out: the cell's state and neighbour count go to the pool.
      futures.push([y, x, pool.submit(gameLogicTask, get(y, x), countNeighbors(y, x, get))]);
    }
  }
  // Fan in.
  for (const [y, x, future] of futures) next.set(y, x, await future.result());
  return next;
}

/** Runs the demo: prints the five generations the book prints, then checks the other pools. */
export async function main(): Promise<void> {
  let withThreads: string;
  {
    await using pool = new AsyncPoolExecutor({ maxWorkers: 10 });
    withThreads = await runGenerations((grid) => simulatePool(pool, grid));
  }
  console.log(withThreads);

  const serial = await runGenerations(simulate);
  let withWorkers: string;
  {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    withWorkers = await runGenerations((grid) => simulatePool(pool, grid));
  }
  console.log();
  console.log(
    `AsyncPoolExecutor (10 at a time) matches the serial simulate(): ${withThreads === serial}`,
  );
  console.log(`WorkerPoolExecutor (2 workers), same code, matches too: ${withWorkers === serial}`);
}

if (import.meta.main) {
  await main();
}
