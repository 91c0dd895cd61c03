/**
 * Item 64, past one machine: the book's gcd on `NatsExecutor` (`@tandem/nats`), with two worker
 * processes that each have their own code folder, as two machines would.
 *
 * It starts a local `nats-server` (JetStream, 127.0.0.1, a free port, a temporary store) if one
 * is installed, otherwise prints how to install it and ends. Then it deploys the task module to
 * three folders (the submitter's and one per worker), starts two workers with the CLI
 * (`deno run -A jsr:@tandem/nats/worker`; here the same file from this checkout), and runs the
 * book's ten pairs and the fair load, printing the results and the `Took N seconds` lines of
 * the other executors. The one line that changed from item 64: the executor's construction.
 *
 * @module
 */

import type { Task } from "@tandem/tandem/futures";
import { NatsExecutor } from "@tandem/nats";
import { INSTALL_HINT, NatsServer } from "@tandem/nats/server";
import { collect, FAIR_LOAD, NUMBERS, seconds } from "./item64_gcd.ts";

type Gcd = Task<[[number, number]], number>;

/**
 * The task module, as each machine has it in its code folder: the project's own example tasks
 * (gcd among them), with their imports of the hub pointed at this copy of tandem.
 */
async function gcdModule(): Promise<string> {
  const source = await Deno.readTextFile(new URL("../examples/tasks.ts", import.meta.url));
  return source.replaceAll(
    /"(\.\.\/futures\/[a-z_]+\.ts)"/g,
    // examples/ and demo/ sit side by side, so the path means the same from here.
    (_, path: string) => JSON.stringify(import.meta.resolve(path)),
  );
}

/** A worker process: `deno run -A <worker CLI> --server URL --root DIR`. */
interface WorkerProcess {
  child: Deno.ChildProcess;
  log: Promise<string>;
}

async function startWorker(server: string, root: string, id: string): Promise<WorkerProcess> {
  const cli = import.meta.resolve("@tandem/nats/worker");
  const args = ["run", "-A", cli, "--server", server, "--root", root, "--workers", "1", "--id", id];
  console.log(
    `  $ deno run -A jsr:@tandem/nats/worker --server ${server} --root ${root} --id ${id}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => ready = resolve);
  const log = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes(" ready: ")) ready();
    }
    return text;
  })();
  const started = await Promise.race([isReady.then(() => true), child.status.then(() => false)]);
  if (!started) throw new Error(`worker ${id} did not start:\n${await log}`);
  return { child, log };
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  try {
    worker.child.kill("SIGTERM");
  } catch { /* already gone */ }
  await worker.child.status;
  await worker.log;
}

/** Runs the demo. */
export async function main(): Promise<void> {
  if (!/(^|\/)deno(\.exe)?$/.test(Deno.execPath())) {
    console.log("This demo starts its workers with `deno run`, which a compiled binary cannot do:");
    console.log("run it with `deno task demo 64 --nats`.");
    return;
  }
  if (!(await NatsServer.available())) {
    console.log(`This demo needs nats-server, which is not installed: ${INSTALL_HINT}.`);
    console.log("Skipped (nothing else is needed: the client comes from npm).");
    return;
  }
  const folders: string[] = [];
  const workers: WorkerProcess[] = [];
  await using server = await NatsServer.start();
  try {
    console.log(`nats-server -js -a 127.0.0.1 -p ${server.port} -sd ${server.storeDir}`);
    for (const who of ["submitter", "machine-1", "machine-2"]) {
      const folder = await Deno.makeTempDir({ prefix: `tandem-${who}-` });
      await Deno.writeTextFile(`${folder}/gcd.ts`, await gcdModule());
      folders.push(folder);
    }
    const [mine, ...theirs] = folders;
    console.log(`Two workers, each with its own code folder holding gcd.ts:`);
    for (const [i, root] of theirs.entries()) {
      workers.push(await startWorker(server.url, root, `machine-${i + 1}`));
    }
    const { gcd } = await import(`file://${mine}/gcd.ts`) as { gcd: Gcd };
    const expected = NUMBERS.map((pair) => gcd(pair) as number);

    console.log(`\nThe book's run: ten pairs, two workers, connection included`);
    let start = performance.now();
    // The one-line change from item 64: the executor.
    const pool = await NatsExecutor.connect({ servers: server.url, root: mine });
    try {
      const results = await collect(pool.map(gcd, NUMBERS));
      const ms = performance.now() - start;
      if (results.join() !== expected.join()) throw new Error(`NATS computed ${results}`);
      console.log(`Results: ${results.join(", ")}`);
      console.log(`NatsExecutor (2 worker processes), like run_parallel.py`);
      console.log(`Took ${seconds(ms)} seconds`);

      start = performance.now();
      const fair = await collect(pool.map(gcd, FAIR_LOAD));
      const fairMs = performance.now() - start;
      if (fair.length !== FAIR_LOAD.length || fair.slice(0, 10).join() !== expected.join()) {
        throw new Error("NATS computed wrong results for the fair load");
      }
      console.log(
        `\nThe fair load: the ten pairs 20 times (${FAIR_LOAD.length} tasks), warm workers`,
      );
      console.log(`${"NatsExecutor".padEnd(20)} Took ${seconds(fairMs)} seconds`);
    } finally {
      await pool.shutdown();
    }
  } finally {
    await Promise.all(workers.map(stopWorker));
    for (const folder of folders) await Deno.remove(folder, { recursive: true });
  }
}

if (import.meta.main) {
  await main();
}
