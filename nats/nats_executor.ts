/**
 * {@linkcode NatsExecutor}: the hub's `Executor` whose tasks run on worker processes on any
 * machine, through a NATS JetStream work queue.
 *
 * @module
 */

import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from "@nats-io/jetstream";
import {
  BaseExecutor,
  BrokenExecutorError,
  checkInteger,
  checkOptions,
  checkSignal,
  checkTimeout,
  ChunkFailure,
  type Future,
  recordToError,
  type Submitted,
  type Task,
  type TaskOutcome,
  type TaskReference,
  typeError,
} from "@tandem/tandem/futures";
import { PoolQueueFullError } from "@tandem/tandem/parallel";
import { contentHash, isLocal, rootUrl, toAddress } from "./_address.ts";
import { checkName, ensureStream, open, serverList } from "./_connection.ts";
import {
  type Decision,
  decode,
  type DoneRequest,
  encode,
  ID_HEADER,
  REPLY_HEADER,
  START_HEADER,
  type StartRequest,
  streamName,
  type TaskPayload,
  taskSubject,
  VERSION,
  type WireOutcome,
} from "./_protocol.ts";

/** Options for {@linkcode NatsExecutor.connect}. */
export interface NatsExecutorOptions {
  /** The server address(es): `"127.0.0.1:4222"`, `"nats://host:4222"`, or a list. */
  servers: string | string[];
  /**
   * The queue's name: executors and workers with the same name share one task stream
   * (`TANDEM_<name>`).
   *
   * @default {"tandem"}
   */
  name?: string;
  /**
   * The code folder on this machine. A task module under it travels as its path relative to
   * it, and each worker finds it under its own root; a `jsr:` or `https:` module travels as it
   * is. Submitting a task from a local module outside the root fails its future with a
   * `TypeError`.
   *
   * @default {Deno.cwd()}
   */
  root?: string | URL;
  /**
   * The most tasks the stream may hold (queued or running, from every submitter). A submit
   * beyond it fails its future with `PoolQueueFullError`; `submitAsync` waits for room instead.
   * It is the stream's `max_msgs` with `discard: new`, so it applies to every executor of
   * this `name`.
   *
   * @default {undefined} (the stream's current limit; none for a new stream)
   */
  maxQueue?: number;
  /**
   * Whether workers must check that their copy of a root-relative task module has the same
   * content (SHA-256) as the submitter's, and refuse the task when it differs. Only the task's
   * own module file is compared, not the modules it imports.
   *
   * @default {true}
   */
  verify?: boolean;
  /**
   * How long, in milliseconds, to wait for the server when the connection is lost before
   * failing every unfinished future with `BrokenExecutorError`.
   *
   * @default {30000}
   */
  reconnectTimeout?: number;
  /**
   * How long to wait for the first connection, in milliseconds.
   *
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * How many tasks may skip the start request. While this executor has fewer unfinished tasks
   * than this and a worker has reported to it within the last second, a new task's future is
   * marked running as it is published, and the worker that takes it runs it without asking
   * first: a lone task's round trip is then one message each way instead of three. Such a task
   * can no longer be cancelled, even before a worker holds it, as in Python's
   * `ProcessPoolExecutor`, which marks running the calls it has handed to its processes' call
   * queue. `0`: every future stays pending until a worker asks to start its task. A submit
   * with a `signal` always waits for the worker's request.
   *
   * @default {1}
   */
  eagerStarts?: number;
}

