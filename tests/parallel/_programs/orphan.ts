// Run by failure_paths_test.ts, which kills this process while its process-pool child runs a
// CPU-bound task; the child must not outlive it. Prints the child's pid once the task runs.
import { ProcessPoolExecutor } from "@tandem/tandem/parallel";
import { processId, spin } from "../_tasks.ts";

const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
console.log(`child ${await pool.submit(processId)}`);
const running = pool.submit(spin, 30_000, "done");
await new Promise((resolve) => setTimeout(resolve, 300));
console.log("spinning");
await running;
