// The demo runner, run as users run it (`deno task demo ...` runs `deno run -A demo/main.ts`).
import assert from "node:assert/strict";

const entry = new URL("../../demo/main.ts", import.meta.url).pathname;

async function runDemo(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", entry, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("demo --list prints every item with its title and exits 0", async () => {
  const { code, stdout } = await runDemo("--list");
  assert.equal(code, 0);
  assert.match(stdout, /^Demos \(deno task demo \[item \.\.\.\]\):/);
});

Deno.test("demo with an unknown item prints the list and exits non-zero", async () => {
  const { code, stderr } = await runDemo("99");
  assert.equal(code, 1);
  assert.match(stderr, /Unknown item: 99/);
  assert.match(stderr, /Demos \(deno task demo/);
});

Deno.test("demo 64-progress draws a bar to the half, cancels the task there and keeps its worker", async () => {
  const start = performance.now();
  const { code, stdout, stderr } = await runDemo("64-progress");
  const took = performance.now() - start;
  assert.equal(code, 0, stderr);
  const bars = [0, 10, 20, 30, 40, 50].map((percent) =>
    `${`${percent}%`.padStart(4)} │${"██".repeat(percent / 10).padEnd(20)}│`
  );
  const lines = stdout.trim().split("\n").slice(2);
  assert.deepEqual(lines.slice(0, 7), [
    "One long task on a WorkerPoolExecutor: the naive gcd of 600 pairs, reporting progress",
    ...bars,
  ]);
  assert.match(lines[7], /^Half way \(5\d\.\d% done\): cancelling/);
  assert.match(
    lines[8],
    /^The future failed with CancelledError \(half way is enough\): the task stopped \d+ ms after/,
  );
  assert.equal(
    lines[9],
    "The worker was kept: the next task ran on the same worker, which then computed the book's " +
      "ten gcds: 1, 1, 5, 1, 32, 1, 14, 9, 1, 9",
  );
  assert.equal(lines.length, 10);
  assert.ok(took < 15_000, `the demo took ${took.toFixed(0)} ms`);
});
