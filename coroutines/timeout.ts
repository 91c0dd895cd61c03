/**
 * {@linkcode timeout}: a deadline for a block of async work, as an `AbortSignal` that fires with
 * a `TimeoutError`.
 *
 * @module
 */

import { checkOptions, InvalidStateError, onAbort, timeoutError } from "@tandem/tandem/futures";
import { checkDelay, checkFunction, checkSignal } from "./_validate.ts";

/** Options for {@linkcode timeout} and {@linkcode TimeoutScope}. */
export interface TimeoutOptions {
  /**
   * A parent signal: when it fires first, the scope's signal fires with `signal.reason` and the
   * scope does not count as expired.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * A deadline for the work inside it: Python's `asyncio.Timeout` (what `asyncio.timeout()`
 * returns). Pass {@linkcode TimeoutScope.signal} to the work; when the deadline passes the signal
 * fires with a `TimeoutError` (from `@tandem/tandem/futures`), so signal-aware work rejects with
 * exactly that error, the way Python turns the cancellation into `TimeoutError` at the scope's
 * exit.
 *
 * Guarantees: the signal fires at most once, on the first of the deadline or the parent signal.
 * The deadline can move with {@linkcode TimeoutScope.reschedule} until it has passed.
 * Disposing the scope clears its timer and detaches it from the parent signal; it does not abort
 * the signal. Cancellation is cooperative: work that ignores the signal runs on.
 *
 * @example A scope around several awaits
 * ```ts
 * import { sleep, timeout } from "@tandem/tandem/coroutines";
 * import { TimeoutError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(async () => {
 *   using scope = timeout(20);
 *   await sleep(1, { signal: scope.signal }); // fine
 *   await sleep(10_000, { signal: scope.signal }); // the deadline passes here
 * }, TimeoutError);
 * ```
 */
export class TimeoutScope implements Disposable {
  #controller = new AbortController();
  #start = performance.now();
  #deadline = Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #expired = false;
  #closed = false;
  #unlistenParent: () => void = () => {};

