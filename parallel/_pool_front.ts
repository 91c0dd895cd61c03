// Private: what WorkerPoolExecutor and ProcessPoolExecutor add to BaseExecutor in the same way:
// the maxQueue check on submit, submitWith's per-task limits, submitAsync and ready.
import {
  type BaseExecutor,
  checkTask,
  type Future,
  type Task,
  TimeoutError,
} from "@tandem/tandem/futures";
import { PoolQueueFullError } from "./errors.ts";
import type { ReadyOptions, SubmitOptions } from "./submit_options.ts";
import type { Limits, Scheduler } from "./_scheduler.ts";
import { milliseconds, optionalSignal, optionsObject } from "./_validate.ts";

export class PoolFront {
  readonly #owner: string;
  readonly #scheduler: Scheduler;
  readonly #maxQueue: number;
  #limits: Limits | undefined = undefined;
  #unbounded = false;

  constructor(owner: string, scheduler: Scheduler, maxQueue: number) {
    this.#owner = owner;
    this.#scheduler = scheduler;
    this.#maxQueue = maxQueue;
  }

  /** Throws PoolQueueFullError when submitting would exceed maxQueue. */
  checkRoom(executor: BaseExecutor, task: unknown): void {
    if (this.#unbounded || executor.isShutdown || this.#scheduler.hasRoom()) return;
    checkTask(`submit to ${this.#owner}`, task);
    throw new PoolQueueFullError(
      `Cannot submit task '${task.name}' from ${task.module}: ${this.#owner} already has ` +
        `${this.#maxQueue} task(s) waiting (maxQueue); use submitAsync() or ready() to wait for room`,
    );
  }

  submitWith<A extends unknown[], R>(
    executor: BaseExecutor,
    options: SubmitOptions,
    task: Task<A, R>,
    args: A,
  ): Future<R> {
    const what = `submit to ${this.#owner}`;
    const opts = optionsObject<SubmitOptions>(what, options);
    const signal = optionalSignal(what, opts.signal);
    const timeout = opts.timeout === undefined
      ? undefined
      : milliseconds(what, "timeout", opts.timeout);
    this.#limits = { signal, timeout };
    try {
      return executor.submit<A, R>(task, ...args);
    } finally {
      this.#limits = undefined;
    }
  }

  /** The limits of the submitWith call in progress, if any (read once by start()). */
  takeLimits(): Limits | undefined {
    const limits = this.#limits;
    this.#limits = undefined;
    return limits;
  }

  async submitAsync<A extends unknown[], R>(
    executor: BaseExecutor,
    task: Task<A, R>,
    args: A,
  ): Promise<Future<R>> {
    checkTask(`submit to ${this.#owner}`, task);
    while (!executor.isShutdown && !this.#scheduler.hasRoom()) await this.#scheduler.nextRoom();
    return executor.submit<A, R>(task, ...args);
  }

  ready(executor: BaseExecutor, options: ReadyOptions): Promise<void> {
    const what = `wait for room in ${this.#owner}`;
    const opts = optionsObject<ReadyOptions>(what, options);
    const signal = optionalSignal(what, opts.signal);
    const timeout = opts.timeout === undefined
      ? undefined
      : milliseconds(what, "timeout", opts.timeout);
    const shutDown = () => new Error(`Cannot ${what}: ${this.#owner} has been shut down`);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (executor.isShutdown) return Promise.reject(shutDown());
    if (this.#scheduler.hasRoom()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => finish(signal!.reason);
      const check = () => {
        if (done) return;
        if (executor.isShutdown) finish(shutDown());
        else if (this.#scheduler.hasRoom()) finish();
        else void this.#scheduler.nextRoom().then(check);
      };
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(
          () =>
            finish(
              new TimeoutError(`Timed out after ${timeout} ms waiting for room in ${this.#owner}`),
            ),
          timeout,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      check();
    });
  }

  /** Runs `fn` (map's submissions) without the maxQueue limit. */
  unbounded<T>(fn: () => T): T {
    this.#unbounded = true;
    try {
      return fn();
    } finally {
      this.#unbounded = false;
    }
  }
}
