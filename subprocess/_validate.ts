// Private helpers: argument checks at the boundary of run(), Popen and their methods, on top of
// the hub's vocabulary. Each throws a TypeError (wrong kind of value) or RangeError (right kind,
// out of range) whose message names the operation, the parameter and the value received.
import { describeValue, rangeError, runtimeName, typeError } from "@tandem/tandem/futures";

export { checkOptions, checkSignal, checkTimeout, typeError } from "@tandem/tandem/futures";

/** How `stdout` and `stderr` may be routed. */
export type Stdio = "pipe" | "inherit" | "null";

const STDIO: readonly string[] = ["pipe", "inherit", "null"];
const STDERR: readonly string[] = ["pipe", "inherit", "null", "stdout"];

/** Describes several received values at once (an object of them), for an error message. */
export function describe(value: unknown): string {
  const text = typeof value === "object" && value !== null
    ? Deno.inspect(value, { depth: 1, colors: false, iterableLimit: 5 })
    : describeValue(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Throws unless this runtime can start child processes the way this module does (Deno's
 * `Deno.Command`), with an error naming the runtime, so that Bun and Node fail at once.
 */
export function checkRuntime(what: string): void {
  const deno = (globalThis as { Deno?: { Command?: unknown } }).Deno;
  if (typeof deno?.Command === "function") return;
  throw new Error(
    `Cannot ${what}: tandem's subprocess module needs Deno (Deno.Command); this runtime is ${runtimeName()}`,
  );
}

/** Checks the command line: a non-empty array of strings, the first one non-empty. */
export function checkArgs(what: string, args: unknown): string[] {
  if (!Array.isArray(args) || args.length === 0) {
    typeError(what, "args", "a non-empty array of strings", args);
  }
  const copy: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i];
    if (typeof arg !== "string") typeError(what, `args[${i}]`, "a string", arg);
    if (i === 0 && arg === "") typeError(what, "args[0]", "a non-empty program name", arg);
    if (arg.includes("\0")) typeError(what, `args[${i}]`, "a string without NUL characters", arg);
    copy.push(arg);
  }
  return copy;
}

/** Checks an optional boolean flag. */
export function checkBoolean(what: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") typeError(what, name, "a boolean", value);
  return value;
}

/** Checks `stdout` (or another plain stdio option). */
export function checkStdio(what: string, name: string, value: unknown, fallback: Stdio): Stdio {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !STDIO.includes(value)) {
    typeError(what, name, `one of "pipe", "inherit", "null"`, value);
  }
  return value as Stdio;
}

/** Checks `stderr`, which may also be `"stdout"`. */
export function checkStderr(what: string, value: unknown, fallback: Stdio): Stdio | "stdout" {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !STDERR.includes(value)) {
    typeError(what, "stderr", `one of "pipe", "inherit", "null", "stdout"`, value);
  }
  return value as Stdio | "stdout";
}

/** Checks `stdin`: a stdio mode or a readable stream of bytes to feed the child. */
export function checkStdin(
  what: string,
  value: unknown,
  fallback: Stdio,
): Stdio | ReadableStream<Uint8Array> {
  if (value === undefined) return fallback;
  if (value instanceof ReadableStream) {
    if (value.locked) typeError(what, "stdin", "an unlocked ReadableStream", value);
    return value;
  }
  if (typeof value !== "string" || !STDIO.includes(value)) {
    typeError(what, "stdin", `one of "pipe", "inherit", "null" or a ReadableStream`, value);
  }
  return value as Stdio;
}

/** Checks an optional encoding label and returns its decoder (or null for bytes). */
export function checkEncoding(what: string, encoding: unknown): TextDecoder | null {
  if (encoding === undefined) return null;
  if (typeof encoding !== "string") {
    typeError(what, "encoding", 'an encoding label such as "utf-8"', encoding);
  }
  try {
    return new TextDecoder(encoding);
  } catch {
    rangeError(what, "encoding", "an encoding label TextDecoder supports", encoding);
  }
}

/** Checks optional input for the child's stdin and returns it as bytes. */
export function checkInput(what: string, input: unknown): Uint8Array | undefined {
  if (input === undefined) return undefined;
  if (typeof input === "string") return new TextEncoder().encode(input);
  if (input instanceof Uint8Array) return input;
  typeError(what, "input", "a string or a Uint8Array", input);
}

/** Checks an optional working directory. */
export function checkCwd(what: string, cwd: unknown): string | URL | undefined {
  if (cwd === undefined || cwd instanceof URL) return cwd;
  if (typeof cwd !== "string" || cwd === "") {
    typeError(what, "cwd", "a non-empty string or URL", cwd);
  }
  return cwd;
}

/** Checks an optional environment: an object of string values. */
export function checkEnv(what: string, env: unknown): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  if (env === null || typeof env !== "object" || Array.isArray(env)) {
    typeError(what, "env", "an object of strings", env);
  }
  for (const [key, value] of Object.entries(env)) {
    if (key === "" || key.includes("=") || key.includes("\0")) {
      typeError(what, "env", "an object whose keys are variable names", key);
    }
    if (typeof value !== "string") typeError(what, `env.${key}`, "a string", value);
    if (value.includes("\0")) {
      typeError(what, `env.${key}`, "a string without NUL characters", value);
    }
  }
  return env as Record<string, string>;
}

const SIGNALS: ReadonlySet<string> = new Set<Deno.Signal>([
  "SIGABRT",
  "SIGALRM",
  "SIGBREAK",
  "SIGBUS",
  "SIGCHLD",
  "SIGCONT",
  "SIGEMT",
  "SIGFPE",
  "SIGHUP",
  "SIGILL",
  "SIGINFO",
  "SIGINT",
  "SIGIO",
  "SIGPOLL",
  "SIGUNUSED",
  "SIGKILL",
  "SIGPIPE",
  "SIGPROF",
  "SIGPWR",
  "SIGQUIT",
  "SIGSEGV",
  "SIGSTKFLT",
  "SIGSTOP",
  "SIGSYS",
  "SIGTERM",
  "SIGTRAP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGUSR1",
  "SIGUSR2",
  "SIGVTALRM",
  "SIGWINCH",
  "SIGXCPU",
  "SIGXFSZ",
]);

/** Checks a signal: a `Deno.Signal` name or a non-negative integer. */
export function checkSignalNumber(what: string, signal: unknown): Deno.Signal | number {
  if (typeof signal === "string" && SIGNALS.has(signal)) return signal as Deno.Signal;
  if (typeof signal === "number" && Number.isInteger(signal) && signal >= 0) return signal;
  typeError(what, "signal", `a signal name such as "SIGTERM" or a signal number`, signal);
}

/**
 * Checks `processGroup`: only 0, a new group led by the child, as Python's `process_group=0`.
 * (Deno.Command cannot put a child into a group that already exists.)
 */
export function checkProcessGroup(what: string, value: unknown): boolean {
  if (value === undefined) return false;
  const expected = "0 (a new process group led by the child)";
  if (typeof value !== "number") typeError(what, "processGroup", expected, value);
  if (value !== 0) {
    rangeError(
      what,
      "processGroup",
      `${expected}; Deno cannot move a child into an existing group`,
      value,
    );
  }
  return true;
}
