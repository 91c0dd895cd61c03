/**
 * The raw baselines' responders, each in its own process:
 * - `core`: a plain NATS subscriber (queue group `echo`) that answers every request with its
 *   payload;
 * - `jetstream`: a pull consumer on a work-queue stream (file storage, as tandem's task stream)
 *   that publishes every message's payload to the subject in its `Reply-To` header and then
 *   acknowledges it: the floor of any executor built on a stored queue.
 *
 * Usage: deno run -A _echo.ts SERVER SUBJECT [core|jetstream]
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";

const [server, subject, mode = "core"] = Deno.args;
const nc = await connect({ servers: server });
if (mode === "core") {
  nc.subscribe(subject, {
    queue: "echo",
    callback: (_, msg) => {
      msg.respond(msg.data);
    },
  });
} else {
  const jsm = await jetstreamManager(nc);
  const stream = `ECHO_${subject.replaceAll(".", "_")}`;
  await jsm.streams.add({
    name: stream,
    subjects: [subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
  }).catch(() => {});
  await jsm.consumers.add(stream, { durable_name: "echo", ack_policy: AckPolicy.Explicit })
    .catch(() => {});
  const consumer = await jetstream(nc).consumers.get(stream, "echo");
  (async () => {
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 128, expires: 5_000 });
      for await (const msg of batch) {
        nc.publish(msg.headers?.get("Reply-To") ?? "", msg.data);
        msg.ack();
      }
    }
  })();
}
await nc.flush();
console.error("echo ready");
await nc.closed();
