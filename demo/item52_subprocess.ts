/**
 * Item 52: Use `subprocess` to manage child processes.
 *
 * First the book's three examples, printing what the book prints: run a child and read its
 * output; poll a child while doing other work; stop a child that runs too long (`Exit status
 * -15`). Then the book's parallel children (ten `sleep 0.1` at once finish in about the time of
 * one) and its pipeline of two children, one's stdout feeding the other's stdin. The book pipes
 * `openssl enc` into `openssl dgst`; here it is `base64 | sha256sum`, which every Linux has.
 *
 * Run it with `deno task demo 52`, or `deno run -A demo/item52_subprocess.ts`.
 *
 * @module
 */

import { Popen, run, TimeoutExpired } from "@tandem/tandem/subprocess";

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
}

if (import.meta.main) {
  await main();
}
