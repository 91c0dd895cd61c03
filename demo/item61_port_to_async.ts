/**
 * Item 61: Know how to port threaded I/O to asyncio.
 *
 * The book's number-guessing game over real TCP sockets on 127.0.0.1: a server that guesses
 * numbers and a client that says "Warmer", "Colder", "Unsure" or "Correct". It is written twice:
 * first in the shape of the book's threaded version (blocking receive loops, a callback for the
 * context manager, a `Thread` per connection whose worker reaches its socket through a
 * `MainThreadBridge`), then ported to async style the way the book ports it to asyncio (async
 * iteration over lines, an async generator for the guesses, `await using` for the session, a
 * TaskGroup child per connection). With the same seed both print the same transcript, the
 * book's.
 *
 * @module
 */

import { MainThreadBridge, TaskGroup } from "@tandem/tandem/coroutines";
import { task } from "@tandem/tandem/futures";
import { Thread } from "@tandem/tandem/threads";

/** The seed that makes the server guess what the book's server guessed. */
export const BOOK_SEED = 7015;

const WARMER = "Warmer";
const COLDER = "Colder";
const UNSURE = "Unsure";
const CORRECT = "Correct";

/** The peer closed the connection (the book's `EOFError`). */
class EOFError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EOFError";
  }
}

/** A command the session does not know (the book's `UnknownCommandError`). */
class UnknownCommandError extends Error {
  constructor(command: string) {
    super(command);
    this.name = "UnknownCommandError";
  }
}

/** Python's `random.randint` over a seeded generator (mulberry32), so runs repeat exactly. */
class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  randint(lower: number, upper: number): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lower + Math.floor(unit * (upper - lower + 1));
  }
}

/**
 * What both versions print. Server and client run in one process, and which socket the event
 * loop serves first is not fixed, so lines are grouped by game (the server counts games as the
 * client starts them) rather than printed as they happen: the transcript is then the same on
 * every run, and is the book's.
 */
class Transcript {
  readonly #games: { header: string; server: string[] }[] = [];
  readonly #results: string[] = [];

  header(line: string): void {
    this.#games.push({ header: line, server: [] });
  }

  server(game: number, line: string): void {
    this.#games[game]?.server.push(line);
  }

  result(line: string): void {
    this.#results.push(line);
  }

  lines(): string[] {
    return [...this.#games.flatMap((game) => [game.header, ...game.server]), ...this.#results];
  }
}

const encoder = new TextEncoder();

async function writeAll(connection: Deno.TcpConn, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await connection.write(data.subarray(written));
  }
}

