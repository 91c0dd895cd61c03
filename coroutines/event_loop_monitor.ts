/**
 * {@linkcode monitorEventLoop}: report every time the event loop is blocked for longer than a
 * threshold, and which tracked work was running, like Python's `asyncio` debug mode.
 *
 * @module
 */

import {
  checkOptions,
  rangeError,
  TaskWorker,
  typeError,
  unrefTimer,
} from "@tandem/tandem/futures";
import { acquireLabels, labelName, releaseLabels, runLabelled } from "./_labels.ts";
import { checkFunction, checkPositive } from "./_validate.ts";
import { BEAT, READY, STALL_BEAT, STALL_LABEL, STOP, watchEventLoop, WORDS } from "./_watchdog.ts";

/** One block of the event loop, as reported by an {@linkcode EventLoopMonitor}. */
export interface BlockReport {
  /**
   * How long the loop did not run, in milliseconds: from the last heartbeat before the block to
   * the first one after it. It is at least the block's length and at most one heartbeat
   * interval (plus timer lateness) more.
   */
  readonly duration: number;
  /** When the loop was last seen running before the block (`performance.now()` time). */
  readonly start: number;
  /** When the loop ran again (`performance.now()` time). */
  readonly end: number;
  /**
   * The name of the tracked work running during the block: a {@linkcode TaskGroup} child (its
   * `name`, or `Task-<n>`) or a {@linkcode track} call. `undefined` if the block happened
   * outside tracked work, or if the watchdog was not yet running. (Named labels are kept in a
   * ring of the 1,024 most recent; a block that ends after more than that many named calls
   * started is reported without a name.)
   */
  readonly label: string | undefined;
  /**
   * A line in the style of Python's debug mode:
   * `Executing <Task name='slow_coroutine'> took 0.508 seconds`
   * (or `Executing <untracked code> took ...`).
   */
  readonly message: string;
}

/** Options for {@linkcode monitorEventLoop}. */
export interface EventLoopMonitorOptions {
  /**
   * Report blocks at least this long, in milliseconds. Python:
   * `loop.slow_callback_duration` (0.1 s).
   *
   * @default {100}
   */
  threshold?: number;
  /**
   * How often the main thread's heartbeat ticks, in milliseconds; must be below `threshold`.
   * Shorter gives more precise durations at a (tiny) cost per tick.
   *
   * @default {10}
   */
  interval?: number;
  /**
   * Called on the main thread with each report, as soon as the loop runs again after the block.
   * An exception it throws is logged with `console.error` and otherwise ignored.
   *
   * @default {(report) => console.warn(report.message)}
   */
  onBlock?: (report: BlockReport) => void;
}

/**
 * A running event-loop monitor: Python's `asyncio.run(main, debug=True)` warnings about slow
 * callbacks, for Deno. Start one with {@linkcode monitorEventLoop}.
 *
 * How it works: the main thread bumps a heartbeat word in a `SharedArrayBuffer` every
 * `interval` ms from an unref'd timer, and notes the time. When the loop is blocked (a long
 * synchronous computation, a `*Sync` call), the timer cannot run; the next tick sees the gap and
 * reports it if it reached `threshold`. Meanwhile a watchdog task running on a `TaskWorker` (a
 * Web Worker, which keeps running while the main thread is stuck) sees the heartbeat stall and
 * records which tracked work is running, so the report can name it.
 *
 * Guarantees and limits:
 * - **When.** A block is reported on the main thread's first timer turn after it ends (usually
 *   within a millisecond or two of its end); a block that never ends is never reported, as in
 *   Python. Blocks within one `interval` of `threshold` may or may not be reported.
 * - **What counts.** Anything that keeps the timer from running: synchronous code, a long chain
 *   of microtasks, or the whole process being descheduled by the OS (a loaded machine looks
 *   like a blocked loop). A loop that is busy but yields between short tasks is not reported.
 * - **Attribution.** JavaScript has no async context that another thread can read, so tandem
 *   keeps one "current work" word in shared memory, set while tracked work runs synchronously:
 *   a {@linkcode TaskGroup} child from its start up to its first `await`, and any
 *   {@linkcode track}`(name, fn)` call for the whole of `fn`'s synchronous run. A block in the
 *   continuation of an async function after an `await` is reported without a label unless that
 *   code is wrapped in `track` again. Only blocks the watchdog saw while running are labelled.
 * - **Cost.** One tiny timer callback per `interval` on the main thread, two plain stores into
 *   shared memory per tracked call (unnamed TaskGroup children need no bookkeeping beyond
 *   that), and one worker that wakes every `interval` ms. In the bench the measurable part is
 *   the second isolate itself: on a loaded machine an idle worker slows the main thread about
 *   as much as the whole monitor does.
 * - **Lifetime.** The heartbeat timer is unref'd, but the watchdog's worker keeps the process
 *   alive, like any Worker: call {@linkcode EventLoopMonitor.stop}, or use `await using`. Stopping
 *   reports a block that has just ended, clears the timer, ends the watchdog task and terminates
 *   its worker.
 *
 * @example Catching a block in tracked work
 * ```ts
 * import { type BlockReport, monitorEventLoop, sleep, track } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const reports: BlockReport[] = [];
 * {
 *   await using monitor = monitorEventLoop({ threshold: 50, onBlock: (r) => reports.push(r) });
 *   await monitor.ready;
 *   track("parse", () => {
 *     const end = performance.now() + 120;
 *     while (performance.now() < end); // blocks the loop for 120 ms
 *   });
 *   await sleep(10);
 * }
 * const report = reports.find((r) => r.label === "parse");
 * assert.ok(report !== undefined && report.duration >= 120);
 * ```
 */
