/**
 * Connecting to the server with clear errors, and setting up the task stream and the workers'
 * consumer. Private to the package.
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { CONSUMER, streamName, taskSubject } from "./_protocol.ts";

/** `servers` as a list, for messages and for the client. */
export function serverList(servers: string | string[]): string[] {
  const list = typeof servers === "string" ? servers.split(",") : servers;
  if (list.length === 0 || list.some((s) => typeof s !== "string" || s.trim() === "")) {
    throw new TypeError(
      `'servers' must be an address such as "127.0.0.1:4222" or a list of them, received ${
        JSON.stringify(servers)
      }`,
    );
  }
  return list.map((s) => s.trim());
}

/** Checks a stream/subject name part. */
export function checkName(who: string, name: string): void {
  if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new TypeError(
      `Cannot create ${who}: 'name' must be letters, digits, '_' or '-', received ${
        JSON.stringify(name)
      }`,
    );
  }
}

/**
 * Connects, reconnecting forever after a loss (the caller bounds how long it waits), and checks
 * that JetStream is enabled.
 *
 * @throws {Error} Naming the address, if the server cannot be reached or has no JetStream.
 */
export async function open(
  who: string,
  servers: string[],
  connectTimeout: number,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      timeout: connectTimeout,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 50,
      pingInterval: 10_000,
      name: who,
    });
  } catch (cause) {
    throw new Error(
      `Cannot connect ${who} to ${servers.join(", ")}: no NATS server answered there ` +
        `(${(cause as Error)?.message ?? cause}); start one with ` +
        "`nats-server -js -a 127.0.0.1 -p PORT -sd STORE_DIR`",
      { cause },
    );
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: connectTimeout });
    return { nc, jsm };
  } catch (cause) {
    await nc.close().catch(() => {});
    throw new Error(
      `Cannot use JetStream at ${servers.join(", ")} for ${who}: ${
        (cause as Error)?.message ?? cause
      } (start the server with -js)`,
      { cause },
    );
  }
}

/**
 * Creates the task stream if it is missing; with `maxQueue`, sets its message limit (discard
 * new), so publishing to a full queue is refused.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  maxQueue: number | undefined,
): Promise<void> {
  const stream = streamName(name);
  const max_msgs = maxQueue ?? -1;
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch {
    info = undefined;
  }
  if (info === undefined) {
    try {
      await jsm.streams.add({
        name: stream,
        subjects: [taskSubject(name)],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_msgs,
        duplicate_window: 120_000_000_000,
      });
      return;
    } catch (error) {
      // Another process may have created it at the same moment.
      info = await jsm.streams.info(stream).catch(() => {
        throw error;
      });
    }
  }
  if (maxQueue !== undefined && info.config.max_msgs !== max_msgs) {
    await jsm.streams.update(stream, { ...info.config, max_msgs });
  }
}

/** Creates or updates the workers' durable pull consumer. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  name: string,
  ackWait: number,
  maxDeliver: number,
): Promise<void> {
  const stream = streamName(name);
  const config = {
    durable_name: CONSUMER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWait * 1_000_000,
    max_deliver: maxDeliver,
    max_ack_pending: -1,
  };
  let info;
  try {
    info = await jsm.consumers.info(stream, CONSUMER);
  } catch {
    info = undefined;
  }
  if (info === undefined) {
    try {
      await jsm.consumers.add(stream, config);
      return;
    } catch (error) {
      info = await jsm.consumers.info(stream, CONSUMER).catch(() => {
        throw error;
      });
    }
  }
  if (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== maxDeliver) {
    await jsm.consumers.update(stream, CONSUMER, {
      ack_wait: config.ack_wait,
      max_deliver: maxDeliver,
    });
  }
}
