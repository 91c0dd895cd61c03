// Benchmarks for threads/: each group measures tandem against a raw-platform baseline.
//
// - uncontended acquire + release, on the main thread (one pair per iteration) and in a worker
//   (100,000 pairs per iteration), against a raw pair of Atomics.compareExchange;
// - the book's LockingCounter (5 workers x 100,000 locked increments), against Atomics.add (the
//   lock-free floor) and a minimal futex mutex written here (Drepper's mutex 2);
// - acquireAsync on the main thread, against the built-in Web Locks (navigator.locks.request);
// - Barrier round trips between two workers, against a minimal generation barrier.
//
// V8's experimental Atomics.Mutex cannot be sent to a Worker in Deno 2.9, so it is no baseline.
// This module is also the task module of the workers: the benches register only on the main
// thread.
import { task, TaskWorker } from "@tandem/tandem/futures";
import { Barrier, Lock, RLock } from "@tandem/tandem/threads";

type Cells = Int32Array<SharedArrayBuffer>;

const PAIRS = 100_000;
const WORKERS = 5;
const INCREMENTS = 100_000;
const ROUNDS = 1_000;

function cells(n: number): Cells {
  return new Int32Array(new SharedArrayBuffer(64 * n), 0, 16 * n);
}

// --- tasks (run in workers) ---------------------------------------------------------------

export const rawCasPairs = task(import.meta.url, function rawCasPairs(c: Cells, n: number): void {
  for (let i = 0; i < n; i++) {
    Atomics.compareExchange(c, 0, 0, 1);
    Atomics.compareExchange(c, 0, 1, 0);
  }
});

export const lockPairs = task(
  import.meta.url,
  function lockPairs(lock: Lock | RLock, n: number): void {
    for (let i = 0; i < n; i++) {
      lock.acquire();
      lock.release();
    }
  },
);

export const countAtomic = task(import.meta.url, function countAtomic(c: Cells, n: number): void {
  for (let i = 0; i < n; i++) Atomics.add(c, 16, 1);
});

export const countLocked = task(
  import.meta.url,
  function countLocked(lock: Lock, c: Cells, n: number): void {
    for (let i = 0; i < n; i++) {
      lock.acquire();
      c[16] += 1;
      lock.release();
    }
  },
);

// Drepper, "Futexes are tricky", mutex 2: 0 unlocked, 1 locked, 2 locked with waiters.
function futexLock(c: Cells): void {
  let s = Atomics.compareExchange(c, 0, 0, 1);
  if (s === 0) return;
  if (s !== 2) s = Atomics.exchange(c, 0, 2);
  while (s !== 0) {
    Atomics.wait(c, 0, 2);
    s = Atomics.exchange(c, 0, 2);
  }
}

function futexUnlock(c: Cells): void {
  if (Atomics.sub(c, 0, 1) !== 1) {
    Atomics.store(c, 0, 0);
    Atomics.notify(c, 0, 1);
  }
}

export const countFutex = task(import.meta.url, function countFutex(c: Cells, n: number): void {
  for (let i = 0; i < n; i++) {
    futexLock(c);
    c[16] += 1;
    futexUnlock(c);
  }
});

export const barrierRounds = task(
  import.meta.url,
  function barrierRounds(barrier: Barrier, rounds: number): void {
    for (let i = 0; i < rounds; i++) barrier.wait();
  },
);

// A minimal generation barrier: word 0 counts arrivals, word 16 is the generation.
export const rawBarrierRounds = task(
  import.meta.url,
  function rawBarrierRounds(c: Cells, parties: number, rounds: number): void {
    for (let i = 0; i < rounds; i++) {
      const generation = Atomics.load(c, 16);
      if (Atomics.add(c, 0, 1) + 1 === parties) {
        Atomics.store(c, 0, 0);
        Atomics.add(c, 16, 1);
        Atomics.notify(c, 16);
      } else {
        while (Atomics.load(c, 16) === generation) Atomics.wait(c, 16, generation);
      }
    }
  },
);

export const ready = task(import.meta.url, function ready(): void {});

// --- helpers --------------------------------------------------------------------------------

/** Starts `count` workers and loads this module in each, outside the timed section. */
async function startWorkers(count: number): Promise<TaskWorker[]> {
  const workers = Array.from({ length: count }, () => new TaskWorker());
  await Promise.all(workers.map((worker) => worker.run(ready, [])));
  return workers;
}

