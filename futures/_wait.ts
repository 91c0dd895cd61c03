// Private helper: wait for a wake-up with an optional timeout and AbortSignal.
import { TimeoutError } from "./errors.ts";

/** What every waiting call of the hub accepts. */
export interface WaitLimits {
  timeout?: number;
  signal?: AbortSignal;
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

/**
 * Resolves once `subscribe` calls its wake-up function, rejects with a TimeoutError after
 * `timeout` ms or with `signal.reason` on abort. `subscribe` returns its own unsubscribe, which
 * runs on every exit path. If the wake-up comes synchronously inside `subscribe`, no timer is
 * started.
 */
export function waitForWake(
  subscribe: (wake: () => void) => () => void,
  limits: WaitLimits,
  timeoutMessage: () => string,
): Promise<void> {
  const { timeout, signal } = limits;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = (error?: unknown, failed = false) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (failed) reject(error);
      else resolve();
    };
    const onAbort = () => finish(signal!.reason, true);
    let unsubscribe: (() => void) | undefined = undefined;
    unsubscribe = subscribe(() => finish());
    if (settled) {
      unsubscribe();
      return;
    }
    if (timeout !== undefined && timeout !== Infinity) {
      timer = setTimeout(() => finish(new TimeoutError(timeoutMessage()), true), timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