/** Splits what arrives on a connection into lines (without the newline). */
async function* readLines(connection: Deno.TcpConn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(1024);
  let buffered = "";
  while (true) {
    const count = await connection.read(chunk);
    if (count === null) return;
    buffered += decoder.decode(chunk.subarray(0, count), { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** Where the server draws its guesses: a {@linkcode Random}, or one reached through a bridge. */
interface RandomSource {
  randint(lower: number, upper: number): number;
}

/** Where the server records what it heard: the {@linkcode Transcript}, or one through a bridge. */
interface TranscriptSink {
  server(game: number, line: string): void;
}

/** The game state shared by both versions: the part of the book's classes that does no I/O. */
class Guesser {
  lower = 0;
  upper = -1;
  secret: number | undefined = undefined;
  guesses: number[] = [];
  games = 0;
  readonly random: RandomSource;

  constructor(random: RandomSource) {
    this.random = random;
  }

  setParams(parts: string[]): void {
    if (parts.length !== 3) throw new UnknownCommandError(parts.join(" "));
    this.lower = Number(parts[1]);
    this.upper = Number(parts[2]);
    this.secret = undefined;
    this.guesses = [];
    if (this.lower <= this.upper) this.games++;
  }

  nextGuess(): number {
    if (this.secret !== undefined) return this.secret;
    while (true) {
      const guess = this.random.randint(this.lower, this.upper);
      if (!this.guesses.includes(guess)) return guess;
    }
  }

  receiveReport(parts: string[], transcript: TranscriptSink): void {
    const decision = parts[1];
    const last = this.guesses[this.guesses.length - 1];
    if (decision === CORRECT) this.secret = last;
    transcript.server(this.games - 1, `Server: ${last} is ${decision}`);
  }
}

/** The client's judgement, shared by both versions. */
class Judge {
  secret: number | undefined = undefined;
  lastDistance: number | undefined = undefined;

  decide(number: number): string {
    const newDistance = Math.abs(number - this.secret!);
    let decision = UNSURE;
    if (newDistance === 0) decision = CORRECT;
    else if (this.lastDistance === undefined) decision = UNSURE;
    else if (newDistance < this.lastDistance) decision = WARMER;
    else if (newDistance > this.lastDistance) decision = COLDER;
    this.lastDistance = newDistance;
    return decision;
  }
}

// ---------------------------------------------------------------------------------------------
// Threaded style: the shape of the book's first version. The main thread accepts; each
// connection gets a Thread whose worker runs the book's blocking server loop. A TcpConn cannot
// cross into a worker, so the worker reaches its socket through a MainThreadBridge bound to that
// connection: `bridge.call("receive", [])` and `bridge.call("send", [line])` block the worker
// like the book's `socket.recv` and `sendall`.

/**
 * What the main thread serves to a connection's thread: its socket (`receive` answers `null`
 * at end of stream), the server's random generator (shared by every connection, as the book's
 * module-level `random` is) and the transcript.
 */
interface ServerIO {
  receive(): Promise<string | null>;
  send(line: string): Promise<void>;
  randint(lower: number, upper: number): number;
  record(game: number, line: string): void;
}

/** The book's `ConnectionBase` on the server side: blocking send and receive of a line. */
class BlockingConnectionBase {
  readonly bridge: MainThreadBridge<ServerIO>;

  constructor(bridge: MainThreadBridge<ServerIO>) {
    this.bridge = bridge;
  }

  send(command: string): void {
    this.bridge.call("send", [command]);
  }

  receive(): string {
    const line = this.bridge.call("receive", []);
    if (line === null) throw new EOFError("Connection closed");
    return line;
  }
}

/** The book's `Session`: the server side of one connection, run in its thread. */
class Session extends BlockingConnectionBase {
  readonly #guesser: Guesser;
  readonly #transcript: TranscriptSink;

  constructor(bridge: MainThreadBridge<ServerIO>) {
    super(bridge);
    this.#guesser = new Guesser({
      randint: (lower, upper) => bridge.call("randint", [lower, upper]),
    });
    this.#transcript = { server: (game, line) => bridge.call("record", [game, line]) };
  }

  loop(): void {
    while (true) {
      const command = this.receive();
      const parts = command.split(" ");
      if (parts[0] === "PARAMS") this.#guesser.setParams(parts);
      else if (parts[0] === "NUMBER") this.sendNumber();
      else if (parts[0] === "REPORT") this.#guesser.receiveReport(parts, this.#transcript);
      else throw new UnknownCommandError(command);
    }
  }

  sendNumber(): void {
    const guess = this.#guesser.nextGuess();
    this.#guesser.guesses.push(guess);
    this.send(String(guess));
  }
}

/**
 * The book's `handle_connection`, the target of each connection's thread: runs the session
 * until the client hangs up.
 *
 * @param bridge The connection's bridge to the main thread.
 */
export const handleConnection = task(
  import.meta.url,
  function handleConnection(bridge: MainThreadBridge<ServerIO>): void {
    try {
      new Session(bridge).loop();
    } catch (error) {
      if (!(error instanceof EOFError)) throw error;
    }
  },
);

/** The book's `ConnectionBase` on the client side (the main thread): send a line, receive a line. */
class ConnectionBase {
  readonly connection: Deno.TcpConn;
  readonly #lines: AsyncGenerator<string>;

  constructor(connection: Deno.TcpConn) {
    this.connection = connection;
    connection.setNoDelay(true); // small request/response lines: send each one at once
    this.#lines = readLines(connection);
  }

  async send(command: string): Promise<void> {
    await writeAll(this.connection, encoder.encode(`${command}\n`));
  }

  async receive(): Promise<string> {
    const next = await this.#lines.next();
    if (next.done) throw new EOFError("Connection closed");
    return next.value;
  }
}

/** The book's `Client`, with its context manager as a callback that runs inside the session. */
class Client extends ConnectionBase {
  readonly #judge = new Judge();
  readonly #transcript: Transcript;

  constructor(connection: Deno.TcpConn, transcript: Transcript) {
    super(connection);
    this.#transcript = transcript;
  }

  async session(lower: number, upper: number, secret: number, body: () => Promise<void>) {
    this.#transcript.header(
      `Guess a number between ${lower} and ${upper}! Shhhhh, it's ${secret}.`,
    );
    this.#judge.secret = secret;
    await this.send(`PARAMS ${lower} ${upper}`);
    try {
      await body();
    } finally {
      this.#judge.secret = this.#judge.lastDistance = undefined;
      await this.send("PARAMS 0 -1");
    }
  }

  async requestNumbers(count: number, each: (number: number) => Promise<void>): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.send("NUMBER");
      await each(Number(await this.receive()));
      if (this.#judge.lastDistance === 0) return;
    }
  }

  async reportOutcome(number: number): Promise<string> {
    const decision = this.#judge.decide(number);
    await this.send(`REPORT ${decision}`);
    return decision;
  }
}

