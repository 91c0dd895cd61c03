// Private: the futex layer under every shared-memory primitive of threads/. Words live in
// Int32Arrays over SharedArrayBuffers; waiters sleep in Atomics.wait (workers) or
// Atomics.waitAsync (the main thread, or async code anywhere), always in bounded slices so that a
// sleeper notices a dead lock owner, a lost wake-up or its own termination without a notify, and
// without burning a core.
import { currentIsolateId, isIsolateAlive, TimeoutError } from "@tandem/tandem/futures";

/** Words of shared memory. */
export type Cells = Int32Array<SharedArrayBuffer>;

/**
 * Whether this code runs in a worker, where blocking waits are allowed. The main thread must not
 * block: `Atomics.wait` works there in Deno, but it would freeze the event loop.
 */
export const IN_WORKER: boolean = "WorkerGlobalScope" in globalThis;

/** This isolate's number (see `currentIsolateId`): the owner id that locks record. */
export const SELF: number = currentIsolateId();

/** The longest single sleep: how late a sleeper may notice a dead owner or its own end. */
export const SLICE_MS = 50;

/** Allocates `count` words, zeroed, in their own cache line(s) to avoid false sharing. */
export function allocate(count: number): Cells {
  const bytes = Math.max(64, Math.ceil((count * 4) / 64) * 64);
  return new Int32Array(new SharedArrayBuffer(bytes), 0, count);
}

/** Checks the state a handle carries: `count` words over shared memory. */
export function cellsFrom(what: string, state: unknown, count: number): Cells {
  if (
    !(state instanceof Int32Array) || !(state.buffer instanceof SharedArrayBuffer) ||
    state.length !== count
  ) {
    throw new TypeError(
      `Cannot rebuild ${what} from its handle: the state must be an Int32Array of ${count} ` +
        "words over a SharedArrayBuffer",
    );
  }
  return state as Cells;
}

/** Throws a RangeError naming `what` unless `timeout` is undefined or a number >= 0. */
export function checkTimeout(what: string, timeout: number | undefined): void {
  if (timeout === undefined) return;
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${what}: 'timeout' must be a non-negative number of milliseconds, received ${
        String(timeout)
      }`,
    );
  }
}

/** The deadline (on this isolate's `performance.now()` clock) for a wait of `timeout` ms. */
export function deadlineOf(timeout: number | undefined): number {
  return timeout === undefined || timeout === Infinity ? Infinity : performance.now() + timeout;
}

/**
 * Throws unless this isolate may block. `what` completes "Cannot ...", `instead` names the async
 * form to use on the main thread.
 */
export function assertCanBlock(what: string, instead: string): void {
  if (!IN_WORKER) {
    throw new Error(
      `Cannot ${what} on the main thread: a blocking wait (Atomics.wait) would freeze the ` +
        `event loop. Use ${instead} there; the blocking form is for workers (Thread, pools)`,
    );
  }
}

/** The TimeoutError every async form rejects with. */
export function timeoutError(what: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(`Timed out after ${timeout} ms waiting to ${what}`);
}

function terminated(): Error {
  return new Error(
    `Worker ${SELF} was terminated while waiting on shared memory; leaving the wait so that it ` +
      "can stop",
  );
}

function sliceUntil(deadline: number): number {
  if (deadline === Infinity) return SLICE_MS;
  return Math.min(SLICE_MS, deadline - performance.now());
}

/**
 * Sleeps (blocking, workers only) while `cells[index] === expected`, for at most one slice and not
 * past `deadline`. Returns false, without sleeping, once the deadline has passed; true otherwise
 * (woken, value changed, or slice over: the caller re-checks). Throws if tandem terminated this
 * worker meanwhile, so that a terminated worker leaves its wait loop: Deno only stops a worker
 * when it returns to its event loop.
 */
export function sleep(cells: Cells, index: number, expected: number, deadline: number): boolean {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  Atomics.wait(cells, index, expected, ms);
  if (!isIsolateAlive(SELF)) throw terminated();
  return true;
}

/**
 * The async twin of {@linkcode sleep}: never blocks. Rejects with `signal.reason` on abort. The
 * caller holds the event loop open (see {@linkcode holdEventLoop}) for the whole wait.
 */
export function sleepAsync(
  cells: Cells,
  index: number,
  expected: number,
  deadline: number,
  signal: AbortSignal | undefined,
): boolean | Promise<boolean> {
  const ms = sliceUntil(deadline);
  if (!(ms > 0)) return false;
  signal?.throwIfAborted();
  const result = Atomics.waitAsync(cells, index, expected, ms);
  if (!result.async) return true;
  if (signal === undefined) return result.value.then(yes);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    // An abandoned waitAsync ends by itself within one slice; it may swallow one notify, which
    // every sleeper's next slice makes up for.
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
 * Keeps the event loop alive while an async wait is pending: in Deno a pending `Atomics.waitAsync`
 * does not, so a top-level `await` on it would end the program ("promise never resolved").
 * Reference-counted: one timer for all async waiters of this isolate. Pair with
 * {@linkcode releaseEventLoop} in a `finally`.
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

/** Checks that `n` is a positive integer (for `release(n)`, `notify(n)`). */
export function checkCount(what: string, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot ${what}: '${name}' must be a positive integer, received ${n}`);
  }
}
