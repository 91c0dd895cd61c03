/**
 * The fast lane under contention: runs item 64's fair load (the ten gcd pairs twenty times over,
 * on a two-worker `WorkerPoolExecutor`, after a warm-up run of the ten pairs) round after round
 * while CPU hogs keep both cores busy, and reports every round that does not finish in time.
 *
 * ```sh
 * deno run -A tools/fair_load_stress.ts [--rounds 200] [--timeout 30] [--hogs 2] [--budget 1800]
 *   [--load fair|crashes]
 * ```
 *
 * - `--rounds`: how many rounds (a new pool each round, as the demo does).
 * - `--timeout`: seconds a round may take before it counts as stuck.
 * - `--hogs`: how many `deno eval 'for(;;){}'` children load the cores meanwhile.
 * - `--budget`: seconds the whole run may take; rounds not started by then are skipped.
 * - `--load`: `fair` (the default) is item 64's fair load; `crashes` is the worker pool test's
 *   stress instead: 2,000 tasks over 4 workers, a third of them waiting 1 ms, every seventh
 *   failing and every 250th crashing its worker.
 *
 * A stuck round prints what can be seen from outside: the pool's `workerCount` and `waiting`,
 * how many results `map` had yielded, each live worker's shared control cells (read through
 * the SharedArrayBuffers the workers were given), and the state and kernel wait channel of every
 * thread of this process. It then waits a little longer (a stall finishes, a lost task does
 * not), fails the round, terminates its workers and goes on. The hogs are always killed at the
 * end; the exit code is 1 if any round got stuck or computed a wrong answer.
 *
 * Not a test: it runs for minutes and needs other load to mean anything.
 *
 * @module
 */

import { WorkerPoolExecutor } from "@tandem/tandem/parallel";
import { CONTROL_BYTES, DOORBELL } from "../futures/_protocol.ts";
import { FAIR_LOAD, NUMBERS } from "../demo/item64_gcd.ts";
import { gcd } from "../examples/tasks.ts";
import { crashLater, maybeFail } from "../tests/parallel/_tasks.ts";

const CELL_NAMES = ["STARTED", "DOORBELL", "BLOCKED", "REQ_ID", "REQ_REF", "RES_ID", "RES_KIND"];

// Every worker's control buffer, caught as it is made (a diagnostic only: the buffers are private
// to TaskWorker). A Proxy keeps `instanceof SharedArrayBuffer` working.
const controls: WeakRef<SharedArrayBuffer>[] = [];
const RealSAB = globalThis.SharedArrayBuffer;
globalThis.SharedArrayBuffer = new Proxy(RealSAB, {
  construct(target, args, newTarget) {
    const buffer = Reflect.construct(target, args, newTarget) as SharedArrayBuffer;
    if (buffer.byteLength === CONTROL_BYTES) controls.push(new WeakRef(buffer));
    return buffer;
  },
});

interface LiveWorker {
  id: number;
  broken: boolean;
  terminate(): void;
}
const liveWorkers = (): Set<LiveWorker> =>
  (globalThis as Record<symbol, Set<LiveWorker> | undefined>)[
    Symbol.for("tandem.liveWorkers")
  ] ?? new Set();

function option(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(Deno.args[at + 1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot run: '--${name}' must be a number, received ${Deno.args[at + 1]}`);
  }
  return value;
}

const ROUNDS = option("rounds", 200);
const TIMEOUT_MS = option("timeout", 30) * 1000;
const HOGS = option("hogs", 2);
const BUDGET_MS = option("budget", 1800) * 1000;
const GRACE_MS = 10_000;
const LOAD = Deno.args.includes("--load") ? Deno.args[Deno.args.indexOf("--load") + 1] : "fair";
if (LOAD !== "fair" && LOAD !== "crashes") {
  throw new RangeError(`Cannot run: '--load' must be fair or crashes, received ${LOAD}`);
}

function threadStates(): string {
  try {
    const lines: string[] = [];
    for (const entry of Deno.readDirSync("/proc/self/task")) {
      const dir = `/proc/self/task/${entry.name}`;
      const comm = Deno.readTextFileSync(`${dir}/comm`).trim();
      const stat = Deno.readTextFileSync(`${dir}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      let wchan = "";
      try {
        wchan = Deno.readTextFileSync(`${dir}/wchan`).trim();
      } catch { /* not readable here */ }
      lines.push(`    thread ${entry.name} ${comm}: ${state} ${wchan}`);
    }
    return lines.join("\n");
  } catch (error) {
    return `    (threads not readable: ${error instanceof Error ? error.message : error})`;
  }
}

function controlCells(): string {
  const lines: string[] = [];
  for (const ref of controls) {
    const buffer = ref.deref();
    if (buffer === undefined) continue;
    const cells = new Int32Array(buffer);
    if (Atomics.load(cells, 7) !== 0) continue; // STOP: a worker already ended
    lines.push(
      "    control " +
        CELL_NAMES.map((name, i) => `${name}=${Atomics.load(cells, i)}`).join(" "),
    );
  }
  return lines.join("\n") || "    (no live control buffers)";
}

function spawnHogs(count: number): Deno.ChildProcess[] {
  const hogs: Deno.ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    hogs.push(
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "for (;;) {}"],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
  }
  return hogs;
}

