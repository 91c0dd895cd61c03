// Tasks for the parallel and TaskWorker tests. This module must stay free of side effects:
// every worker and child process that runs one of these tasks imports it.
import { currentIsolateId, task, taskContext } from "@tandem/tandem/futures";
import type { SharedCounter } from "./_shared.ts";

/** An error class that only exists here: it comes back as an Error named "ValidationError". */
export class ValidationError extends Error {
  code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = "ValidationError";
    this.code = code;
  }
}

export const noop = task(import.meta.url, function noop(): void {});

export const echo = task(import.meta.url, function echo<T>(value: T): T {
  return value;
});

export const square = task(import.meta.url, function square(n: number): number {
  return n * n;
});

export const sleep = task(
  import.meta.url,
  function sleep<T>(ms: number, value: T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value), ms));
  },
);

/** Never settles. */
export const hang = task(import.meta.url, function hang(): Promise<never> {
  return new Promise<never>(() => {});
});

/** Spins the CPU for `ms` milliseconds, then returns `value`. */
export const spin = task(import.meta.url, function spin<T>(ms: number, value: T): T {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
  return value;
});

export const failWith = task(
  import.meta.url,
  function failWith(message: string, code = 7): never {
    throw new ValidationError(message, code);
  },
);

export const rejectLater = task(
  import.meta.url,
  async function rejectLater(message: string): Promise<never> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    throw new RangeError(message);
  },
);

/** Crashes its isolate: an error thrown from a timer, while the task waits forever. */
export const crashLater = task(
  import.meta.url,
  function crashLater(message: string): Promise<never> {
    return new Promise<never>(() => {
      setTimeout(() => {
        throw new Error(message);
      }, 1);
    });
  },
);

/** Crashes its isolate with an unhandled rejection. */
export const rejectUnhandled = task(
  import.meta.url,
  function rejectUnhandled(message: string): Promise<never> {
    Promise.reject(new TypeError(message));
    return new Promise<never>(() => {});
  },
);

/** Closes its own worker. */
export const closeSelf = task(import.meta.url, function closeSelf(): number {
  (globalThis as unknown as { close(): void }).close();
  return 1;
});

/** Ends its isolate or process with `code`. */
export const exitWith = task(import.meta.url, function exitWith(code: number): never {
  Deno.exit(code);
});

/** Ends its isolate or process through Node's API, with `code`. */
export const exitProcessWith = task(
  import.meta.url,
  async function exitProcessWith(code: number): Promise<number> {
    const { default: process } = await import("node:process");
    process.exit(code);
    return code;
  },
);

/** Allocates until the isolate runs out of memory. */
export const exhaustMemory = task(import.meta.url, function exhaustMemory(): number {
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array(1 << 20).fill(hoard.length));
});

export const isolateId = task(import.meta.url, function isolateId(): number {
  return currentIsolateId();
});

export const processId = task(import.meta.url, function processId(): number {
  return Deno.pid;
});

/** Returns something that cannot be cloned. */
export const returnFunction = task(import.meta.url, function returnFunction(): () => void {
  return () => {};
});

export const addToCounter = task(
  import.meta.url,
  function addToCounter(counter: SharedCounter, n: number): number {
    return counter.add(n);
  },
);

export const makeCounter = task(import.meta.url, async function makeCounter(start: number) {
  const { SharedCounter } = await import("./_shared.ts");
  const counter = new SharedCounter();
  counter.add(start);
  return counter;
});

/** Describes the types that arrived, to check what survives a boundary. */
export const typesOf = task(import.meta.url, function typesOf(value: unknown): string[] {
  return Object.values(value as Record<string, unknown>).map((item) =>
    Object.prototype.toString.call(item)
  );
});

/** For the stress test: fails (by throwing) when `n` is divisible by 7, else returns 2n. */
export const maybeFail = task(
  import.meta.url,
  async function maybeFail(n: number, delay = 0): Promise<number> {
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (n % 7 === 0) throw new ValidationError(`item ${n}`, n);
    return 2 * n;
  },
);

/** The state of a permission in the isolate or process that runs the task. */
export const permissionState = task(
  import.meta.url,
  async function permissionState(name: "env" | "net" | "read" | "write"): Promise<string> {
    return (await Deno.permissions.query({ name })).state;
  },
);

/** For AsyncPoolExecutor tests (this isolate): how many `overlap` calls run at once. */
export const overlapStats = { active: 0, peak: 0 };

export const overlap = task(
  import.meta.url,
  async function overlap(ms: number, value: number): Promise<number> {
    overlapStats.active++;
    overlapStats.peak = Math.max(overlapStats.peak, overlapStats.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return value;
    } finally {
      overlapStats.active--;
    }
  },
);

/** Mutates its argument: shows that AsyncPoolExecutor passes arguments as they are. */
export const pushInto = task(
  import.meta.url,
  function pushInto(list: number[], value: number): number {
    list.push(value);
    return list.length;
  },
);

/** Resolves with `ms` after `ms` milliseconds. */
export const delayed = task(
  import.meta.url,
  function delayed(ms: number): Promise<number> {
    return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
  },
);

/** Returns `n`, except that it ends its process (or worker) with code 4 when `n` is 2. */
export const exitOn = task(import.meta.url, function exitOn(n: number): number {
  if (n === 2) Deno.exit(4);
  return n;
});

