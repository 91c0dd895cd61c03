// Run by stream_test.ts: streams read half-way and never closed must not keep the program alive
// once their pools are shut down. Prints the values read, then "end".
import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { countTo } from "../../../examples/tasks.ts";

for (const pool of [new WorkerPoolExecutor({ maxWorkers: 1 }), new ProcessPoolExecutor()]) {
  const stream = pool.streamWith({ buffer: 2 }, countTo, Infinity);
  const first = await stream.next();
  const second = await stream.next();
  console.log(first.value, second.value);
  await pool.shutdown({ cancelFutures: true });
}
console.log("end");
