// Tasks for the threads tests: each runs in a worker started by a Thread (or a TaskWorker) and
// receives shared primitives as live arguments.
import { currentIsolateId, task } from "@tandem/tandem/futures";
import {
  assertCanBlock,
  type Barrier,
  canBlock,
  type Condition,
  deadlineOf,
  type Event,
  type Lock,
  type RLock,
  type Semaphore,
  waitWord,
} from "@tandem/tandem/threads";

type Cells = Int32Array<SharedArrayBuffer>;

/** A non-atomic read-modify-write, made slow enough that unprotected increments collide. */
function bump(cells: Cells, index: number): void {
  const seen = cells[index];
  let spin = 0;
  for (let i = 0; i < 8; i++) spin += i;
  cells[index] = seen + 1 + (spin - 28);
}

export const countUnderLock = task(
  import.meta.url,
  function countUnderLock(lock: Lock | RLock, counter: Cells, n: number): number {
    for (let i = 0; i < n; i++) {
      lock.acquire();
      try {
        bump(counter, 0);
      } finally {
        lock.release();
      }
    }
    return currentIsolateId();
  },
);

export const countWithHold = task(
  import.meta.url,
  function countWithHold(lock: Lock | Semaphore, counter: Cells, n: number): void {
    for (let i = 0; i < n; i++) {
      using _held = lock.hold();
      bump(counter, 0);
    }
  },
);

export const countReentrant = task(
  import.meta.url,
  function countReentrant(rlock: RLock, counter: Cells, n: number): void {
    for (let i = 0; i < n; i++) {
      using _outer = rlock.hold();
      using _inner = rlock.hold();
      bump(counter, 0);
    }
  },
);

export const countWithoutLock = task(
  import.meta.url,
  function countWithoutLock(counter: Cells, n: number): void {
    for (let i = 0; i < n; i++) bump(counter, 0);
  },
);

export const tryAcquire = task(
  import.meta.url,
  function tryAcquire(lock: Lock | RLock | Semaphore, timeout?: number): boolean {
    return timeout === undefined ? lock.acquire({ blocking: false }) : lock.acquire({ timeout });
  },
);

export const tryHold = task(
  import.meta.url,
  function tryHold(lock: Lock | RLock | Semaphore, timeout: number): string {
    try {
      using _held = lock.hold({ timeout });
      return "held";
    } catch (error) {
      return (error as Error).name;
    }
  },
);

export const acquireAndRelease = task(
  import.meta.url,
  function acquireAndRelease(lock: Lock | RLock): boolean {
    lock.acquire();
    const died = lock.ownerDied;
    lock.release();
    return died;
  },
);

export const holdAndReport = task(
  import.meta.url,
  function holdAndReport(lock: Lock): boolean {
    using held = lock.hold({ timeout: 10_000 });
    return held.ownerDied;
  },
);

/** Acquires, signals `acquired`, then idles in its event loop forever (until terminated). */
export const holdForever = task(
  import.meta.url,
  async function holdForever(lock: Lock | RLock, acquired: Event): Promise<never> {
    lock.acquire();
    acquired.set();
    return await new Promise<never>(() => {});
  },
);

export const releaseIt = task(
  import.meta.url,
  function releaseIt(lock: Lock | RLock | Condition): void {
    lock.release();
  },
);

/** Waits on `condition`; `state[0]` counts waiters registered, `state[1]` waiters woken. */
export const waitForNotify = task(
  import.meta.url,
  function waitForNotify(condition: Condition, state: Cells, timeout?: number): boolean {
    using _held = condition.hold();
    state[0]++;
    const notified = condition.wait({ timeout });
    state[1]++;
    return notified;
  },
);

/**
 * Ping-pong over `box[0]`: the worker turns odd values even, `rounds` times, waiting on the
 * condition each time.
 */
export const pong = task(
  import.meta.url,
  function pong(condition: Condition, box: Cells, rounds: number): number {
    for (let i = 0; i < rounds; i++) {
      using _held = condition.hold();
      condition.waitFor(() => box[0] % 2 === 1);
      box[0]++;
      condition.notifyAll();
    }
    return box[0];
  },
);