/**
 * Serves one connection from a Thread (the book's `Thread(target=handle_connection, ...)`), then
 * joins it and closes the connection and its bridge.
 */
async function serveInThread(
  connection: Deno.TcpConn,
  random: Random,
  transcript: Transcript,
): Promise<void> {
  connection.setNoDelay(true);
  const lines = readLines(connection);
  await using bridge = new MainThreadBridge<ServerIO>({
    receive: async () => {
      const next = await lines.next();
      return next.done ? null : next.value;
    },
    send: (line) => writeAll(connection, encoder.encode(`${line}\n`)),
    randint: (lower, upper) => random.randint(lower, upper),
    record: (game, line) => transcript.server(game, line),
  });
  try {
    const thread = new Thread(handleConnection, bridge);
    thread.start();
    await thread.join();
  } finally {
    closeQuietly(connection); // before the bridge closes: ends a `receive` still running
  }
}

/**
 * Accepts connections until the listener closes, starting a Thread for each; then joins them
 * all (what the book leaves to its daemon threads) and rethrows the first failure.
 */
async function runServer(
  listener: Deno.TcpListener,
  random: Random,
  transcript: Transcript,
): Promise<void> {
  const connections: Promise<void>[] = [];
  let failure: { reason: unknown } | undefined;
  while (true) {
    let connection: Deno.TcpConn;
    try {
      connection = await listener.accept();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        failure = { reason: error };
      }
      break; // the listener was closed
    }
    const served = serveInThread(connection, random, transcript);
    served.catch(() => {}); // reported below, once every thread is joined
    connections.push(served);
  }
  for (const outcome of await Promise.allSettled(connections)) {
    if (outcome.status === "rejected") failure ??= { reason: outcome.reason };
  }
  if (failure !== undefined) throw failure.reason;
}

async function runClient(port: number, transcript: Transcript): Promise<[number, string][]> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const client = new Client(connection, transcript);
    const results: [number, string][] = [];
    await client.session(1, 5, 3, async () => {
      await client.requestNumbers(5, async (x) => {
        results.push([x, await client.reportOutcome(x)]);
      });
    });
    await client.session(10, 15, 12, async () => {
      await client.requestNumbers(5, async (number) => {
        const outcome = await client.reportOutcome(number);
        results.push([number, outcome]);
      });
    });
    return results;
  } finally {
    closeQuietly(connection);
  }
}

/**
 * Plays the two games in the threaded style and returns the transcript.
 *
 * @param seed The server's random seed.
 * @returns The lines the book prints.
 */
export async function playThreadedStyle(seed: number = BOOK_SEED): Promise<string[]> {
  const transcript = new Transcript();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = runServer(listener, new Random(seed), transcript);
  try {
    const results = await runClient(listener.addr.port, transcript);
    for (const [number, outcome] of results) transcript.result(`Client: ${number} is ${outcome}`);
  } finally {
    closeQuietly(listener);
    await server;
  }
  return transcript.lines();
}

// ---------------------------------------------------------------------------------------------
// Async style: the book's asyncio port. Every method that does I/O is `async`, loops over lines
// become `for await`, the generator becomes an async generator, and the context manager an
// AsyncDisposable used with `await using`.

/** The book's `AsyncConnectionBase`. */
class AsyncConnectionBase {
  readonly connection: Deno.TcpConn;
  readonly lines: AsyncGenerator<string>;

  constructor(connection: Deno.TcpConn) {
    this.connection = connection;
    connection.setNoDelay(true);
    this.lines = readLines(connection);
  }

  async send(command: string): Promise<void> {
    await writeAll(this.connection, encoder.encode(`${command}\n`));
  }

  async receive(): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new EOFError("Connection closed");
    return next.value;
  }
}

/** The book's `AsyncSession`. */
class AsyncSession extends AsyncConnectionBase {
  readonly #guesser: Guesser;
  readonly #transcript: Transcript;

  constructor(connection: Deno.TcpConn, random: Random, transcript: Transcript) {
    super(connection);
    this.#guesser = new Guesser(random);
    this.#transcript = transcript;
  }

  async loop(): Promise<void> {
    for await (const command of this.lines) {
      const parts = command.split(" ");
      if (parts[0] === "PARAMS") this.#guesser.setParams(parts);
      else if (parts[0] === "NUMBER") await this.sendNumber();
      else if (parts[0] === "REPORT") this.#guesser.receiveReport(parts, this.#transcript);
      else throw new UnknownCommandError(command);
    }
  }

