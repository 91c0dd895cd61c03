// NatsExecutor against raw NATS request/reply (the baseline of each group), through worker
// processes started with the worker CLI (the raw baseline: plain responders, also in their own
// processes):
// - one task at a time: submit, await, repeat (a round trip), against one raw request, and
//   against the floor of a stored queue (publish to a work-queue stream, a pull consumer
//   answers each message and acknowledges it);
// - a burst: 200 no-op tasks in flight through two worker processes, against 200 raw requests
//   to two responders;
// - map with chunkSize 1000 (10,000 items), against 10 raw requests carrying 1,000 items each.
// The server, workers and responders start before the benches and are stopped when the bench
// process unloads (Deno.bench has no teardown). Without nats-server the benches are skipped.
import { connect } from "@nats-io/transport-node";
import { headers } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import { NatsExecutor } from "../mod.ts";
import { NatsServer } from "../server.ts";
import { noop } from "../tests/_tasks.ts";

const BURST = 200;
const MAP_ITEMS = 10_000;
const ITEMS = Array.from({ length: MAP_ITEMS }, (_, i) => i);
const ROOT = new URL("../", import.meta.url);

function spawn(args: string[], readyText: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return (async () => {
    let text = "";
    const decoder = new TextDecoder();
    const reader = child.stderr.getReader();
    while (!text.includes(readyText)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`could not start ${args.join(" ")}:\n${text}`);
      text += decoder.decode(value);
    }
    reader.releaseLock();
    child.stderr.pipeTo(new WritableStream()).catch(() => {});
    return child;
  })();
}

if (!(await NatsServer.available())) {
  console.error("nats_bench: nats-server is not installed; the NATS benches are skipped");
} else {
  const server = await NatsServer.start();
  const children: Deno.ChildProcess[] = [];
  globalThis.addEventListener("unload", () => {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    // The server and its store go with this process (NatsServer's own unload handler).
  });
  const cli = new URL("../worker.ts", import.meta.url).href;
  const echo = new URL("./_echo.ts", import.meta.url).href;
  for (let i = 0; i < 2; i++) {
    children.push(
      await spawn([
        cli,
        "--server",
        server.url,
        "--root",
        ROOT.pathname,
        "--workers",
        "1",
        "--prefetch",
        "128",
      ], " ready: "),
      await spawn([echo, server.url, "bench.echo"], "echo ready"),
    );
  }
  children.push(await spawn([echo, server.url, "bench.stored", "jetstream"], "echo ready"));
  const pool = await NatsExecutor.connect({ servers: server.url, root: ROOT });
  const nc = await connect({ servers: server.url });
  const encoder = new TextEncoder();
  const one = encoder.encode("1");
  const chunk = encoder.encode(JSON.stringify(ITEMS.slice(0, 1_000)));
  // Warm up: both workers load the task module.
  await Promise.all(Array.from({ length: 50 }, (_, i) => pool.submit(noop, i)));

  Deno.bench({
    name: "raw NATS request/reply",
    n: 2000,
    group: "nats round trip",
    baseline: true,
    async fn() {
      await nc.request("bench.echo", one);
    },
  });
  const js = jetstream(nc);
  const replyTo = headers();
  replyTo.set("Reply-To", "bench.stored.reply");
  let answered: (() => void) | undefined;
  nc.subscribe("bench.stored.reply", { callback: () => answered?.() });
  Deno.bench({
    name: "raw JetStream: publish to a stored work queue, pull, answer, ack",
    n: 2000,
    group: "nats round trip",
    async fn() {
      const answer = new Promise<void>((resolve) => answered = resolve);
      await Promise.all([js.publish("bench.stored", one, { headers: replyTo }), answer]);
    },
  });
  Deno.bench({
    name: "NatsExecutor.submit, one at a time",
    n: 2000,
    group: "nats round trip",
    async fn() {
      await pool.submit(noop, 1);
    },
  });

  Deno.bench({
    name: `raw NATS: ${BURST} requests in flight`,
    group: "nats burst",
    baseline: true,
    async fn() {
      await Promise.all(Array.from({ length: BURST }, () => nc.request("bench.echo", one)));
    },
  });
  Deno.bench({
    name: `NatsExecutor: ${BURST} no-op tasks in flight, 2 worker processes`,
    group: "nats burst",
    async fn() {
      await Promise.all(Array.from({ length: BURST }, (_, i) => pool.submit(noop, i)));
    },
  });

  Deno.bench({
    name: `raw NATS: ${MAP_ITEMS / 1_000} requests of 1,000 items`,
    group: "nats map",
    baseline: true,
    async fn() {
      await Promise.all(
        Array.from({ length: MAP_ITEMS / 1_000 }, () => nc.request("bench.echo", chunk)),
      );
    },
  });
  Deno.bench({
    name: `NatsExecutor.map, ${MAP_ITEMS} items, chunkSize 1000`,
    group: "nats map",
    async fn() {
      let count = 0;
      for await (const _ of pool.map(noop, ITEMS, { chunkSize: 1_000 })) count++;
      if (count !== MAP_ITEMS) throw new Error(`map yielded ${count}`);
    },
  });
}
