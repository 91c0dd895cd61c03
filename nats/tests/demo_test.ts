// The NATS demo, run as a new user runs it: `deno task demo 64 --nats`.
import assert from "node:assert/strict";
import { processesWith } from "./_helpers.ts";

const entry = new URL("../../demo/main.ts", import.meta.url).pathname;

Deno.test("demo 64 --nats runs the book's gcd on two worker processes and prints its results", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", entry, "64", "--nats"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /=== Item 64-nats:/);
  assert.equal(stdout.match(/jsr:@tandem\/nats\/worker --server/g)?.length, 2);
  assert.match(stdout, /Results: 1, 1, 5, 1, 32, 1, 14, 9, 1, 9/);
  assert.match(
    stdout,
    /NatsExecutor \(2 worker processes\), like run_parallel\.py\nTook \d+\.\d{3} seconds/,
  );
  assert.match(stdout, /NatsExecutor +Took \d+\.\d{3} seconds/);
  assert.deepEqual(processesWith("tandem-machine-"), []);
});
