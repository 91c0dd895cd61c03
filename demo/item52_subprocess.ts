/**
 * Item 52: Use `subprocess` to manage child processes.
 *
 * First the book's three examples, printing what the book prints: run a child and read its
 * output; poll a child while doing other work; stop a child that runs too long (`Exit status
 * -15`). Then the book's parallel children (ten `sleep 0.1` at once finish in about the time of
 * one) and its pipeline of two children, one's stdout feeding the other's stdin. The book pipes
 * `openssl enc` into `openssl dgst`; here it is `base64 | sha256sum`, which every Linux has.
 *
 * Then what tandem adds: a process tree (a shell and the two sleeps it started) in a process
 * group of its own, killed whole when the timeout runs out. The demo then looks under /proc for
 * any process of that group still running, and prints what it found.
 *
 * Run it with `deno task demo 52`, or `deno run -A demo/item52_subprocess.ts`.
 *
 * @module
 */

import { Popen, run, TimeoutExpired } from "@tandem/tandem/subprocess";

const TREE_TIMEOUT_MS = 300;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Pipes `data` through `base64` into `sha256sum`, two children connected by a pipe. */
async function encodeThenHash(data: Uint8Array): Promise<string> {
  await using encode = new Popen(["base64"], { stdin: "pipe", stdout: "pipe" });
  await using hash = new Popen(["sha256sum"], { stdin: encode.stdout!, stdout: "pipe" });
  const writer = encode.stdin!.getWriter();
  await writer.write(data);
  await writer.close();
  const { stdout } = await hash.communicate({ encoding: "utf-8" });
  const status = await encode.wait();
  if (status !== 0 || hash.returncode !== 0) {
    throw new Error(`Pipeline failed: base64 exited ${status}, sha256sum ${hash.returncode}`);
  }
  return stdout!.split(" ")[0];
}

/** The same digest, computed in-process, to check the pipeline against. */
async function expectedDigest(data: Uint8Array): Promise<string> {
  const encoded = new TextEncoder().encode(`${btoa(String.fromCharCode(...data))}\n`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoded));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The processes of group `pgid` that are still running, from /proc (a zombie has exited and only
 * awaits reaping, so it does not count); null where there is no /proc.
 */
function runningInGroup(pgid: number): number[] | null {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch {
    return null;
  }
  const running: number[] = [];
  for (const { name } of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${name}/stat`);
      // "pid (comm) state ppid pgrp ...": the fields after the command name.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") running.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return running;
}

/**
 * Runs a shell that starts two sleeps, in a group of its own, with a timeout; then checks that
 * none of the three is left running. Returns the line to print.
 */
async function killTreeOnTimeout(): Promise<string> {
  const script = "echo $$; sleep 30 & echo $!; sleep 30 & echo $!; wait";
  const error = await run(["sh", "-c", script], {
    processGroup: 0,
    timeout: TREE_TIMEOUT_MS,
    capture: true,
    encoding: "utf-8",
  }).catch((e) => e);
  if (!(error instanceof TimeoutExpired)) throw new Error(`Expected a timeout, got ${error}`);
  const pids = String(error.stdout).trim().split("\n").map(Number);
  const [pgid] = pids;
  // Every process of the group has been sent SIGKILL; the kernel ends each as soon as it runs.
  let running = runningInGroup(pgid);
  for (let waited = 0; running !== null && running.length > 0 && waited < 1000; waited += 10) {
    await sleep(10);
    running = runningInGroup(pgid);
  }
  const tree = `a shell and ${pids.length - 1} sleeps, group ${pgid}`;
  const found = running === null
    ? "no /proc here to check"
    : `${running.length} of ${pids.length} processes still running (checked /proc)`;
  return `Process tree (${tree}) timed out after ${TREE_TIMEOUT_MS} ms: ${found}`;
}

/** Runs the item's examples. */
export async function main(): Promise<void> {
  // The book: subprocess.run(['echo', 'Hello from the child!'], capture_output=True, ...)
  const result = await run(["echo", "Hello from the child!"], {
    capture: true,
    encoding: "utf-8",
  });
  result.checkReturncode();
  console.log(result.stdout?.trimEnd());

  // The book: poll a child while the parent does other work.
  const proc = new Popen(["sleep", "1"]);
  while (proc.poll() === null) {
    console.log("Working...");
    await sleep(300);
  }
  console.log(`Exit status ${proc.poll()}`);

  // The book: communicate() with a timeout, then terminate the child that ran too long.
  const slow = new Popen(["sleep", "10"]);
  try {
    await slow.communicate({ timeout: 100 });
  } catch (error) {
    if (!(error instanceof TimeoutExpired)) throw error;
    slow.terminate();
    await slow.wait();
  }
  console.log(`Exit status ${slow.poll()}`);

  // The book: ten children at once take about as long as one.
  const start = performance.now();
  const sleepers = Array.from({ length: 10 }, () => new Popen(["sleep", "0.1"]));
  for (const sleeper of sleepers) await sleeper.communicate();
  const delta = (performance.now() - start) / 1000;
  console.log(`Finished in ${Number(delta.toPrecision(3))} seconds`);

  // The book: pipe one child's output into another, three pipelines in parallel.
  const inputs = Array.from({ length: 3 }, () => crypto.getRandomValues(new Uint8Array(10)));
  const digests = await Promise.all(inputs.map(encodeThenHash));
  for (const [i, digest] of digests.entries()) {
    const expected = await expectedDigest(inputs[i]);
    if (digest !== expected) throw new Error(`Digest mismatch: ${digest} != ${expected}`);
    console.log(`base64 | sha256sum: ...${digest.slice(-10)} (matches)`);
  }

  // tandem adds: a process tree in a group of its own, killed whole on timeout.
  console.log(await killTreeOnTimeout());
}

if (import.meta.main) {
  await main();
}