/** Options for {@linkcode NatsExecutor.submitWith}. */
export interface NatsSubmitOptions {
  /**
   * A submit id: submitting twice with the same id (within the stream's two-minute
   * duplicate window) runs the task once. From the same executor, both futures get that one
   * outcome; from another executor, the duplicate's future fails with an `Error` saying so.
   *
   * @default {undefined} (a unique id per submit)
   */
  id?: string;
  /**
   * The most milliseconds the task may run once a worker starts it. The worker stops it (its
   * local pool ends the worker or process that runs it) and the future fails with a
   * `TimeoutError`.
   *
   * @default {undefined} (no limit)
   */
  timeout?: number;
  /**
   * Aborting it cancels the future while the task is pending. A running task is not stopped:
   * cancelling running tasks on remote workers needs the task context, which tandem does not
   * have yet.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode NatsExecutor.submitAsync}. */
export interface NatsSubmitAsyncOptions extends NatsSubmitOptions {
  /**
   * How long to wait for room in a full queue, in milliseconds, before the future fails with
   * `PoolQueueFullError`.
   *
   * @default {undefined} (as long as it takes)
   */
  queueTimeout?: number;
}

interface Entry {
  readonly future: Future<unknown>;
  readonly task: TaskReference;
  readonly chunk: boolean;
  seq?: number;
}

const FULL_CODE = 10077;
/** The stream's duplicate window, in milliseconds. */
const DUPLICATE_WINDOW = 120_000;
const CONNECT_OPTIONS: (keyof NatsExecutorOptions)[] = [
  "servers",
  "name",
  "root",
  "maxQueue",
  "verify",
  "reconnectTimeout",
  "connectTimeout",
  "eagerStarts",
];
/** What a failed submit says it could not do. */
const SUBMIT = "submit to NatsExecutor";
const SUBMIT_OPTIONS: (keyof NatsSubmitOptions)[] = ["id", "timeout", "signal"];
const SUBMIT_ASYNC_OPTIONS: (keyof NatsSubmitAsyncOptions)[] = [...SUBMIT_OPTIONS, "queueTimeout"];
/** How recently a worker must have reported for a task to start eagerly, in milliseconds. */
const RECENT = 1_000;

/**
 * Python's `concurrent.futures.Executor` across machines, like `dask.distributed`'s
 * `Client.submit`/`map` or `mpi4py.futures.MPIPoolExecutor`: tasks go into a NATS JetStream
 * work queue, and worker processes started with `serveTasks` (or the `@tandem/nats/worker` CLI)
 * on any machine run them on their local worker or process pools. The code is the same as on
 * `WorkerPoolExecutor`: `submit`, `map` (with `chunkSize`), `shutdown`, `await using`.
 *
 * Guarantees:
 * - **At-least-once.** A task runs once unless its worker dies (or loses the server) mid-task:
 *   then, after the consumer's `ackWait`, JetStream delivers it again to another worker, up to
 *   `maxDeliver` times; after the last, its future fails with `BrokenExecutorError` (JetStream
 *   gives up when it would deliver the task again, so once some worker asks for work). Tasks
 *   that can run twice must be idempotent.
 * - **Future states.** A future is pending until a worker asks to start its task; the answer
 *   marks it running. `cancel()` succeeds only while pending, and a cancelled task never runs
 *   (its message is deleted from the stream). A running task cannot be stopped from here. The
 *   exception: a task submitted while the executor is idle and workers are answering is marked
 *   running at once and runs without that request (`eagerStarts`, one task by default).
 * - **Submitter death.** Tasks it queued are dropped unrun when a worker reaches them (the
 *   start request finds no one to answer); running ones (and eagerly started ones) finish and
 *   their results are discarded. Nothing waits for a dead submitter.
 * - **Server restart.** Tasks are stored on disk; the client reconnects. Unfinished futures
 *   complete after the reconnect, or fail with `BrokenExecutorError` once the server has been
 *   unreachable for `reconnectTimeout` ms.
 * - **Duplicates.** Every submit carries a `Nats-Msg-Id`, so a publish retried after a lost
 *   acknowledgement is stored once; `submitWith({ id })` makes your own submits idempotent.
 * - **Order.** Tasks start in submission order; they finish in any order. `map` yields in
 *   input order.
 *
 * @example The book's gcd on two workers over NATS
 * ```ts
 * import { NatsExecutor, serveTasks } from "@tandem/nats";
 * import { NatsServer } from "@tandem/nats/server";
 * import { gcd } from "./tests/_tasks.ts";
 * import assert from "node:assert/strict";
 *
 * if (await NatsServer.available()) {
 *   await using server = await NatsServer.start();
 *   const root = new URL(".", import.meta.url);
 *   await using _worker = await serveTasks({ servers: server.url, root, maxWorkers: 2 });
 *   await using pool = await NatsExecutor.connect({ servers: server.url, root });
 *   const results: number[] = [];
 *   for await (const n of pool.map(gcd, [[12, 18], [35, 49]])) results.push(n);
 *   assert.deepEqual(results, [6, 7]);
 * }
 * ```
 */
export class NatsExecutor extends BaseExecutor {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #servers: string[];
  readonly #name: string;
  readonly #root: URL;
  readonly #verify: boolean;
  readonly #reconnectTimeout: number;
  readonly #eagerStarts: number;
  readonly #clientId: string;
  readonly #inbox: string;
  readonly #entries = new Map<number, Entry>();
  readonly #bySeq = new Map<number, number>();
  readonly #byUserId = new Map<string, { future: Future<unknown>; at: number }>();
  readonly #subs: Subscription[] = [];
  #nextId = 1;
  #next: NatsSubmitAsyncOptions | undefined;
  #lastQueued: Promise<void> | undefined;
  #broken: BrokenExecutorError | undefined;
  #lostTimer: ReturnType<typeof setTimeout> | undefined;
  #statusLoop: Promise<void> | undefined;
  /** When a worker last sent this executor a request. */
  #lastHeard = -Infinity;

