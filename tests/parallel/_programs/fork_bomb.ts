// A new user's program: a task and a pool in one module, with no `if (import.meta.main)` guard.
// Every worker imports this module to find the task, and would create a pool of its own. Run
// by failure_paths_test.ts with the pool kind as the argument.
import { task } from "@tandem/tandem/futures";
import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";

export const square = task(import.meta.url, function square(n: number): number {
  return n * n;
});

const pool = Deno.args[0] === "process"
  ? new ProcessPoolExecutor({ maxWorkers: 2 })
  : new WorkerPoolExecutor({ maxWorkers: 2 });
try {
  console.log(await pool.submit(square, 7));
} catch (error) {
  console.log(`${(error as Error).name}: ${(error as Error).message}`);
}
const live = (globalThis as Record<symbol, Set<unknown>>)[Symbol.for("tandem.liveWorkers")];
console.log(`workers alive: ${live?.size ?? 0}`);
await pool.shutdown();
