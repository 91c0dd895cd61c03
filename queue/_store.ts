// Private: the storage orders behind Queue (FIFO ring buffer), LifoQueue (stack) and
// PriorityQueue (binary heap), as Python's queues override `_init`, `_put`, `_get`, `_qsize`.

/** Where a queue keeps its items; `take` removes the item the queue's order serves next. */
export interface Store<T> {
  readonly length: number;
  add(item: T): void;
  take(): T;
  clear(): void;
}

const MIN_CAPACITY = 16;

/**
 * A growable ring buffer with O(1) `add` at the back and `take` from the front. Capacity is a
 * power of two, doubled when full and halved when a large buffer is three-quarters empty.
 */
export class Deque<T> implements Store<T> {
  #buffer: (T | undefined)[] = new Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(item: T): void {
    if (this.#length > this.#mask) this.#resize(this.#buffer.length * 2);
    this.#buffer[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the front item; the caller checks `length` first. */
  take(): T {
    const head = this.#head;
    const item = this.#buffer[head] as T;
    this.#buffer[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#length--;
    if (this.#length < (this.#mask >> 2) && this.#mask >= 1024) {
      this.#resize(this.#buffer.length >> 1);
    }
    return item;
  }

  /** The front item, without removing it; the caller checks `length` first. */
  peek(): T {
    return this.#buffer[this.#head] as T;
  }

  clear(): void {
    this.#buffer = new Array(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#head = 0;
    this.#length = 0;
  }

  #resize(capacity: number): void {
    const next: (T | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.#length; i++) next[i] = this.#buffer[(this.#head + i) & this.#mask];
    this.#buffer = next;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}

/** Last in, first out. */
export class Stack<T> implements Store<T> {
  #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  add(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    return this.#items.pop() as T;
  }

  clear(): void {
    this.#items = [];
  }
}

interface Entry<T> {
  readonly item: T;
  readonly seq: number;
}

/**
 * A binary min-heap ordered by `compare`, ties broken by insertion order (an increasing counter),
 * so equal priorities come out first in, first out. Every comparison is made before the heap is
 * changed, so a comparator that throws leaves the heap as it was.
 */
export class Heap<T> implements Store<T> {
  #entries: Entry<T>[] = [];
  #path: number[] = [];
  #seq = 0;
  readonly #compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get length(): number {
    return this.#entries.length;
  }

  add(item: T): void {
    const entries = this.#entries;
    const entry: Entry<T> = { item, seq: this.#seq };
    const end = entries.length;
    let target = end;
    while (target > 0) {
      const parent = (target - 1) >> 1;
      if (!this.#before(entry, entries[parent])) break;
      target = parent;
    }
    this.#seq++;
    entries.push(entry);
    let i = end;
    while (i > target) {
      const parent = (i - 1) >> 1;
      entries[i] = entries[parent];
      i = parent;
    }
    entries[target] = entry;
  }

  take(): T {
    const entries = this.#entries;
    const top = entries[0];
    const n = entries.length - 1;
    const last = entries[n];
    const path = this.#path;
    path.length = 0;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.#before(entries[right], entries[left]) ? right : left;
      if (!this.#before(entries[child], last)) break;
      path.push(child);
      i = child;
    }
    entries.pop();
    if (n > 0) {
      let hole = 0;
      for (const child of path) {
        entries[hole] = entries[child];
        hole = child;
      }
      entries[hole] = last;
    }
    return top.item;
  }

  clear(): void {
    this.#entries = [];
  }

  #before(a: Entry<T>, b: Entry<T>): boolean {
    const order = this.#compare(a.item, b.item);
    // NaN counts as equal, so a sloppy comparator still keeps equal items in insertion order.
    return order < 0 || (!(order > 0) && a.seq < b.seq);
  }
}
