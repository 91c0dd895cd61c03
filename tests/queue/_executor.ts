// A small executor for the pipeline tests: runs tasks on the event loop, at most `maxWorkers` at
// a time, queueing the rest (so they can be cancelled before they start, as in a real pool).
import { BaseExecutor, type Future, type Task } from "@tandem/tandem/futures";

export class LoopExecutor extends BaseExecutor {
  readonly maxWorkers: number;
  running = 0;
  maxRunning = 0;
  submitted = 0;
  cancelled = 0;
  #pending: (() => void)[] = [];

  constructor(maxWorkers: number) {
    super();
    this.maxWorkers = maxWorkers;
  }

  protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
    this.submitted++;
    future.addDoneCallback((done) => {
      if (done.cancelled()) this.cancelled++;
    });
    this.#pending.push(() => {
      if (!future.setRunningOrNotifyCancel()) {
        this.#next();
        return;
      }
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      Promise.resolve().then(() => task(...args)).then(
        (value) => future.setResult(value),
        (error) => future.setException(error),
      ).finally(() => {
        this.running--;
        this.#next();
      });
    });
    if (this.running < this.maxWorkers) this.#next();
  }

  protected async close(): Promise<void> {}

  #next(): void {
    const run = this.#pending.shift();
    run?.();
  }
}
