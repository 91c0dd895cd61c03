/**
 * The raw baseline's responder: a plain NATS subscriber (queue group `echo`) in its own
 * process that answers every request with its payload.
 *
 * Usage: deno run -A _echo.ts SERVER SUBJECT
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";

const [server, subject] = Deno.args;
const nc = await connect({ servers: server });
nc.subscribe(subject, {
  queue: "echo",
  callback: (_, msg) => {
    msg.respond(msg.data);
  },
});
await nc.flush();
console.error("echo ready");
await nc.closed();
