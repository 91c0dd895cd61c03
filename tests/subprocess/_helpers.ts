// Test helpers for the subprocess module: process liveness, temporary files for handshakes
// with children, and small byte utilities.

/**
 * Whether a process with this pid exists (running, or a zombie not yet reaped). After tandem
 * has observed a child's exit, the child has been reaped, so its /proc entry is gone.
 */
export function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A fresh temporary directory, removed with everything in it on dispose. */
export function tempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "tandem_subprocess_" });
  return {
    path,
    [Symbol.dispose]() {
      Deno.removeSync(path, { recursive: true });
    },
  };
}

/** Resolves once `path` exists with non-empty content, returning that content. */
export async function waitForFile(path: string): Promise<string> {
  for (;;) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads one chunk from a stream and releases it; null at end of stream. */
export async function readChunk(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = stream.getReader();
  try {
    const { done, value } = await reader.read();
    return done ? null : new TextDecoder().decode(value);
  } finally {
    reader.releaseLock();
  }
}

/** Reads from a stream until the text read so far ends with `suffix`; returns that text. */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  suffix: string,
): Promise<string> {
  let text = "";
  while (!text.endsWith(suffix)) {
    const chunk = await readChunk(stream);
    if (chunk === null) throw new Error(`Stream ended before ${JSON.stringify(suffix)}: ${text}`);
    text += chunk;
  }
  return text;
}

/** Writes text to a stream (without closing it) and releases it. */
export async function writeText(stream: WritableStream<Uint8Array>, text: string): Promise<void> {
  const writer = stream.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
  } finally {
    writer.releaseLock();
  }
}

/** Whether every byte of `bytes` equals `value`. */
export function allBytes(bytes: Uint8Array, value: number): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== value) return false;
  return true;
}

/** The text as bytes. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

/** What /proc/<pid>/stat says about a process: its state, parent, process group and session. */
export interface ProcStat {
  pid: number;
  /** "R" running, "S" sleeping, "Z" zombie (exited, not yet reaped), and so on. */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
}

/** Reads /proc/<pid>/stat, or null when there is no such process. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
  const [state, ppid, pgrp, session] = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
}

/** Whether the process exists and has not exited (a zombie has exited; it only awaits reaping). */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** The pids of the processes in group `pgid` that have not exited, found by scanning /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = procStat(Number(entry.name));
    if (stat !== null && stat.pgrp === pgid && stat.state !== "Z") members.push(stat.pid);
  }
  return members.sort((a, b) => a - b);
}

/**
 * The processes of group `pgid` still running after up to `ms` ms of waiting for none to be
 * left (a SIGKILLed process ends as soon as the kernel schedules it, a moment after the signal).
 */
export async function survivors(pgid: number, ms = 2000): Promise<number[]> {
  const end = performance.now() + ms;
  for (;;) {
    const members = groupMembers(pgid);
    if (members.length === 0 || performance.now() > end) return members;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until group `pgid` has at least `count` running processes; returns them. */
export async function waitForMembers(pgid: number, count: number, ms = 5000): Promise<number[]> {
  const end = performance.now() + ms;
  for (;;) {
    const members = groupMembers(pgid);
    if (members.length >= count) return members;
    if (performance.now() > end) {
      throw new Error(`Group ${pgid} has ${members.length} processes, not ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** SIGKILLs each of these processes that still runs, one pid at a time (test cleanup). */
export function killEach(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
