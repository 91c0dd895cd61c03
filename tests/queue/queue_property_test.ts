// A property test: random interleavings of every queue operation, across many concurrent
// producers and consumers, checked step by step against a simple reference model. Every decision
// the queue makes is synchronous (hand-offs happen inside put/get), so the model predicts the
// exact outcome of every call; promises only report it later. A failure names its seed.
import assert from "node:assert/strict";
import { TimeoutError } from "@tandem/tandem/futures";
import * as queues from "@tandem/tandem/queue";
import { prng, settle } from "./_helpers.ts";

type Kind = "fifo" | "lifo" | "priority";

interface Item {
  readonly id: number;
  readonly priority: number;
}

/** What a call ended with, in a form both sides can be compared in. */
type Outcome =
  | { readonly state: "pending" }
  | { readonly state: "ok"; readonly value: number | undefined }
  | { readonly state: "error"; readonly error: string };

const PENDING: Outcome = { state: "pending" };

type Variant = "plain" | "signal" | "now" | "long";

/** The reference: plain arrays, no promises, written to read like the specification. */
class Model {
  readonly kind: Kind;
  readonly maxsize: number;
  items: Item[] = [];
  getters: number[] = [];
  putters: { id: number; item: Item }[] = [];
  joiners: number[] = [];
  unfinished = 0;
  state: "open" | "closed" | "shutdown" = "open";
  dropped: number[] = [];
  readonly outcomes = new Map<number, Outcome>();

  constructor(kind: Kind, maxsize: number) {
    this.kind = kind;
    this.maxsize = maxsize;
  }

  get full(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  #add(item: Item): void {
    this.items.push(item);
    this.unfinished++;
  }

  #take(): Item {
    let index = 0;
    if (this.kind === "lifo") index = this.items.length - 1;
    if (this.kind === "priority") {
      for (let i = 1; i < this.items.length; i++) {
        if (this.items[i].priority < this.items[index].priority) index = i;
      }
    }
    const [item] = this.items.splice(index, 1);
    const putter = this.putters.shift();
    if (putter !== undefined) {
      this.#add(putter.item);
      this.outcomes.set(putter.id, { state: "ok", value: undefined });
    }
    return item;
  }

  #finishJoiners(): void {
    for (const id of this.joiners) this.outcomes.set(id, { state: "ok", value: undefined });
    this.joiners = [];
  }

  #refuseGetters(): void {
    for (const id of this.getters) this.outcomes.set(id, { state: "error", error: "shutdown" });
    this.getters = [];
  }

  put(id: number, item: Item, variant: Variant): void {
    if (this.state !== "open") return this.#end(id, "shutdown");
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.unfinished++;
      this.outcomes.set(getter, { state: "ok", value: item.id });
      this.outcomes.set(id, { state: "ok", value: undefined });
    } else if (!this.full) {
      this.#add(item);
      this.outcomes.set(id, { state: "ok", value: undefined });
    } else if (variant === "now") {
      this.#end(id, "timeout");
    } else {
      this.putters.push({ id, item });
      this.outcomes.set(id, PENDING);
    }
  }

  putNowait(id: number, item: Item): void {
    if (this.state !== "open") return this.#end(id, "shutdown");
    if (this.getters.length === 0 && this.full) return this.#end(id, "full");
    this.put(id, item, "now");
  }

  get(id: number, variant: Variant | "nowait"): void {
    if (this.items.length > 0) {
      this.outcomes.set(id, { state: "ok", value: this.#take().id });
    } else if (this.state !== "open") {
      this.#end(id, "shutdown");
    } else if (variant === "nowait") {
      this.#end(id, "empty");
    } else if (variant === "now") {
      this.#end(id, "timeout");
    } else {
      this.getters.push(id);
      this.outcomes.set(id, PENDING);
    }
  }

  join(id: number, variant: Variant): void {
    if (this.unfinished === 0) {
      this.outcomes.set(id, { state: "ok", value: undefined });
    } else if (variant === "now") {
      this.#end(id, "timeout");
    } else {
      this.joiners.push(id);
      this.outcomes.set(id, PENDING);
    }
  }

  taskDone(id: number): void {
    if (this.unfinished === 0) return this.#end(id, "range");
    this.outcomes.set(id, { state: "ok", value: undefined });
    if (--this.unfinished === 0) this.#finishJoiners();
  }

  abort(id: number): void {
    const before = this.getters.length + this.putters.length + this.joiners.length;
    this.getters = this.getters.filter((other) => other !== id);
    this.putters = this.putters.filter((other) => other.id !== id);
    this.joiners = this.joiners.filter((other) => other !== id);
    if (this.getters.length + this.putters.length + this.joiners.length < before) {
      this.#end(id, `abort#${id}`);
    }
  }

  close(): void {
    if (this.state !== "open") return;
    this.state = "closed";
    if (this.items.length === 0) this.#refuseGetters();
  }

  shutdown(immediate: boolean): void {
    this.state = "shutdown";
    if (immediate) {
      const dropped = this.items.length;
      this.dropped.push(...this.items.map((item) => item.id));
      this.items = [];
      if (dropped > 0 && this.unfinished > 0) {
        this.unfinished = Math.max(0, this.unfinished - dropped);
        if (this.unfinished === 0) this.#finishJoiners();
      }
    }
    for (const { id } of this.putters) this.#end(id, "shutdown");
    this.putters = [];
    if (this.items.length === 0) this.#refuseGetters();
  }

  #end(id: number, error: string): void {
    this.outcomes.set(id, { state: "error", error });
  }
}

