// Run without --allow-read by failure_paths_test.ts: a pool, a Thread and toThread cannot start
// their workers, and each says why, at once.
import { BrokenExecutorError } from "@tandem/tandem/futures";
import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { Thread } from "@tandem/tandem/threads";
import { toThread } from "@tandem/tandem/coroutines";
import { double } from "../../../examples/tasks.ts";

function show(what: string, error: unknown): void {
  const broken = error instanceof BrokenExecutorError ? "BrokenExecutorError" : String(error);
  console.log(`${what}: ${broken}: ${(error as Error).message}`);
}

const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
const futures = Array.from({ length: 6 }, (_, i) => pool.submit(double, i));
for (const [i, result] of (await Promise.allSettled(futures)).entries()) {
  if (result.status === "rejected") show(`pool task ${i}`, result.reason);
}
try {
  pool.submit(double, 1);
} catch (error) {
  show("submit after", error);
}
await pool.shutdown();
const thread = new Thread(double, 2);
thread.start();
await thread.join().catch((error) => show("thread", error));
await toThread(double, 3).result().catch((error) => show("toThread", error));
