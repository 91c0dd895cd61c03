/**
 * Item 62: Mix threads and coroutines to ease the transition to asyncio.
 *
 * The book's log tailer: writers append lines to several input files while a tailer follows
 * each file and merges every complete line into one output file. It is written three ways, all
 * producing the same merged lines:
 * - threads only: a `Thread` per input file tails it with blocking reads and appends to the
 *   output under a shared `Lock`;
 * - async only: a coroutine per input file, in a `TaskGroup`, tails it with async reads;
 * - mixed (the book's `run_tasks_mixed`): the tailing threads stay as they are, but write
 *   through the main thread's async `write` function, called with a {@linkcode MainThreadBridge}
 *   (Python's `asyncio.run_coroutine_threadsafe(coro, loop).result()`).
 *
 * @module
 */

import { Lock, MainThreadBridge, sleep, TaskGroup } from "@tandem/tandem/coroutines";
import { task } from "@tandem/tandem/futures";
import { Event, Thread } from "@tandem/tandem/threads";

/** How a tailer hands on one complete line (with its newline). */
type WriteLine = (line: string) => void;

/** The functions the mixed style's bridge serves. */
export interface MixedFunctions {
  /** Appends `line` to the merged output (async, on the main thread). */
  write(line: string): Promise<void>;
}

/** The three ways the demo merges the files. */
export type Style = "threads" | "async" | "mixed";

/** What one run produced. */
export interface StyleResult {
  /** The style that ran. */
  style: Style;
  /** Lines in the merged output. */
  lines: number;
  /** Whether the merged output holds exactly the lines written, in some order. */
  same: boolean;
}

const encoder = new TextEncoder();

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** Splits decoded text into complete lines, keeping the unfinished tail for later. */
class LineSplitter {
  #decoder = new TextDecoder();
  #rest = "";

  push(chunk: Uint8Array, emit: WriteLine): void {
    this.#rest += this.#decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = this.#rest.indexOf("\n")) >= 0) {
      emit(this.#rest.slice(0, newline + 1));
      this.#rest = this.#rest.slice(newline + 1);
    }
  }
}

/**
 * The book's blocking `tail_file`: reads `path` until the writers are done and the file is
 * drained, sleeping `interval` ms (or until `done` is set) whenever it finds no new data.
 */
function tailFileBlocking(path: string, done: Event, interval: number, write: WriteLine): void {
  using file = Deno.openSync(path, { read: true });
  const buffer = new Uint8Array(4096);
  const lines = new LineSplitter();
  for (;;) {
    const finished = done.isSet(); // read once more after the writers finish
    const n = file.readSync(buffer);
    if (n === null || n === 0) {
      if (finished) return;
      done.wait({ timeout: interval });
      continue;
    }
    lines.push(buffer.subarray(0, n), write);
  }
}

/** Threads only: tails `path` in a worker, appending lines to the output under `lock`. */
export const tailToFile = task(
  import.meta.url,
  function tailToFile(
    path: string,
    done: Event,
    interval: number,
    outputPath: string,
    lock: Lock,
  ): void {
    using output = Deno.openSync(outputPath, { append: true });
    tailFileBlocking(path, done, interval, (line) => {
      using _held = lock.hold();
      writeAllSync(output, encoder.encode(line));
    });
  },
);

/** Mixed: tails `path` in a worker, writing each line through the main thread's `write`. */
export const tailThroughBridge = task(
  import.meta.url,
  function tailThroughBridge(
    path: string,
    done: Event,
    interval: number,
    bridge: MainThreadBridge<MixedFunctions>,
  ): void {
    const { write } = bridge.blocking({ timeout: 10_000 });
    tailFileBlocking(path, done, interval, write);
  },
);

/** Async only: the coroutine twin of the blocking tailer. */
async function tailFileAsync(
  path: string,
  done: Event,
  interval: number,
  write: (line: string) => Promise<void>,
): Promise<void> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(4096);
  const lines = new LineSplitter();
  for (;;) {
    const finished = done.isSet();
    const n = await file.read(buffer);
    if (n === null || n === 0) {
      if (finished) return;
      await sleep(interval);
      continue;
    }
    const found: string[] = [];
    lines.push(buffer.subarray(0, n), (line) => found.push(line));
    for (const line of found) await write(line);
  }
}

