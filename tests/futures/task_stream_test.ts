// TaskStream, the reader's side of a stream, fed by hand: credit, parking, ending.
import assert from "node:assert/strict";
import { CancelledError, Future, TaskStream } from "@tandem/tandem/futures";

function fed(buffer: number) {
  const future = new Future<unknown>();
  future.setRunningOrNotifyCancel();
  const stream = new TaskStream<number>(future, buffer);
  const credits: number[] = [];
  const parks: boolean[] = [];
  stream.sink.open((n) => credits.push(n), (parked) => parks.push(parked));
  return { future, stream, credits, parks };
}

Deno.test("TaskStream returns credit in runs of half its buffer, as values are read", async () => {
  const { stream, credits } = fed(4);
  stream.sink.push([1, 2, 3, 4]);
  assert.deepEqual(credits, []);
  assert.deepEqual(await stream.next(), { value: 1, done: false });
  assert.deepEqual(credits, []);
  assert.deepEqual(await stream.next(), { value: 2, done: false });
  assert.deepEqual(credits, [2]);
});

Deno.test("TaskStream says its task is parked once it has sent all its credit, and unparked on read", async () => {
  const { stream, parks } = fed(2);
  stream.sink.push([1]);
  assert.deepEqual(parks, []);
  stream.sink.push([2]);
  assert.deepEqual(parks, [true]);
  await stream.next();
  assert.deepEqual(parks, [true, false]);
});

Deno.test("TaskStream hands values to waiting readers in order, then ends with the task", async () => {
  const { future, stream } = fed(8);
  const first = stream.next();
  const second = stream.next();
  stream.sink.push([1, 2, 3]);
  assert.deepEqual(await first, { value: 1, done: false });
  assert.deepEqual(await second, { value: 2, done: false });
  future.setResult("ignored");
  assert.deepEqual(await stream.next(), { value: 3, done: false });
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

Deno.test("TaskStream rejects a read with the task's error after its values, once", async () => {
  const { future, stream } = fed(8);
  stream.sink.push([1]);
  future.setException(new RangeError("broken"));
  assert.deepEqual(await stream.next(), { value: 1, done: false });
  await assert.rejects(stream.next(), RangeError);
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

Deno.test("TaskStream.return() asks the task to stop, and resolves when it has ended", async () => {
  const { future, stream, credits, parks } = fed(1);
  stream.sink.push([1]);
  let returned = false;
  const leaving = stream.return().then(() => returned = true);
  assert.deepEqual(credits, [0]);
  assert.deepEqual(parks, [true, false]);
  await Promise.resolve();
  assert.equal(returned, false, "return() waits for the task's finally");
  future.setResult(undefined);
  await leaving;
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

Deno.test("TaskStream.return() of a stream not started yet cancels its future", async () => {
  const future = new Future<unknown>();
  const stream = new TaskStream<number>(future, 4);
  assert.deepEqual(await stream.return(), { value: undefined, done: true });
  assert.ok(future.cancelled());
  await assert.rejects(future.result(), CancelledError);
  // A runner that opens it later is told to stop at once.
  const credits: number[] = [];
  stream.sink.open((n) => credits.push(n));
  assert.deepEqual(credits, [0]);
});
