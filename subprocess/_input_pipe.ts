// Private helper: the parent's end of a child's stdin.
//
// An InputPipe owns the writer of the Deno pipe stream, so it can always release it (even while
// a user holds a writer on the public stream), and exposes a public WritableStream that forwards
// to it.

/** The parent's end of a child's stdin pipe. */
export class InputPipe {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #stream: WritableStream<Uint8Array>;
  #released = false;

  /** Takes over the given Deno pipe stream. */
  constructor(sink: WritableStream<Uint8Array>) {
    this.#writer = sink.getWriter();
    this.#stream = new WritableStream<Uint8Array>({
      write: (chunk) => this.#writer.write(chunk),
      close: () => this.#writer.close(),
      abort: (reason) => this.#writer.abort(reason),
    }, { highWaterMark: 1 });
  }

  /** The public stream to the child's stdin. */
  get stream(): WritableStream<Uint8Array> {
    return this.#stream;
  }

  /**
   * Writes `input` (if any) through the public stream and closes it, so the child sees end of
   * file. A child that exits or closes its stdin before reading everything is not an error
   * (Python ignores `BrokenPipeError` here too); neither is a release by {@linkcode close}, nor
   * a stdin the caller has already closed when there is no input to send.
   */
  async feed(input: Uint8Array | undefined): Promise<void> {
    const writer = this.#stream.getWriter();
    try {
      if (input !== undefined && input.byteLength > 0) {
        try {
          await writer.write(input);
        } catch (error) {
          if (this.#released || error instanceof Deno.errors.BrokenPipe) return;
          throw error;
        }
      }
      // Fails only if already closed (by the caller) or broken (the child went away).
      await writer.close().catch(() => {});
    } finally {
      writer.releaseLock();
    }
  }

  /** Pipes `source` into the child's stdin until it ends, `signal` aborts or the pipe breaks. */
  async pipeFrom(source: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    try {
      await source.pipeTo(this.#stream, { signal });
    } catch {
      // Aborted, or the child stopped reading: the source has been cancelled, as a shell
      // pipeline's writer gets SIGPIPE when its reader goes away.
    }
  }

  /** Closes the pipe's resource at once (pending writes fail). Idempotent; never rejects. */
  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#writer.abort(new Deno.errors.BrokenPipe("The child's stdin was closed")).catch(
      () => {},
    );
  }
}
