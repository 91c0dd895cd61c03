// Tasks for the toThread tests: they run in the shared pool's workers.
import { isMainThread } from "node:worker_threads";
import { currentIsolateId, task } from "@tandem/tandem/futures";

/** Blocks its worker for `ms` milliseconds (a stand-in for a blocking system call). */
export const blockFor = task(import.meta.url, function blockFor(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
});

/** Throws a RangeError, to check that errors cross back with their class. */
export const refuse = task(import.meta.url, function refuse(what: string): never {
  throw new RangeError(`refused ${what}`);
});

/** Where it ran: the isolate's number, and whether that isolate may block (true in a worker). */
export const whereAmI = task(
  import.meta.url,
  function whereAmI(): { isolate: number; worker: boolean } {
    return { isolate: currentIsolateId(), worker: !isMainThread };
  },
);
