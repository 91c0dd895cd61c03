// Run by stream_test.ts: streams read half-way and never closed must not keep the program alive,
// whether their pools are shut down with cancelFutures or forgotten. Prints the values read,
// then "end".
import { ProcessPoolExecutor, WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { countTo } from "../../../examples/tasks.ts";

const pools = () => [new WorkerPoolExecutor({ maxWorkers: 1 }), new ProcessPoolExecutor()];

for (const pool of pools()) {
  const stream = pool.streamWith({ buffer: 2 }, countTo, Infinity);
  const first = await stream.next();
  const second = await stream.next();
  console.log(first.value, second.value);
  await pool.shutdown({ cancelFutures: true });
}
// Forgotten: the streams' tasks wait for a reader that is gone, which keeps nothing alive.
for (const pool of pools()) {
  const stream = pool.streamWith({ buffer: 2 }, countTo, Infinity);
  console.log((await stream.next()).value, (await stream.next()).value);
}
console.log("end");
