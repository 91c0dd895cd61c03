// Tasks for the pipeline tests' executor stages (a task must be a module's top-level export).
import { task } from "@tandem/tandem/futures";

/** Multiplies by three. */
export const triple = task(import.meta.url, function triple(n: number): number {
  return n * 3;
});

/** Multiplies by three after `n % 3` milliseconds, so results finish out of order. */
export const slowTriple = task(
  import.meta.url,
  async function slowTriple(n: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, n % 3));
    return n * 3;
  },
);

/** Throws a RangeError for 3, returns anything else. */
export const failOnThree = task(import.meta.url, function failOnThree(n: number): number {
  if (n === 3) throw new RangeError("three is not allowed");
  return n;
});
