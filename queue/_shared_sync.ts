// Private: the minimal futex layer under SharedQueue. A short-held mutex word (Drepper,
// "Futexes are tricky", mutex 2) guards the queue's header and ring buffer; waiters for items,
// space or join sleep on sequence words that every change bumps, in bounded slices (never a busy
// loop), with Atomics.wait in workers and Atomics.waitAsync on the main thread.
import { currentIsolateId, isIsolateAlive } from "@tandem/tandem/futures";

/** Words of shared memory. */
export type Cells = Int32Array<SharedArrayBuffer>;

/** Whether this code runs in a worker, where blocking waits are allowed. */
export const IN_WORKER: boolean = "WorkerGlobalScope" in globalThis;

const SELF: number = currentIsolateId();

/** The longest single sleep: a sleeper re-checks at least this often (lost wake-ups, its end). */
const SLICE_MS = 50;

function checkAlive(): void {
  if (IN_WORKER && !isIsolateAlive(SELF)) {
    throw new Error(
      `Worker ${SELF} was terminated while waiting on a SharedQueue; leaving the wait so that ` +
        "it can stop",
    );
  }
}

/**
 * Takes the mutex at `cells[index]` (0 free, 1 held, 2 held with sleepers). The holder only
 * copies bytes (never runs user code, never awaits), so a contended acquire sleeps for
 * microseconds; that short wait is allowed on the main thread too, like the lock inside Python's
 * `queue.Queue.put_nowait`.
 */
export function lock(cells: Cells, index: number): void {
  let c = Atomics.compareExchange(cells, index, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(cells, index, 2);
  while (c !== 0) {
    Atomics.wait(cells, index, 2, SLICE_MS);
    checkAlive();
    c = Atomics.exchange(cells, index, 2);
  }
}

/** Releases the mutex, waking one sleeper if any. */
export function unlock(cells: Cells, index: number): void {
  if (Atomics.sub(cells, index, 1) !== 1) {
    Atomics.store(cells, index, 0);
    Atomics.notify(cells, index, 1);
  }
}

/** Bumps the sequence word at `index` and wakes everyone sleeping on it. */
export function bump(cells: Cells, index: number): void {
  Atomics.add(cells, index, 1);
  Atomics.notify(cells, index);
}

/** The deadline (this isolate's `performance.now()` clock) for a wait of `timeout` ms. */
export function deadlineOf(timeout: number | undefined): number {
  return timeout === undefined || timeout === Infinity ? Infinity : performance.now() + timeout;
}

function sliceUntil(deadline: number): number {
  return deadline === Infinity ? SLICE_MS : Math.min(SLICE_MS, deadline - performance.now());
}

/**
 * Sleeps (blocking; workers) while `cells[index] === seen`, for at most one slice and not past
 * `deadline`. Returns false without sleeping once the deadline has passed; true otherwise (the
 * caller re-checks). Throws if tandem terminated this worker meanwhile.
 */
export function sleep(cells: Cells, index: number, seen: number, deadline: number): boolean {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  Atomics.wait(cells, index, seen, ms);
  checkAlive();
  return true;
}

/**
 * The async twin of {@linkcode sleep}: never blocks; rejects with `signal.reason` on abort. The
 * caller holds the event loop open ({@linkcode holdEventLoop}) for the whole wait.
 */
export function sleepAsync(
  cells: Cells,
  index: number,
  seen: number,
  deadline: number,
  signal: AbortSignal | undefined,
): boolean | Promise<boolean> {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  signal?.throwIfAborted();
  const result = Atomics.waitAsync(cells, index, seen, ms);
  if (!result.async) return true;
  if (signal === undefined) return result.value.then(yes);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    // An abandoned waitAsync ends by itself within one slice.
    result.value.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
  });
}

function yes(): boolean {
  return true;
}

let holders = 0;
let holdTimer: ReturnType<typeof setInterval> | undefined;

function noop(): void {}

/**
 * Keeps the event loop alive while an async wait is pending: in Deno a pending
 * `Atomics.waitAsync` does not. Reference-counted; pair with {@linkcode releaseEventLoop}.
 */
export function holdEventLoop(): void {
  if (holders++ === 0) holdTimer = setInterval(noop, 1 << 30);
}

/** Ends one {@linkcode holdEventLoop}. */
export function releaseEventLoop(): void {
  if (--holders === 0) {
    clearInterval(holdTimer);
    holdTimer = undefined;
  }
}
