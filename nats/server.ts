/**
 * {@linkcode NatsServer}: starts a local `nats-server` with JetStream on 127.0.0.1, on a free
 * port, with a store folder, for tests, demos and trying `NatsExecutor` on one machine. In
 * production, run the server as a service (`apt-get install nats-server`) and connect to it.
 *
 * @example A throwaway server
 * ```ts
 * import { NatsServer } from "@tandem/nats/server";
 * import assert from "node:assert/strict";
 *
 * if (await NatsServer.available()) {
 *   await using server = await NatsServer.start();
 *   assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
 * }
 * ```
 *
 * @module
 */

/** Options for {@linkcode NatsServer.start}. */
export interface NatsServerOptions {
  /**
   * The port to listen on, on 127.0.0.1.
   *
   * @default {a free port}
   */
  port?: number;
  /**
   * The JetStream store folder. A folder made by `start` is removed when the server is disposed.
   *
   * @default {a new temporary folder}
   */
  storeDir?: string;
  /**
   * The server binary: a path, or a name looked up on `PATH` and then in `/usr/sbin` (where
   * Debian installs it), `/usr/local/sbin` and `/usr/local/bin`.
   *
   * @default {"nats-server"}
   */
  binary?: string;
  /**
   * How long to wait for the server to accept connections, in milliseconds.
   *
   * @default {10000}
   */
  startTimeout?: number;
}

/** How to install the server, for error messages and the demo. */
export const INSTALL_HINT: string =
  "install it with `apt-get install nats-server` (Debian/Ubuntu) or from https://github.com/nats-io/nats-server/releases";

/**
 * A `nats-server -js` child process listening only on 127.0.0.1. `stop()` ends it (SIGTERM, so
 * JetStream flushes its store); `kill()` ends it with SIGKILL; `restart()` starts it again on
 * the same port and store. `await using` stops it and removes a store folder it created. A
 * program that calls `Deno.exit()` without stopping it kills it on the way out and removes a
 * store folder it created; one that ends with an uncaught error takes the server along, but its
 * store folder stays.
 *
 * @example Start, restart, stop
 * ```ts
 * import { NatsServer } from "@tandem/nats/server";
 * import assert from "node:assert/strict";
 *
 * if (await NatsServer.available()) {
 *   await using server = await NatsServer.start();
 *   const port = server.port;
 *   await server.restart();
 *   assert.equal(server.port, port);
 * }
 * ```
 */
export class NatsServer implements AsyncDisposable {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The JetStream store folder. */
  readonly storeDir: string;
  readonly #binary: string;
  readonly #ownsStore: boolean;
  readonly #startTimeout: number;
  #child: Deno.ChildProcess | undefined;
  #drain: Promise<void> | undefined;
  #onUnload: (() => void) | undefined;

  private constructor(
    port: number,
    storeDir: string,
    binary: string,
    ownsStore: boolean,
    startTimeout: number,
  ) {
    this.port = port;
    this.storeDir = storeDir;
    this.#binary = binary;
    this.#ownsStore = ownsStore;
    this.#startTimeout = startTimeout;
  }

