// Test helper: waiting for a process to end, as /proc shows it.
import { isRunning } from "../subprocess/_helpers.ts";

export { isRunning };

/** Waits until process `pid` no longer runs, for at most `ms`; returns how long it took. */
export async function whenGone(pid: number, ms: number): Promise<number> {
  const start = performance.now();
  while (isRunning(pid) && performance.now() - start < ms) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}
