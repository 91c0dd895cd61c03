// Private: the producer's side of a stream, written once for every place a streamed task runs
// (the worker host, and the async pool on this event loop). It takes values from the task's
// async iterator while it has credit, waits for credit otherwise, and closes the iterator (so
// the generator's `finally` runs where it runs) when the reader leaves or the call is cancelled.
import { describeValue } from "./checks.ts";

/** One stream's credit, as the producer sees it. */
export interface Credit {
  /** How many more values may be sent. */
  credit: number;
  /** The reader has left: close the generator. */
  stopped: boolean;
  /** Wakes the pump that waits for credit, if one does. */
  wake: (() => void) | undefined;
}

/** A new credit record with `buffer` values of credit. */
export function newCredit(buffer: number): Credit {
  return { credit: buffer, stopped: false, wake: undefined };
}

/** Adds `n` values of credit, or stops the stream for `n === 0`. */
export function grant(credit: Credit, n: number): void {
  if (n === 0) credit.stopped = true;
  else credit.credit += n;
  wakePump(credit);
}

// Wakes the pump waiting for credit, if one does, to look again.
function wakePump(credit: Credit): void {
  const wake = credit.wake;
  credit.wake = undefined;
  wake?.();
}

/** How a pump reaches the rest of its call. */
export interface PumpHooks {
  /** The task, described, for messages. */
  readonly what: string;
  /** Sends values to the reader, in order (throws if they cannot travel). */
  send(values: unknown[]): void;
  /** Whether the call has been cancelled; then `cancelReason()` is what it ends with. */
  cancelled(): boolean;
  cancelReason(): unknown;
  /** Aborts when the call is cancelled, to wake a pump waiting for credit. */
  readonly signal: AbortSignal | undefined;
  /** Whether to gather values into runs (false: send each at once, when sending is free). */
  readonly batch: boolean;
}

const MAX_BATCH = 128;
const BATCH_MS = 1;

/** Whether `value` can be streamed. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/**
 * Streams what `source` yields. Values are sent in runs: when credit runs out, every
 * MAX_BATCH values, and at the latest BATCH_MS after the first value of a run.
 *
 * @returns The generator's return value.
 * @throws What the generator throws; `cancelReason()` if the call was cancelled; a TypeError if
 * `source` is not an async iterable.
 */
export async function pump(source: unknown, credit: Credit, hooks: PumpHooks): Promise<unknown> {
  if (!isAsyncIterable(source)) {
    throw new TypeError(
      `Task ${hooks.what} was streamed, but it returned ${
        describeValue(source)
      }, not an async iterable: stream an async generator function, or use submit() for one value`,
    );
  }
  const iterator = source[Symbol.asyncIterator]();
  let batch: unknown[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const values = batch;
    batch = [];
    hooks.send(values);
  };
  // A run sent by the timer that cannot travel fails the stream at its next step.
  let late: { error: unknown } | undefined;
  const sendLater = (): void => {
    try {
      send();
    } catch (error) {
      late = { error };
    }
  };
  const wakeOnCancel = (): void => wakePump(credit);
  hooks.signal?.addEventListener("abort", wakeOnCancel);
  let finished = false;
  try {
    for (;;) {
      while (credit.credit <= 0 && !credit.stopped && !hooks.cancelled()) {
        send();
        await new Promise<void>((resolve) => credit.wake = resolve);
      }
      if (credit.stopped) break;
      if (hooks.cancelled()) throw hooks.cancelReason();
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next();
      } catch (error) {
        finished = true; // a generator that threw is closed
        throw error;
      }
      if (late !== undefined) throw late.error;
      if (step.done) {
        finished = true;
        send();
        return step.value;
      }
      credit.credit--;
      batch.push(step.value);
      if (!hooks.batch || credit.credit <= 0 || batch.length >= MAX_BATCH) send();
      else timer ??= setTimeout(sendLater, BATCH_MS);
    }
    return undefined;
  } finally {
    hooks.signal?.removeEventListener("abort", wakeOnCancel);
    // Values yielded before a failure still reach the reader, before the failure.
    if (!credit.stopped) {
      try {
        send();
      } catch { /* the failure under way says more */ }
    }
    if (timer !== undefined) clearTimeout(timer);
    // A generator that ended or threw is closed already; one left mid-way is closed here.
    if (!finished) await iterator.return?.();
  }
}
