// Run by failure_paths_test.ts: a function passed to a Thread is refused at start(), and an
// exception in a thread nobody joins is printed when it happens, then still reaches join().
import { Thread } from "@tandem/tandem/threads";
import { echo, failWith } from "../_tasks.ts";

try {
  new Thread(echo, () => 1).start();
} catch (error) {
  console.log(`start: ${(error as Error).name}: ${(error as Error).message}`);
}
const thread = new Thread(failWith, "thread failed", 1);
thread.start();
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log("joining");
await thread.join().catch((error) => console.log(`join: ${(error as Error).message}`));
