/**
 * Item 57: Avoid creating new `Thread` instances for on-demand fan-out. The Game of Life with one
 * thread per cell, per generation (the book's `simulate_threaded`): the grids live in shared
 * memory behind a `Lock` (the book's `LockingGrid`), every cell gets a `Thread` that reads its
 * neighbours and writes its next state. It prints the same generations as the serial `simulate`,
 * at a far higher cost: each thread is a Web Worker to start. What tandem fixes is the book's
 * last complaint: an exception raised in a thread reaches the code that joins it.
 *
 * @module
 */

import { task } from "@tandem/tandem/futures";
// threads re-exports the shared-object protocol for objects built from its primitives.
import {
  fromHandle,
  Lock,
  type Shareable,
  type SharedHandle,
  Thread,
  toHandle,
} from "@tandem/tandem/threads";
import { ALIVE, EMPTY, Grid, runGenerations, simulate, stepCell } from "./_life.ts";

/** The book's `LockingGrid`: a grid in shared memory whose every read and write takes a lock. */
export class LockingGrid implements Shareable {
  readonly height: number;
  readonly width: number;
  readonly lock: Lock;
  readonly cells: Int32Array<SharedArrayBuffer>;

  constructor(
    height: number,
    width: number,
    lock = new Lock(),
    cells?: Int32Array<SharedArrayBuffer>,
  ) {
    this.height = height;
    this.width = width;
    this.lock = lock;
    this.cells = cells ?? new Int32Array(new SharedArrayBuffer(4 * height * width));
  }

  static from(grid: Grid): LockingGrid {
    const shared = new LockingGrid(grid.height, grid.width);
    for (let y = 0; y < grid.height; y++) {
      for (let x = 0; x < grid.width; x++) {
        shared.cells[y * grid.width + x] = grid.get(y, x) === ALIVE ? 1 : 0;
      }
    }
    return shared;
  }

  toGrid(): Grid {
    const grid = new Grid(this.height, this.width);
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        grid.set(y, x, this.cells[y * this.width + x] ? ALIVE : EMPTY);
      }
    }
    return grid;
  }

  get(y: number, x: number): string {
    using _held = this.lock.hold();
    return this.cells[this.#index(y, x)] ? ALIVE : EMPTY;
  }

  set(y: number, x: number, state: string): void {
    using _held = this.lock.hold();
    this.cells[this.#index(y, x)] = state === ALIVE ? 1 : 0;
  }

  #index(y: number, x: number): number {
    const yy = ((y % this.height) + this.height) % this.height;
    const xx = ((x % this.width) + this.width) % this.width;
    return yy * this.width + xx;
  }

  [toHandle](): SharedHandle {
    return {
      module: import.meta.url,
      name: "LockingGrid",
      state: {
        height: this.height,
        width: this.width,
        lock: this.lock[toHandle]().state,
        cells: this.cells,
      },
    };
  }

  static [fromHandle](state: unknown): LockingGrid {
    const { height, width, lock, cells } = state as {
      height: number;
      width: number;
      lock: unknown;
      cells: Int32Array<SharedArrayBuffer>;
    };
    return new LockingGrid(height, width, Lock[fromHandle](lock), cells);
  }
}

/** One cell's step, run in its own thread: read from `grid`, write to `next`. */
export const stepCellThread = task(
  import.meta.url,
  function stepCellThread(y: number, x: number, grid: LockingGrid, next: LockingGrid): void {
    next.set(y, x, stepCell(y, x, (yy, xx) => grid.get(yy, xx)));
  },
);

/** Like the book's `game_logic` that does I/O which fails. */
export const stepCellFailing = task(
  import.meta.url,
  function stepCellFailing(_y: number, _x: number): void {
    const error = new Error("Problem with I/O");
    error.name = "OSError";
    throw error;
  },
);

/** A thread that does nothing: to measure what starting and joining one costs. */
export const nothing = task(import.meta.url, function nothing(): void {});

let peakRss = 0;

/** The book's `simulate_threaded`: fan out one thread per cell, then fan in. */
export async function simulateThreaded(grid: Grid): Promise<Grid> {
  const current = LockingGrid.from(grid);
  const next = new LockingGrid(grid.height, grid.width);
  const threads: Thread[] = [];
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      const thread = new Thread(stepCellThread, y, x, current, next);
      thread.start(); // Fan out
      threads.push(thread);
    }
  }
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  for (const thread of threads) await thread.join(); // Fan in
  return next.toGrid();
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

function ms(start: number, count = 1): string {
  return ((performance.now() - start) / count).toFixed(2);
}

/** Runs the demo. */
export async function main(): Promise<void> {
  const generations = 5;
  const baseRss = Deno.memoryUsage().rss;

  let start = performance.now();
  const serial = await runGenerations(simulate, generations);
  const serialPerGeneration = ms(start, generations);

  start = performance.now();
  const threaded = await runGenerations(simulateThreaded, generations);
  const threadedPerGeneration = ms(start, generations);

  console.log(threaded);
  console.log(`\nSame generations as the serial simulate: ${threaded === serial}`);

  const samples = 10;
  start = performance.now();
  for (let i = 0; i < samples; i++) {
    const thread = new Thread(nothing);
    thread.start();
    await thread.join();
  }
  console.log(`Starting and joining one thread (a Web Worker): ${ms(start, samples)} ms`);
  console.log(`Serial simulate: ${serialPerGeneration} ms per generation`);
  console.log(
    `One thread per cell (45 threads): ${threadedPerGeneration} ms per generation`,
  );
  console.log(
    `Process memory with 45 threads started: ${mb(peakRss)} MB (${mb(baseRss)} MB before): ` +
      "every thread is an isolate with its own heap",
  );

  console.log("\nAn exception raised in a thread:");
  const thread = new Thread(stepCellFailing, 0, 0);
  thread.start();
  try {
    await thread.join();
  } catch (error) {
    const { name, message } = error as Error;
    console.log(`join() rejected with ${name}: ${message} (Python prints it and join() returns)`);
  }
}

if (import.meta.main) {
  await main();
}
