// Private: the scheduler behind WorkerPoolExecutor and ProcessPoolExecutor. It owns the queue of
// pending tasks (a ring buffer), the runners (TaskWorkers or child processes), and the rules:
// lazy start, reuse, prefetch, recycling, idle retirement, per-task abort and timeout, crash
// recovery and backpressure.
//
// Dispatch: a task goes to an idle runner if there is one, else to a new runner while there are
// fewer than maxWorkers, else (tasks with no signal or timeout only) it is prefetched to the
// least loaded runner, up to `capacity` tasks each. Capacity adapts to how long tasks take: one
// task per runner while tasks take a millisecond or more (so the load stays balanced and queued
// tasks stay cancellable), up to 512 for tiny tasks (so one message carries many).
//
// Crash recovery: a runner reports, for each task it held, its outcome or that it never started
// (`undefined`). Never-started tasks go to the retry queue, which is served before the main
// queue; the task that was running fails with the runner's BrokenExecutorError.
//
// Start failures: a runner that breaks before its handshake fails the tasks it held itself.
// After START_FAILURES of them in a row (no runner becoming ready in between) the pool is
// broken: every waiting task fails and later submissions throw, instead of a restart storm.
import {
  BrokenExecutorError,
  describeTask,
  type Future,
  onAbort,
  type StreamSink,
  type Task,
  type TaskLimits,
  type TaskOutcome,
  TimeoutError,
  unrefTimer,
} from "@tandem/tandem/futures";
import type { Runner, RunnerHooks } from "./runner.ts";
import { Ring } from "./_ring.ts";

const START_FAILURES = 3;

export interface SchedulerConfig {
  /** The executor's class name, for messages. */
  owner: string;
  /** "worker" or "process", for messages. */
  noun: string;
  maxWorkers: number;
  /** Work, in milliseconds of measured task time, kept queued at each busy runner. */
  queueAheadMs: number;
  maxTasksPerWorker: number;
  idleTimeout: number;
  maxQueue: number;
  /** Milliseconds a cancelled running task has to end on its own before its runner is ended. */
  cancelGrace: number;
  /** Starts a runner, which reports through `hooks`. */
  spawn(hooks: RunnerHooks): Runner;
}

const QUEUED = 0;
const SENT = 1;
const DONE = 2;

interface Job {
  readonly future: Future<unknown>;
  readonly task: Task<unknown[], unknown>;
  /** One call's arguments, or undefined for a chunk. */
  readonly args: unknown[] | undefined;
  /** A chunk's items (each the one argument of a call). */
  readonly list: unknown[] | undefined;
  /** A chunk's results so far (see ChunkFailure), and how many of its items are done. */
  results: unknown[] | undefined;
  offset: number;
  started: boolean;
  state: number;
  readonly exclusive: boolean;
  readonly limits: TaskLimits | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Removes the listener on the job's own signal. */
  stopListening: (() => void) | undefined;
  slot: Slot | undefined;
  sentAt: number;
  /** For an exclusive job: aborted to cancel it cooperatively while it runs (CallOptions). */
  signal: AbortSignal | undefined;
  controller: AbortController | undefined;
  /** Why the running job was cancelled; its future fails with it once the task ends. */
  cancelling: unknown;
  grace: ReturnType<typeof setTimeout> | undefined;
  /** CallOptions: the task's progress, to its future. */
  onProgress(this: Job, value: unknown): void;
  /** CallOptions: where a streamed task's values go. */
  readonly stream: StreamSink | undefined;
}

function forwardProgress(this: Job, value: unknown): void {
  this.future.notifyProgress(value);
}

const NOT_CANCELLING: unique symbol = Symbol("not cancelling");

interface Slot {
  runner: Runner;
  inFlight: number;
  sent: number;
  exclusive: boolean;
  dead: boolean;
  idleSince: number;
  lastDone: number;
}