  async sendNumber(): Promise<void> {
    const guess = this.#guesser.nextGuess();
    this.#guesser.guesses.push(guess);
    await this.send(String(guess));
  }
}

/** The book's `AsyncClient`. */
class AsyncClient extends AsyncConnectionBase {
  readonly #judge = new Judge();
  readonly #transcript: Transcript;

  constructor(connection: Deno.TcpConn, transcript: Transcript) {
    super(connection);
    this.#transcript = transcript;
  }

  /** The book's `@asynccontextmanager session(...)`: use with `await using`. */
  async session(lower: number, upper: number, secret: number): Promise<AsyncDisposable> {
    this.#transcript.header(
      `Guess a number between ${lower} and ${upper}! Shhhhh, it's ${secret}.`,
    );
    this.#judge.secret = secret;
    await this.send(`PARAMS ${lower} ${upper}`);
    return {
      [Symbol.asyncDispose]: async () => {
        this.#judge.secret = this.#judge.lastDistance = undefined;
        await this.send("PARAMS 0 -1");
      },
    };
  }

  async *requestNumbers(count: number): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) {
      await this.send("NUMBER");
      yield Number(await this.receive());
      if (this.#judge.lastDistance === 0) return;
    }
  }

  async reportOutcome(number: number): Promise<string> {
    const decision = this.#judge.decide(number);
    await this.send(`REPORT ${decision}`);
    return decision;
  }
}

async function handleAsyncConnection(
  connection: Deno.TcpConn,
  signal: AbortSignal,
  random: Random,
  transcript: Transcript,
): Promise<void> {
  const hangUp = () => closeQuietly(connection);
  signal.addEventListener("abort", hangUp, { once: true });
  try {
    await new AsyncSession(connection, random, transcript).loop();
  } catch (error) {
    if (!(error instanceof EOFError) && !signal.aborted) throw error;
  } finally {
    signal.removeEventListener("abort", hangUp);
    closeQuietly(connection);
  }
}

/**
 * The book's `asyncio.start_server(...)` + `serve_forever()`: one TaskGroup child per
 * connection. When `signal` fires the server stops accepting, and waits for the connections it
 * has to end (as `Server.close()` + `wait_closed()` do), so no line a client sent is lost.
 */
async function runAsyncServer(
  listener: Deno.TcpListener,
  signal: AbortSignal,
  random: Random,
  transcript: Transcript,
): Promise<void> {
  const stop = () => closeQuietly(listener);
  signal.addEventListener("abort", stop, { once: true });
  try {
    await using connections = new TaskGroup({ name: "connections" });
    for await (const connection of listener) {
      connections.create((child) => handleAsyncConnection(connection, child, random, transcript));
    }
  } finally {
    signal.removeEventListener("abort", stop);
    closeQuietly(listener);
  }
}

async function runAsyncClient(port: number, transcript: Transcript): Promise<[number, string][]> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const client = new AsyncClient(connection, transcript);
    const results: [number, string][] = [];
    {
      await using _ = await client.session(1, 5, 3);
      for await (const x of client.requestNumbers(5)) {
        results.push([x, await client.reportOutcome(x)]);
      }
    }
    {
      await using _ = await client.session(10, 15, 12);
      for await (const number of client.requestNumbers(5)) {
        const outcome = await client.reportOutcome(number);
        results.push([number, outcome]);
      }
    }
    return results;
  } finally {
    closeQuietly(connection);
  }
}

/**
 * Plays the two games in the async style and returns the transcript.
 *
 * @param seed The server's random seed.
 * @returns The lines the book prints.
 */
export async function playAsync(seed: number = BOOK_SEED): Promise<string[]> {
  const transcript = new Transcript();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const results = await TaskGroup.run(async (group) => {
    group.create((signal) => runAsyncServer(listener, signal, new Random(seed), transcript));
    const results = await runAsyncClient(listener.addr.port, transcript);
    group.cancel(); // stop the server: it stops accepting and lets its connection finish
    return results;
  });
  for (const [number, outcome] of results) transcript.result(`Client: ${number} is ${outcome}`);
  return transcript.lines();
}

/** Runs both versions and shows that they print the same transcript. */
export async function main(): Promise<void> {
  const threaded = await playThreadedStyle();
  console.log("Threaded style (a Thread per connection):");
  for (const line of threaded) console.log(line);
  const ported = await playAsync();
  console.log("\nAsync style (a TaskGroup child per connection):");
  for (const line of ported) console.log(line);
  console.log(`\nSame transcript: ${threaded.join("\n") === ported.join("\n")}`);
}

if (import.meta.main) {
  await main();
}