export class EventLoopMonitor implements AsyncDisposable {
  /** The threshold in milliseconds: blocks at least this long are reported. */
  readonly threshold: number;
  /** The heartbeat interval in milliseconds. */
  readonly interval: number;
  #onBlock: (report: BlockReport) => void;
  #control: Int32Array<SharedArrayBuffer>;
  #worker: TaskWorker;
  #run: Promise<number>;
  #timer: ReturnType<typeof setInterval>;
  #last: number;
  #blocks = 0;
  #ready: PromiseWithResolvers<void>;
  #stopping = false;
  #stopped: Promise<void> | undefined = undefined;

  /**
   * Starts monitoring: the heartbeat timer at once, the watchdog as soon as its worker has
   * loaded (see {@linkcode EventLoopMonitor.ready}). Same as {@linkcode monitorEventLoop}.
   *
   * @param options `threshold`, `interval` and `onBlock`.
   * @throws {RangeError} If `threshold` or `interval` is not a positive number, or `interval`
   * is not below `threshold`.
   * @throws {TypeError} If `onBlock` is not a function.
   */
  constructor(options: EventLoopMonitorOptions = {}) {
    options = checkOptions<EventLoopMonitorOptions>("monitor the event loop", options, [
      "threshold",
      "interval",
      "onBlock",
    ]);
    const threshold = options.threshold ?? 100;
    const interval = options.interval ?? 10;
    checkPositive("monitor the event loop", "threshold", threshold);
    checkPositive("monitor the event loop", "interval", interval);
    if (interval >= threshold) {
      rangeError(
        "monitor the event loop",
        "interval",
        `below 'threshold' (${threshold} ms)`,
        interval,
      );
    }
    const onBlock = options.onBlock ?? ((report: BlockReport) => console.warn(report.message));
    checkFunction("monitor the event loop", "onBlock", onBlock);
    this.threshold = threshold;
    this.interval = interval;
    this.#onBlock = onBlock;
    this.#control = new Int32Array(new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(this.#control, STALL_BEAT, -1);
    this.#ready = Promise.withResolvers<void>();
    this.#ready.promise.catch(() => {});
    this.#worker = new TaskWorker({
      name: "tandem-event-loop-watchdog",
      onBroken: (error) => {
        if (!this.#stopping) this.#ready.reject(error);
      },
    });
    this.#run = this.#worker.run(watchEventLoop, [this.#control, acquireLabels(), interval]);
    this.#run.catch(() => {});
    const waiting = Atomics.waitAsync(this.#control, READY, 0);
    if (waiting.async) waiting.value.then(() => this.#ready.resolve());
    else this.#ready.resolve();
    this.#last = performance.now();
    this.#timer = setInterval(() => this.#tick(), interval);
    unrefTimer(this.#timer);
  }

  /**
   * Resolves once the watchdog is running, from which point blocks in tracked work can be
   * attributed (blocks are detected from the start). Rejects with a `BrokenExecutorError` if
   * the watchdog's worker failed to start.
   */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** How many blocks have been reported so far. */
  get blocks(): number {
    return this.#blocks;
  }

  /** Whether the monitor is running (not yet stopped). */
  get running(): boolean {
    return !this.#stopping;
  }

  /**
   * Stops monitoring: reports a block that has just ended, clears the heartbeat timer, tells the
   * watchdog to stop, waits for its task to return and terminates its worker. Calling it again
   * returns the same promise.
   *
   * @returns A promise that resolves once nothing of the monitor is left running.
   *
   * @example
   * ```ts
   * import { monitorEventLoop } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * const monitor = monitorEventLoop();
   * await monitor.stop();
   * assert.equal(monitor.running, false);
   * ```
   */
  stop(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  /** Stops the monitor (`await using monitor = monitorEventLoop()`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #stop(): Promise<void> {
    this.#tick();
    clearInterval(this.#timer);
    this.#stopping = true;
    const watching = Atomics.load(this.#control, READY) === 1;
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, STOP);
    Atomics.store(this.#control, READY, 1);
    Atomics.notify(this.#control, READY);
    this.#ready.resolve();
    try {
      // A watchdog that is running returns within a heartbeat; one that has not started yet
      // (its worker is still loading) has nothing to finish, so the worker is simply ended.
      if (watching) await this.#run;
    } catch {
      // The worker broke; it is terminated below either way.
    } finally {
      this.#worker.terminate();
      releaseLabels();
    }
  }

  #tick(): void {
    const now = performance.now();
    const start = this.#last;
    this.#last = now;
    const beat = Atomics.add(this.#control, BEAT, 1);
    if (now - start >= this.threshold) this.#report(start, now, beat);
  }

  #report(start: number, end: number, beat: number): void {
    let label: string | undefined;
    if (Atomics.load(this.#control, STALL_BEAT) === beat) {
      label = labelName(Atomics.load(this.#control, STALL_LABEL));
    }
    const duration = end - start;
    const what = label === undefined ? "<untracked code>" : `<Task name='${label}'>`;
    const report: BlockReport = {
      duration,
      start,
      end,
      label,
      message: `Executing ${what} took ${(duration / 1000).toFixed(3)} seconds`,
    };
    this.#blocks++;
    try {
      this.#onBlock(report);
    } catch (error) {
      console.error("tandem: the onBlock callback of an EventLoopMonitor threw:", error);
    }
  }
}

/**
 * Starts an {@linkcode EventLoopMonitor}: reports each block of the event loop longer than
 * `threshold` ms, naming the tracked work that caused it. Python: `asyncio.run(main,
 * debug=True)` (or `loop.set_debug(True)`), which logs `Executing <Task ...> took 0.508
 * seconds`.
 *
 * @param options `threshold` (100 ms), `interval` (10 ms) and `onBlock` (logs a warning).
 * @returns The running monitor; stop it with `stop()` or `await using`.
 * @throws {RangeError} If `threshold` or `interval` is not a positive number, or `interval`
 * is not below `threshold`.
 * @throws {TypeError} If `onBlock` is not a function.
 *
 * @example
 * ```ts
 * import { monitorEventLoop, sleep } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * let blocks = 0;
 * {
 *   await using monitor = monitorEventLoop({ onBlock: () => blocks++ });
 *   await sleep(30); // an idle loop is not blocked
 * }
 * assert.equal(blocks, 0);
 * ```
 */
export function monitorEventLoop(options?: EventLoopMonitorOptions): EventLoopMonitor {
  return new EventLoopMonitor(options);
}

/**
 * Runs `fn()` as tracked work named `name`, so that an {@linkcode EventLoopMonitor} names it in
 * the report if it blocks the loop. The label covers `fn`'s synchronous run: all of a
 * synchronous function, and an async function up to its first `await`. Nested calls restore the
 * outer name when they return. While no monitor runs, this is a plain call.
 *
 * @typeParam T What `fn` returns.
 * @param name The name to report, e.g. `"parse config"`.
 * @param fn The work.
 * @returns What `fn` returns.
 * @throws {TypeError} If `name` is not a string or `fn` is not a function.
 * @throws Whatever `fn` throws.
 *
 * @example
 * ```ts
 * import { track } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * assert.equal(track("sum", () => [1, 2, 3].reduce((a, b) => a + b)), 6);
 * ```
 */
export function track<T>(name: string, fn: () => T): T {
  if (typeof name !== "string") typeError("track work", "name", "a string", name);
  checkFunction("track work", "fn", fn);
  return runLabelled(name, fn);
}
