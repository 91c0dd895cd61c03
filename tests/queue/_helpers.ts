// Shared helpers for the queue tests.

/** Lets every promise reaction that is already queued run (several microtask hops). */
export async function settle(hops = 8): Promise<void> {
  for (let i = 0; i < hops; i++) await Promise.resolve();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The state of a promise, observed without waiting for it. */
export type Observed<T> =
  | { state: "pending" }
  | { state: "fulfilled"; value: T }
  | { state: "rejected"; error: unknown };

/** Starts observing `promise`; read `.current` after {@linkcode settle}. */
export function observe<T>(promise: Promise<T>): { readonly current: Observed<T> } {
  const box: { current: Observed<T> } = { current: { state: "pending" } };
  promise.then(
    (value) => box.current = { state: "fulfilled", value },
    (error) => box.current = { state: "rejected", error },
  );
  return box;
}

/** A small seeded PRNG (mulberry32), so a failing property test can be replayed by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Spies on the abort listeners of `signal`: how many are attached now. */
export function countListeners(signal: AbortSignal): { readonly count: number } {
  const listeners = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: EventListener, options?: unknown) => {
    if (type === "abort") listeners.add(listener);
    add(type, listener, options as AddEventListenerOptions);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: EventListener, options?: unknown) => {
    if (type === "abort") listeners.delete(listener);
    remove(type, listener, options as EventListenerOptions);
  }) as typeof signal.removeEventListener;
  return {
    get count() {
      return listeners.size;
    },
  };
}
