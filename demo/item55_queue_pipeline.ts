/**
 * Item 55: use a queue to coordinate work between concurrent workers. The book's
 * download → resize → upload pipeline (3, 4 and 5 workers, 1000 items), first built by hand from
 * tandem's `Queue` as the book builds it from `ClosableQueue` (`close()`, `for await`, `join()`),
 * then with tandem's `pipeline()` helper, and last with each stage's workers as real threads
 * (`Thread`s looping over `SharedQueue`s).
 *
 * @module
 */

import { task } from "@tandem/tandem/futures";
import { pipeline, Queue, SharedQueue } from "@tandem/tandem/queue";
import { Thread } from "@tandem/tandem/threads";

type Item = Record<string, never>;

function download(item: Item): Item {
  return item;
}

function resize(item: Item): Item {
  return item;
}

function upload(item: Item): Item {
  return item;
}

/** The book's `StoppableWorker.run`: a `for await` loop ends when its queue is closed and empty. */
async function stoppableWorker(
  fn: (item: Item) => Item,
  inQueue: Queue<Item>,
  outQueue: Queue<Item>,
): Promise<void> {
  for await (const item of inQueue) {
    const result = fn(item);
    await outQueue.put(result);
  } // each item is marked done (taskDone) when its loop body finishes
}

function startWorkers(
  count: number,
  fn: (item: Item) => Item,
  inQueue: Queue<Item>,
  outQueue: Queue<Item>,
): Promise<void>[] {
  return Array.from({ length: count }, () => stoppableWorker(fn, inQueue, outQueue));
}

/** The book's `stop_threads`: one `close()` ends every worker's loop, no sentinel per worker. */
async function stopWorkers(queue: Queue<Item>, workers: Promise<void>[]): Promise<void> {
  queue.close();
  await queue.join();
  await Promise.all(workers);
}

async function byHand(count: number): Promise<number> {
  const downloadQueue = new Queue<Item>();
  const resizeQueue = new Queue<Item>();
  const uploadQueue = new Queue<Item>();
  const doneQueue = new Queue<Item>();

  const downloadWorkers = startWorkers(3, download, downloadQueue, resizeQueue);
  const resizeWorkers = startWorkers(4, resize, resizeQueue, uploadQueue);
  const uploadWorkers = startWorkers(5, upload, uploadQueue, doneQueue);

  for (let i = 0; i < count; i++) await downloadQueue.put({});

  await stopWorkers(downloadQueue, downloadWorkers);
  await stopWorkers(resizeQueue, resizeWorkers);
  await stopWorkers(uploadQueue, uploadWorkers);
  return doneQueue.qsize();
}

async function withPipeline(count: number): Promise<number> {
  const items = Array.from({ length: count }, (): Item => ({}));
  const stages = pipeline(items)
    .stage(download, { workers: 3, maxsize: 100 })
    .stage(resize, { workers: 4, maxsize: 100 })
    .stage(upload, { workers: 5, maxsize: 100 });
  let finished = 0;
  for await (const _ of stages) finished++;
  return finished;
}

const STAGES: Record<string, (item: Item) => Item> = { download, resize, upload };

/**
 * The book's `StoppableWorker.run` as a thread: a blocking `for` loop over a `SharedQueue` that
 * ends when the queue is closed and empty. Runs in a worker; `stage` names the function, since
 * functions do not cross isolates.
 */
export const stoppableThread = task(
  import.meta.url,
  function stoppableThread(
    stage: string,
    inQueue: SharedQueue<Item>,
    outQueue: SharedQueue<Item>,
  ): void {
    const fn = STAGES[stage];
    for (const item of inQueue) outQueue.put(fn(item)); // each item marked done after the body
  },
);

function startThreads(
  count: number,
  stage: string,
  inQueue: SharedQueue<Item>,
  outQueue: SharedQueue<Item>,
): Thread[] {
  return Array.from({ length: count }, () => {
    const thread = new Thread(stoppableThread, stage, inQueue, outQueue);
    thread.start();
    return thread;
  });
}

async function stopThreads(queue: SharedQueue<Item>, threads: Thread[]): Promise<void> {
  queue.close();
  await queue.joinAsync();
  await Promise.all(threads.map((thread) => thread.join()));
}

async function withThreads(count: number): Promise<number> {
  const downloadQueue = new SharedQueue<Item>();
  const resizeQueue = new SharedQueue<Item>();
  const uploadQueue = new SharedQueue<Item>();
  const doneQueue = new SharedQueue<Item>();

  const downloadThreads = startThreads(3, "download", downloadQueue, resizeQueue);
  const resizeThreads = startThreads(4, "resize", resizeQueue, uploadQueue);
  const uploadThreads = startThreads(5, "upload", uploadQueue, doneQueue);
  try {
    for (let i = 0; i < count; i++) await downloadQueue.putAsync({});
  } finally {
    // Even on failure, closing lets every thread's loop end, so no worker outlives the run.
    await stopThreads(downloadQueue, downloadThreads);
    await stopThreads(resizeQueue, resizeThreads);
    await stopThreads(uploadQueue, uploadThreads);
  }
  return doneQueue.qsize();
}

/**
 * Runs the book's pipeline by hand, then with `pipeline()`, then with threads, printing what
 * the book prints.
 */
export async function main(): Promise<void> {
  console.log(await byHand(1000), "items finished");

  console.log("\nThe same with pipeline() (bounded queues of 100 between stages):");
  const start = performance.now();
  const finished = await withPipeline(1000);
  const elapsed = performance.now() - start;
  console.log(finished, "items finished");
  console.log(`Elapsed: ${elapsed.toFixed(1)} ms`);

  console.log("\nThe same with 3 + 4 + 5 real threads (Thread workers over SharedQueues):");
  console.log(await withThreads(1000), "items finished");
}

if (import.meta.main) {
  await main();
}
