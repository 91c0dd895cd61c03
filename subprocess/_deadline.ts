// Private helper: wait for a promise with an optional timeout (ms) and AbortSignal.
import { onAbort } from "@tandem/tandem/futures";

/** What {@linkcode deadline} resolves with when the timeout runs out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

// setTimeout fires at once for delays above 2^31 - 1 ms, so longer waits re-arm.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Settles like `promise`, unless `timeout` ms pass first (resolves with {@linkcode TIMED_OUT})
 * or `signal` aborts first (rejects with `signal.reason`). The promise itself is unaffected, and
 * its settlement is always observed, so a late rejection is never unhandled. Timers and
 * listeners are released on every path. A timeout of 0 still lets an already-settled promise
 * win.
 */
export function deadline<T>(
  promise: Promise<T>,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T | typeof TIMED_OUT> {
  if ((timeout === undefined || timeout === Infinity) && signal === undefined) return promise;
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    let unlisten = (): void => {};
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      unlisten();
      return true;
    };
    promise.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error) => {
        if (finish()) reject(error);
      },
    );
    if (signal?.aborted) {
      if (finish()) reject(signal.reason);
      return;
    }
    unlisten = onAbort(signal, (reason) => {
      if (finish()) reject(reason);
    });
    if (timeout === undefined || timeout === Infinity) return;
    const end = performance.now() + timeout;
    const arm = (delay: number) => {
      timer = setTimeout(() => {
        const left = end - performance.now();
        if (left > 0) arm(left);
        else if (finish()) resolve(TIMED_OUT);
      }, Math.min(delay, MAX_DELAY));
    };
    arm(timeout);
  });
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unlisten();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unlisten = onAbort(signal, done);
  });
}
