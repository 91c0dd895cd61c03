/**
 * Queue throughput against a minimal raw promise queue (an array of items and an array of
 * resolvers), `putNowait`/`getNowait` against raw `Array` push/shift, and a 3-stage no-op
 * pipeline against three chained async generators. Each group's raw baseline is marked
 * `baseline: true`, so `deno bench` prints ratios measured in the same run.
 *
 * Targets: put/get ≥ 0.7x the raw queue, putNowait/getNowait ≥ 0.8x raw push/shift, and the
 * pipeline moves 100,000 items in under a second.
 *
 * @module
 */

import { pipeline, Queue } from "@tandem/tandem/queue";

const ITEMS = 10_000;
const PIPELINE_ITEMS = 100_000;
const RESOLVED: Promise<void> = Promise.resolve();

/** The least a promise queue can be: items, waiting getters, waiting putters. */
class RawQueue<T> {
  readonly items: T[] = [];
  readonly getters: ((item: T) => void)[] = [];
  readonly putters: [() => void, T][] = [];
  readonly maxsize: number;

  constructor(maxsize = 0) {
    this.maxsize = maxsize;
  }

  put(item: T): Promise<void> {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      getter(item);
      return RESOLVED;
    }
    if (this.maxsize === 0 || this.items.length < this.maxsize) {
      this.items.push(item);
      return RESOLVED;
    }
    return new Promise((resolve) => this.putters.push([resolve, item]));
  }

  get(): Promise<T> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      const putter = this.putters.shift();
      if (putter !== undefined) {
        this.items.push(putter[1]);
        putter[0]();
      }
      return Promise.resolve(item);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }
}

interface AsyncQueue {
  put(item: number): Promise<void>;
  get(): Promise<number>;
}

async function produce(queue: AsyncQueue, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await queue.put(i);
}

async function consume(queue: AsyncQueue, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await queue.get();
}

async function transfer(queue: AsyncQueue, pairs: number): Promise<void> {
  const share = ITEMS / pairs;
  const work: Promise<void>[] = [];
  for (let p = 0; p < pairs; p++) work.push(consume(queue, share), produce(queue, share));
  await Promise.all(work);
}

for (const pairs of [1, 4]) {
  for (const maxsize of [0, 100]) {
    const group = `${pairs}p/${pairs}c ${maxsize === 0 ? "unbounded" : `maxsize ${maxsize}`}`;
    Deno.bench({
      name: `raw promise queue: ${ITEMS} items, ${group}`,
      group,
      baseline: true,
      fn: async () => await transfer(new RawQueue<number>(maxsize), pairs),
    });
    Deno.bench({
      name: `Queue put/get: ${ITEMS} items, ${group}`,
      group,
      fn: async () => await transfer(new Queue<number>(maxsize), pairs),
    });
  }
}

const BURST = 100;

Deno.bench({
  name: `Array push/shift: ${ITEMS} items in bursts of ${BURST}`,
  group: "nowait",
  baseline: true,
  fn: () => {
    const items: number[] = [];
    let sum = 0;
    for (let round = 0; round < ITEMS / BURST; round++) {
      for (let i = 0; i < BURST; i++) items.push(i);
      for (let i = 0; i < BURST; i++) sum += items.shift()!;
    }
    if (sum < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: `Queue putNowait/getNowait: ${ITEMS} items in bursts of ${BURST}`,
  group: "nowait",
  fn: () => {
    const queue = new Queue<number>();
    let sum = 0;
    for (let round = 0; round < ITEMS / BURST; round++) {
      for (let i = 0; i < BURST; i++) queue.putNowait(i);
      for (let i = 0; i < BURST; i++) sum += queue.getNowait();
    }
    if (sum < 0) throw new Error("unreachable");
  },
});

function* numbers(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

async function* mapAsync<T, U>(source: AsyncIterable<T> | Iterable<T>, fn: (item: T) => U) {
  for await (const item of source) yield fn(item);
}

function noop<T>(item: T): T {
  return item;
}

Deno.bench({
  name: `3 chained async generators: ${PIPELINE_ITEMS} items`,
  group: "pipeline",
  baseline: true,
  n: 10,
  fn: async () => {
    let count = 0;
    const chain = mapAsync(mapAsync(mapAsync(numbers(PIPELINE_ITEMS), noop), noop), noop);
    for await (const _ of chain) count++;
    if (count !== PIPELINE_ITEMS) throw new Error(`moved ${count} items`);
  },
});

for (const maxsize of [undefined, 100]) {
  Deno.bench({
    name: `pipeline, 3 no-op stages (maxsize ${maxsize ?? "default"}): ${PIPELINE_ITEMS} items`,
    group: "pipeline",
    n: 10,
    fn: async () => {
      let count = 0;
      const stages = pipeline(numbers(PIPELINE_ITEMS))
        .stage(noop<number>, { maxsize })
        .stage(noop<number>, { maxsize })
        .stage(noop<number>, { maxsize });
      for await (const _ of stages) count++;
      if (count !== PIPELINE_ITEMS) throw new Error(`moved ${count} items`);
    },
  });
}