  private constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    servers: string[],
    name: string,
    root: URL,
    verify: boolean,
    reconnectTimeout: number,
    eagerStarts: number,
  ) {
    super();
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc, { timeout: 5_000 });
    this.#servers = servers;
    this.#name = name;
    this.#root = root;
    this.#verify = verify;
    this.#reconnectTimeout = reconnectTimeout;
    this.#eagerStarts = eagerStarts;
    this.#clientId = crypto.randomUUID().replaceAll("-", "");
    this.#inbox = `tandem.${name}.client.${this.#clientId}`;
  }

  /**
   * Connects to the server and sets up the task queue: the executor's construction. Python:
   * `dask.distributed.Client(address)`.
   *
   * @param options The server address and the queue's settings.
   * @returns A connected executor.
   * @throws {Error} Naming the address, if no server answers there or it has no JetStream.
   * @throws {TypeError} If an option is unknown or of the wrong type.
   * @throws {RangeError} If `maxQueue` or a timeout is not a positive integer, or
   * `eagerStarts` is negative.
   *
   * @example Connecting to a server that is not there
   * ```ts
   * import { NatsExecutor } from "@tandem/nats";
   * import assert from "node:assert/strict";
   *
   * await assert.rejects(
   *   NatsExecutor.connect({ servers: "127.0.0.1:1", connectTimeout: 1_000 }),
   *   /Cannot connect NatsExecutor to 127\.0\.0\.1:1/,
   * );
   * ```
   */
  static async connect(options: NatsExecutorOptions): Promise<NatsExecutor> {
    const what = "create NatsExecutor";
    checkOptions<NatsExecutorOptions>(what, options ?? {}, CONNECT_OPTIONS);
    const servers = serverList(options.servers);
    const name = options.name ?? "tandem";
    checkName("NatsExecutor", name);
    const root = rootUrl(options.root);
    for (const key of ["maxQueue", "reconnectTimeout", "connectTimeout"] as const) {
      if (options[key] !== undefined) checkInteger(what, key, options[key], { min: 1 });
    }
    if (options.eagerStarts !== undefined) {
      checkInteger(what, "eagerStarts", options.eagerStarts);
    }
    const { nc, jsm } = await open("NatsExecutor", servers, options.connectTimeout ?? 5_000);
    try {
      await ensureStream(jsm, name, options.maxQueue);
    } catch (cause) {
      await nc.close().catch(() => {});
      throw new Error(`Cannot create NatsExecutor: the task stream could not be set up`, {
        cause,
      });
    }
    const executor = new NatsExecutor(
      nc,
      jsm,
      servers,
      name,
      root,
      options.verify ?? true,
      options.reconnectTimeout ?? 30_000,
      options.eagerStarts ?? 1,
    );
    executor.#listen();
    await nc.flush();
    return executor;
  }

  /** The queue's name. */
  get name(): string {
    return this.#name;
  }

  /** The code folder, as a `file:` URL. */
  get root(): URL {
    return new URL(this.#root);
  }

  /**
   * Submits with an id, a run-time limit or a cancel signal (see {@linkcode NatsSubmitOptions}).
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param options `id`, `timeout`, `signal`.
   * @param task The task.
   * @param args Its arguments.
   * @returns The task's future.
   * @throws {Error} If the executor has been shut down.
   * @throws {TypeError} If an option is unknown or of the wrong type.
   * @throws {RangeError} If a timeout is negative.
   *
   * @example Submitting the same id twice runs the task once
   * ```ts
   * import { NatsExecutor, serveTasks } from "@tandem/nats";
   * import { NatsServer } from "@tandem/nats/server";
   * import { double } from "./tests/_tasks.ts";
   * import assert from "node:assert/strict";
   *
   * if (await NatsServer.available()) {
   *   await using server = await NatsServer.start();
   *   const root = new URL(".", import.meta.url);
   *   await using _worker = await serveTasks({ servers: server.url, root, maxWorkers: 1 });
   *   await using pool = await NatsExecutor.connect({ servers: server.url, root });
   *   const first = pool.submitWith({ id: "order-42" }, double, 21);
   *   const again = pool.submitWith({ id: "order-42" }, double, 21);
   *   assert.deepEqual([await first, await again], [42, 42]);
   * }
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: NatsSubmitOptions,
    task: Task<A, R>,
    ...args: A
  ): Future<R> {
    const checked = checkOptions<NatsSubmitOptions>(
      SUBMIT,
      options,
      SUBMIT_OPTIONS,
    );
    return this.#submitWith(checked, task, args);
  }

  #submitWith<A extends unknown[], R>(
    options: NatsSubmitAsyncOptions,
    task: Task<A, R>,
    args: A,
  ): Future<R> {
    checkTimeout(SUBMIT, options.timeout);
    checkTimeout(SUBMIT, options.queueTimeout, "queueTimeout");
    checkSignal(SUBMIT, options.signal);
    if (options.id !== undefined && typeof options.id !== "string") {
      typeError(SUBMIT, "id", "a string", options.id);
    }
    this.#next = options;
    try {
      return this.submit(task, ...args);
    } finally {
      this.#next = undefined;
    }
  }

  /**
   * Like {@linkcode NatsExecutor.submitWith}, but when the queue is full (`maxQueue`) it waits
   * for room instead of failing: backpressure for a producer.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param options `queueTimeout`, and the options of `submitWith`.
   * @param task The task.
   * @param args Its arguments.
   * @returns `{ future }` once the task is in the queue (a future in an object: a promise resolved
   * with a future would wait for the task's result).
   *
   * @example
   * ```ts
   * import { NatsExecutor, serveTasks } from "@tandem/nats";
   * import { NatsServer } from "@tandem/nats/server";
   * import { double } from "./tests/_tasks.ts";
   * import assert from "node:assert/strict";
   *
   * if (await NatsServer.available()) {
   *   await using server = await NatsServer.start();
   *   const root = new URL(".", import.meta.url);
   *   await using _worker = await serveTasks({ servers: server.url, root, maxWorkers: 1 });
   *   await using pool = await NatsExecutor.connect({ servers: server.url, root, maxQueue: 2 });
   *   const futures = [];
   *   for (let n = 0; n < 6; n++) futures.push((await pool.submitAsync({}, double, n)).future);
   *   assert.deepEqual(await Promise.all(futures), [0, 2, 4, 6, 8, 10]);
   * }
   * ```
   */
  async submitAsync<A extends unknown[], R>(
    options: NatsSubmitAsyncOptions,
    task: Task<A, R>,
    ...args: A
  ): Promise<Submitted<R>> {
    const checked = checkOptions<NatsSubmitAsyncOptions>(
      SUBMIT,
      options,
      SUBMIT_ASYNC_OPTIONS,
    );
    this.#lastQueued = undefined;
    const future = this.#submitWith(
      { ...checked, queueTimeout: checked.queueTimeout ?? Infinity },
      task,
      args,
    );
    const queued = this.#lastQueued;
    this.#lastQueued = undefined;
    await queued;
    return { future };
  }

  /**
   * Publishes one task to the stream. Called by `submit`.
   *
   * @typeParam A The task's parameter types.
   * @typeParam R The task's result type.
   * @param future The task's future.
   * @param task The task.
   * @param args Its arguments.
   */
  protected start<A extends unknown[], R>(future: Future<R>, task: Task<A, R>, args: A): void {
    this.#enqueue(future as Future<unknown>, task, { args }, false);
  }

  /**
   * Publishes one chunk of `map` as one message: one worker runs its items and sends back
   * their outcomes together.
   *
   * @typeParam T The item type.
   * @typeParam R The task's result type.
   * @param future The chunk's future.
   * @param task The one-parameter task.
   * @param items The items, one per call.
   */
  protected override startChunk<T, R>(
    future: Future<(R | ChunkFailure)[]>,
    task: Task<[T], R>,
    items: T[],
  ): void {
    // The wire carries each call's argument list.
    const chunk = items.map((item) => [item]);
    this.#enqueue(future as Future<unknown>, task, { chunk }, true);
  }

  /**
   * Unsubscribes and closes the connection, after submitted work has settled.
   *
   * @returns A promise that resolves when the connection is closed.
   */
  protected async close(): Promise<void> {
    clearTimeout(this.#lostTimer);
    for (const sub of this.#subs) sub.unsubscribe();
    await this.#nc.close().catch(() => {});
    await this.#statusLoop;
  }

  #enqueue(
    future: Future<unknown>,
    task: TaskReference,
    body: { args?: unknown[]; chunk?: unknown[][] },
    chunk: boolean,
  ): void {
    const options = this.#next ?? {};
    if (this.#broken !== undefined) {
      future.setException(this.#broken);
      return;
    }
    let module: string;
    try {
      module = toAddress(task.module, this.#root);
    } catch (error) {
      future.setException(
        new TypeError(`Cannot submit task '${task.name}': ${(error as Error).message}`),
      );
      return;
    }
    const id = this.#nextId++;
    const entry: Entry = { future, task, chunk };
    const userFirst = options.id === undefined ? undefined : this.#sameId(options.id);
    if (userFirst !== undefined) {
      // The same id from this executor: one run, both futures get its outcome.
      userFirst.addDoneCallback((first) => {
        if (future.done()) return;
        if (first.cancelled()) future.cancel();
        else if (!future.setRunningOrNotifyCancel()) return;
        first.exception().then((error) => {
          if (future.done()) return;
          if (error !== undefined) future.setException(error);
          else first.result().then((value) => future.done() || future.setResult(value));
        }, (error) => future.done() || future.setException(error));
      });
      return;
    }
    if (options.id !== undefined) {
      this.#byUserId.set(options.id, { future, at: performance.now() });
    }
    const eager = options.signal === undefined && this.#entries.size < this.#eagerStarts &&
      performance.now() - this.#lastHeard < RECENT && future.setRunningOrNotifyCancel();
    this.#entries.set(id, entry);
    future.addDoneCallback(() => this.#forget(id));
    if (options.signal !== undefined) {
      const signal = options.signal;
      if (signal.aborted) future.cancel();
      else {
        const onAbort = () => future.cancel();
        signal.addEventListener("abort", onAbort, { once: true });
        future.addDoneCallback(() => signal.removeEventListener("abort", onAbort));
      }
    }
    this.#lastQueued = this.#publish(id, entry, module, body, options, eager);
  }

  async #publish(
    id: number,
    entry: Entry,
    module: string,
    body: { args?: unknown[]; chunk?: unknown[][] },
    options: NatsSubmitAsyncOptions,
    eager: boolean,
  ): Promise<void> {
    const { future, task } = entry;
    try {
      const payload: TaskPayload = { v: VERSION, module, name: task.name, ...body };
      if (options.timeout !== undefined) payload.timeout = options.timeout;
      if (this.#verify && isLocal(module)) payload.hash = await contentHash(task.module);
      let data: Uint8Array;
      try {
        data = encode(payload);
      } catch (cause) {
        throw new TypeError(
          `Cannot submit task '${task.name}': its arguments cannot be sent (${
            (cause as Error).message
          })`,
          { cause },
        );
      }
      const h = headers();
      h.set(REPLY_HEADER, this.#inbox);
      h.set(ID_HEADER, String(id));
      if (eager) h.set(START_HEADER, "go");
      const msgID = options.id ?? `${this.#clientId}-${id}`;
      const started = performance.now();
      const queueDeadline = started + (options.queueTimeout ?? 0);
      const lostDeadline = () => started + this.#reconnectTimeout;
      let pause = 5;
      for (let attempt = 1;; attempt++) {
        if (future.done()) return; // cancelled before it was stored
        let ack: PubAck;
        try {
          ack = await this.#js.publish(taskSubject(this.#name), data, {
            msgID,
            headers: h,
            timeout: 5_000,
          });
        } catch (error) {
          const code = (error as { code?: number }).code;
          const full = code === FULL_CODE || /maximum messages/i.test(String(error));
          if (full && performance.now() < queueDeadline) {
            await new Promise((r) => setTimeout(r, pause));
            pause = Math.min(pause * 2, 100);
            continue;
          }
          if (full) {
            throw new PoolQueueFullError(
              `Cannot submit task '${task.name}': the queue '${this.#name}' is full (maxQueue)`,
              { cause: error },
            );
          }
          if (
            this.#broken === undefined && performance.now() < lostDeadline() && !this.#nc.isClosed()
          ) {
            // Lost connection or a lost acknowledgement: publish again; the msg id dedupes.
            await new Promise((r) => setTimeout(r, 250));
            continue;
          }
          throw this.#broken ?? new BrokenExecutorError(
            `Cannot submit task '${task.name}': the NATS server at ${
              this.#servers.join(", ")
            } did not store it (${(error as Error).message})`,
            { cause: error },
          );
        }
        if (ack.duplicate && options.id !== undefined && attempt === 1) {
          this.#entries.delete(id);
          if (!future.done()) {
            future.setException(
              new Error(
                `Task '${task.name}' with submit id '${options.id}' was already submitted by ` +
                  "another executor: it runs once, and its outcome goes to that executor",
              ),
            );
          }
          return;
        }
        entry.seq = ack.seq;
        this.#bySeq.set(ack.seq, id);
        if (future.cancelled()) this.#dropMessage(ack.seq);
        return;
      }
    } catch (error) {
      this.#entries.delete(id);
      if (!future.done()) future.setException(error);
    }
  }

  /** The future of an earlier submit with this id, within the duplicate window. */
  #sameId(userId: string): Future<unknown> | undefined {
    const now = performance.now();
    for (const [key, { at }] of this.#byUserId) {
      if (now - at < DUPLICATE_WINDOW) break;
      this.#byUserId.delete(key);
    }
    return this.#byUserId.get(userId)?.future;
  }

  #forget(id: number): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    if (entry.seq !== undefined) {
      this.#bySeq.delete(entry.seq);
      if (entry.future.cancelled()) this.#dropMessage(entry.seq);
    }
  }

  #dropMessage(seq: number): void {
    if (this.#nc.isClosed()) return;
    this.#jsm.streams.deleteMessage(streamName(this.#name), seq, false).catch(() => {});
  }

  #listen(): void {
    this.#subs.push(
      this.#nc.subscribe(this.#inbox, { callback: (_, msg) => this.#onRequest(msg) }),
    );
    const advisory = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${streamName(this.#name)}.*`;
    this.#subs.push(this.#nc.subscribe(advisory, { callback: (_, msg) => this.#onGiveUp(msg) }));
    this.#statusLoop = (async () => {
      for await (const status of this.#nc.status()) {
        if (status.type === "disconnect") this.#onLost();
        else if (status.type === "reconnect") clearTimeout(this.#lostTimer);
      }
    })().catch(() => {});
  }

  #onLost(): void {
    clearTimeout(this.#lostTimer);
    this.#lostTimer = setTimeout(() => {
      this.#broken = new BrokenExecutorError(
        `Lost the NATS server at ${
          this.#servers.join(", ")
        }: no reconnect within ${this.#reconnectTimeout} ms`,
      );
      for (const entry of [...this.#entries.values()]) {
        if (!entry.future.done()) entry.future.setException(this.#broken);
      }
    }, this.#reconnectTimeout);
  }

  #onRequest(msg: Msg): void {
    let request: StartRequest | DoneRequest;
    try {
      request = decode(msg.data);
    } catch {
      return;
    }
    this.#lastHeard = performance.now();
    if (request.kind === "start") {
      const decisions: Decision[] = request.ids.map((id) => {
        const entry = this.#entries.get(id);
        if (entry === undefined || entry.future.done()) return "skip";
        if (entry.future.running()) return "go"; // delivered again after a worker died
        return entry.future.setRunningOrNotifyCancel() ? "go" : "skip";
      });
      msg.respond(encode(decisions));
      return;
    }
    msg.respond();
    for (const [id, outcome] of request.results) {
      const entry = this.#entries.get(id);
      if (entry === undefined || entry.future.done()) continue;
      if (entry.future.state === "pending") entry.future.setRunningOrNotifyCancel();
      if (entry.chunk) {
        entry.future.setResult((outcome as WireOutcome[]).map((wire) => {
          const one = fromWire(wire);
          return one.ok ? one.value : new ChunkFailure(one.error);
        }));
        continue;
      }
      const one = fromWire(outcome as WireOutcome);
      if (one.ok) entry.future.setResult(one.value);
      else entry.future.setException(one.error);
    }
  }

  #onGiveUp(msg: Msg): void {
    let advisory: { stream_seq?: number; deliveries?: number };
    try {
      advisory = msg.json();
    } catch {
      return;
    }
    const seq = advisory.stream_seq;
    if (seq === undefined) return;
    const id = this.#bySeq.get(seq);
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (entry === undefined) return;
    this.#dropMessage(seq);
    if (entry.future.done()) return;
    entry.future.setException(
      new BrokenExecutorError(
        `Task '${entry.task.name}' was delivered ${advisory.deliveries} times and no worker ` +
          "finished it (each stopped answering within the consumer's ackWait); giving up",
      ),
    );
  }
}

function fromWire(outcome: WireOutcome): TaskOutcome<unknown> {
  return outcome.ok
    ? { ok: true, value: outcome.value }
    : { ok: false, error: recordToError(outcome.error) };
}
