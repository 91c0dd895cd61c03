import { ChunkFailure } from "./chunk.ts";
import type { TaskOutcome } from "./task_worker.ts";

// Private: the calls a runner (a TaskWorker, a process-pool child's runner) has in flight, by
// id. Ids are given out in order, one per item, so a call of n items holds n consecutive ids.
// They live in an array that starts at the oldest unsettled id and is compacted from the front:
// finding, removing and settling a run of ids costs a few array operations each, where a Map
// cost three hash operations per item (most of a process pool's `map` time per item).
export class InFlight<C> {
  #slots: (C | undefined)[] = [];
  #head = 0;
  #headId: number;
  #size = 0;

  /** @param firstId The first id the runner gives out. */
  constructor(firstId: number) {
    this.#headId = firstId;
  }

  /** How many ids are in flight. */
  get size(): number {
    return this.#size;
  }

  /** The oldest id in flight; with none in flight, the id after the last one settled. */
  get oldest(): number {
    return this.#headId;
  }

  /** Puts the next `count` ids in flight for `call`. */
  add(call: C, count = 1): void {
    const slots = this.#slots;
    if (count === 1) slots.push(call);
    else {
      const end = slots.length;
      slots.length = end + count;
      slots.fill(call, end);
    }
    this.#size += count;
  }

  /** The call waiting for `id`, if any. */
  get(id: number): C | undefined {
    return id < this.#headId ? undefined : this.#slots[this.#head + (id - this.#headId)];
  }

  /** Takes `id` out of flight; returns its call, or undefined if it was not in flight. */
  take(id: number): C | undefined {
    if (id < this.#headId) return undefined;
    const offset = this.#head + (id - this.#headId);
    const call = this.#slots[offset];
    if (call === undefined) return undefined;
    this.#slots[offset] = undefined;
    this.#size--;
    this.#compact();
    return call;
  }

  /**
   * Takes out of flight the run of ids from `id` on (at most `max`) that all wait for `call`;
   * returns how many.
   */
  takeRun(id: number, call: C, max: number): number {
    if (id < this.#headId) return 0;
    const slots = this.#slots;
    const start = this.#head + (id - this.#headId);
    let n = 0;
    while (n < max && slots[start + n] === call) slots[start + n++] = undefined;
    this.#size -= n;
    this.#compact();
    return n;
  }

  /** Takes every id out of flight; returns them with their calls, oldest first. */
  clear(): [id: number, call: C][] {
    const taken: [number, C][] = [];
    for (let offset = this.#head; offset < this.#slots.length; offset++) {
      const call = this.#slots[offset];
      if (call !== undefined) taken.push([this.#headId + (offset - this.#head), call]);
    }
    this.#headId += this.#slots.length - this.#head;
    this.#slots = [];
    this.#head = 0;
    this.#size = 0;
    return taken;
  }

  #compact(): void {
    const slots = this.#slots;
    while (this.#head < slots.length && slots[this.#head] === undefined) {
      this.#head++;
      this.#headId++;
    }
    if (this.#head === slots.length) {
      slots.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > slots.length) {
      slots.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** How a batch of calls hears of its items' outcomes: one by one, or a run of successes. */
export interface BatchSettlers {
  /** Item `index` ended so (`undefined`: it never started). */
  settle(index: number, outcome: TaskOutcome<unknown> | undefined): void;
  /** Items `index...` succeeded with `values[from...to)`. */
  settleValues(index: number, values: unknown[], from: number, to: number): void;
}

/** A call in flight as far as settling goes: a batch has `settleValues`. */
export interface SettledCall
  extends Pick<BatchSettlers, "settle">, Partial<Pick<BatchSettlers, "settleValues">> {
  readonly firstId: number;
}

/**
 * Settles, in one step, a batch call's run of successes: `id` (already taken out of `list`) and
 * the ids after it that wait for the same call, with `values[from...]`. Returns how many.
 */
export function settleRun<C extends SettledCall>(
  list: InFlight<C>,
  call: C,
  id: number,
  values: unknown[],
  from: number,
): number {
  const n = 1 + list.takeRun(id + 1, call, values.length - from - 1);
  call.settleValues!(id - call.firstId, values, from, from + n);
  return n;
}

/**
 * The settlers of a batch of `count` calls: the outcomes gather in order, and `done` receives
 * them once every item has ended.
 */
export function gatherOutcomes<R>(
  count: number,
  done: (outcomes: (TaskOutcome<R> | undefined)[]) => void,
): BatchSettlers {
  const outcomes = new Array<TaskOutcome<R> | undefined>(count);
  let remaining = count;
  return {
    settle(index, outcome) {
      outcomes[index] = outcome as TaskOutcome<R> | undefined;
      if (--remaining === 0) done(outcomes);
    },
    settleValues(index, values, from, to) {
      for (let i = from; i < to; i++) outcomes[index++] = { ok: true, value: values[i] as R };
      remaining -= to - from;
      if (remaining === 0) done(outcomes);
    },
  };
}

/**
 * The settlers of a chunk of `count` calls, gathered as `map` takes them: each call's result in
 * place, a ChunkFailure where one failed. If the runner broke, the array `done` receives ends
 * after the last call that started (the others are always the last ones). A run of successes
 * that is the whole chunk is taken as it came, without a copy.
 */
export function gatherChunk<R>(
  count: number,
  done: (results: (R | ChunkFailure)[]) => void,
): BatchSettlers {
  let results = new Array<R | ChunkFailure>(count);
  let remaining = count;
  let started = count;
  const end = () => {
    if (started < count) results.length = started;
    done(results);
  };
  return {
    settle(index, outcome) {
      if (outcome === undefined) started = Math.min(started, index);
      else results[index] = outcome.ok ? outcome.value as R : new ChunkFailure(outcome.error);
      if (--remaining === 0) end();
    },
    settleValues(index, values, from, to) {
      if (to - from === count && from === 0 && values.length === count) results = values as R[];
      else for (let i = from; i < to; i++) results[index++] = values[i] as R;
      remaining -= to - from;
      if (remaining === 0) end();
    },
  };
}
