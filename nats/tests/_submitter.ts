/**
 * A submitter process for the "submitter dies" test: submits one slow task that records
 * "running" and three that record "queued", prints "submitted", and waits to be killed.
 *
 * Usage: deno run -A _submitter.ts SERVER NAME LOG
 *
 * @module
 */

import { NatsExecutor } from "../mod.ts";
import { recordThen } from "./_tasks.ts";

const [server, name, log] = Deno.args;
const pool = await NatsExecutor.connect({
  servers: server,
  name,
  root: new URL("../", import.meta.url),
});
const futures = [pool.submit(recordThen, log, "running", 1_000, 0)];
for (let i = 0; i < 3; i++) futures.push(pool.submit(recordThen, log, "queued", 0, i));
await new Promise((r) => setTimeout(r, 200));
console.log("submitted");
setInterval(() => {}, 1_000);
