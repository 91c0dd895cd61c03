// Private: which streamed calls are parked, that is, their task waits for its reader. A runner
// (a TaskWorker, a process-pool child) whose only calls are parked does not keep the process
// alive: only the reader can wake them. A cancelled call never counts as parked: it runs to its
// end, and values still on their way must not let the process end first.
export class ParkedCalls {
  #parked = new Set<number>();
  #cancelledBelow = 0;
  #cancelled = new Set<number>();

  /** How many calls are parked. */
  get size(): number {
    return this.#parked.size;
  }

  /** Notes whether call `id` waits for its reader. */
  set(id: number, parked: boolean): void {
    if (parked && id >= this.#cancelledBelow && !this.#cancelled.has(id)) this.#parked.add(id);
    else this.#parked.delete(id);
  }

  /** Call `id` was cancelled. */
  cancel(id: number): void {
    this.#cancelled.add(id);
    this.#parked.delete(id);
  }

  /** Every call below `nextId` was cancelled. */
  cancelBelow(nextId: number): void {
    this.#cancelledBelow = nextId;
    this.#parked.clear();
  }

  /** Call `id` has settled: it is forgotten. Returns whether it was parked. */
  settled(id: number): boolean {
    if (this.#cancelled.size > 0) this.#cancelled.delete(id);
    return this.#parked.size > 0 && this.#parked.delete(id);
  }
}
