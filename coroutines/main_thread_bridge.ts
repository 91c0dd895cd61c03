/**
 * {@linkcode MainThreadBridge}: from a worker, call an async function of the main thread and
 * block for its result (Python's `asyncio.run_coroutine_threadsafe(coro, loop).result()`).
 *
 * @module
 */

import {
  checkFunction,
  checkInteger,
  checkOptions,
  checkTimeout,
  currentIsolateId,
  type ErrorRecord,
  errorToRecord,
  fromHandle,
  recordToError,
  type Shareable,
  type SharedHandle,
  timeoutError,
  toHandle,
  typeError,
} from "@tandem/tandem/futures";
import { canBlock, deadlineOf, holdEventLoop, Lock, waitWord } from "@tandem/tandem/threads";
import { deserialize, serialize } from "node:v8";

// Control words. Whoever the STATE word names owns the data buffer: IDLE the caller holding the
// caller lock (it writes a request), REQUEST/RUNNING/ABANDONED the serving isolate (it reads the
// request, then writes the outcome), DONE the waiting caller (it reads the outcome).
const STATE = 0;
const BELL = 1; // incremented by a caller after each request; the server waits on it
const CLOSED = 2; // 1 once the bridge is closed
const LENGTH = 3; // bytes used in the data buffer
const HOST = 4; // the serving isolate's id
const WORDS = 8;

const IDLE = 0;
const REQUEST = 1;
const RUNNING = 2;
const DONE = 3;
const ABANDONED = 4; // the caller gave up (timeout); the server discards the outcome

/** The loosest typing of a bridge's functions: the default when a bridge's type is not given. */
export type AnyBridgeFunctions = Record<string, (...args: unknown[]) => unknown>;

type Served = Record<string, (...args: unknown[]) => unknown>;

/**
 * The functions a {@linkcode MainThreadBridge} serves, by name: each may be sync or async.
 * Arguments and results must be serializable by `node:v8` (what structured clone accepts, minus
 * shared objects).
 */
export type BridgeFunctions<F> = { [K in keyof F]: (...args: never[]) => unknown };

/** Options for {@linkcode MainThreadBridge}. */
export interface MainThreadBridgeOptions {
  /**
   * Size in bytes of the shared buffer that carries one request (name and arguments) or one
   * outcome (result or error), serialized with `node:v8`. A larger request fails in the caller
   * with a `RangeError`; a larger result makes the call fail with a `RangeError`.
   * @default {65536}
   */
  capacity?: number;
}

/** Options for {@linkcode MainThreadBridge.call}. */
export interface BridgeCallOptions {
  /**
   * The longest the caller blocks, in milliseconds, counting the wait for other callers of the
   * same bridge; then the call throws a `TimeoutError`. Python: `future.result(timeout)`.
   * @default {Infinity}
   */
  timeout?: number;
}

/** The blocking twins of a bridge's functions, as returned by {@linkcode MainThreadBridge.blocking}. */
export type BlockingFunctions<F> = {
  // Method syntax keeps a typed bridge assignable to an untyped one (parameter bivariance).
  [K in keyof F]: F[K] extends (...args: infer A) => infer R
    ? { call(...args: A): Awaited<R> }["call"]
    : never;
};

/**
 * Thrown by {@linkcode MainThreadBridge.call} when the bridge is closed before or while the call
 * waits. Python raises `RuntimeError` when the loop is closed.
 *
 * @example
 * ```ts
 * import { BridgeClosedError } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new BridgeClosedError("closed").name, "BridgeClosedError");
 * ```
 */
export class BridgeClosedError extends Error {
  /**
   * Makes the error.
   *
   * @param message What could not be done.
   * @param options `cause`.
   */
  constructor(message = "The bridge is closed", options?: ErrorOptions) {
    super(message, options);
    this.name = "BridgeClosedError";
  }
}

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: ErrorRecord | { value: unknown } };

interface Request {
  name: string;
  args: unknown[];
}

