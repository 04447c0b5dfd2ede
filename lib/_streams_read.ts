/**
 * Private to {@link H2StreamsConnection}: reading the transport. When the
 * readable is a byte stream (`getReader({ mode: "byob" })` works, as for a
 * runtime's TCP connection), reads go into a buffer of our own, sized to the traffic
 * (1 KiB while a connection idles, doubling to 256 KiB while reads fill it),
 * and that buffer is read into again as long as nothing received from it is
 * still referenced: no fresh buffer per read, so no garbage that grows the
 * process between collections. Any other readable is read chunk by chunk.
 *
 * @module
 */

/** The smallest read buffer: what an idle connection parks in its pending read. */
const MIN_READ = 1_024;
/**
 * The largest read buffer. 64 KiB was measured slower than 256 KiB for 1 MiB
 * uploads (docs/perf.md).
 */
const MAX_READ = 262_144;

/** Reads chunks from a transport, reusing one buffer where the readable allows it. */
export class ChunkReader {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #default: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The buffer the next read fills, when nothing received from it is still referenced. */
  #spare: ArrayBuffer | undefined;
  /** The buffer of the chunk last returned (BYOB only). */
  #current: ArrayBuffer | undefined;
  #size = MIN_READ;

  /**
   * Locks `readable`: as a BYOB reader when it is a byte stream, else with a
   * default reader.
   */
  constructor(readable: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = readable.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream (a TransformStream's readable, say): chunks as they come.
    }
    this.#byob = byob;
    this.#default = byob === undefined ? readable.getReader() : undefined;
  }

  /** The next chunk; `done` at the end of the stream. Rejects when the transport fails. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const byob = this.#byob;
    if (byob === undefined) return this.#default!.read();
    const size = this.#size;
    let buffer = this.#spare;
    this.#spare = undefined;
    this.#current = undefined; // kept by whoever holds its views, not by an idle reader
    // A spare much larger than the traffic now needs is let go: an idle
    // connection holds a small buffer in its pending read.
    if (buffer === undefined || buffer.byteLength < size || buffer.byteLength > size * 2) {
      buffer = new ArrayBuffer(size);
    }
    return byob.read(new Uint8Array(buffer, 0, size));
  }

  /**
   * Takes note of a chunk {@link read} returned, before it is processed: its
   * buffer (a standard BYOB read transfers it, so the chunk views its new
   * identity) and how full it was, which sizes the next read. A separate call
   * rather than a `then` on every read: one promise and closure fewer each.
   */
  accept(result: ReadableStreamReadResult<Uint8Array>): void {
    const chunk = result.value;
    if (this.#byob === undefined || result.done || chunk === undefined) return;
    this.#current = chunk.buffer as ArrayBuffer;
    const size = this.#size;
    const n = chunk.length;
    if (n === size) this.#size = Math.min(size * 2, MAX_READ);
    else if (n < size >>> 2) this.#size = Math.max(size >>> 1, MIN_READ);
  }

  /**
   * The chunk last read has been processed and no view of it was kept (no
   * body data queued, no event bytes handed out): its buffer is read into
   * next. Call at most once per chunk, and only when that holds; a chunk
   * never released is left to its holders.
   */
  release(): void {
    this.#spare = this.#current;
    this.#current = undefined;
  }

  /** Cancels the readable (the transport's reading side). */
  cancel(): Promise<void> {
    return (this.#byob ?? this.#default!).cancel();
  }
}
