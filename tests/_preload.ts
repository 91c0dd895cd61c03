/**
 * Test preload: makes every test fail that leaves a Worker running.
 *
 * Deno's op and resource sanitizers do not track workers, so this wraps the global `Worker`
 * constructor, remembers every worker a test starts (tandem's own `node:worker_threads` workers
 * register themselves under `Symbol.for("tandem.liveWorkers")`), and checks after each test that
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

// tandem's own workers (node:worker_threads, which this wrapper cannot see) register here.
const tandemWorkers: Set<{ terminate(): void }> = ((globalThis as Record<
  symbol,
  Set<{ terminate(): void }>
>)[Symbol.for("tandem.liveWorkers")] ??= new Set());

Deno.test.afterEach(() => {
  if (live.size === 0 && tandemWorkers.size === 0) return;
  const leaked = live.size + tandemWorkers.size;
  for (const worker of [...live]) worker.terminate();
  for (const worker of [...tandemWorkers]) worker.terminate();
  throw new Error(`Test left ${leaked} Worker(s) running: terminate every worker it starts`);
});
