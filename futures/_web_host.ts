// Private: the web Worker that runs the worker host for a TaskWorker with `webWorker`. A program
// may start it before it loads anything else (a process-pool child does, from its entry module):
// the worker's own start, the larger part of a child's, then overlaps the loading of the rest.
// This module imports nothing, so that such an entry starts it at once.

/** A web Worker started early, and the errors it reported before its TaskWorker took it. */
let early: { worker: Worker; errors: ErrorEvent[] } | undefined;

function newHost(name: string): Worker {
  return new Worker(new URL("./_worker_host.ts", import.meta.url), { type: "module", name });
}

/**
 * Starts the worker host on a web Worker now, for the next TaskWorker with `webWorker` to take.
 * Its errors are held (not thrown in this isolate) until then. The host waits for its HostInit,
 * so it says nothing before its TaskWorker listens.
 */
export function prestartWebHost(name: string): void {
  if (early !== undefined) return;
  const errors: ErrorEvent[] = [];
  const worker = newHost(name);
  worker.onerror = (event) => {
    event.preventDefault();
    errors.push(event);
  };
  early = { worker, errors };
}

/**
 * The web Worker started by `prestartWebHost`, or a new one: the worker and the errors it has
 * reported so far, which its new owner replays once it listens.
 */
export function takeWebHost(name: string): { worker: Worker; errors: ErrorEvent[] } {
  const taken = early ?? { worker: newHost(name), errors: [] };
  early = undefined;
  taken.worker.onerror = null;
  return taken;
}
