// @tandem/tandem keeps zero runtime dependencies: the NATS client belongs to @tandem/nats only.
// (`deno info --json` also lists the workspace's npm snapshot under `npmPackages`; what counts is
// the module graph of each entrypoint.)
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

Deno.test("@tandem/tandem's entrypoints import no npm:, jsr: or remote module (node: built-ins only)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  for (const entry of Object.values(config.exports) as string[]) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(entry, root).pathname],
      stdout: "piped",
      stderr: "inherit",
      cwd: root.pathname,
    }).output();
    assert.ok(output.success, `deno info ${entry} failed`);
    const info = JSON.parse(new TextDecoder().decode(output.stdout));
    const foreign = (info.modules as { specifier: string }[])
      .map((m) => m.specifier)
      .filter((s) => !s.startsWith("file:") && !s.startsWith("node:"));
    assert.deepEqual(foreign, [], `${entry} imports ${foreign.join(", ")}`);
  }
});
