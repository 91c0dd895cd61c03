// Run by failure_paths_test.ts: a CPU-bound task that times out is stopped in the middle of its
// computation, so the program ends right after shutdown instead of running on.
import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { spin } from "../_tasks.ts";

const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
await pool.submitWith({ timeout: 200 }, spin, 30_000, "late").result().catch((error) =>
  console.log(`${error.name}: ${error.message}`)
);
await pool.shutdown();
console.log(`end ${Date.now()}`);