  /**
   * Whether the server binary can be run.
   *
   * @param binary The binary to look for.
   * @returns `true` if `binary --version` runs.
   *
   * @example
   * ```ts
   * import { NatsServer } from "@tandem/nats/server";
   *
   * console.log(await NatsServer.available() ? "nats-server found" : "no nats-server");
   * ```
   */
  static async available(binary = "nats-server"): Promise<boolean> {
    try {
      const { success } = await new Deno.Command(findBinary(binary), {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      return success;
    } catch {
      return false;
    }
  }

  /**
   * Starts `nats-server -js -a 127.0.0.1 -p PORT -sd STORE` and waits until it accepts
   * connections.
   *
   * @param options The port, store folder, binary and start timeout.
   * @returns The running server.
   * @throws {Error} If the binary is missing (the message says how to install it) or the server
   * does not accept connections in time.
   *
   * @example
   * ```ts
   * import { NatsServer } from "@tandem/nats/server";
   *
   * if (await NatsServer.available()) {
   *   await using server = await NatsServer.start({ startTimeout: 5_000 });
   *   console.log(`JetStream at ${server.url}`);
   * }
   * ```
   */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const binary = findBinary(options.binary ?? "nats-server");
    const port = options.port ?? freePort();
    const ownsStore = options.storeDir === undefined;
    const storeDir = options.storeDir ?? await Deno.makeTempDir({ prefix: "tandem-nats-" });
    const server = new NatsServer(
      port,
      storeDir,
      binary,
      ownsStore,
      options.startTimeout ?? 10_000,
    );
    try {
      await server.#launch();
    } catch (error) {
      if (ownsStore) await Deno.remove(storeDir, { recursive: true }).catch(() => {});
      throw error;
    }
    return server;
  }

  /** `nats://127.0.0.1:PORT`, to pass as `servers`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The server's process id, while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the server process is running (as far as this object knows). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /**
   * Ends the server with SIGTERM (JetStream flushes its store) and waits for it to exit.
   *
   * @returns A promise that resolves once the process has exited.
   */
  async stop(): Promise<void> {
    await this.#end("SIGTERM");
  }

  /**
   * Ends the server with SIGKILL, as a crash would, and waits for it to exit.
   *
   * @returns A promise that resolves once the process has exited.
   */
  async kill(): Promise<void> {
    await this.#end("SIGKILL");
  }

  /**
   * Stops the server if it runs and starts it again on the same port with the same store.
   *
   * @param options `downtime`: milliseconds to stay down between stop and start.
   * @returns A promise that resolves when the new server accepts connections.
   */
  async restart(options: { downtime?: number } = {}): Promise<void> {
    await this.stop();
    if (options.downtime) await new Promise((r) => setTimeout(r, options.downtime));
    await this.#launch();
  }

  /** Stops the server and removes a store folder that `start` created. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    if (this.#ownsStore) await Deno.remove(this.storeDir, { recursive: true }).catch(() => {});
  }

  async #launch(): Promise<void> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(this.#binary, {
        args: ["-js", "-a", "127.0.0.1", "-p", String(this.port), "-sd", this.storeDir],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(`Cannot start '${this.#binary}': it is not installed; ${INSTALL_HINT}`, {
          cause: error,
        });
      }
      throw error;
    }
    this.#child = child;
    // A program that calls `Deno.exit()` without stopping its server takes it along (`unload`):
    // no server outlives its owner.
    this.#onUnload = () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      if (this.#ownsStore) {
        try {
          Deno.removeSync(this.storeDir, { recursive: true });
        } catch { /* gone */ }
      }
    };
    globalThis.addEventListener("unload", this.#onUnload);
    const log: string[] = [];
    let ready!: () => void;
    const readyPromise = new Promise<void>((resolve) => ready = resolve);
    this.#drain = (async () => {
      const decoder = new TextDecoder();
      let text = "";
      for await (const chunk of child.stderr) {
        if (log.length > 200) continue;
        text += decoder.decode(chunk, { stream: true });
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        for (const line of lines) {
          log.push(line);
          if (line.includes("Server is ready")) ready();
        }
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      readyPromise.then(() => "ready" as const),
      child.status.then(() => "exited" as const),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), this.#startTimeout)),
    ]);
    clearTimeout(timer);
    if (outcome !== "ready") {
      await this.#end("SIGKILL");
      throw new Error(
        `Cannot start nats-server on 127.0.0.1:${this.port}: ${
          outcome === "timeout" ? `not ready after ${this.#startTimeout} ms` : "it exited"
        }\n${log.slice(-10).join("\n")}`,
      );
    }
  }

  async #end(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (this.#onUnload !== undefined) globalThis.removeEventListener("unload", this.#onUnload);
    this.#onUnload = undefined;
    try {
      child.kill(signal);
    } catch { /* already exited */ }
    await child.status;
    await this.#drain;
  }
}

/** `binary` itself if it is a path or on `PATH`, else where packages put it, else `binary`. */
function findBinary(binary: string): string {
  if (binary.includes("/")) return binary;
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  for (const dir of [...path, "/usr/sbin", "/usr/local/sbin", "/usr/local/bin"]) {
    try {
      if (Deno.statSync(`${dir}/${binary}`).isFile) return `${dir}/${binary}`;
    } catch { /* not here */ }
  }
  return binary;
}

/** A port on 127.0.0.1 that nothing listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
