// Tasks for the SharedQueue tests: each runs in a worker started by a Thread and receives
// SharedQueues as live arguments.
import { task } from "@tandem/tandem/futures";
import type { SharedQueue } from "@tandem/tandem/queue";

/** Puts `start`, `start + 1`, ... `start + count - 1` (blocking), then returns. */
export const produce = task(
  import.meta.url,
  function produce(queue: SharedQueue<number>, start: number, count: number): void {
    for (let n = start; n < start + count; n++) queue.put(n);
  },
);

/** Takes items with a blocking `for` loop until the queue is closed and empty; returns them. */
export const consume = task(
  import.meta.url,
  function consume(queue: SharedQueue<number>): number[] {
    const seen: number[] = [];
    for (const n of queue) seen.push(n);
    return seen;
  },
);

/** A blocking `get` with a timeout: the item, or the error's name and message. */
export const getWithTimeout = task(
  import.meta.url,
  function getWithTimeout(queue: SharedQueue<unknown>, timeout: number): unknown {
    try {
      return { item: queue.get({ timeout }) };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  },
);

/** A blocking `put` with a timeout: "ok", or the error's name. */
export const putWithTimeout = task(
  import.meta.url,
  function putWithTimeout(queue: SharedQueue<unknown>, item: unknown, timeout: number): string {
    try {
      queue.put(item, { timeout });
      return "ok";
    } catch (error) {
      return (error as Error).name;
    }
  },
);

/** Blocks in `join()` until every item is done; returns how many were then in the queue. */
export const joinThenCount = task(
  import.meta.url,
  function joinThenCount(queue: SharedQueue<unknown>): number {
    queue.join();
    return queue.qsize();
  },
);
