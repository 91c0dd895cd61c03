// Private: the "current work" word that the event-loop monitor's watchdog reads from another
// thread. JavaScript has no async context that another isolate can see, so tandem keeps one
// Int32 in shared memory: set while a labelled call (track(), a TaskGroup child) runs its
// synchronous part, restored when it returns. Label ids index a ring of recent names, so a report
// made just after the block can still name the work. Nothing is written while no monitor runs.

const RING = 1024;
const MASK = RING - 1;

/**
 * A label: a name, or the number n of an unnamed TaskGroup child, reported as `Task-<n>`. A
 * number goes into the shared word directly, as -n, so unnamed children cost no ring entry.
 */
export type Label = string | number;

let monitors = 0;
let word: Int32Array<SharedArrayBuffer> | undefined;
let current = 0;
let nextId = 0;
const ids = new Int32Array(RING);
const names: (string | undefined)[] = new Array(RING);

/** Whether any monitor is running, i.e. whether labels are worth recording. */
export function labelling(): boolean {
  return monitors > 0;
}

/**
 * Makes `label` the current work and returns the previous label id, to hand back to
 * {@linkcode leaveLabel}. Only call it while {@linkcode labelling} is true. The word is written
 * with a plain store: the watchdog samples it every few milliseconds, so it needs the value to
 * become visible soon, not a fence on every call.
 */
export function enterLabel(label: Label): number {
  let id: number;
  if (typeof label === "number") {
    id = -(label & 0x7fffffff);
  } else {
    nextId = nextId === 0x7fffffff ? 1 : nextId + 1;
    id = nextId;
    ids[id & MASK] = id;
    names[id & MASK] = label;
  }
  const previous = current;
  current = id;
  word![0] = id;
  return previous;
}

/** Restores the label that {@linkcode enterLabel} replaced. */
export function leaveLabel(previous: number): void {
  current = previous;
  word![0] = previous;
}

/**
 * Runs `fn()` with `label` as the current work (the whole call for a synchronous function, the
 * part before the first `await` for an async one), then restores the previous label.
 */
export function runLabelled<T>(label: Label, fn: () => T): T {
  if (monitors === 0) return fn();
  const previous = enterLabel(label);
  try {
    return fn();
  } finally {
    leaveLabel(previous);
  }
}

/** The name behind a label id, if it is still in the ring of recent labels. */
export function labelName(id: number): string | undefined {
  if (id < 0) return `Task-${-id}`;
  if (id === 0 || ids[id & MASK] !== id) return undefined;
  return names[id & MASK];
}

/** Called when a monitor starts: returns the shared label word for its watchdog. */
export function acquireLabels(): Int32Array<SharedArrayBuffer> {
  word ??= new Int32Array(new SharedArrayBuffer(4));
  monitors++;
  return word;
}

/** Called when a monitor stops. */
export function releaseLabels(): void {
  monitors = Math.max(0, monitors - 1);
  if (monitors === 0) names.fill(undefined);
}
