// Run by failure_paths_test.ts: pools never shut down must not keep the program alive. Prints
// the wall-clock time at which the main module ends.
import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { toThread } from "@tandem/tandem/coroutines";
import { square } from "../_tasks.ts";

const workers = new WorkerPoolExecutor({ maxWorkers: 2 });
const processes = new ProcessPoolExecutor({ maxWorkers: 1 });
console.log(await workers.submit(square, 3), await processes.submit(square, 4));
console.log(await toThread(square, 5));
console.log(`end ${Date.now()}`);