interface BridgeState {
  control: Int32Array<SharedArrayBuffer>;
  data: Uint8Array<SharedArrayBuffer>;
  lock: unknown;
}

// Passed as `functions` by `[fromHandle]` only: a caller's end, which allocates and serves
// nothing; its fields are then pointed at the shared state.
const CALLER_END: unique symbol = Symbol("tandem.bridge.callerEnd");

/**
 * A bridge from workers to async functions of the main thread: Python's
 * `asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)`, for migrating blocking code to
 * async bottom-up (Effective Python, item 62).
 *
 * The main thread creates it with the functions to serve and passes it to a `Thread` or to any
 * worker task as an argument (it is shareable: the worker gets a live bridge over the same
 * memory). In the worker, {@linkcode MainThreadBridge.call} sends the request and blocks in
 * `Atomics.wait` until the main thread has run the function (awaiting it) and written back its
 * result or error.
 *
 * Guarantees:
 * - One call at a time per bridge: concurrent callers (several threads) queue on a shared lock,
 *   and each gets the outcome of its own call. The main thread runs the functions one after
 *   another, in the order the calls reach it; other main-thread code keeps running meanwhile.
 * - An error thrown by the function is thrown by `call` in the worker with its class name,
 *   message, stack and cause (hub errors and built-in errors keep their class; other classes
 *   come back as `Error` with the original `name`).
 * - On `timeout` the caller throws a `TimeoutError`. If the main thread had not started the
 *   function yet, it never runs; if it had, it runs to the end and its outcome is discarded.
 * - {@linkcode MainThreadBridge.close} makes every pending and later call throw
 *   {@linkcode BridgeClosedError}, promptly; a function already running finishes and its
 *   outcome is discarded.
 * - Lifetime: the main side waits for requests with `Atomics.waitAsync`, which does not keep the
 *   process alive; it holds a timer only while a function runs. So an idle bridge, closed or
 *   not, never keeps the process alive (the workers that might call it do, while they run).
 *
 * Deadlock: a function that waits for the calling worker (joins its thread, or waits on a lock
 * the caller holds) never finishes; use a `timeout`. Calling a bridge from the isolate that
 * serves it would block the loop that must answer, so it throws.
 *
 * @typeParam F The served functions, by name.
 *
 * @example A thread writes through the main thread's async function
 * ```ts
 * import { MainThreadBridge } from "@tandem/tandem/coroutines";
 * import { Thread } from "@tandem/tandem/threads";
 * import { callDouble } from "../examples/tasks.ts";
 * import assert from "node:assert/strict";
 *
 * using bridge = new MainThreadBridge({
 *   double: async (n: number) => {
 *     await Promise.resolve();
 *     return 2 * n;
 *   },
 * });
 * const thread = new Thread(callDouble, bridge, 21);
 * thread.start();
 * assert.equal(await thread.join(), 42);
 * ```
 */
