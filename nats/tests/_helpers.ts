/**
 * Test helpers: a server per test, worker processes running the CLI, and a check that nothing a
 * test started is still running.
 *
 * @module
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "../server.ts";

/** The package folder: the code root of the tests' workers and submitters. */
export const ROOT: URL = new URL("../", import.meta.url);

const WORKER_CLI = new URL("../worker.ts", import.meta.url);

let counter = 0;

/** A queue name no other test uses, also the marker that finds a test's processes in /proc. */
export function uniqueName(): string {
  return `t${Deno.pid}x${++counter}x${Math.floor(Math.random() * 1e6)}`;
}

/**
 * Starts a server, or fails with a clear message if `nats-server` is not installed (CI installs
 * it; locally: `apt-get install nats-server`).
 */
export async function startServer(): Promise<NatsServer> {
  if (!(await NatsServer.available())) {
    throw new Error(
      "nats-server is not installed, so the NATS tests cannot run: install it with " +
        "`apt-get install nats-server` (.ci/run does this on CI)",
    );
  }
  return await NatsServer.start();
}

/** A worker process running `nats/worker.ts`. */
export class WorkerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  #exited = false;

  constructor(child: Deno.ChildProcess, stderr: Promise<string>) {
    this.child = child;
    this.#stderr = stderr;
    child.status.then(() => this.#exited = true);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Ends it with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await this.child.status;
    await this.#stderr;
  }

  /** Ends it with SIGTERM (graceful) and returns its stderr. */
  async stop(): Promise<string> {
    if (!this.#exited) {
      try {
        this.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    await this.child.status;
    return await this.#stderr;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}

/** Starts `deno run -A nats/worker.ts` and waits for its `ready` line. */
export async function startWorker(
  server: string,
  name: string,
  extra: string[] = [],
  root: string | URL = ROOT,
): Promise<WorkerProcess> {
  const rootPath = root instanceof URL ? decodeURIComponent(root.pathname) : root;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      WORKER_CLI.href,
      "--server",
      server,
      "--name",
      name,
      "--root",
      rootPath,
      "--workers",
      "1",
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => ready = resolve);
  const stderr = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      if (text.includes(" ready: ")) ready();
    }
    return text;
  })();
  const worker = new WorkerProcess(child, stderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    isReady.then(() => "ready"),
    child.status.then(() => "exited"),
    new Promise((r) => timer = setTimeout(r, 20_000, "timeout")),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    await worker.kill();
    throw new Error(`worker did not start (${outcome}):\n${await stderr}`);
  }
  return worker;
}

/** The ids of running processes whose command line contains `marker` (from /proc). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      if (/^\d+ \(.*\) Z/.test(stat)) continue; // a zombie is gone
      if (cmdline.includes(marker)) found.push(Number(entry.name));
    } catch { /* exited meanwhile */ }
  }
  return found;
}

/** Waits until `check` is true, polling every 20 ms, or throws after `timeout` ms. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met in ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The lines of a text file, or none if it does not exist. */
export async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}

/** Messages left in the task stream of queue `name`. */
export async function queued(url: string, name: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(`TANDEM_${name}`)).state.messages;
  } finally {
    await nc.close();
  }
}
