/**
 * Test preload: makes every test fail that leaves a Worker running.
 *
 * Deno's op and resource sanitizers do not track Web Workers, so this wraps the global
 * `Worker` constructor, remembers every worker a test starts, and checks after each test that
 * all of them were terminated. A leaked worker is terminated here (so later tests start clean)
 * and the test that leaked it fails with the count.
 *
 * @module
 */

const live = new Set<Worker>();
const NativeWorker = globalThis.Worker;

class TrackedWorker extends NativeWorker {
  constructor(specifier: string | URL, options?: WorkerOptions) {
    super(specifier, options);
    live.add(this);
  }

  override terminate(): void {
    live.delete(this);
    super.terminate();
  }
}

globalThis.Worker = TrackedWorker;

Deno.test.afterEach(() => {
  if (live.size === 0) return;
  const leaked = live.size;
  for (const worker of [...live]) worker.terminate();
  throw new Error(`Test left ${leaked} Worker(s) running: terminate every worker it starts`);
});
