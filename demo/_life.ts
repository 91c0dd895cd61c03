// The Game of Life of items 56-60, built once. Every demo that steps it (threads, queues, pools,
// coroutines) uses this grid, these rules and this printer, and must print the same generations.
import { task } from "@tandem/tandem/futures";

/** A live cell. */
export const ALIVE = "*";
/** An empty cell. */
export const EMPTY = "-";

/** A grid of cells that wraps around at its edges (the book's `Grid`). */
export class Grid {
  readonly height: number;
  readonly width: number;
  readonly rows: string[][];

  constructor(height: number, width: number) {
    this.height = height;
    this.width = width;
    this.rows = Array.from({ length: height }, () => Array<string>(width).fill(EMPTY));
  }

  get(y: number, x: number): string {
    return this.rows[mod(y, this.height)][mod(x, this.width)];
  }

  set(y: number, x: number, state: string): void {
    this.rows[mod(y, this.height)][mod(x, this.width)] = state;
  }

  toString(): string {
    return this.rows.map((row) => row.join("")).join("\n");
  }

  /** The grid as plain rows of text, to send to a worker. */
  toLines(): string[] {
    return this.rows.map((row) => row.join(""));
  }

  /** Rebuilds a grid from {@linkcode Grid.toLines}. */
  static fromLines(lines: string[]): Grid {
    const grid = new Grid(lines.length, lines[0]?.length ?? 0);
    lines.forEach((line, y) => [...line].forEach((state, x) => grid.set(y, x, state)));
    return grid;
  }
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/** The book's starting grid: a glider in a 5 x 9 world. */
export function gliderGrid(): Grid {
  const grid = new Grid(5, 9);
  grid.set(0, 3, ALIVE);
  grid.set(1, 4, ALIVE);
  grid.set(2, 2, ALIVE);
  grid.set(2, 3, ALIVE);
  grid.set(2, 4, ALIVE);
  return grid;
}

/** How many of the eight neighbours of (y, x) are alive. */
export function countNeighbors(
  y: number,
  x: number,
  get: (y: number, x: number) => string,
): number {
  const states = [
    get(y - 1, x), // north
    get(y - 1, x + 1), // northeast
    get(y, x + 1), // east
    get(y + 1, x + 1), // southeast
    get(y + 1, x), // south
    get(y + 1, x - 1), // southwest
    get(y, x - 1), // west
    get(y - 1, x - 1), // northwest
  ];
  return states.filter((state) => state === ALIVE).length;
}

/** The rules of life: a cell's next state from its state and its live neighbours. */
export function gameLogic(state: string, neighbors: number): string {
  if (state === ALIVE) return neighbors < 2 || neighbors > 3 ? EMPTY : ALIVE;
  return neighbors === 3 ? ALIVE : state;
}

/** {@linkcode gameLogic} as a task, for the styles that run cells in workers. */
export const gameLogicTask = task(import.meta.url, gameLogic, { name: "gameLogicTask" });

/** One cell's next state, read from `get`. */
export function stepCell(y: number, x: number, get: (y: number, x: number) => string): string {
  return gameLogic(get(y, x), countNeighbors(y, x, get));
}

/** The serial reference: the next generation of `grid`. */
export function simulate(grid: Grid): Grid {
  const next = new Grid(grid.height, grid.width);
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      next.set(y, x, stepCell(y, x, (yy, xx) => grid.get(yy, xx)));
    }
  }
  return next;
}

/** Prints generations side by side, numbered, like the book's `ColumnPrinter`. */
export class ColumnPrinter {
  readonly columns: string[] = [];

  append(data: string): void {
    this.columns.push(data);
  }

  toString(): string {
    const rowCount = this.columns[0]?.split("\n").length ?? 0;
    const width = this.columns[0]?.split("\n")[0].length ?? 0;
    const header = this.columns.map((_, i) =>
      String(i).padStart(Math.ceil((width + 1) / 2)).padEnd(width)
    ).join(" | ");
    const lines = [header];
    const split = this.columns.map((column) => column.split("\n"));
    for (let row = 0; row < rowCount; row++) lines.push(split.map((rows) => rows[row]).join(" | "));
    return lines.map((line) => line.trimEnd()).join("\n");
  }
}

/** Runs `generations` steps of `step` from the glider and returns the printed columns. */
export async function runGenerations(
  step: (grid: Grid) => Grid | Promise<Grid>,
  generations = 5,
): Promise<string> {
  const printer = new ColumnPrinter();
  let grid = gliderGrid();
  for (let i = 0; i < generations; i++) {
    printer.append(grid.toString());
    grid = await step(grid);
  }
  return printer.toString();
}