export class MainThreadBridge<F extends BridgeFunctions<F> = AnyBridgeFunctions>
  implements Shareable, Disposable, AsyncDisposable {
  #control!: Int32Array<SharedArrayBuffer>;
  #data!: Uint8Array<SharedArrayBuffer>;
  #lock!: Lock;
  #functions: Served | undefined;
  #running: Promise<void> | undefined;

  /**
   * Creates a bridge serving `functions` from this isolate (normally the main thread) and
   * starts listening for calls.
   *
   * @param functions The functions workers may call, by name (sync or async).
   * @param options `capacity` of the shared buffer.
   * @throws {TypeError} If `functions` is not an object of functions.
   * @throws {RangeError} If `capacity` is not a positive integer.
   */
  constructor(functions: F, options: MainThreadBridgeOptions = {}) {
    if ((functions as unknown) === CALLER_END) return;
    const what = "create MainThreadBridge";
    if (typeof functions !== "object" || functions === null) {
      typeError(what, "functions", "an object of functions", functions);
    }
    for (const [name, fn] of Object.entries(functions)) checkFunction(what, name, fn);
    const opts = checkOptions<MainThreadBridgeOptions>(what, options, ["capacity"]);
    const capacity = checkInteger(what, "capacity", opts.capacity ?? 65536, { min: 1 });
    this.#control = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    this.#data = new Uint8Array(new SharedArrayBuffer(capacity));
    this.#lock = new Lock();
    this.#functions = functions as unknown as Served;
    Atomics.store(this.#control, HOST, currentIsolateId());
    this.#serve();
  }

  /** Whether {@linkcode MainThreadBridge.close} was called (in any isolate). */
  get closed(): boolean {
    return Atomics.load(this.#control, CLOSED) === 1;
  }

  /**
   * Calls the main thread's function `name` with `args` and blocks this worker until it has
   * run: the result of the awaited function, or its error thrown here. Python:
   * `asyncio.run_coroutine_threadsafe(fn(*args), loop).result(timeout)`.
   *
   * @typeParam K The function's name.
   * @param name The function to call.
   * @param args Its arguments (serializable with `node:v8`).
   * @param options `timeout` (ms).
   * @returns What the function returned (or resolved to).
   * @throws The function's error, rebuilt (see the class guarantees).
   * @throws {TimeoutError} If `timeout` ms pass first.
   * @throws {BridgeClosedError} If the bridge is or gets closed.
   * @throws {Error} On the isolate that serves the bridge (normally the main thread), where
   * blocking would stop the loop that must answer: there, call the function directly.
   * @throws {RangeError} If the serialized request exceeds the capacity, or `timeout` is invalid.
   * @throws {TypeError} If an argument cannot be serialized, or the result could not be.
   *
   * @example On the main thread, call throws: await the function there
   * ```ts
   * import { MainThreadBridge } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * using bridge = new MainThreadBridge({ ping: () => "pong" });
   * assert.throws(() => bridge.call("ping", []), /would block the event loop/);
   * ```
   */
  call<K extends keyof F & string>(
    name: K,
    args: Parameters<F[K]>,
    options: BridgeCallOptions = {},
  ): Awaited<ReturnType<F[K]>> {
    return this.#call(name, args, options) as Awaited<ReturnType<F[K]>>;
  }

  /**
   * Blocking stand-ins for the served functions, for code that expects a plain function
   * (`const { write } = bridge.blocking(); write(line)`): each is
   * {@linkcode MainThreadBridge.call} with `options`.
   *
   * @param options `timeout` (ms) for each call.
   * @returns An object with one blocking function per name.
   *
   * @example In a worker task
   * ```ts ignore
   * const { write } = bridge.blocking({ timeout: 1000 });
   * write("a line\n");
   * ```
   */
  blocking(options: BridgeCallOptions = {}): BlockingFunctions<F> {
    return new Proxy({}, {
      get: (_target, name) => {
        if (typeof name !== "string") return undefined;
        return (...args: unknown[]) => this.#call(name, args, options);
      },
    }) as BlockingFunctions<F>;
  }

  /**
   * Closes the bridge: pending and later calls throw {@linkcode BridgeClosedError}, and the
   * main side stops listening. A function already running finishes; its outcome is discarded.
   * Idempotent; any isolate may close.
   *
   * @example
   * ```ts
   * import { MainThreadBridge } from "@tandem/tandem/coroutines";
   * import assert from "node:assert/strict";
   *
   * const bridge = new MainThreadBridge({ ping: () => "pong" });
   * bridge.close();
   * assert.equal(bridge.closed, true);
   * ```
   */
  close(): void {
    if (Atomics.exchange(this.#control, CLOSED, 1) === 1) return;
    Atomics.notify(this.#control, STATE);
    Atomics.add(this.#control, BELL, 1);
    Atomics.notify(this.#control, BELL);
  }

  /** Closes the bridge (see {@linkcode MainThreadBridge.close}). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Closes the bridge, then waits until the function it was running, if any, has settled.
   *
   * @returns A promise that resolves once nothing of the bridge runs.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#running;
  }

  /**
   * Describes the bridge for another isolate. Called by tandem when the bridge is passed to a
   * worker.
   *
   * @returns The handle.
   */
  [toHandle](): SharedHandle {
    const state: BridgeState = {
      control: this.#control,
      data: this.#data,
      lock: this.#lock[toHandle]().state,
    };
    return { module: import.meta.url, name: "MainThreadBridge", state };
  }

  /**
   * Rebuilds a bridge over the same memory from a handle's `state`: a caller's end, which serves
   * nothing. Called by tandem in the receiving isolate.
   *
   * @param state The `state` of a handle made by `[toHandle]()`.
   * @returns The caller's end of the bridge.
   * @throws {TypeError} If `state` is not a bridge's state.
   */
  static [fromHandle](state: unknown): MainThreadBridge {
    const s = state as Partial<BridgeState> | null;
    if (
      typeof s !== "object" || s === null || !(s.control instanceof Int32Array) ||
      !(s.control.buffer instanceof SharedArrayBuffer) || s.control.length !== WORDS ||
      !(s.data instanceof Uint8Array) || !(s.data.buffer instanceof SharedArrayBuffer)
    ) {
      throw new TypeError(
        "Cannot rebuild a MainThreadBridge from its handle: the state is not a bridge's state",
      );
    }
    const bridge = new MainThreadBridge(CALLER_END as unknown as AnyBridgeFunctions);
    bridge.#control = s.control;
    bridge.#data = s.data;
    bridge.#lock = Lock[fromHandle](s.lock);
    return bridge;
  }

  #call(name: string, args: unknown[], options: BridgeCallOptions): unknown {
    const what = `call '${name}' through a MainThreadBridge`;
    const control = this.#control;
    if (!canBlock || Atomics.load(control, HOST) === currentIsolateId()) {
      throw new Error(
        `Cannot ${what} on the isolate that serves it: the blocking wait would block the event ` +
          "loop that must run the function. Call (and await) the function directly there",
      );
    }
    const { timeout = Infinity } = checkOptions<BridgeCallOptions>(what, options, ["timeout"]);
    checkTimeout(what, timeout);
    if (!Array.isArray(args)) typeError(what, "args", "an array", args);
    this.#checkOpen(what);
    let bytes: Uint8Array;
    try {
      bytes = serialize({ name, args } satisfies Request);
    } catch (error) {
      throw new TypeError(`Cannot ${what}: an argument cannot be serialized`, { cause: error });
    }
    if (bytes.length > this.#data.length) {
      throw new RangeError(
        `Cannot ${what}: the request takes ${bytes.length} bytes, more than the bridge's ` +
          `capacity of ${this.#data.length} bytes (raise 'capacity' when creating the bridge)`,
      );
    }
    const deadline = deadlineOf(timeout);
    const timedOut = () => timeoutError(what, timeout);
    if (!this.#lock.acquire({ timeout: Math.max(0, deadline - performance.now()) })) {
      throw timedOut();
    }
    try {
      // A late call that an earlier caller abandoned may still own the buffer.
      for (;;) {
        this.#checkOpen(what);
        const state = Atomics.load(control, STATE);
        if (state === IDLE) break;
        if (!waitWord(control, STATE, state, deadline)) throw timedOut();
      }
      this.#data.set(bytes);
      Atomics.store(control, LENGTH, bytes.length);
      Atomics.store(control, STATE, REQUEST);
      Atomics.add(control, BELL, 1);
      Atomics.notify(control, BELL);
      for (;;) {
        this.#checkOpen(what);
        const state = Atomics.load(control, STATE);
        if (state === DONE) {
          const outcome = this.#read() as Outcome;
          Atomics.store(control, STATE, IDLE);
          Atomics.notify(control, STATE);
          if (outcome.ok) return outcome.value;
          throw recordToError(outcome.error);
        }
        if (!waitWord(control, STATE, state, deadline)) {
          if (
            Atomics.compareExchange(control, STATE, REQUEST, IDLE) === REQUEST ||
            Atomics.compareExchange(control, STATE, RUNNING, ABANDONED) === RUNNING
          ) throw timedOut();
          // The outcome arrived just now: take it on the next turn.
        }
      }
    } finally {
      this.#lock.release();
    }
  }

  #checkOpen(what: string): void {
    if (Atomics.load(this.#control, CLOSED) === 1) {
      throw new BridgeClosedError(`Cannot ${what}: the bridge is closed`);
    }
  }

  #read(): unknown {
    const length = Atomics.load(this.#control, LENGTH);
    if (length === 0) {
      return { ok: false, error: { name: "RangeError", message: "The outcome exceeds capacity" } };
    }
    return deserialize(this.#data.slice(0, length));
  }

  #write(outcome: Outcome): void {
    let bytes: Uint8Array;
    try {
      bytes = serialize(outcome);
    } catch (error) {
      bytes = serialize(
        {
          ok: false,
          error: errorToRecord(
            new TypeError("The function's result cannot be serialized", { cause: error }),
          ),
        } satisfies Outcome,
      );
    }
    if (bytes.length > this.#data.length) {
      const message = `The function's ${outcome.ok ? "result" : "error"} takes ${bytes.length} ` +
        `bytes, more than the bridge's capacity of ${this.#data.length} bytes (raise ` +
        "'capacity' when creating the bridge)";
      // Without a stack, then shortened, until it fits.
      for (let keep = message.length; keep >= 0; keep = keep > 8 ? keep >> 1 : keep - 1) {
        bytes = serialize(
          {
            ok: false,
            error: { name: "RangeError", message: message.slice(0, keep) },
          } satisfies Outcome,
        );
        if (bytes.length <= this.#data.length) break;
      }
      if (bytes.length > this.#data.length) bytes = new Uint8Array(0); // a capacity of a few bytes
    }
    this.#data.set(bytes);
    Atomics.store(this.#control, LENGTH, bytes.length);
  }

  async #serve(): Promise<void> {
    const control = this.#control;
    let seen = Atomics.load(control, BELL);
    for (;;) {
      if (Atomics.load(control, CLOSED) === 1) return;
      // No timeout: a pending waitAsync does not keep the process alive, so an idle bridge
      // does not either.
      const wait = Atomics.waitAsync(control, BELL, seen);
      if (wait.async) await wait.value;
      seen = Atomics.load(control, BELL);
      if (Atomics.load(control, CLOSED) === 1) return;
      if (Atomics.compareExchange(control, STATE, REQUEST, RUNNING) !== REQUEST) continue;
      const running = this.#run();
      this.#running = running;
      await running;
      this.#running = undefined;
    }
  }

  async #run(): Promise<void> {
    const control = this.#control;
    let outcome: Outcome;
    try {
      using _held = holdEventLoop(); // keeps the process alive while the call runs
      const { name, args } = this.#read() as Request;
      const functions = this.#functions as Served;
      const fn = Object.hasOwn(functions, name) ? functions[name] : undefined;
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot call '${name}' through a MainThreadBridge: it serves no such function ` +
            `(it serves ${Object.keys(functions).map((n) => `'${n}'`).join(", ") || "none"})`,
        );
      }
      outcome = { ok: true, value: await fn.apply(functions, args) };
    } catch (error) {
      outcome = toOutcome(error);
    }
    if (Atomics.load(control, CLOSED) === 1) return;
    this.#write(outcome);
    if (Atomics.compareExchange(control, STATE, RUNNING, DONE) !== RUNNING) {
      Atomics.store(control, STATE, IDLE); // the caller gave up: discard
    }
    Atomics.notify(control, STATE);
  }
}

function toOutcome(error: unknown): Outcome {
  return { ok: false, error: errorToRecord(error) };
}
