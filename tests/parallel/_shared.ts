// A tiny shareable object for tests: a counter over a SharedArrayBuffer that arrives live in
// workers (the hub's Shareable protocol).
import { fromHandle, type Shareable, type SharedHandle, toHandle } from "@tandem/tandem/futures";

export class SharedCounter implements Shareable {
  readonly cells: Int32Array<SharedArrayBuffer>;

  constructor(cells: Int32Array<SharedArrayBuffer> = new Int32Array(new SharedArrayBuffer(4))) {
    this.cells = cells;
  }

  get value(): number {
    return Atomics.load(this.cells, 0);
  }

  add(n: number): number {
    return Atomics.add(this.cells, 0, n) + n;
  }

  [toHandle](): SharedHandle {
    return { module: import.meta.url, name: "SharedCounter", state: this.cells };
  }

  static [fromHandle](state: unknown): SharedCounter {
    return new SharedCounter(state as Int32Array<SharedArrayBuffer>);
  }
}
