// The worker host's side of the fast lane, driven directly through its protocol: the races a
// parent under load can produce on purpose, without the parent's safety nets (the rescue timer
// and POKE), so that a lost wake-up shows as a call that is never answered.
import assert from "node:assert/strict";
import { Worker as NodeWorker } from "node:worker_threads";
import { readSimple, writeSimple } from "../../futures/_codec.ts";
import { allocateIsolate, isolateRegistry, markIsolateDead } from "../../futures/isolates.ts";
import {
  CALLS,
  type CallsMessage,
  CONTROL_BYTES,
  DONE,
  DOORBELL,
  type HostInit,
  type HostReply,
  MAILBOX_BYTES,
  READY,
  REQ_ID,
  REQ_OFFSET,
  REQ_REF,
  RES_ID,
  RES_KIND,
  RES_OFFSET,
  RES_VALUE,
} from "../../futures/_protocol.ts";
import { sleep, square } from "../parallel/_tasks.ts";

Deno.test("worker host still waits for fast calls after a message whose ring came late", async () => {
  // The parent posts a CALLS message and then rings the doorbell. Under load it can be descheduled
  // in between, long enough for the host to run the call and go idle: the host has then consumed a
  // ring that the parent has not made yet. Whatever the order, the host must be left waiting for
  // the next fast call.
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const cells = new Int32Array(control);
  const mailbox = new DataView(control);
  const isolate = allocateIsolate();
  const worker = new NodeWorker(new URL("../../futures/_worker_host.ts", import.meta.url), {
    workerData: {
      registry: isolateRegistry(),
      isolate,
      control,
      logToStderr: false,
    } satisfies HostInit,
  });
  const replies: HostReply[] = [];
  let onReply = () => {};
  worker.on("message", (reply: HostReply) => {
    replies.push(reply);
    onReply();
  });
  const nextReply = () => new Promise<void>((resolve) => onReply = resolve);
  const ring = () => Atomics.add(cells, DOORBELL, 1);
  const sendFast = (id: number, ref: number, args: unknown[]) => {
    writeSimple(mailbox, REQ_OFFSET, REQ_OFFSET + MAILBOX_BYTES, args);
    Atomics.store(cells, REQ_REF, ref);
    Atomics.store(cells, REQ_ID, id);
    ring();
    Atomics.notify(cells, DOORBELL);
  };
  // A pending Atomics.waitAsync does not keep Deno's event loop alive: hold a timer meanwhile.
  const answer = async (id: number, before: number): Promise<unknown> => {
    const waiting = Atomics.waitAsync(cells, RES_ID, before, 5_000);
    const timer = setTimeout(() => {}, 6_000);
    try {
      if (waiting.async) await waiting.value;
    } finally {
      clearTimeout(timer);
    }
    assert.equal(Atomics.load(cells, RES_ID), id, `fast call ${id} was never answered`);
    assert.equal(Atomics.load(cells, RES_KIND), RES_VALUE);
    return readSimple(mailbox, RES_OFFSET);
  };
  try {
    await nextReply();
    assert.deepEqual(replies.shift(), [READY]);

    // Call 1 by message, defining the two tasks (0: square, 1: sleep), rung on time.
    ring();
    worker.postMessage(
      [
        CALLS,
        1,
        [0, square.module, square.name, 1, sleep.module, sleep.name],
        0,
        [[7]],
        0,
      ] satisfies CallsMessage,
    );
    await nextReply();
    assert.deepEqual(replies.shift(), [DONE, 1, [49], 0]);

    // Call 2 on the fast lane, an async one; call 3 by message while it runs, its ring held back
    // until the host has run it too and gone idle.
    sendFast(2, 1, [50, "slept"]);
    worker.postMessage([CALLS, 3, 0, 0, [[9]], 0] satisfies CallsMessage);
    const done3 = nextReply();
    assert.equal(await answer(2, 0), "slept");
    await done3;
    assert.deepEqual(replies.shift(), [DONE, 3, [81], 0]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    ring();

    // Call 4 on the fast lane: mailbox, ring, notify, and no message.
    sendFast(4, 0, [8]);
    assert.equal(await answer(4, 2), 64);
  } finally {
    await worker.terminate();
    markIsolateDead(isolate);
  }
});
