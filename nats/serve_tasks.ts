/**
 * {@linkcode serveTasks}: the worker side of `NatsExecutor`. It pulls tasks from the JetStream
 * work queue and runs them on a local `WorkerPoolExecutor` or `ProcessPoolExecutor`.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/nats-core";
import { type Consumer, type ConsumerMessages, jetstream, type JsMsg } from "@nats-io/jetstream";
import {
  checkInteger,
  checkOptions,
  errorToRecord,
  type Future,
  type Task,
  task as makeTask,
  typeError,
} from "@tandem/tandem/futures";
import {
  ProcessPoolExecutor,
  type SubmitOptions,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import { contentHash, fromAddress, isLocal, rootUrl } from "./_address.ts";
import { checkName, ensureConsumer, ensureStream, open, serverList } from "./_connection.ts";
import type { Decision, DoneRequest, StartRequest, TaskPayload, WireOutcome } from "./_protocol.ts";
import * as wire from "./_protocol.ts";

/** Options for {@linkcode serveTasks}. */
export interface ServeTasksOptions {
  /** The server address(es): `"127.0.0.1:4222"`, `"nats://host:4222"`, or a list. */
  servers: string | string[];
  /**
   * The queue's name, as given to `NatsExecutor`.
   *
   * @default {"tandem"}
   */
  name?: string;
  /**
   * The code folder on this machine: a task sent as `./path.ts` is loaded from here.
   *
   * @default {Deno.cwd()}
   */
  root?: string | URL;
  /**
   * Where tasks run: `"worker"` (a `WorkerPoolExecutor`: Web Workers in this process) or
   * `"process"` (a `ProcessPoolExecutor`: child Deno processes).
   *
   * @default {"worker"}
   */
  pool?: "worker" | "process";
  /**
   * How many tasks run at once (the local pool's size).
   *
   * @default {navigator.hardwareConcurrency}
   */
  maxWorkers?: number;
  /**
   * How many task messages this worker holds at once (running or waiting for the local pool).
   * Held messages are kept alive with heartbeats, so they are not delivered elsewhere; a
   * smaller number spreads tasks more evenly over workers.
   *
   * @default {maxWorkers * 2} (raise it for many small tasks)
   */
  prefetch?: number;
  /**
   * The consumer's `ack_wait`, in milliseconds: how long a task whose worker stopped answering
   * waits before it is delivered again. Workers send heartbeats every third of it while a task
   * runs. It is a setting of the queue shared by every worker; the last worker to start sets it.
   *
   * @default {30000}
   */
  ackWait?: number;
  /**
   * The consumer's `max_deliver`: how many times a task is delivered before its future fails
   * with `BrokenExecutorError`. Shared like `ackWait`.
   *
   * @default {3}
   */
  maxDeliver?: number;
  /**
   * This worker's name in messages and errors.
   *
   * @default {"<hostname>:<pid>"}
   */
  id?: string;
  /**
   * How long to wait for the first connection, in milliseconds.
   *
   * @default {5000}
   */
  connectTimeout?: number;
}

/** The local pool, as far as the worker needs it. */
interface LocalPool {
  submit<A extends unknown[], R>(task: Task<A, R>, ...args: A): Future<R>;
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    task: Task<A, R>,
    ...args: A
  ): Future<R>;
  shutdown(): Promise<void>;
}

const SERVE_OPTIONS: (keyof ServeTasksOptions)[] = [
  "servers",
  "name",
  "root",
  "pool",
  "maxWorkers",
  "prefetch",
  "ackWait",
  "maxDeliver",
  "id",
  "connectTimeout",
];

/** How many more times a request to a submitter is sent when it goes unanswered. */
const RETRIES = 20;

interface Lane<T> {
  busy: boolean;
  items: T[];
}

interface Held {
  readonly msg: JsMsg;
  readonly reply: string;
  readonly id: number;
}

/**
 * A running worker from {@linkcode serveTasks}: `stop()` (or `await using`) stops pulling tasks,
 * runs and reports the ones it already holds, and closes the local pool and the connection.
 */
export interface TaskServer extends AsyncDisposable {
  /** This worker's name. */
  readonly id: string;
  /** How many tasks it has finished (including failed ones). */
  readonly completed: number;
  /** Resolves when the worker has stopped (after `stop()`, or if it fails). */
  readonly closed: Promise<void>;
  /** Stops the worker gracefully; resolves when it has stopped. */
  stop(): Promise<void>;
}