  /**
   * Starts the scope. Same as {@linkcode timeout}`(delay, options)`.
   *
   * @param delay Milliseconds until the deadline, or `Infinity` for none (yet).
   * @param options `signal`, a parent signal.
   * @throws {TypeError} If `delay` is not a number or `signal` is not an `AbortSignal`.
   * @throws {RangeError} If `delay` is negative or too large for a timer.
   */
  constructor(delay: number, options: TimeoutOptions = {}) {
    checkDelay("create a timeout", "delay", delay, true);
    const parent = checkOptions<TimeoutOptions>("create a timeout", options, ["signal"]).signal;
    checkSignal("create a timeout", parent);
    if (parent?.aborted) {
      this.#controller.abort(parent.reason);
      return;
    }
    this.#unlistenParent = onAbort(parent, (reason) => {
      this.#clearTimer();
      this.#controller.abort(reason);
    });
    this.#schedule(delay);
  }

  /** The signal to give the work: fires with a `TimeoutError` at the deadline. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * The deadline as a `performance.now()` time, or `Infinity` if there is none. Python:
   * `Timeout.when()` (in loop time).
   */
  get deadline(): number {
    return this.#deadline;
  }

  /** Whether the deadline passed and fired the signal. Python: `Timeout.expired()`. */
  get expired(): boolean {
    return this.#expired;
  }

  /**
   * Moves the deadline to `delay` milliseconds from now (`Infinity`: no deadline). Python:
   * `Timeout.reschedule(when)`, which takes an absolute loop time instead.
   *
   * @param delay Milliseconds from now; `0` expires the scope on the next timer turn.
   * @throws {InvalidStateError} If the scope has expired, its signal fired or it was disposed.
   * @throws {TypeError} If `delay` is not a number.
   * @throws {RangeError} If `delay` is negative or too large for a timer.
   *
   * @example Extending a deadline
   * ```ts
   * import { sleep, timeout } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * using scope = timeout(10);
   * scope.reschedule(1_000);
   * await sleep(30, { signal: scope.signal });
   * assert.equal(scope.expired, false);
   * ```
   */
  reschedule(delay: number): void {
    checkDelay("reschedule a timeout", "delay", delay, true);
    if (this.#closed || this.#controller.signal.aborted) {
      const state = this.#closed ? "disposed" : this.#expired ? "expired" : "cancelled";
      throw new InvalidStateError(`Cannot reschedule a timeout that has ${state}`);
    }
    this.#clearTimer();
    this.#schedule(delay);
  }

  /** Clears the timer and detaches from the parent signal (`using scope = timeout(...)`). */
  [Symbol.dispose](): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    this.#unlistenParent();
  }

  #schedule(delay: number): void {
    if (delay === Infinity) {
      this.#deadline = Infinity;
      return;
    }
    this.#deadline = performance.now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expired = true;
      const elapsed = Math.round(performance.now() - this.#start);
      this.#controller.abort(timeoutError("finish within the timeout", elapsed));
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Opens a {@linkcode TimeoutScope}: Python's `async with asyncio.timeout(delay)`.
 *
 * @param delay Milliseconds until the deadline, or `Infinity` for none.
 * @param options `signal`, a parent signal.
 * @returns The scope; dispose it (`using scope = timeout(...)`) to clear its timer.
 * @throws {TypeError} If `delay` is not a number or `signal` is not an `AbortSignal`.
 * @throws {RangeError} If `delay` is negative or too large for a timer.
 *
 * @example
 * ```ts
 * import { sleep, timeout } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * using scope = timeout(1_000);
 * await sleep(1, { signal: scope.signal });
 * assert.equal(scope.expired, false);
 * ```
 */
export function timeout(delay: number, options?: TimeoutOptions): TimeoutScope;
/**
 * Runs `fn(signal)` under a deadline: the function form of `timeout`, the same as
 * `{ using scope = timeout(delay); return await fn(scope.signal); }`.
 *
 * Python's rules for the outcome: if `fn` honours the signal, it rejects with the scope's
 * `TimeoutError`; if it fails otherwise, that error; if it finishes anyway (ignoring the
 * signal), its result. Either way the returned promise settles only when `fn`'s promise has,
 * so its cleanup has run.
 *
 * @typeParam T The result type.
 * @param delay Milliseconds until the deadline, or `Infinity` for none.
 * @param fn The work; receives the scope's signal.
 * @param options `signal`, a parent signal.
 * @returns `fn`'s result.
 * @throws {TypeError} If `delay` is not a number, `fn` is not a function or `signal` is not an
 * `AbortSignal` (thrown at once, not as a rejection).
 * @throws {RangeError} If `delay` is negative or too large for a timer.
 * @throws {TimeoutError} If the deadline passes and `fn` rejects with the signal's reason.
 *
 * @example
 * ```ts
 * import { sleep, timeout } from "@tandem/tandem/coroutines";
 * import { TimeoutError } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await timeout(1_000, async (signal) => (await sleep(1, { signal }), "ok")), "ok");
 * await assert.rejects(timeout(10, (signal) => sleep(10_000, { signal })), TimeoutError);
 * ```
 */
export function timeout<T>(
  delay: number,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options?: TimeoutOptions,
): Promise<T>;
export function timeout<T>(
  delay: number,
  fnOrOptions?: TimeoutOptions | ((signal: AbortSignal) => T | PromiseLike<T>),
  options?: TimeoutOptions,
): TimeoutScope | Promise<T> {
  if (typeof fnOrOptions === "function") {
    return runWithin(new TimeoutScope(delay, options), fnOrOptions);
  }
  if (fnOrOptions !== undefined && (typeof fnOrOptions !== "object" || fnOrOptions === null)) {
    checkFunction("create a timeout", "fn", fnOrOptions);
  }
  return new TimeoutScope(delay, fnOrOptions);
}

async function runWithin<T>(
  scope: TimeoutScope,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
): Promise<T> {
  using _ = scope;
  return await fn(scope.signal);
}
