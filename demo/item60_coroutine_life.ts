/**
 * Item 60: Achieve highly concurrent I/O with coroutines.
 *
 * The Game of Life stepped by coroutines, one per cell, as in the book: `gameLogic` becomes an
 * async function that awaits (simulated) I/O, `stepCell` awaits it, and `simulate` fans out one
 * coroutine per cell and fans in with `gather` (the book's `asyncio.gather(*tasks)`), printed in
 * columns like the book's `ColumnPrinter`. The same step written with a TaskGroup follows. Both
 * print exactly what the serial `simulate` prints.
 *
 * @module
 */

import { gather, sleep, TaskGroup } from "@tandem/tandem/coroutines";
import { countNeighbors, gameLogic, Grid, runGenerations, simulate } from "./_life.ts";

/** The book's `async def game_logic(state, neighbors)`: I/O, then the rules. */
async function gameLogicAsync(state: string, neighbors: number): Promise<string> {
  // Do some input/output in here (the book: `data = await my_socket.read(50)`):
  await sleep(0);
  return gameLogic(state, neighbors);
}

/** The book's `async def step_cell(y, x, get, set)`. */
async function stepCell(
  y: number,
  x: number,
  get: (y: number, x: number) => string,
  set: (y: number, x: number, state: string) => void,
): Promise<void> {
  const state = get(y, x);
  const neighbors = countNeighbors(y, x, get);
  const nextState = await gameLogicAsync(state, neighbors);
  set(y, x, nextState);
}

/** The book's `async def simulate(grid)`: fan out a coroutine per cell, fan in with gather. */
export async function simulateWithGather(grid: Grid): Promise<Grid> {
  const nextGrid = new Grid(grid.height, grid.width);
  const get = (y: number, x: number) => grid.get(y, x);
  const set = (y: number, x: number, state: string) => nextGrid.set(y, x, state);
  const tasks: Promise<void>[] = [];
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      tasks.push(stepCell(y, x, get, set)); // Fan out
    }
  }
  await gather(tasks); // Fan in
  return nextGrid;
}

/** The same step with a TaskGroup: a failing cell would cancel the others. */
export async function simulateWithTaskGroup(grid: Grid): Promise<Grid> {
  const nextGrid = new Grid(grid.height, grid.width);
  const get = (y: number, x: number) => grid.get(y, x);
  const set = (y: number, x: number, state: string) => nextGrid.set(y, x, state);
  {
    await using group = new TaskGroup();
    for (let y = 0; y < grid.height; y++) {
      for (let x = 0; x < grid.width; x++) group.create(() => stepCell(y, x, get, set)); // Fan out
    }
  } // Fan in
  return nextGrid;
}

/** Prints the generations stepped by coroutines, and checks them against the serial ones. */
export async function main(): Promise<void> {
  // runGenerations is the book's driver loop: a ColumnPrinter column per generation, and
  // `grid = await step(grid)` where the book has `grid = asyncio.run(simulate(grid))`.
  const withGather = await runGenerations(simulateWithGather);
  console.log(withGather);
  const withGroup = await runGenerations(simulateWithTaskGroup);
  const serial = await runGenerations(simulate);
  console.log(`\nTaskGroup prints the same generations: ${withGroup === withGather}`);
  console.log(`Same as the serial simulate: ${withGather === serial}`);
}

if (import.meta.main) {
  await main();
}
