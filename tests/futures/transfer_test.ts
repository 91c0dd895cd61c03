import assert from "node:assert/strict";
import { transfer } from "@tandem/tandem/futures";
import {
  AsyncPoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { invertBytes } from "../../examples/tasks.ts";
import { byteLengths, byteSum, helloOn, keepAndMove, keptLength } from "./_tasks.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
const sumOf = (array: Uint8Array) => array.reduce((a, b) => a + b, 0);

Deno.test("transfer() moves an argument into a worker: detached here, intact there", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const data = bytes(100_000);
  const expected = sumOf(data);
  assert.equal(await pool.submit(byteSum, transfer(data)), expected);
  assert.equal(data.length, 0, "the typed array is detached on the sending side");
  assert.equal(data.buffer.byteLength, 0);
  // Unmarked, the same kind of argument is copied.
  const copied = bytes(1000);
  assert.equal(await pool.submit(byteSum, copied), sumOf(copied));
  assert.equal(copied.length, 1000, "an unmarked argument stays usable");
});

Deno.test("transfer() moves a task's result back: detached in the worker, intact here", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const buffer = bytes(1 << 20).buffer;
  const back = await pool.submit(keepAndMove, transfer(buffer));
  assert.equal(back.byteLength, 1 << 20);
  assert.equal(sumOf(new Uint8Array(back)), sumOf(bytes(1 << 20)));
  assert.equal(await pool.submit(keptLength), 0, "the worker's buffer moved out");
  const inverted = await pool.submit(invertBytes, transfer(new Uint8Array([0, 1, 255])));
  assert.deepEqual([...inverted], [255, 254, 0]);
});

Deno.test("transfer() with a list moves what the list names, inside any object", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const a = new ArrayBuffer(64);
  const b = new Uint16Array(8);
  const value = { a, b };
  assert.deepEqual(await pool.submit(byteLengths, transfer(value, [a, b])), [64, 16]);
  assert.equal(a.byteLength, 0);
  assert.equal(b.length, 0);
});

Deno.test("transfer() moves a MessagePort: the task talks back on it", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const { port1, port2 } = new MessageChannel();
  const heard = new Promise((resolve) => port1.onmessage = (event) => resolve(event.data));
  await pool.submit(helloOn, transfer(port2));
  assert.equal(await heard, "hello");
  port1.close();
});

Deno.test("a batch of map calls can move buffers too", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  const items = Array.from({ length: 40 }, (_, i) => bytes(100 + i));
  const sums = items.map(sumOf);
  const out: number[] = [];
  for await (
    const sum of pool.map(byteSum, items.map((item) => transfer(item)), { chunkSize: 8 })
  ) {
    out.push(sum);
  }
  assert.deepEqual(out, sums);
  assert.ok(items.every((item) => item.length === 0), "every moved item is detached");
});

Deno.test("a buffer that can no longer move fails its own call, naming the task; the pool carries on", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const data = bytes(10);
  await pool.submit(byteSum, transfer(data));
  const again = pool.submit(byteSum, transfer(data.buffer));
  const fine = pool.submit(byteSum, bytes(3));
  await assert.rejects(
    again.result(),
    (e) => e instanceof TypeError && /byteSum/.test(e.message),
  );
  assert.equal(await fine, 3);
});

Deno.test("to a child process a marked argument is copied once; the sender keeps it", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const data = bytes(50_000);
  assert.equal(await pool.submit(byteSum, transfer(data)), sumOf(data));
  assert.equal(data.length, 50_000, "nothing can move to a process: the sender keeps its bytes");
  const inverted = await pool.submit(invertBytes, transfer(new Uint8Array([1, 2])));
  assert.deepEqual([...inverted], [254, 253]);
  // The mark was used by that send: a later send to a worker copies.
  await using workers = new WorkerPoolExecutor({ maxWorkers: 1 });
  assert.equal(await workers.submit(byteSum, data), sumOf(data));
  assert.equal(data.length, 50_000);
});

Deno.test("in an AsyncPoolExecutor the task gets the marked value itself", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const data = new Uint8Array([5, 6]);
  assert.equal(await pool.submit(byteSum, transfer(data)), 11);
  assert.equal(data.length, 2);
});

Deno.test("transfer() refuses what cannot move, naming the parameter and quoting the value", () => {
  assert.throws(
    () => transfer(5 as unknown as object),
    { name: "TypeError", message: "Cannot transfer: 'value' must be an object, received 5" },
  );
  assert.throws(
    () => transfer({ plain: true }),
    (e) =>
      e instanceof TypeError &&
      /'value' must be an ArrayBuffer, .*received an object/.test(e.message),
  );
  assert.throws(
    () => transfer({}, "buffers" as unknown as unknown[]),
    (e) =>
      e instanceof TypeError &&
      /'transferables' must be an array, received "buffers" \(a string\)/.test(e.message),
  );
  assert.throws(
    () => transfer({}, [new ArrayBuffer(1), [1]]),
    (e) =>
      e instanceof TypeError &&
      /'transferables\[1\]' must be .*received an array of length 1/.test(e.message),
  );
  const shared = new Uint8Array(new SharedArrayBuffer(4));
  assert.throws(() => transfer(shared), /'value' must be an ArrayBuffer/);
});
