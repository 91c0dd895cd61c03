/**
 * Item 54: Use `Lock` to prevent data races in threads. Five threads count 10**5 sensor readings
 * each into one counter in shared memory, starting together at a `Barrier(5)`. With a `Lock`
 * around each read-modify-write the count is exact; without it, increments are lost (workers
 * run in parallel on every core, there is no GIL to make it merely rare).
 *
 * @module
 */

import {
  fromHandle,
  type Shareable,
  type SharedHandle,
  task,
  toHandle,
} from "@tandem/tandem/futures";
import { Barrier, Lock, Thread } from "@tandem/tandem/threads";

const HOW_MANY = 10 ** 5;
const THREADS = 5;

/** The book's `LockingCounter`, in shared memory, passable to threads as one object. */
export class LockingCounter implements Shareable {
  readonly lock: Lock;
  readonly cells: Int32Array<SharedArrayBuffer>;

  constructor(lock = new Lock(), cells = new Int32Array(new SharedArrayBuffer(64), 0, 1)) {
    this.lock = lock;
    this.cells = cells;
  }

  get count(): number {
    return this.cells[0];
  }

  increment(offset: number): void {
    using _held = this.lock.hold();
    this.cells[0] += offset;
  }

  // A shareable object made of shareable parts: the lock's handle state travels inside ours.
  [toHandle](): SharedHandle {
    return {
      module: import.meta.url,
      name: "LockingCounter",
      state: { lock: this.lock[toHandle]().state, cells: this.cells },
    };
  }

  static [fromHandle](state: unknown): LockingCounter {
    const { lock, cells } = state as { lock: unknown; cells: Int32Array<SharedArrayBuffer> };
    return new LockingCounter(Lock[fromHandle](lock), cells);
  }
}

/** The book's first `Counter`: no lock, so `count += offset` races. */
export class Counter implements Shareable {
  readonly cells: Int32Array<SharedArrayBuffer>;

  constructor(cells = new Int32Array(new SharedArrayBuffer(64), 0, 1)) {
    this.cells = cells;
  }

  get count(): number {
    return this.cells[0];
  }

  increment(offset: number): void {
    this.cells[0] += offset;
  }

  [toHandle](): SharedHandle {
    return { module: import.meta.url, name: "Counter", state: this.cells };
  }

  static [fromHandle](state: unknown): Counter {
    return new Counter(state as Int32Array<SharedArrayBuffer>);
  }
}

/** The book's `worker`: waits for all threads at the barrier, then counts its readings. */
export const worker = task(
  import.meta.url,
  function worker(
    _sensorIndex: number,
    howMany: number,
    counter: LockingCounter | Counter,
    barrier: Barrier,
  ): void {
    // The barrier makes the workers start counting together; otherwise a race is hard to see,
    // because starting a thread costs more than counting.
    barrier.wait();
    for (let i = 0; i < howMany; i++) {
      // Read from the sensor: nothing happens here, but this is where blocking I/O would go.
      counter.increment(1);
    }
  },
);

async function count(counter: LockingCounter | Counter): Promise<number> {
  const barrier = new Barrier(THREADS);
  const threads: Thread[] = [];
  for (let i = 0; i < THREADS; i++) {
    const thread = new Thread(worker, i, HOW_MANY, counter, barrier);
    threads.push(thread);
    thread.start();
  }
  for (const thread of threads) await thread.join();
  return counter.count;
}

/** Runs the demo. */
export async function main(): Promise<void> {
  const expected = HOW_MANY * THREADS;

  console.log("Without a lock (Counter), five threads in parallel:");
  // The threads race only while they overlap; on a busy machine a run can finish unharmed, so
  // try a few times.
  let racy = expected;
  let attempts = 0;
  while (racy === expected && attempts < 5) {
    attempts++;
    racy = await count(new Counter());
  }
  console.log(`Counter should be ${expected}, got ${racy}`);
  console.log(
    `  (${expected - racy} increments lost${
      attempts > 1 ? ` on attempt ${attempts}` : ""
    }; the number changes from run to run)`,
  );

  console.log("\nWith a Lock around each increment (LockingCounter):");
  const found = await count(new LockingCounter());
  console.log(`Counter should be ${expected}, got ${found}`);
}

if (import.meta.main) {
  await main();
}
