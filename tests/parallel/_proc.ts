// Test helper: what /proc says about a process.

/** Whether process `pid` still runs (a zombie waiting for its reaper does not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Waits until process `pid` no longer runs, for at most `ms`; returns how long it took. */
export async function whenGone(pid: number, ms: number): Promise<number> {
  const start = performance.now();
  while (isRunning(pid) && performance.now() - start < ms) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}
