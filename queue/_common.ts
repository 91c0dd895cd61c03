// Private: what Queue and SharedQueue share: the `for await` iterator that marks each item done,
// and the wording of a timed-out wait.
import { timeoutError } from "../futures/checks.ts";
import type { TimeoutError } from "../futures/errors.ts";
import { QueueShutDown } from "./errors.ts";

/**
 * The book's `ClosableQueue.__iter__` as an async iterator over any queue: each `next()` marks
 * the previous item done, and so does `return()` (break, throw, dispose); the iteration ends
 * when `get` rejects with `QueueShutDown` (closed and drained, or shut down).
 */
export class DoneMarkingIterator<T> implements AsyncIterableIterator<T>, AsyncDisposable {
  readonly #get: () => Promise<T>;
  readonly #taskDone: () => void;
  #owed = 0;
  #finished = false;

  constructor(get: () => Promise<T>, taskDone: () => void) {
    this.#get = get;
    this.#taskDone = taskDone;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    try {
      this.#settle();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    return this.#get().then(
      (value) => {
        this.#owed++;
        return { done: false, value };
      },
      (error) => {
        if (!(error instanceof QueueShutDown)) throw error;
        this.#finished = true;
        return { done: true, value: undefined };
      },
    );
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#finished = true;
    try {
      this.#settle();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #settle(): void {
    while (this.#owed > 0) {
      this.#owed--;
      this.#taskDone();
    }
  }
}

/** The error of a wait on `kind` (`put on`, `get from`, `join`) that ran out of time. */
export function timedOut(kind: string, verb: string, timeout: number | undefined): TimeoutError {
  return timeoutError(`${verb} the ${kind}`, timeout);
}
