/**
 * Tasks for the NATS package's tests and doc examples.
 *
 * @module
 */

import { task } from "@tandem/tandem/futures";

/** Doubles a number. */
export const double = task(import.meta.url, function double(n: number): number {
  return n * 2;
});

/** Does nothing: for throughput measurements. */
export const noop = task(import.meta.url, function noop(n: number): number {
  return n;
});

/** Throws a `RangeError` with the given message. */
export const fail = task(import.meta.url, function fail(message: string): never {
  throw new RangeError(message);
});

/** Resolves with `value` after `ms` milliseconds. */
export const sleepThen = task(
  import.meta.url,
  function sleepThen<T>(ms: number, value: T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value), ms));
  },
);

/** Appends `line` to the file at `path` (creating it), then resolves with `value` after `ms`. */
export const recordThen = task(
  import.meta.url,
  async function recordThen<T>(path: string, line: string, ms: number, value: T): Promise<T> {
    await Deno.writeTextFile(path, `${line}\n`, { append: true });
    await new Promise((resolve) => setTimeout(resolve, ms));
    return value;
  },
);

/** Returns the process id of the process that runs it. */
export const pid = task(import.meta.url, function pid(): number {
  return Deno.pid;
});

/** The book's naive greatest common divisor (item 64). */
export const gcd = task(import.meta.url, function gcd(pair: [number, number]): number {
  const [a, b] = pair;
  for (let i = Math.min(a, b); i > 0; i--) {
    if (a % i === 0 && b % i === 0) return i;
  }
  return 1;
});

/** Appends this process's id to the file at `path`, waits `ms`, then returns the id. */
export const pidThen = task(
  import.meta.url,
  async function pidThen(path: string, ms: number): Promise<number> {
    await Deno.writeTextFile(path, `${Deno.pid}\n`, { append: true });
    await new Promise((resolve) => setTimeout(resolve, ms));
    return Deno.pid;
  },
);