/** Starts `sleep 30` as a child of its own, writes its pid to `file`, then waits forever. */
export const startSleeperAndHang = task(
  import.meta.url,
  async function startSleeperAndHang(file: string): Promise<never> {
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    await Deno.writeTextFile(file, String(sleeper.pid));
    return await new Promise<never>(() => {});
  },
);

/**
 * Spins until its context says cancelled (or `ms` pass), checking the shared-memory flag on
 * every turn; returns how it ended and this isolate's id.
 */
export const spinUntilCancelled = task(
  import.meta.url,
  function spinUntilCancelled(ms: number): string {
    const context = taskContext();
    const end = performance.now() + ms;
    while (performance.now() < end) {
      if (context.cancelled()) return `cancelled in ${currentIsolateId()}`;
    }
    return `ran out in ${currentIsolateId()}`;
  },
);

/** Waits for its context's signal, then throws its reason. */
export const waitForCancel = task(import.meta.url, async function waitForCancel(): Promise<never> {
  const { signal } = taskContext();
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  throw signal.reason;
});

/** Reports progress `0 .. steps - 1`, then returns `steps`. */
export const reportSteps = task(
  import.meta.url,
  async function reportSteps(steps: number): Promise<number> {
    const context = taskContext();
    for (let i = 0; i < steps; i++) {
      context.progress(i);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return steps;
  },
);

/** Reports progress `0 .. count - 1` as fast as it can, then returns `count`. */
export const reportRapidly = task(import.meta.url, function reportRapidly(count: number): number {
  const context = taskContext();
  for (let i = 0; i < count; i++) context.progress(i);
  return count;
});

/** Reports progress `0 .. count - 1` as fast as it can, then waits to be cancelled. */
export const reportThenWait = task(
  import.meta.url,
  async function reportThenWait(count: number): Promise<string> {
    const context = taskContext();
    for (let i = 0; i < count; i++) context.progress(i);
    const { signal } = context;
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    return "cancelled";
  },
);

/** Reports a value that cannot be cloned (a function) after `before` numbers, then returns. */
export const reportUnclonable = task(
  import.meta.url,
  function reportUnclonable(before: number): string {
    const context = taskContext();
    for (let i = 0; i < before; i++) context.progress(i);
    context.progress(() => {});
    return "returned";
  },
);

/** Spins for `ms`, calling `throwIfCancelled()` on every turn. */
export const spinChecking = task(import.meta.url, function spinChecking(ms: number): number {
  const context = taskContext();
  const end = performance.now() + ms;
  let turns = 0;
  while (performance.now() < end) {
    context.throwIfCancelled();
    turns++;
  }
  return turns;
});

/** Returns `n`, except for 2: a SharedArrayBuffer then, which cannot leave its process. */
export const sharedAtTwo = task(import.meta.url, function sharedAtTwo(n: number): unknown {
  return n === 2 ? new SharedArrayBuffer(8) : n;
});

// Streams. Each generator writes what it has done to files next to `path`, so that a test sees
// it from the parent whether it runs in a worker or in a child process: `path` holds how many
// values it has produced (written just before each yield), `path.closed` appears when its
// `finally` runs.

/** Yields 1..n (forever for n = Infinity), `pause` ms apart, logging as described above. */
export const countLogged = task(
  import.meta.url,
  async function* countLogged(
    path: string,
    n: number,
    pause = 0,
  ): AsyncGenerator<number, string, undefined> {
    try {
      for (let i = 1; i <= n; i++) {
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        Deno.writeTextFileSync(path, String(i));
        yield i;
      }
      return "all done";
    } finally {
      Deno.writeTextFileSync(`${path}.closed`, "closed");
    }
  },
);

/** Yields 1..n, then throws a ValidationError. */
export const yieldThenFail = task(
  import.meta.url,
  async function* yieldThenFail(n: number, message: string): AsyncGenerator<number> {
    for (let i = 1; i <= n; i++) yield i;
    throw new ValidationError(message, 42);
  },
);

/** Yields 1, then ends its worker (or process) with `Deno.exit(code)`. */
export const yieldThenExit = task(
  import.meta.url,
  async function* yieldThenExit(code: number): AsyncGenerator<number> {
    yield 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
    Deno.exit(code);
  },
);

/** Yields 1..n from an async function that returns an async iterable (not a generator). */
export const iterableOf = task(
  import.meta.url,
  async function iterableOf(n: number): Promise<AsyncIterable<number>> {
    await Promise.resolve();
    return {
      async *[Symbol.asyncIterator]() {
        for (let i = 1; i <= n; i++) yield i;
      },
    };
  },
);

/** Yields 1, 2, ... forever; its `finally` throws. */
export const failInFinally = task(
  import.meta.url,
  async function* failInFinally(): AsyncGenerator<number> {
    try {
      for (let i = 1;; i++) yield i;
    } finally {
      // deno-lint-ignore no-unsafe-finally
      throw new RangeError("finally failed");
    }
  },
);

/** Yields 1, then a function, which cannot be cloned, then (50 ms later) 3. */
export const yieldFunction = task(
  import.meta.url,
  async function* yieldFunction(): AsyncGenerator<unknown> {
    yield 1;
    yield () => {};
    await new Promise((resolve) => setTimeout(resolve, 50));
    yield 3;
  },
);

/** Yields 1, then a SharedArrayBuffer (which cannot leave a process), then 3. */
export const yieldShared = task(
  import.meta.url,
  async function* yieldShared(): AsyncGenerator<unknown> {
    yield 1;
    yield new SharedArrayBuffer(8);
    yield 3;
  },
);