function describe(error: unknown): string {
  if (error instanceof queues.QueueShutDown) return "shutdown";
  if (error instanceof queues.QueueFull) return "full";
  if (error instanceof queues.QueueEmpty) return "empty";
  if (error instanceof TimeoutError) return "timeout";
  if (error instanceof RangeError) return "range";
  if (typeof error === "string" && error.startsWith("abort#")) return error;
  return `unexpected: ${String(error)}`;
}

function makeQueue(kind: Kind, maxsize: number): queues.Queue<Item> {
  if (kind === "lifo") return new queues.LifoQueue<Item>(maxsize);
  if (kind === "priority") {
    return new queues.PriorityQueue<Item>({ maxsize, compare: (a, b) => a.priority - b.priority });
  }
  return new queues.Queue<Item>(maxsize);
}

async function runScenario(kind: Kind, seed: number, steps: number): Promise<void> {
  const random = prng(seed);
  const pick = <T>(choices: readonly T[]): T => choices[Math.floor(random() * choices.length)];
  const maxsize = pick([0, 1, 2, 3, 5]);
  const queue = makeQueue(kind, maxsize);
  const model = new Model(kind, maxsize);
  const actual = new Map<number, Outcome>();
  const controllers = new Map<number, AbortController>();
  const gotten: number[] = [];
  const accepted: number[] = [];
  let nextId = 0;
  let nextItem = 0;
  const where = () => `${kind} seed ${seed} (maxsize ${maxsize})`;

  const track = (id: number, promise: Promise<unknown>, item?: Item) => {
    actual.set(id, PENDING);
    promise.then(
      (value) => {
        if (item !== undefined) accepted.push(item.id);
        const got = value === undefined ? undefined : (value as Item).id;
        if (got !== undefined) gotten.push(got);
        actual.set(id, { state: "ok", value: got });
      },
      (error) => actual.set(id, { state: "error", error: describe(error) }),
    );
  };
  const sync = (id: number, fn: () => Item | void, item?: Item) => {
    try {
      const value = fn();
      if (item !== undefined) accepted.push(item.id);
      if (value !== undefined) gotten.push(value.id);
      actual.set(id, { state: "ok", value: value === undefined ? undefined : value.id });
    } catch (error) {
      actual.set(id, { state: "error", error: describe(error) });
    }
  };
  const options = (id: number, variant: Variant) => {
    if (variant === "now") return { timeout: 0 };
    if (variant === "long") return { timeout: 60_000 };
    if (variant === "plain") return undefined;
    const controller = new AbortController();
    controllers.set(id, controller);
    return { signal: controller.signal };
  };
  const newItem = (): Item => ({ id: nextItem++, priority: Math.floor(random() * 4) });
  const variant = (): Variant => pick(["plain", "signal", "signal", "now", "long"]);
  const pendingWithSignal = (predicate: (id: number) => boolean) =>
    [...controllers.keys()].filter((id) => model.outcomes.get(id) === PENDING && predicate(id));

  const put = (v = variant()) => {
    const id = nextId++;
    const item = newItem();
    model.put(id, item, v);
    track(id, queue.put(item, options(id, v)), item);
  };
  const get = (v = variant()) => {
    const id = nextId++;
    model.get(id, v);
    track(id, queue.get(options(id, v)));
  };
  const abort = (id: number) => {
    model.abort(id);
    controllers.get(id)!.abort(`abort#${id}`);
    controllers.delete(id);
  };

  const compare = async (step: number) => {
    await settle();
    for (const [id, expected] of model.outcomes) {
      assert.deepEqual(actual.get(id), expected, `${where()}, step ${step}: call #${id}`);
    }
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    if (roll < 0.22) {
      put();
    } else if (roll < 0.30) {
      const id = nextId++;
      const item = newItem();
      model.putNowait(id, item);
      sync(id, () => queue.putNowait(item), item);
    } else if (roll < 0.52) {
      get();
    } else if (roll < 0.60) {
      const id = nextId++;
      model.get(id, "nowait");
      sync(id, () => queue.getNowait());
    } else if (roll < 0.70) {
      const id = nextId++;
      model.taskDone(id);
      sync(id, () => queue.taskDone());
    } else if (roll < 0.74) {
      const id = nextId++;
      const v = variant();
      model.join(id, v);
      track(id, queue.join(options(id, v)));
    } else if (roll < 0.82) {
      const waiting = pendingWithSignal(() => true);
      if (waiting.length > 0) abort(pick(waiting));
    } else if (roll < 0.88) {
      // The hand-off race: a put and the abort of a waiting getter in the same tick.
      const getters = pendingWithSignal((id) => model.getters.includes(id));
      if (getters.length > 0) {
        const getter = pick(getters);
        if (random() < 0.5) {
          put("plain");
          abort(getter);
        } else {
          abort(getter);
          put("plain");
        }
      }
    } else if (roll < 0.97) {
      await compare(step);
    } else if (roll < 0.985) {
      model.close();
      queue.close();
    } else if (roll < 0.993) {
      model.shutdown(false);
      queue.shutdown();
    } else {
      model.shutdown(true);
      queue.shutdown({ immediate: true });
    }
    assert.equal(queue.qsize(), model.items.length, `${where()}, step ${step}: qsize`);
    assert.equal(queue.empty(), model.items.length === 0, `${where()}, step ${step}: empty`);
    assert.equal(queue.full(), model.full, `${where()}, step ${step}: full`);
  }

  // Wind down: drop what is left, finish what was taken; every call must then have settled.
  model.shutdown(true);
  queue.shutdown({ immediate: true });
  while (model.unfinished > 0) {
    const id = nextId++;
    model.taskDone(id);
    sync(id, () => queue.taskDone());
  }
  await compare(steps);
  for (const [id, outcome] of actual) {
    assert.notEqual(outcome.state, "pending", `${where()}: call #${id} never settled`);
  }

  // Exactly once: every accepted item was got once or dropped, and nothing else was got.
  const delivered = [...gotten].sort((a, b) => a - b);
  assert.equal(new Set(delivered).size, delivered.length, `${where()}: an item was got twice`);
  assert.deepEqual(
    [...delivered, ...model.dropped].sort((a, b) => a - b),
    [...accepted].sort((a, b) => a - b),
    `${where()}: accepted items were not all delivered or dropped`,
  );
}

for (const kind of ["fifo", "lifo", "priority"] as const) {
  Deno.test(`${kind} queue matches the reference model over 150 random seeds`, async () => {
    for (let seed = 1; seed <= 150; seed++) await runScenario(kind, seed, 300);
  });
}
