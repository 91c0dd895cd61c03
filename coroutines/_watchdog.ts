// Private: the event-loop monitor's watchdog, a task that runs on a TaskWorker (the hub's one
// worker host) and watches the main thread's heartbeat in shared memory. It blocks its own
// worker with Atomics.wait, which is what workers are for, until the STOP word is set.
//
// Shared words (Int32Array over a SharedArrayBuffer, written with Atomics):
//   STOP         set to 1 by the main thread to end the task (then notified)
//   READY        set to 1 by the watchdog when it starts watching (then notified)
//   BEAT         bumped by the main thread's heartbeat timer every `interval` ms
//   STALL_BEAT   the BEAT value during the latest stall the watchdog saw (-1: none yet)
//   STALL_LABEL  the label id (see _labels.ts) running during that stall (0: none seen)
// The label word is a separate Int32Array holding the id of the labelled work running now.
import { task } from "@tandem/tandem/futures";

export const STOP = 0;
export const READY = 1;
export const BEAT = 2;
export const STALL_BEAT = 3;
export const STALL_LABEL = 4;
export const WORDS = 5;

/**
 * Watches `control[BEAT]`. When it has not moved for two heartbeat intervals, the main thread
 * is stalled: the watchdog records which labelled work is running (the first non-zero label it
 * sees during the stall) under the stalled BEAT value, where the main thread finds it when its
 * heartbeat timer runs again and measures the gap. Returns how many stalls it saw.
 */
export const watchEventLoop = task(
  import.meta.url,
  function watchEventLoop(
    control: Int32Array<SharedArrayBuffer>,
    label: Int32Array<SharedArrayBuffer>,
    interval: number,
  ): number {
    Atomics.store(control, READY, 1);
    Atomics.notify(control, READY);
    let stalls = 0;
    let lastBeat = Atomics.load(control, BEAT);
    let lastChange = performance.now();
    while (Atomics.load(control, STOP) === 0) {
      Atomics.wait(control, STOP, 0, interval);
      const beat = Atomics.load(control, BEAT);
      const now = performance.now();
      if (beat !== lastBeat) {
        lastBeat = beat;
        lastChange = now;
        continue;
      }
      if (now - lastChange < 2 * interval) continue;
      const current = Atomics.load(label, 0);
      if (Atomics.load(control, STALL_BEAT) !== beat) {
        // Label first, then the beat it belongs to: the main thread reads them the other way.
        Atomics.store(control, STALL_LABEL, current);
        Atomics.store(control, STALL_BEAT, beat);
        stalls++;
      } else if (current !== 0 && Atomics.load(control, STALL_LABEL) === 0) {
        Atomics.store(control, STALL_LABEL, current);
      }
    }
    return stalls;
  },
);
