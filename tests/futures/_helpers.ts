// Test helpers for the hub: a minimal executor that runs tasks on the event loop, with a
// concurrency limit so that tests can hold work pending, and chunk support for map.
import { BaseExecutor, ChunkFailure, type Future, type Task } from "@tandem/tandem/futures";

export class TestExecutor extends BaseExecutor {
  readonly started: string[] = [];
  chunks = 0;
  closed = false;
  #running = 0;
  #queue: (() => void)[] = [];
  readonly limit: number;
  readonly chunking: boolean;

  constructor(limit = Infinity, chunking = false) {
    super();
    this.limit = limit;
    this.chunking = chunking;
    if (!chunking) this.startChunk = undefined;
  }

  protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
    this.#schedule(async () => {
      if (!future.setRunningOrNotifyCancel()) return;
      this.started.push(String(args[0]));
      try {
        future.setResult(await task(...args));
      } catch (error) {
        future.setException(error);
      }
    });
  }

  protected override startChunk?<T, R>(
    future: Future<(R | ChunkFailure)[]>,
    task: Task<[T], R>,
    items: T[],
  ): void {
    this.#schedule(async () => {
      if (!future.setRunningOrNotifyCancel()) return;
      this.chunks++;
      const results: (R | ChunkFailure)[] = [];
      for (const item of items) {
        this.started.push(String(item));
        try {
          results.push(await task(item));
        } catch (error) {
          results.push(new ChunkFailure(error));
        }
      }
      future.setResult(results);
    });
  }

  protected close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  #schedule(job: () => Promise<void>): void {
    const run = () => {
      this.#running++;
      queueMicrotask(() =>
        job().finally(() => {
          this.#running--;
          this.#queue.shift()?.();
        })
      );
    };
    if (this.#running < this.limit) run();
    else this.#queue.push(run);
  }
}
