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
