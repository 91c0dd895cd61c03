// Private helper: the parent's end of a child's stdout or stderr (or of both, merged).
//
// An OutputPipe owns the readers of the Deno pipe streams, so it can always release them (even
// while a user holds a reader on the public stream). It exposes one public ReadableStream that
// pulls chunk by chunk (no read-ahead beyond one chunk per pipe, so an unread pipe applies
// backpressure to the child), and a background drain that collects everything into memory for
// communicate().

type Arrival =
  | {
    reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>;
    result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
  }
  | { reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>; error: unknown };

/** The parent's end of one output pipe, or of two merged in arrival order. */
export class OutputPipe {
  #active: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>[];
  #readers: readonly ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>[];
  #pending = new Set<ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>>();
  #arrivals: Arrival[] = [];
  #wake: (() => void) | undefined = undefined;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | undefined = undefined;
  #controller: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>> | undefined = undefined;
  #ended = false;
  #chunks: Uint8Array<ArrayBuffer>[] = [];
  #size = 0;
  #drained: Promise<void> | undefined = undefined;
  #drainLock: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | undefined = undefined;
  #pulled = false;
  #closing: Promise<void> | undefined = undefined;

  /** Takes over the given Deno pipe streams (one, or two to merge). */
  constructor(sources: readonly ReadableStream<Uint8Array<ArrayBuffer>>[]) {
    this.#readers = sources.map((source) => source.getReader());
    this.#active = [...this.#readers];
  }

  /**
   * The public stream of the pipe's bytes, made on first use. Made while a drain runs, it is
   * locked until the drain ends (and then at its end).
   */
  get stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    if (this.#stream === undefined) {
      this.#stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        start: (controller) => {
          this.#controller = controller;
          if (this.#ended) controller.close();
        },
        pull: async (controller) => {
          this.#pulled = true;
          const chunk = await this.#next();
          if (this.#ended) return;
          if (chunk === null) this.#end();
          else controller.enqueue(chunk);
        },
        cancel: () => this.close(),
      }, { highWaterMark: 0 });
      if (this.#drained !== undefined && !this.#ended) this.#drainLock = this.#stream.getReader();
    }
    return this.#stream;
  }

  /** Whether the public stream exists and is locked by a reader. */
  get locked(): boolean {
    return this.#stream?.locked ?? false;
  }

  /** Whether a background drain has started. */
  get draining(): boolean {
    return this.#drained !== undefined;
  }

  /**
   * Starts (once) reading the pipe to its end in the background, keeping every chunk; returns
   * a promise that resolves at the end (never rejects: a read error ends the drain). The drain
   * holds the public stream's lock; the caller must check that it is not locked first.
   */
  drain(): Promise<void> {
    if (this.#drained === undefined) {
      // If the public stream was never read, nothing can be queued in it, so the drain reads
      // the pipes directly, skipping a layer of streams.
      this.#drainLock = this.#stream?.getReader();
      const direct = !this.#pulled;
      this.#drained = (async () => {
        try {
          for (;;) {
            let chunk: Uint8Array<ArrayBuffer> | null;
            if (direct) {
              chunk = await this.#next();
            } else {
              const result = await this.#drainLock!.read();
              chunk = result.done ? null : result.value;
            }
            if (chunk === null) break;
            this.#chunks.push(chunk);
            this.#size += chunk.byteLength;
          }
        } catch {
          // The pipe broke or was released: what was read so far is the output.
        } finally {
          this.#end();
          this.#drainLock?.releaseLock();
          this.#drainLock = undefined;
        }
      })();
    }
    return this.#drained;
  }

  /** The bytes drained so far. */
  snapshot(): Uint8Array<ArrayBuffer> {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const bytes = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#chunks = [bytes];
    return bytes;
  }

  /**
   * Releases the pipes: cancels the Deno streams (closing their resources, and ending any
   * pending read), ends the public stream, and waits for a running drain to stop.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#readers.map((reader) => reader.cancel().catch(() => {})));
      this.#end();
      await this.#drained;
    })();
    return this.#closing;
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.#controller?.close();
    } catch {
      // Already closed or errored.
    }
  }

  // The next chunk from any pipe, in the order chunks arrive; null once every pipe has ended.
  async #next(): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#readers.length === 1) {
      const result = await this.#readers[0].read();
      return result.done ? null : result.value;
    }
    for (;;) {
      for (const reader of this.#active) {
        if (this.#pending.has(reader)) continue;
        this.#pending.add(reader);
        reader.read().then(
          (result) => this.#arrive({ reader, result }),
          (error) => this.#arrive({ reader, error }),
        );
      }
      while (this.#arrivals.length === 0) {
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      const arrival = this.#arrivals.shift()!;
      this.#pending.delete(arrival.reader);
      if ("error" in arrival) throw arrival.error;
      if (!arrival.result.done) return arrival.result.value;
      this.#active = this.#active.filter((reader) => reader !== arrival.reader);
      if (this.#active.length === 0) return null;
    }
  }

  #arrive(arrival: Arrival): void {
    this.#arrivals.push(arrival);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