/**
 * Serves the tasks of a `NatsExecutor` queue: pulls them from JetStream, asks each task's
 * submitter whether it may start (the answer marks the future running; a cancelled task or one
 * whose submitter has gone is dropped; a task its submitter marked running when it published it
 * runs without asking), runs it on a local pool while sending heartbeats
 * (`working()`), sends the outcome back (errors through the hub's `errorToRecord`) and then
 * acknowledges the message. Python: a `dask.distributed` worker.
 *
 * A task is found by its address: `./path.ts` under this worker's `root`, or its `jsr:` /
 * `https:` specifier. A task whose module is missing fails with a `TypeError` naming the module
 * and the export; a root-relative module whose content differs from the submitter's (another
 * version of the code) is refused with an `Error` saying so, and is not run.
 *
 * The CLI `deno run -A jsr:@tandem/nats/worker --server HOST:PORT --root DIR` runs this.
 *
 * @param options The server, the queue's name, the code root and the local pool.
 * @returns The running worker.
 * @throws {Error} Naming the address, if no server answers there.
 * @throws {TypeError} If an option is unknown or of the wrong type.
 * @throws {RangeError} If a count or a time is not a positive integer.
 *
 * @example A worker in the same process as its submitter
 * ```ts
 * import { NatsExecutor, serveTasks } from "@tandem/nats";
 * import { NatsServer } from "@tandem/nats/server";
 * import { double } from "./tests/_tasks.ts";
 * import assert from "node:assert/strict";
 *
 * if (await NatsServer.available()) {
 *   await using server = await NatsServer.start();
 *   const root = new URL(".", import.meta.url);
 *   await using worker = await serveTasks({ servers: server.url, root, maxWorkers: 1 });
 *   await using pool = await NatsExecutor.connect({ servers: server.url, root });
 *   assert.equal(await pool.submit(double, 21), 42);
 *   assert.equal(worker.completed, 1);
 * }
 * ```
 */
export async function serveTasks(options: ServeTasksOptions): Promise<TaskServer> {
  const what = "serve tasks";
  checkOptions<ServeTasksOptions>(what, options ?? {}, SERVE_OPTIONS);
  const servers = serverList(options.servers);
  const name = options.name ?? "tandem";
  checkName("a task worker", name);
  const root = rootUrl(options.root);
  const maxWorkers = options.maxWorkers ?? navigator.hardwareConcurrency;
  const ackWait = options.ackWait ?? 30_000;
  const maxDeliver = options.maxDeliver ?? 3;
  const prefetch = options.prefetch ?? maxWorkers * 2;
  for (const [key, value] of Object.entries({ maxWorkers, ackWait, maxDeliver, prefetch })) {
    checkInteger(what, key, value, { min: 1 });
  }
  if (options.connectTimeout !== undefined) {
    checkInteger(what, "connectTimeout", options.connectTimeout, { min: 1 });
  }
  if (options.pool !== undefined && options.pool !== "worker" && options.pool !== "process") {
    typeError(what, "pool", '"worker" or "process"', options.pool);
  }
  if (options.id !== undefined && typeof options.id !== "string") {
    typeError(what, "id", "a string", options.id);
  }
  const id = options.id ?? `${Deno.hostname()}:${Deno.pid}`;
  const { nc, jsm } = await open(`task worker ${id}`, servers, options.connectTimeout ?? 5_000);
  try {
    await ensureStream(jsm, name, undefined);
    await ensureConsumer(jsm, name, ackWait, maxDeliver);
    const consumer = await jetstream(nc).consumers.get(wire.streamName(name), wire.CONSUMER);
    const pool: LocalPool = options.pool === "process"
      ? new ProcessPoolExecutor({ maxWorkers })
      : new WorkerPoolExecutor({ maxWorkers });
    return new Server(id, nc, consumer, prefetch, pool, root, ackWait);
  } catch (cause) {
    await nc.close().catch(() => {});
    throw new Error(`Cannot serve tasks of '${name}' at ${servers.join(", ")}`, { cause });
  }
}

class Server implements TaskServer {
  readonly id: string;
  readonly closed: Promise<void>;
  readonly #nc: NatsConnection;
  readonly #consumer: Consumer;
  readonly #prefetch: number;
  #batchInFlight: ConsumerMessages | undefined;
  #roomWaiter: (() => void) | undefined;
  readonly #pool: LocalPool;
  readonly #root: URL;
  readonly #requestTimeout: number;
  readonly #held = new Set<Held>();
  readonly #resolved = new Map<string, Task<unknown[], unknown>>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #running = new Set<Promise<void>>();
  readonly #pulled: Promise<void>;
  #completed = 0;
  #stopping: Promise<void> | undefined;
  readonly #starts = new Map<string, Lane<Held>>();
  readonly #dones = new Map<string, Lane<[Held, WireOutcome | WireOutcome[]]>>();

