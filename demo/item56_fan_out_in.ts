/**
 * Item 56: Know how to recognize when concurrency is necessary.
 *
 * The book introduces Conway's Game of Life (the grid, the rules, one serial step per
 * generation) and then asks: what if each cell's logic needed I/O? Stepping cells one after
 * another would then wait for each cell's I/O in turn; the fix is to fan out (start one unit of
 * concurrent work per cell) and fan in (wait for all of them before the next generation). Items
 * 57–60 are tools for exactly that; this demo shows the serial game and a first fan-out/fan-in
 * with a TaskGroup.
 *
 * @module
 */

import { sleep, TaskGroup } from "@tandem/tandem/coroutines";
import { countNeighbors, gameLogic, gliderGrid, Grid, runGenerations, simulate } from "./_life.ts";

/** Simulated I/O per cell, in milliseconds (the book's `my_socket.recv(100)`). */
const IO_MS = 2;

/** One cell's step when the game logic needs I/O first. */
async function stepCellWithIo(grid: Grid, next: Grid, y: number, x: number): Promise<void> {
  const get = (yy: number, xx: number) => grid.get(yy, xx);
  const state = get(y, x);
  const neighbors = countNeighbors(y, x, get);
  await sleep(IO_MS); // e.g. ask a server for its opinion of this cell
  next.set(y, x, gameLogic(state, neighbors));
}

/** One generation, cell after cell: each cell's I/O waits for the previous one's. */
export async function simulateSerialIo(grid: Grid): Promise<Grid> {
  const next = new Grid(grid.height, grid.width);
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) await stepCellWithIo(grid, next, y, x);
  }
  return next;
}

/** One generation with fan-out (a child per cell) and fan-in (the end of the group's block). */
export async function simulateFanOut(grid: Grid): Promise<Grid> {
  const next = new Grid(grid.height, grid.width);
  {
    await using group = new TaskGroup();
    for (let y = 0; y < grid.height; y++) {
      for (let x = 0; x < grid.width; x++) group.create(() => stepCellWithIo(grid, next, y, x));
    }
  } // fan-in: every cell has been stepped here
  return next;
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** Prints the glider, its generations, then the same step with per-cell I/O, both ways. */
export async function main(): Promise<void> {
  const grid = gliderGrid();
  console.log(grid.toString());
  console.log();
  const serial = await runGenerations(simulate);
  console.log(serial);

  const cells = grid.height * grid.width;
  console.log(`\nNow each cell's logic needs ${IO_MS} ms of I/O (${cells} cells per generation).`);
  const [one, serialMs] = await time(() => simulateSerialIo(grid));
  const [two, fanOutMs] = await time(() => simulateFanOut(grid));
  console.log(`Serial:             one generation in ${serialMs.toFixed(0)} ms`);
  console.log(`Fan-out / fan-in:   one generation in ${fanOutMs.toFixed(0)} ms`);
  console.log(`Same next generation: ${one.toString() === two.toString()}`);
  const fannedOut = await runGenerations(simulateFanOut);
  console.log(`Fan-out prints the same generations as simulate: ${fannedOut === serial}`);
}

if (import.meta.main) {
  await main();
}