function killHogs(hogs: Deno.ChildProcess[]): void {
  for (const hog of hogs) {
    try {
      hog.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

type RoundResult = { ok: true; ms: number } | { ok: false; why: string };

const expected = FAIR_LOAD.map((pair) => gcd(pair) as number).join();

async function round(index: number): Promise<RoundResult> {
  const start = performance.now();
  controls.length = 0;
  const pool = new WorkerPoolExecutor({ maxWorkers: LOAD === "fair" ? 2 : 4 });
  let phase = "warm-up";
  let yielded = 0;
  const unsettled = new Set<number>();
  const work = LOAD === "fair"
    ? (async () => {
      for await (const _ of pool.map(gcd, NUMBERS)) yielded++;
      phase = "fair load";
      yielded = 0;
      const results: number[] = [];
      for await (const value of pool.map(gcd, FAIR_LOAD)) {
        results.push(value);
        yielded++;
      }
      phase = "shutdown";
      await pool.shutdown();
      return results.join();
    })()
    : (async () => {
      phase = "crashes";
      const futures = [];
      for (let n = 1; n <= 2000; n++) {
        unsettled.add(n);
        const future = n % 250 === 0
          ? pool.submit(crashLater, `crash ${n}`)
          : pool.submit(maybeFail, n, n % 3 === 0 ? 1 : 0);
        const settle = () => {
          unsettled.delete(n);
          yielded++;
        };
        future.then(settle, settle);
        futures.push(future);
      }
      const outcomes = await Promise.allSettled(futures);
      phase = "shutdown";
      await pool.shutdown();
      const broken = outcomes.filter((o, i) => (i + 1) % 250 === 0 && o.status === "rejected");
      return broken.length === 8 ? "ok" : `${broken.length} of 8 crashes failed their task`;
    })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) =>
    timer = setTimeout(() => resolve("late"), TIMEOUT_MS)
  );
  try {
    const first = await Promise.race([work, late]);
    if (first !== "late") {
      if (first !== (LOAD === "fair" ? expected : "ok")) return { ok: false, why: "wrong results" };
      return { ok: true, ms: performance.now() - start };
    }
    const stuckIn = phase;
    console.log(
      `round ${index}: STUCK after ${TIMEOUT_MS / 1000} s in the ${phase} ` +
        `(${yielded} results in); workerCount=${pool.workerCount} waiting=${pool.waiting} ` +
        `liveWorkers=${liveWorkers().size}` +
        (unsettled.size > 0 ? ` unsettled tasks: ${[...unsettled].slice(0, 10).join(", ")}` : ""),
    );
    console.log(controlCells());
    console.log(threadStates());
    // A stall finishes given time; a lost task or wake-up does not.
    const graceful = await Promise.race([
      work.then(() => "finished"),
      new Promise<string>((resolve) => timer = setTimeout(() => resolve("still stuck"), GRACE_MS)),
    ]);
    console.log(`round ${index}: ${graceful} ${GRACE_MS / 1000} s later`);
    console.log(controlCells());
    if (graceful !== "finished") {
      // A probe: wake every live host's Atomics.waitAsync on its doorbell. If the round then
      // finishes, a host had slept through a message that was waiting for it.
      for (const ref of controls) {
        const buffer = ref.deref();
        if (buffer !== undefined) Atomics.notify(new Int32Array(buffer), DOORBELL);
      }
      const probed = await Promise.race([
        work.then(() => "finished after a doorbell notify"),
        new Promise<string>((resolve) => timer = setTimeout(() => resolve("still stuck"), 3000)),
      ]);
      console.log(`round ${index}: ${probed}`);
      return { ok: false, why: `stuck in the ${stuckIn} (${probed} after the grace period)` };
    }
    return { ok: false, why: `stuck in the ${stuckIn} (${graceful} after the grace period)` };
  } finally {
    clearTimeout(timer);
    void pool.shutdown({ wait: false, cancelFutures: true });
    for (const worker of liveWorkers()) worker.terminate();
    work.catch(() => {});
  }
}

async function main(): Promise<number> {
  const hogs = spawnHogs(HOGS);
  const stopOnSignal = () => {
    killHogs(hogs);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", stopOnSignal);
  Deno.addSignalListener("SIGTERM", stopOnSignal);
  const began = performance.now();
  const times: number[] = [];
  const failures: string[] = [];
  let ran = 0;
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      if (performance.now() - began > BUDGET_MS) {
        console.log(`budget of ${BUDGET_MS / 1000} s spent: stopping after ${ran} rounds`);
        break;
      }
      const result = await round(i);
      ran++;
      if (result.ok) times.push(result.ms);
      else failures.push(`round ${i}: ${result.why}`);
      if (i % 10 === 0 || !result.ok) {
        const sorted = [...times].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
        const max = sorted[sorted.length - 1] ?? 0;
        console.log(
          `${i}/${ROUNDS} rounds, ${failures.length} failed; round time median ` +
            `${median.toFixed(0)} ms, max ${max.toFixed(0)} ms`,
        );
      }
    }
  } finally {
    killHogs(hogs);
    await Promise.allSettled(hogs.map((hog) => hog.status));
    Deno.removeSignalListener("SIGINT", stopOnSignal);
    Deno.removeSignalListener("SIGTERM", stopOnSignal);
  }
  console.log(
    `${LOAD} load stress: ${ran} rounds, ${failures.length} stuck or wrong, ${HOGS} hogs, ` +
      `${((performance.now() - began) / 1000).toFixed(0)} s`,
  );
  for (const failure of failures) console.log(`  ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

Deno.exit(await main());