  constructor(
    id: string,
    nc: NatsConnection,
    consumer: Consumer,
    prefetch: number,
    pool: LocalPool,
    root: URL,
    ackWait: number,
  ) {
    this.id = id;
    this.#nc = nc;
    this.#consumer = consumer;
    this.#prefetch = prefetch;
    this.#pool = pool;
    this.#root = root;
    this.#requestTimeout = Math.max(500, Math.min(ackWait / 2, 5_000));
    this.#heartbeat = setInterval(() => {
      for (const held of this.#held) held.msg.working();
    }, Math.max(50, Math.floor(ackWait / 3)));
    this.#pulled = this.#pull();
    this.closed = this.#pulled.then(() => this.stop(), () => this.stop());
  }

  get completed(): number {
    return this.#completed;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#batchInFlight?.stop();
      this.#roomWaiter?.();
      await this.#pulled.catch(() => {});
      // The tasks this worker holds are run and reported; then it leaves.
      while (this.#running.size > 0 || this.#held.size > 0) {
        await Promise.allSettled([...this.#running]);
        await new Promise((r) => setTimeout(r, 1));
      }
      clearInterval(this.#heartbeat);
      await this.#pool.shutdown();
      await this.#nc.drain().catch(() => {});
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #pull(): Promise<void> {
    while (this.#stopping === undefined) {
      const room = this.#prefetch - this.#held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => this.#roomWaiter = resolve);
        continue;
      }
      try {
        const batch = await this.#consumer.fetch({ max_messages: room, expires: 5_000 });
        this.#batchInFlight = batch;
        if (this.#stopping !== undefined) batch.stop();
        for await (const msg of batch) this.#accept(msg);
      } catch {
        // A lost server: the client reconnects; pull again shortly.
        if (this.#stopping === undefined) await new Promise((r) => setTimeout(r, 250));
      } finally {
        this.#batchInFlight = undefined;
      }
    }
  }

  #accept(msg: JsMsg): void {
    if (this.#stopping !== undefined) {
      msg.nak();
      return;
    }
    const reply = msg.headers?.get(wire.REPLY_HEADER) ?? "";
    const id = Number(msg.headers?.get(wire.ID_HEADER));
    if (reply === "" || !Number.isInteger(id)) {
      msg.term("not a tandem task");
      return;
    }
    const held: Held = { msg, reply, id };
    this.#held.add(held);
    // Marked running by its submitter when published: no start request.
    if (msg.headers?.get(wire.START_HEADER) === "go") this.#track(this.#run(held));
    else this.#batch(this.#starts, reply, held, (list) => this.#askToStart(reply, list));
  }

  /**
   * Adaptive batching, per submitter and kind: with no request of that kind in flight, an item
   * goes out at once (low latency); while one is in flight, items gather and go together when
   * it returns (high throughput).
   */
  #batch<T>(
    lanes: Map<string, Lane<T>>,
    reply: string,
    item: T,
    send: (list: T[]) => Promise<void>,
  ): void {
    let lane = lanes.get(reply);
    if (lane === undefined) lanes.set(reply, lane = { busy: false, items: [] });
    lane.items.push(item);
    if (lane.busy) return;
    const current = lane;
    current.busy = true;
    queueMicrotask(() => {
      const pump = async () => {
        while (current.items.length > 0) {
          const list = current.items;
          current.items = [];
          await send(list);
        }
        current.busy = false;
        if (current.items.length === 0) lanes.delete(reply);
      };
      this.#track(pump());
    });
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    work.finally(() => this.#running.delete(work));
  }

  #release(held: Held, how: "ack" | "term" | "nak"): void {
    this.#held.delete(held);
    this.#roomWaiter?.();
    this.#roomWaiter = undefined;
    if (how === "ack") held.msg.ack();
    else if (how === "term") held.msg.term();
    else held.msg.nak(250);
  }

  async #askToStart(reply: string, list: Held[]): Promise<void> {
    const request: StartRequest = { kind: "start", worker: this.id, ids: list.map((h) => h.id) };
    const answer = await this.#ask(reply, wire.encode(request));
    if (answer === "gone" || answer === "lost") {
      // The submitter has gone: its tasks are dropped unrun. Lost (no answer for a while): the
      // tasks go back to the queue for a later try.
      for (const held of list) this.#release(held, answer === "gone" ? "term" : "nak");
      return;
    }
    const decisions = wire.decode<Decision[]>(answer);
    list.forEach((held, index) => {
      if (decisions[index] !== "go") this.#release(held, "term");
      else this.#track(this.#run(held));
    });
  }

  /**
   * Sends a request to a submitter, trying again while there is no answer (a lost server, a
   * busy submitter) for a bounded time; the held messages stay alive meanwhile.
   *
   * @returns The answer; `"gone"` if no one listens on `reply` (the submitter has gone);
   * `"lost"` if there was no answer after every try.
   */
  async #ask(reply: string, data: Uint8Array): Promise<Uint8Array | "gone" | "lost"> {
    for (let attempt = 0;; attempt++) {
      try {
        return (await this.#nc.request(reply, data, { timeout: this.#requestTimeout })).data;
      } catch (error) {
        if (isNoResponders(error)) return "gone";
        if (attempt >= RETRIES || this.#nc.isClosed()) return "lost";
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async #run(held: Held): Promise<void> {
    let outcome: WireOutcome | WireOutcome[];
    try {
      const payload = wire.decode<TaskPayload>(held.msg.data);
      // A task already resolved (and its hash checked) is found without waiting.
      const fn = this.#resolved.get(resolvedKey(payload)) ?? await this.#resolve(payload);
      const timeout = payload.timeout;
      const call = (args: unknown[]) =>
        settle(
          timeout === undefined
            ? this.#pool.submit(fn, ...args)
            : this.#pool.submitWith({ timeout }, fn, ...args),
        );
      outcome = payload.chunk !== undefined
        ? await Promise.all(payload.chunk.map(call))
        : await call(payload.args ?? []);
    } catch (error) {
      outcome = { ok: false, error: errorToRecord(error) };
    }
    this.#completed++;
    const done: [Held, WireOutcome | WireOutcome[]] = [held, outcome];
    this.#batch(this.#dones, held.reply, done, (list) => this.#report(held.reply, list));
  }

  async #resolve(payload: TaskPayload): Promise<Task<unknown[], unknown>> {
    const where = `task '${payload.name}' from ${payload.module}`;
    let url: string;
    try {
      url = fromAddress(payload.module, this.#root);
    } catch (error) {
      throw new TypeError(
        `Cannot resolve ${where} on worker ${this.id}: ${(error as Error).message}`,
      );
    }
    if (isLocal(payload.module)) {
      let hash: string;
      try {
        hash = await contentHash(url);
      } catch (cause) {
        throw new TypeError(
          `Cannot resolve ${where} on worker ${this.id}: no module ${payload.module} under its ` +
            `root ${this.#root.href} (${(cause as Error).message})`,
          { cause },
        );
      }
      if (payload.hash !== undefined && payload.hash !== hash) {
        throw new Error(
          `Worker ${this.id} refused ${where}: its copy of the module (${url}) differs from the ` +
            `submitter's (SHA-256 ${hash.slice(0, 12)}… here, ${
              payload.hash.slice(0, 12)
            }… there); deploy the same code version to every worker`,
        );
      }
    }
    // A reference, not an import here: the local pool imports the module in its workers, and
    // reports a missing export with the module and the name.
    const placeholder = { [payload.name]: () => {} }[payload.name];
    const found = makeTask(url, placeholder, { name: payload.name }) as Task<unknown[], unknown>;
    this.#resolved.set(resolvedKey(payload), found);
    return found;
  }

  async #report(reply: string, list: [Held, WireOutcome | WireOutcome[]][]): Promise<void> {
    let data: Uint8Array;
    const request: DoneRequest = {
      kind: "done",
      worker: this.id,
      results: list.map(([held, outcome]) => [held.id, outcome]),
    };
    try {
      data = wire.encode(request);
    } catch {
      // A result that cannot be cloned: report each on its own, failing the ones that cannot.
      if (list.length > 1) {
        await Promise.all(list.map((one) => this.#report(reply, [one])));
        return;
      }
      const [held, outcome] = list[0];
      const error = new TypeError(
        `Cannot send the result of task ${held.id} from worker ${this.id}: it cannot be cloned`,
      );
      const bad: WireOutcome = { ok: false, error: errorToRecord(error) };
      await this.#report(reply, [[held, Array.isArray(outcome) ? outcome.map(() => bad) : bad]]);
      return;
    }
    const answer = await this.#ask(reply, data);
    // Acknowledged once the submitter has the outcomes, or has gone (nobody wants them); after
    // no answer at all, the tasks go back to the queue (at-least-once).
    for (const [held] of list) this.#release(held, answer === "lost" ? "nak" : "ack");
  }
}

/** What makes a resolved task the same: its address, export and content hash. */
function resolvedKey(payload: TaskPayload): string {
  return `${payload.module}#${payload.name}#${payload.hash ?? ""}`;
}

async function settle(future: Future<unknown>): Promise<WireOutcome> {
  try {
    return { ok: true, value: await future };
  } catch (error) {
    return { ok: false, error: errorToRecord(error) };
  }
}

function isNoResponders(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e.name === "NoRespondersError" || /no responders/i.test(e.message)) return true;
  }
  return false;
}
