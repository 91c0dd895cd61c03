// What several benches share: the raw platform for their baselines (one Worker that sends back
// what it receives, doubling numbers, and arrays of numbers item by item, like the `double`
// task), and warm pools, created and warmed outside the measured part and shut down when the
// bench process unloads (Deno.bench has no teardown).
import { isMainThread } from "node:worker_threads";
import type { Executor, Task } from "@tandem/tandem/futures";

const ECHO = `data:application/javascript,${
  encodeURIComponent(
    "self.onmessage = (e) => { const d = e.data; " +
      "self.postMessage(Array.isArray(d) ? d.map((n) => n * 2) : d * 2); };",
  )
}`;
let echo: Worker | undefined;
let echoWaiters: ((value: unknown) => void)[] = [];
let echoHead = 0;

function rawWorker(): Worker {
  if (echo === undefined) {
    echo = new Worker(ECHO, { type: "module" });
    echo.onmessage = (event) => {
      const resolve = echoWaiters[echoHead++];
      if (echoHead === echoWaiters.length) {
        echoWaiters = [];
        echoHead = 0;
      }
      resolve(event.data);
    };
  }
  return echo;
}

/** Sends `value` to the raw echo worker; resolves with its answer. */
export function rawRoundTrip(value: unknown): Promise<unknown> {
  const worker = rawWorker();
  return new Promise((resolve) => {
    echoWaiters.push(resolve);
    worker.postMessage(value);
  });
}

const pools = new Map<string, Promise<Executor>>();

/** The pool named `name`, made by `make` on first use and warmed with two calls of `warmUp`. */
export function warm<E extends Executor>(
  name: string,
  make: () => E,
  warmUp: Task<[number], unknown>,
): Promise<E> {
  let pool = pools.get(name) as Promise<E> | undefined;
  if (pool === undefined) {
    pool = (async () => {
      const made = make();
      await Promise.all([made.submit(warmUp, 1), made.submit(warmUp, 2)]);
      return made;
    })();
    pools.set(name, pool);
  }
  return pool;
}

// A bench module may also be a task module (context_bench.ts): its workers load this one too.
if (isMainThread) {
  globalThis.addEventListener("unload", () => {
    echo?.terminate();
    // With no work in flight, shutdown() releases the workers synchronously.
    for (const pool of pools.values()) pool.then((p) => p.shutdown());
  });
}