/** The log producers: a coroutine per file appends `lines` lines, in bursts, then sets `done`. */
async function writeInputs(paths: string[], lines: number, done: Event): Promise<string[]> {
  const written: string[] = [];
  try {
    await Promise.all(paths.map(async (path, f) => {
      using file = await Deno.open(path, { append: true });
      for (let i = 0; i < lines; i++) {
        const line = `file ${f} line ${i}: ${"#".repeat((f * 7 + i) % 13)}\n`;
        await writeAll(file, encoder.encode(line));
        written.push(line);
        if (i % 10 === 9) await sleep(1);
      }
    }));
  } finally {
    done.set(); // also on failure, so that no tailer waits forever
  }
  return written;
}

/**
 * Runs one style: `files` writers of `lines` lines each, tailed and merged the `style` way.
 *
 * @param style How to tail and merge.
 * @param files How many input files.
 * @param lines Lines per input file.
 * @returns The merged line count and whether it holds exactly the written lines.
 */
export async function runStyle(style: Style, files = 4, lines = 50): Promise<StyleResult> {
  const dir = await Deno.makeTempDir({ prefix: "tandem_item62_" });
  try {
    const paths = Array.from({ length: files }, (_, f) => `${dir}/input_${f}.log`);
    for (const path of paths) await Deno.writeFile(path, new Uint8Array(0));
    const outputPath = `${dir}/merged.log`;
    await Deno.writeFile(outputPath, new Uint8Array(0));
    const done = new Event();
    const interval = 5;
    let written: string[];
    if (style === "threads") {
      const lock = new Lock();
      const threads = paths.map((path) =>
        new Thread(tailToFile, path, done, interval, outputPath, lock)
      );
      for (const thread of threads) thread.start();
      written = await writeInputs(paths, lines, done);
      await Promise.all(threads.map((thread) => thread.join()));
    } else if (style === "async") {
      await using output = await Deno.open(outputPath, { append: true });
      const lock = new Lock(); // one write at a time, on one loop
      const write = async (line: string) => {
        await using _held = await lock.holdAsync();
        await writeAll(output, encoder.encode(line));
      };
      written = await TaskGroup.run(async (group) => {
        for (const path of paths) group.create(() => tailFileAsync(path, done, interval, write));
        return await writeInputs(paths, lines, done);
      });
    } else {
      await using output = await Deno.open(outputPath, { append: true });
      await using bridge = new MainThreadBridge<MixedFunctions>({
        write: async (line: string) => await writeAll(output, encoder.encode(line)),
      });
      const threads = paths.map((path) =>
        new Thread(tailThroughBridge, path, done, interval, bridge)
      );
      for (const thread of threads) thread.start();
      written = await writeInputs(paths, lines, done);
      await Promise.all(threads.map((thread) => thread.join()));
    }
    const merged = (await Deno.readTextFile(outputPath)).split("\n").slice(0, -1);
    const expected = written.map((line) => line.slice(0, -1));
    const same = merged.length === expected.length &&
      JSON.stringify(merged.toSorted()) === JSON.stringify(expected.toSorted());
    return { style, lines: merged.length, same };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the demo: the three styles, each merging the same number of lines. */
export async function main(): Promise<void> {
  const labels: Record<Style, string> = {
    threads: "Threads only (Thread per file, shared Lock)",
    async: "Coroutines only (TaskGroup, async reads)",
    mixed: "Mixed (threads calling the main thread's async write via MainThreadBridge)",
  };
  for (const style of ["threads", "async", "mixed"] as const) {
    const result = await runStyle(style);
    console.log(`${labels[style]}: ${result.lines} lines`);
    console.log(`Same lines: ${result.same}`);
  }
}

if (import.meta.main) await main();