const MAX_CAPACITY = 512;

export class Scheduler {
  readonly #config: SchedulerConfig;
  #queue = new Ring<Job>();
  #retry = new Ring<Job>();
  #slots = new Set<Slot>();
  #queued = 0;
  #closed = false;
  #pumping = false;
  #avgMs: number | undefined = undefined;
  #sumMs = 0;
  #samples = 0;
  #sweeper: ReturnType<typeof setTimeout> | undefined = undefined;
  #roomWaiters: (() => void)[] = [];
  #spawnError: unknown = undefined;
  #startFailures = 0;
  #broken: BrokenExecutorError | undefined = undefined;
  #exits = new Set<Promise<void>>();

  constructor(config: SchedulerConfig) {
    this.#config = config;
  }

  /** How many runners are alive. */
  get size(): number {
    return this.#slots.size;
  }

  /** How many tasks wait for a runner: queued, plus handed to a busy runner ahead of time. */
  get waiting(): number {
    let n = this.#queued + this.#retry.length;
    for (const slot of this.#slots) if (slot.inFlight > 1) n += slot.inFlight - 1;
    return n;
  }

  /** Whether one more task may wait without exceeding maxQueue. */
  hasRoom(): boolean {
    return this.#config.maxQueue === Infinity || this.waiting < this.#config.maxQueue;
  }

  /** Resolves at the next moment there may be room (callers check again). */
  nextRoom(): Promise<void> {
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Throws the pool's BrokenExecutorError if it is broken. */
  checkNotBroken(task: Task<unknown[], unknown> | { name: string; module: string }): void {
    if (this.#broken === undefined) return;
    throw new BrokenExecutorError(
      `Cannot run task ${describeTask(task)}: ${this.#broken.message}`,
      { cause: this.#broken.cause },
    );
  }

  submit(
    future: Future<unknown>,
    task: Task<unknown[], unknown>,
    args: unknown[],
    limits?: TaskLimits,
  ): void {
    this.#add(future, task, args, undefined, limits);
  }

  submitChunk(future: Future<unknown>, task: Task<unknown[], unknown>, list: unknown[]): void {
    this.#add(future, task, undefined, list, undefined);
  }

  /** Cancels every running task cooperatively (shutdown with cancelFutures). */
  cancelRunning(): void {
    for (const slot of this.#slots) slot.runner.cancelAll?.();
  }

  /** Stops every runner; called once all submitted work has settled. Resolves when all ended. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearTimeout(this.#sweeper);
    this.#sweeper = undefined;
    for (const slot of [...this.#slots]) this.#retire(slot);
    for (const job of [...this.#queue.drain(), ...this.#retry.drain()]) this.#clearLimits(job);
    this.#queued = 0;
    this.#wakeRoomWaiters();
    await Promise.all([...this.#exits]);
  }

  #add(
    future: Future<unknown>,
    task: Task<unknown[], unknown>,
    args: unknown[] | undefined,
    list: unknown[] | undefined,
    limits: TaskLimits | undefined,
  ): void {
    // A job with limits, or a stream, has its runner to itself: it can be cancelled while it
    // runs, and a stream, which may last, holds no other task up.
    const exclusive = limits !== undefined &&
      (limits.signal !== undefined || limits.timeout !== undefined || limits.stream !== undefined);
    const job: Job = {
      future,
      task,
      args,
      list,
      results: undefined,
      offset: 0,
      started: false,
      state: QUEUED,
      exclusive,
      limits: exclusive ? limits : undefined,
      timer: undefined,
      stopListening: undefined,
      slot: undefined,
      sentAt: 0,
      signal: undefined,
      controller: undefined,
      cancelling: NOT_CANCELLING,
      grace: undefined,
      onProgress: forwardProgress,
      stream: limits?.stream,
    };
    const signal = job.limits?.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        job.state = DONE;
        if (future.setRunningOrNotifyCancel()) future.setException(signal.reason);
        return;
      }
      job.stopListening = onAbort(signal, (reason) => this.#abort(job, reason));
    }
    if (this.#config.maxQueue !== Infinity) {
      // A task cancelled while queued frees its place at once.
      future.addDoneCallback(() => {
        if (job.state === QUEUED && !job.started) {
          job.state = DONE;
          this.#queued--;
          this.#clearLimits(job);
          this.#wakeRoomWaiters();
        }
      });
    }
    this.#queue.push(job);
    this.#queued++;
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const fromRetry = this.#retry.length > 0;
        const ring = fromRetry ? this.#retry : this.#queue;
        const job = ring.peek();
        if (job === undefined) break;
        if (job.state !== QUEUED || (!job.started && job.future.done())) {
          ring.shift();
          if (!fromRetry && job.state === QUEUED) {
            // Cancelled by the user while queued (the bookkeeping callback was not needed).
            job.state = DONE;
            this.#queued--;
            this.#clearLimits(job);
          }
          continue;
        }
        if (this.#broken !== undefined) {
          ring.shift();
          if (!fromRetry) this.#queued--;
          this.#fail(job, this.#broken);
          continue;
        }
        const slot = this.#pick(job.exclusive, job.list !== undefined);
        if (slot === undefined) {
          if (this.#spawnError !== undefined && this.#slots.size === 0) {
            ring.shift();
            if (!fromRetry) this.#queued--;
            this.#fail(job, this.#spawnError);
            this.#spawnError = undefined;
            continue;
          }
          break;
        }
        ring.shift();
        if (!fromRetry) this.#queued--;
        if (!job.started) {
          if (!job.future.setRunningOrNotifyCancel()) {
            job.state = DONE;
            this.#clearLimits(job);
            continue;
          }
          job.started = true;
        }
        this.#send(slot, job);
      }
    } finally {
      this.#pumping = false;
    }
    this.#wakeRoomWaiters();
  }

  #capacity(): number {
    const avg = this.#avgMs;
    const ahead = this.#config.queueAheadMs;
    if (avg === undefined || avg >= ahead) return 1;
    return Math.min(MAX_CAPACITY, Math.max(2, Math.ceil(ahead / avg)));
  }

  // A chunk of map may always wait at a runner behind one other job: the runner starts it the
  // moment it is done, instead of idling while this thread hears of it and sends the next. A
  // single task is not queued ahead unless it is short: it stays pending, cancellable, and free
  // to go to whichever runner frees first.
  #pick(exclusive: boolean, chunk: boolean): Slot | undefined {
    const max = this.#config.maxTasksPerWorker;
    const capacity = chunk ? Math.max(2, this.#capacity()) : this.#capacity();
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.exclusive || slot.sent >= max) continue;
      if (slot.inFlight === 0) return slot;
      if (
        !exclusive && slot.inFlight < capacity &&
        (best === undefined || slot.inFlight < best.inFlight)
      ) {
        best = slot;
      }
    }
    if (this.#slots.size < this.#config.maxWorkers && !this.#closed && !this.#broken) {
      const spawned = this.#spawn();
      if (spawned !== undefined) return spawned;
    }
    return best;
  }

  #spawn(): Slot | undefined {
    const slot: Slot = {
      runner: undefined as unknown as Runner,
      inFlight: 0,
      sent: 0,
      exclusive: false,
      dead: false,
      idleSince: 0,
      lastDone: 0,
    };
    try {
      slot.runner = this.#config.spawn({
        onReady: () => {
          this.#startFailures = 0;
        },
        onBroken: (error, started) => this.#runnerBroken(slot, error, started),
      });
    } catch (cause) {
      this.#spawnError = new BrokenExecutorError(
        `${this.#config.owner} could not start a ${this.#config.noun}: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
      this.#startFailed(this.#spawnError as BrokenExecutorError);
      return undefined;
    }
    this.#spawnError = undefined;
    this.#slots.add(slot);
    const exited = slot.runner.exited;
    if (exited !== undefined) {
      const tracked: Promise<void> = exited.finally(() => this.#exits.delete(tracked));
      this.#exits.add(tracked);
    }
    return slot;
  }

  #send(slot: Slot, job: Job): void {
    slot.inFlight++;
    slot.sent++;
    job.slot = slot;
    job.state = SENT;
    job.sentAt = performance.now();
    if (job.exclusive) {
      slot.exclusive = true;
      job.controller = new AbortController();
      job.signal = job.controller.signal;
      const timeout = job.limits!.timeout;
      if (timeout !== undefined && timeout !== Infinity) {
        job.timer = setTimeout(() => {
          job.timer = undefined;
          this.#abort(
            job,
            new TimeoutError(
              `Task ${
                describeTask(job.task)
              } did not finish within ${timeout} ms; it was cancelled, and its ${this.#config.noun} ended if it did not stop within ${this.#config.cancelGrace} ms`,
            ),
          );
        }, timeout);
      }
    }
    const runner = slot.runner;
    if (job.list === undefined) {
      runner.attempt(job.task, job.args!, job).then((outcome) =>
        this.#complete(slot, job, outcome)
      );
    } else {
      const list = job.offset === 0 ? job.list : job.list.slice(job.offset);
      runner.attemptChunk(job.task as unknown as Task<[unknown], unknown>, list).then((chunk) =>
        this.#completeChunk(slot, job, chunk)
      );
    }
  }

  #complete(slot: Slot, job: Job, outcome: TaskOutcome<unknown> | undefined): void {
    this.#release(slot, job);
    if (job.cancelling !== NOT_CANCELLING && job.state !== DONE) {
      // A cancelled task ended (on its own, or with its runner after the grace period). One that
      // finished before the cancel reached it keeps its result.
      job.state = DONE;
      clearTimeout(job.grace);
      if (!job.future.done()) {
        if (outcome?.ok) job.future.setResult(outcome.value);
        else job.future.setException(job.cancelling);
      }
    } else if (job.state !== DONE) {
      if (outcome === undefined) {
        job.state = QUEUED;
        this.#retry.push(job);
      } else {
        job.state = DONE;
        this.#clearLimits(job);
        if (!job.future.done()) {
          if (outcome.ok) job.future.setResult(outcome.value);
          else job.future.setException(outcome.error);
        }
      }
    }
    this.#pump();
  }

  // `chunk` holds the results of the items sent, up to the last that started: the rest go again.
  #completeChunk(slot: Slot, job: Job, chunk: unknown[]): void {
    this.#release(slot, job);
    if (job.state !== DONE) {
      // Most chunks end whole on their first runner: their results are the job's, as they came.
      const results = job.results === undefined ? chunk : job.results.concat(chunk);
      job.results = results;
      job.offset += chunk.length;
      if (job.offset < job.list!.length) {
        job.state = QUEUED;
        this.#retry.push(job);
      } else {
        job.state = DONE;
        if (!job.future.done()) job.future.setResult(results);
      }
    }
    this.#pump();
  }

  #release(slot: Slot, job: Job): void {
    slot.inFlight--;
    if (job.exclusive) slot.exclusive = false;
    const now = performance.now();
    if (slot.lastDone > 0) {
      this.#sumMs += now - Math.max(slot.lastDone, job.sentAt);
      if (++this.#samples >= 32 || this.#sumMs >= 20) {
        const mean = this.#sumMs / this.#samples;
        this.#avgMs = this.#avgMs === undefined ? mean : (this.#avgMs + mean) / 2;
        this.#sumMs = 0;
        this.#samples = 0;
      }
    }
    slot.lastDone = now;
    if (slot.inFlight > 0 || slot.dead) return;
    if (slot.sent >= this.#config.maxTasksPerWorker) {
      this.#retire(slot);
      return;
    }
    slot.idleSince = now;
    this.#armSweeper(this.#config.idleTimeout);
  }

  #abort(job: Job, reason: unknown): void {
    if (job.state === DONE || job.cancelling !== NOT_CANCELLING) return;
    if (job.state === SENT && job.controller !== undefined) {
      // Running: ask the task to stop (its context says cancelled, its signal aborts); end its
      // runner only if it has not ended within the grace period.
      job.cancelling = reason;
      this.#clearLimits(job);
      job.controller.abort(reason);
      const slot = job.slot!;
      job.grace = setTimeout(() => {
        job.grace = undefined;
        if (job.state !== DONE) this.#retire(slot);
      }, this.#config.cancelGrace);
      return;
    }
    const slot = job.state === SENT ? job.slot : undefined;
    if (job.state === QUEUED && !job.started) this.#queued--;
    job.state = DONE;
    this.#clearLimits(job);
    if (!job.started) {
      job.started = true;
      if (!job.future.setRunningOrNotifyCancel()) return;
    }
    if (!job.future.done()) job.future.setException(reason);
    if (slot !== undefined) {
      // Its outcome (a BrokenExecutorError) arrives later and is ignored: the job is DONE.
      this.#retire(slot);
    }
    this.#pump();
  }

  #fail(job: Job, error: unknown): void {
    job.state = DONE;
    this.#clearLimits(job);
    if (!job.started) {
      job.started = true;
      if (!job.future.setRunningOrNotifyCancel()) return;
    }
    if (!job.future.done()) job.future.setException(error);
  }

  #clearLimits(job: Job): void {
    if (job.timer !== undefined) {
      clearTimeout(job.timer);
      job.timer = undefined;
    }
    job.stopListening?.();
    job.stopListening = undefined;
  }

  // The runner died on its own (crash, self.close(), Deno.exit(), killed process), or could
  // not start.
  #runnerBroken(slot: Slot, error: BrokenExecutorError, started: boolean): void {
    if (!started) this.#startFailed(error);
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    // Its tasks' outcomes arrive as microtasks; start a replacement for waiting work after them.
    queueMicrotask(() => this.#pump());
  }

  #startFailed(error: BrokenExecutorError): void {
    if (this.#closed || ++this.#startFailures < START_FAILURES || this.#broken) return;
    const broken = new BrokenExecutorError(
      `${this.#config.owner} is broken: ${START_FAILURES} ${this.#config.noun}s in a row ` +
        `could not start (the last one: ${error.message})`,
      { cause: error },
    );
    this.#broken = broken;
    // Every task still waiting fails now; nothing will start it.
    for (const job of [...this.#retry.drain(), ...this.#queue.drain()]) {
      if (job.state !== QUEUED) continue;
      this.#fail(job, broken);
    }
    this.#queued = 0;
    this.#wakeRoomWaiters();
  }

  #retire(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#slots.delete(slot);
    slot.runner.terminate();
    if (!this.#closed) queueMicrotask(() => this.#pump());
  }

  #armSweeper(delay: number): void {
    if (delay === Infinity || this.#sweeper !== undefined || this.#closed) return;
    this.#sweeper = setTimeout(() => this.#sweep(), delay);
    // Idle workers never keep the process alive, and neither does the timer that retires them.
    unrefTimer(this.#sweeper);
  }

  #sweep(): void {
    this.#sweeper = undefined;
    const timeout = this.#config.idleTimeout;
    const now = performance.now();
    let next = Infinity;
    for (const slot of [...this.#slots]) {
      if (slot.inFlight > 0) continue;
      const idle = now - slot.idleSince;
      if (idle >= timeout - 0.5) this.#retire(slot);
      else next = Math.min(next, timeout - idle);
    }
    this.#armSweeper(next);
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    if (!this.#closed && !this.hasRoom()) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
