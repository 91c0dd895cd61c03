import assert from "node:assert/strict";
import { processesWith } from "./_helpers.ts";
import { NatsServer } from "../server.ts";

// Deno.exit() dispatches `unload`, where the server is killed and its store removed; an uncaught
// error ends the program's children without it (the store folder then stays in the temp dir).
const PROGRAMS = {
  "Deno.exit()": { ending: "Deno.exit(3);", storeRemoved: true },
  "an uncaught error": { ending: "throw new Error('boom');", storeRemoved: false },
};

for (const [how, { ending, storeRemoved }] of Object.entries(PROGRAMS)) {
  Deno.test(`A program that ends by ${how} without stopping its NatsServer leaves no server behind`, async () => {
    if (!(await NatsServer.available())) throw new Error("nats-server is not installed");
    const program = `
      import { NatsServer } from ${JSON.stringify(new URL("../server.ts", import.meta.url).href)};
      const server = await NatsServer.start();
      console.log(server.pid, server.storeDir);
      ${ending}`;
    const started = performance.now();
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", program],
      stdout: "piped",
      stderr: "null",
    }).output();
    const [pid, storeDir] = new TextDecoder().decode(stdout).trim().split(" ");
    assert.notEqual(code, 0);
    assert.ok(performance.now() - started < 15_000);
    assert.match(pid, /^\d+$/);
    assert.deepEqual(processesWith(storeDir), [], "the server process is gone");
    if (storeRemoved) {
      await assert.rejects(Deno.stat(storeDir), Deno.errors.NotFound, "its store folder is gone");
    } else {
      await Deno.remove(storeDir, { recursive: true });
    }
  });
}
