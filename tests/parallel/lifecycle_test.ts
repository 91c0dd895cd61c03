// What happens at the edges of a program: whether pools let it end, and memory exhaustion.
import assert from "node:assert/strict";

const script = new URL("./_exit_script.ts", import.meta.url).pathname;

async function runScript(mode: string): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    // A program that never ends fails the test instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("a program ends once its pools are shut down", async () => {
  const { code, stdout } = await runScript("shutdown");
  assert.equal(code, 0);
  assert.deepEqual(stdout.trim().split("\n"), ["9", "16"]);
});

Deno.test("a forgotten pool lets the program end once its workers reach idleTimeout", async () => {
  const { code, stdout } = await runScript("forgotten");
  assert.equal(code, 0);
  assert.equal(stdout.trim(), "25");
});

Deno.test("a task that exhausts memory kills only its own process; the pool goes on", async () => {
  const { code, stdout } = await runScript("oom");
  assert.equal(code, 0);
  const [oom, after] = stdout.trim().split("\n");
  assert.match(
    oom,
    /Task 'exhaustMemory' from .* did not finish: process \d+ (was killed by|exited)/,
  );
  assert.equal(after, "36");
});