export const waitUnowned = task(
  import.meta.url,
  function waitUnowned(condition: Condition): string {
    try {
      condition.wait({ timeout: 1 });
      return "waited";
    } catch (error) {
      return (error as Error).message;
    }
  },
);

/** Enters the semaphore `n` times; `state[0]` is how many are inside, `state[1]` the peak. */
export const enterLimited = task(
  import.meta.url,
  function enterLimited(semaphore: Semaphore, state: Cells, n: number): void {
    for (let i = 0; i < n; i++) {
      using _slot = semaphore.hold();
      const inside = Atomics.add(state, 0, 1) + 1;
      let peak = Atomics.load(state, 1);
      while (inside > peak) {
        const prev = Atomics.compareExchange(state, 1, peak, inside);
        if (prev === peak) break;
        peak = prev;
      }
      Atomics.wait(state, 2, 0, 1);
      Atomics.sub(state, 0, 1);
    }
  },
);

export const waitEvent = task(
  import.meta.url,
  function waitEvent(event: Event, timeout?: number): boolean {
    return event.wait({ timeout });
  },
);

/** Waits at the barrier `rounds` times; returns the arrival indexes. */
export const barrierRounds = task(
  import.meta.url,
  function barrierRounds(barrier: Barrier, rounds: number, timeout?: number): number[] {
    const indexes: number[] = [];
    for (let i = 0; i < rounds; i++) indexes.push(barrier.wait({ timeout }));
    return indexes;
  },
);

/** One wait at the barrier; returns the index or the name of the error. */
export const barrierOnce = task(
  import.meta.url,
  function barrierOnce(barrier: Barrier, timeout?: number): number | string {
    try {
      return barrier.wait({ timeout });
    } catch (error) {
      return (error as Error).name;
    }
  },
);

let trips: Cells | undefined;

/** Barrier action: counts trips in the array that `barrierCounting` registered here. */
export const countTrip = task(import.meta.url, function countTrip(): void {
  if (trips !== undefined) Atomics.add(trips, 0, 1);
});

export const failingAction = task(import.meta.url, function failingAction(): void {
  throw new RangeError("action failed");
});

/** Registers `counter` for {@linkcode countTrip} in this isolate, then waits `rounds` times. */
export const barrierCounting = task(
  import.meta.url,
  function barrierCounting(barrier: Barrier, counter: Cells, rounds: number): number[] {
    trips = counter;
    const seen: number[] = [];
    for (let i = 0; i < rounds; i++) {
      barrier.wait({ timeout: 10_000 });
      seen.push(Atomics.load(counter, 0));
    }
    return seen;
  },
);

export const throwTypeError = task(
  import.meta.url,
  function throwTypeError(message: string): never {
    throw new TypeError(message, { cause: new RangeError("the cause") });
  },
);

export const whoAmI = task(import.meta.url, function whoAmI(): number {
  return currentIsolateId();
});

export const waitForever = task(import.meta.url, function waitForever(): Promise<never> {
  return new Promise<never>(() => {});
});

/** Blocks on a lock that is never released (until the worker is terminated). */
export const blockOn = task(
  import.meta.url,
  function blockOn(lock: Lock, started: Event): boolean {
    started.set();
    return lock.acquire();
  },
);

export const blockInWait = task(
  import.meta.url,
  function blockInWait(event: Event, started: Event): boolean {
    started.set();
    return event.wait();
  },
);

/**
 * Waits (blocking, with `waitWord`) while `words[index] === expected`, up to `timeout` ms;
 * returns the word's value then, or null on timeout.
 */
export const waitWhileWord = task(
  import.meta.url,
  function waitWhileWord(
    words: Cells,
    index: number,
    expected: number,
    timeout?: number,
  ): number | null {
    assertCanBlock("wait on a word", "waitWordAsync()");
    const deadline = deadlineOf(timeout);
    for (;;) {
      const value = Atomics.load(words, index);
      if (value !== expected) return value;
      if (!waitWord(words, index, expected, deadline)) return null;
    }
  },
);

/** Whether a worker may block, as `canBlock` says there. */
export const reportCanBlock = task(import.meta.url, function reportCanBlock(): boolean {
  return canBlock;
});
