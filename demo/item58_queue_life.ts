/**
 * Item 58: understand how using a queue for concurrency requires refactoring. The Game of Life
 * with its cells fanned out to worker coroutines through an in-queue and fanned back in through
 * an out-queue, as the book does with `ClosableQueue` and `StoppableWorker` threads. It prints
 * the same generations as the serial `simulate`.
 *
 * @module
 */

import { Queue } from "@tandem/tandem/queue";
import { countNeighbors, gameLogic, Grid, runGenerations } from "./_life.ts";

/** A cell to compute: its position, state and live-neighbour count. */
type CellIn = [y: number, x: number, state: string, neighbors: number];
/** A computed cell: its position and next state, or the error computing it. */
type CellOut = [y: number, x: number, next: string | Error];

/** The book's `SimulationError`: which cell failed, with the cause. */
class SimulationError extends Error {
  constructor(y: number, x: number, options?: ErrorOptions) {
    super(`Cell (${y}, ${x}) failed`, options);
    this.name = "SimulationError";
  }
}

/** The book's `game_logic_thread`: errors travel back as values, to be raised by the fan-in. */
function gameLogicWorker([y, x, state, neighbors]: CellIn): CellOut {
  try {
    return [y, x, gameLogic(state, neighbors)];
  } catch (error) {
    return [y, x, error instanceof Error ? error : new Error(String(error))];
  }
}

/** The book's `StoppableWorker`: takes cells until the in-queue is closed and empty. */
async function worker(inQueue: Queue<CellIn>, outQueue: Queue<CellOut>): Promise<void> {
  for await (const item of inQueue) await outQueue.put(gameLogicWorker(item));
}

/** The book's `simulate_pipeline`: fan out every cell, wait for all, fan the results in. */
async function simulatePipeline(
  grid: Grid,
  inQueue: Queue<CellIn>,
  outQueue: Queue<CellOut>,
): Promise<Grid> {
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      const state = grid.get(y, x);
      const neighbors = countNeighbors(y, x, (yy, xx) => grid.get(yy, xx));
      await inQueue.put([y, x, state, neighbors]); // fan out
    }
  }
  await inQueue.join(); // every cell's result is in the out-queue once its item is done

  // The book closes the out-queue with a sentinel and iterates it; tandem's close() is final, so
  // the fan-in takes exactly what is there and keeps the out-queue for the next generation.
  const nextGrid = new Grid(grid.height, grid.width);
  while (!outQueue.empty()) {
    const [y, x, next] = outQueue.getNowait(); // fan in
    if (next instanceof Error) throw new SimulationError(y, x, { cause: next });
    nextGrid.set(y, x, next);
  }
  return nextGrid;
}

/** Runs five generations through five queue-fed workers and prints them. */
export async function main(): Promise<void> {
  const inQueue = new Queue<CellIn>();
  const outQueue = new Queue<CellOut>();
  const workers = Array.from({ length: 5 }, () => worker(inQueue, outQueue));
  try {
    console.log(await runGenerations((grid) => simulatePipeline(grid, inQueue, outQueue)));
  } finally {
    inQueue.close();
    await Promise.all(workers);
  }
}

if (import.meta.main) {
  await main();
}
