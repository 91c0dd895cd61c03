// Private helper: wait for a wake-up with an optional timeout and AbortSignal.
import { onAbort } from "./checks.ts";
import { TimeoutError } from "./errors.ts";

/** What every waiting call of the hub accepts. */
export interface WaitLimits {
  timeout?: number;
  signal?: AbortSignal;
}

// The hub's one timeout check, under the name the hub's files import it by.
export { checkTimeout } from "./checks.ts";

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
    let unlisten = (): void => {};
    const finish = (error?: unknown, failed = false) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      if (timer !== undefined) clearTimeout(timer);
      unlisten();
      if (failed) reject(error);
      else resolve();
    };
    let unsubscribe: (() => void) | undefined = undefined;
    unsubscribe = subscribe(() => finish());
    if (settled) {
      unsubscribe();
      return;
    }
    if (timeout !== undefined && timeout !== Infinity) {
      timer = setTimeout(() => finish(new TimeoutError(timeoutMessage()), true), timeout);
    }
    unlisten = onAbort(signal, (reason) => finish(reason, true));
  });
}
