// The item 52 demo, run as a user runs it, prints what the book prints.
import assert from "node:assert/strict";

const demo = new URL("../../demo/item52_subprocess.ts", import.meta.url).pathname;

Deno.test("the item 52 demo prints the book's output, then parallel children, a pipeline and a process tree killed whole", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const lines = stdout.trimEnd().split("\n");

  assert.equal(lines.shift(), "Hello from the child!");
  let working = 0;
  while (lines[0] === "Working...") {
    lines.shift();
    working++;
  }
  // `sleep 1`, polled every 300 ms: the book shows four polls finding it running. Timers never
  // fire early, so at least the polls at 0 and 300 ms do; a loaded machine may add more.
  assert.ok(working >= 2, `${working} "Working..." lines`);
  assert.equal(lines.shift(), "Exit status 0");
  assert.equal(lines.shift(), "Exit status -15");

  const finished = lines.shift()!.match(/^Finished in (\d+(?:\.\d+)?(?:e-\d+)?) seconds$/);
  assert.ok(finished, "no 'Finished in' line");
  // Ten 0.1 s sleeps in parallel take about 0.1 s; in series they would take 1 s.
  assert.ok(Number(finished[1]) < 1, `parallel children took ${finished[1]} s`);

  for (let i = 0; i < 3; i++) {
    assert.match(lines.shift()!, /^base64 \| sha256sum: \.\.\.[0-9a-f]{10} \(matches\)$/);
  }

  // What tandem adds: the shell and its two sleeps were all killed on timeout.
  assert.match(
    lines.shift()!,
    /^Process tree \(a shell and 2 sleeps, group \d+\) timed out after 300 ms: 0 of 3 processes still running \(checked \/proc\)$/,
  );
  assert.deepEqual(lines, []);
});
