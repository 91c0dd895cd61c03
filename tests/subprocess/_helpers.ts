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
