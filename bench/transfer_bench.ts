// A 64 MiB buffer's round trip to a worker and back, moved with transfer() against copied, next
// to the raw platform doing the same with one Worker (the group's baseline
// is the raw move). The pool has one worker, warmed outside the measured part, and is shut down
// when the bench process unloads (Deno.bench has no teardown).
import { transfer } from "@tandem/tandem/futures";
import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { returnBytes } from "../examples/tasks.ts";

const SIZE = 64 * 1024 * 1024;
const GROUP = "64 MiB buffer round trip";
// A copy of 64 MiB takes about half a second each way: fixed counts keep the run short.
const ROUNDS = 30;
const COPY_ROUNDS = 8;

// The raw platform: a web Worker that sends back what it receives, moved or copied as it came.
const ECHO = `data:application/javascript,${
  encodeURIComponent(
    "self.onmessage = ({ data: [bytes, move] }) => " +
      "self.postMessage(bytes, move ? [bytes.buffer] : []);",
  )
}`;
let raw: Worker | undefined;
function rawRoundTrip(
  bytes: Uint8Array<ArrayBuffer>,
  move: boolean,
): Promise<Uint8Array<ArrayBuffer>> {
  raw ??= new Worker(ECHO, { type: "module" });
  return new Promise((resolve) => {
    raw!.onmessage = (event) => resolve(event.data);
    raw!.postMessage([bytes, move], move ? [bytes.buffer] : []);
  });
}

const pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: Infinity });
const warm = pool.submit(returnBytes, new Uint8Array(1), false);
globalThis.addEventListener("unload", () => {
  raw?.terminate();
  pool.shutdown();
});

for (const move of [true, false]) {
  const how = move ? "moved" : "copied";
  let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(SIZE);
  Deno.bench({
    name: `raw postMessage, ${how}`,
    group: GROUP,
    baseline: move,
    n: move ? ROUNDS : COPY_ROUNDS,
    warmup: 2,
    async fn() {
      bytes = await rawRoundTrip(bytes, move);
    },
  });
}
for (const move of [true, false]) {
  let bytes: Uint8Array<ArrayBuffer> = new Uint8Array(SIZE);
  Deno.bench({
    name: move
      ? "WorkerPoolExecutor.submit, transfer() both ways"
      : "WorkerPoolExecutor.submit, copied",
    group: GROUP,
    n: move ? ROUNDS : COPY_ROUNDS,
    warmup: 2,
    async fn(b) {
      await warm;
      b.start();
      bytes = await pool.submit(returnBytes, move ? transfer(bytes) : bytes, move) as Uint8Array<
        ArrayBuffer
      >;
      b.end();
      if (bytes.length !== SIZE) throw new Error("the buffer came back short");
    },
  });
}
