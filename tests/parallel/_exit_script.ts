// Run as a child process by lifecycle_test.ts: exercises a pool, then lets the script end.
// Modes: "shutdown" (the pool is shut down), "forgotten" (never shut down; idleTimeout 100 ms),
// "oom" (a task exhausts the memory of its child process).
import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { exhaustMemory, square } from "./_tasks.ts";

const mode = Deno.args[0];
if (mode === "shutdown") {
  const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  console.log(await pool.submit(square, 3));
  await pool.shutdown();
  const processes = new ProcessPoolExecutor({ maxWorkers: 1 });
  console.log(await processes.submit(square, 4));
  await processes.shutdown();
} else if (mode === "forgotten") {
  const pool = new WorkerPoolExecutor({ maxWorkers: 2, idleTimeout: 100 });
  console.log(await pool.submit(square, 5));
} else if (mode === "oom") {
  await using pool = new ProcessPoolExecutor({
    maxWorkers: 1,
    denoArgs: ["--allow-read", "--v8-flags=--max-old-space-size=24"],
  });
  const [oom, after] = await Promise.allSettled([
    pool.submit(exhaustMemory),
    pool.submit(square, 6),
  ]);
  console.log(oom.status === "rejected" ? String(oom.reason.message) : "oom did not fail");
  console.log(after.status === "fulfilled" ? after.value : "lost");
}