/**
 * A bench whose every iteration gets fresh workers (started and terminated outside the timed
 * section), so that no worker outlives the run.
 */
function workerBench(
  name: string,
  group: string,
  count: number,
  body: (workers: TaskWorker[]) => Promise<unknown>,
  baseline = false,
): void {
  Deno.bench({ name, group, baseline, n: 20, warmup: 3 }, async (b) => {
    const workers = await startWorkers(count);
    try {
      b.start();
      await body(workers);
      b.end();
    } finally {
      for (const worker of workers) worker.terminate();
    }
  });
}

// --- benches (main thread only) -------------------------------------------------------------

if (!("WorkerGlobalScope" in globalThis)) {
  const raw = cells(1);
  const lock = new Lock();
  const rlock = new RLock();
  const TRY = { blocking: false };

  Deno.bench({
    name: "raw Atomics CAS pair",
    group: "uncontended acquire+release (main thread)",
    baseline: true,
  }, () => {
    Atomics.compareExchange(raw, 0, 0, 1);
    Atomics.compareExchange(raw, 0, 1, 0);
  });

  Deno.bench({
    name: "Lock.acquire({ blocking: false }) + release()",
    group: "uncontended acquire+release (main thread)",
  }, () => {
    lock.acquire(TRY);
    lock.release();
  });

  Deno.bench({
    name: "RLock.acquire({ blocking: false }) + release()",
    group: "uncontended acquire+release (main thread)",
  }, () => {
    rlock.acquire(TRY);
    rlock.release();
  });

  const worker1 = "uncontended acquire+release x100,000 (in a worker)";
  workerBench(
    "raw Atomics CAS pairs",
    worker1,
    1,
    ([w]) => w.run(rawCasPairs, [cells(1), PAIRS]),
    true,
  );
  workerBench(
    "Lock.acquire() + release()",
    worker1,
    1,
    ([w]) => w.run(lockPairs, [new Lock(), PAIRS]),
  );
  workerBench(
    "RLock.acquire() + release()",
    worker1,
    1,
    ([w]) => w.run(lockPairs, [new RLock(), PAIRS]),
  );

  const counter = "LockingCounter: 5 workers x 100,000 increments";
  workerBench("Atomics.add (lock-free floor)", counter, WORKERS, async (workers) => {
    const c = cells(2);
    await Promise.all(workers.map((w) => w.run(countAtomic, [c, INCREMENTS])));
    if (c[16] !== WORKERS * INCREMENTS) throw new Error(`lost increments: ${c[16]}`);
  }, true);
  workerBench("raw futex mutex (Drepper)", counter, WORKERS, async (workers) => {
    const c = cells(2);
    await Promise.all(workers.map((w) => w.run(countFutex, [c, INCREMENTS])));
    if (c[16] !== WORKERS * INCREMENTS) throw new Error(`lost increments: ${c[16]}`);
  });
  workerBench("tandem Lock", counter, WORKERS, async (workers) => {
    const c = cells(2);
    const shared = new Lock();
    await Promise.all(workers.map((w) => w.run(countLocked, [shared, c, INCREMENTS])));
    if (c[16] !== WORKERS * INCREMENTS) throw new Error(`lost increments: ${c[16]}`);
  });

  // The Web Locks API exists in Deno, but its types are not in Deno's default lib.
  const webLocks = (navigator as unknown as {
    locks: { request(name: string, callback: () => void): Promise<void> };
  }).locks;
  const asyncGroup = "async acquire+release (main thread, uncontended)";
  Deno.bench({ name: "navigator.locks.request", group: asyncGroup, baseline: true }, async () => {
    await webLocks.request("tandem-bench", () => {});
  });
  Deno.bench({ name: "Lock.acquireAsync() + release()", group: asyncGroup }, async () => {
    await lock.acquireAsync();
    lock.release();
  });
  Deno.bench({ name: "await using Lock.holdAsync()", group: asyncGroup }, async () => {
    await using _held = await lock.holdAsync();
  });

  const barrierGroup = "Barrier: 2 workers x 1,000 round trips";
  workerBench("raw generation barrier", barrierGroup, 2, async (workers) => {
    const c = cells(2);
    await Promise.all(workers.map((w) => w.run(rawBarrierRounds, [c, 2, ROUNDS])));
  }, true);
  workerBench("tandem Barrier", barrierGroup, 2, async (workers) => {
    const barrier = new Barrier(2);
    await Promise.all(workers.map((w) => w.run(barrierRounds, [barrier, ROUNDS])));
  });
}
