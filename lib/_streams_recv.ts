/**
 * Private to {@link H2StreamsConnection}: received bodies. DATA is queued per
 * stream and handed to a `ReadableStream` whose consumption drives
 * `acknowledgeReceivedData` (RFC 9113 §5.2.2), and bodies nobody reads are
 * acknowledged and dropped.
 *
 * @module
 */

import type { H2Connection } from "./connection.ts";
import { ErrorCode, H2Error, NoSuchStreamError } from "./errors.ts";

/** The stream window we advertise by default; also what an unread request body may absorb. */
export const DEFAULT_STREAM_WINDOW = 1_048_576;
/** Read-buffer bytes that queued DATA views may keep alive per connection before copies start. */
const PIN_BUDGET = 4_194_304;

/** Per-stream receiving state: DATA waiting for its consumer. */
export interface Inbound {
  /** Undelivered DATA: the bytes, their flow-controlled size, the buffer size they pin. */
  readonly queue: { data: Uint8Array; ack: number; pinned: number }[];
  ended: boolean;
  failure: unknown;
  taken: boolean;
  /** A request body (server side): dropped once the response is sent if nobody took it. */
  readonly isRequest: boolean;
  /**
   * Set once the response is complete and nobody took the body: the octets
   * still accepted (acknowledged and dropped) before the stream is reset.
   */
  discarding: number | undefined;
  wake: (() => void) | undefined;
  /** Set by `drain`: the body is counted and acknowledged as it comes, never kept. */
  drain:
    | { octets: number; resolve(octets: number): void; reject(reason: unknown): void }
    | undefined;
}

/** What the receiver needs from the connection that owns it. */
export interface RecvHost {
  readonly connection: H2Connection;
  /** True once the connection is closing. */
  isClosing(): boolean;
  scheduleFlush(): void;
  /** Octets credited back to the peer (the BDP estimator's samples). */
  consumed(size: number): void;
}

/** The receiving half of the adapter: per-stream queues of received DATA. */
export class Receiver {
  /** Streams whose body may still be read. */
  readonly streams: Map<number, Inbound> = new Map();
  readonly #host: RecvHost;
  readonly #connection: H2Connection;
  /** Bytes of read buffers kept alive by queued DATA views. */
  #pinned = 0;

  constructor(host: RecvHost) {
    this.#host = host;
    this.#connection = host.connection;
  }

  /** Starts tracking the body of a stream. */
  open(streamId: number, isRequest: boolean, ended: boolean): void {
    this.streams.set(streamId, newInbound(isRequest, ended));
  }

  /** The body of a stream as a `ReadableStream` (see `requestBody`). */
  body(streamId: number): ReadableStream<Uint8Array> {
    const inbound = this.#take(streamId);
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (this.#deliver(streamId, inbound, controller)) return;
        return new Promise<void>((resolve) => inbound.wake = resolve).then(() => {
          this.#deliver(streamId, inbound, controller);
        });
      },
      cancel: () => this.discard(streamId, inbound, ErrorCode.CANCEL),
    }, { highWaterMark: 0 });
  }

  /**
   * The body of a stream, counted and dropped as it arrives (see
   * `drainBody`): resolves with its length once it ends.
   */
  drain(streamId: number): Promise<number> {
    const inbound = this.#take(streamId);
    return new Promise<number>((resolve, reject) => {
      inbound.drain = { octets: 0, resolve, reject };
      for (const item of inbound.queue) inbound.drain.octets += item.data.length;
      this.#dropQueue(streamId, inbound);
      this.#host.scheduleFlush();
      this.#settleDrain(streamId, inbound);
    });
  }

  /** Marks a body as taken by its one reader. */
  #take(streamId: number): Inbound {
    const inbound = this.streams.get(streamId);
    if (inbound === undefined) {
      throw new TypeError(`Cannot read the body of stream "${streamId}": it is unknown or gone`);
    }
    if (inbound.taken || inbound.discarding !== undefined) {
      throw new TypeError(
        `Cannot read the body of stream "${streamId}": it was taken already or the response is sent`,
      );
    }
    inbound.taken = true;
    return inbound;
  }

  /**
   * Takes a DATA payload for its stream's body.
   *
   * @returns Whether `data` itself was kept (queued as a view, so the buffer
   *   behind it must not be written again).
   */
  recvData(streamId: number, data: Uint8Array, flowControlledLength: number): boolean {
    const inbound = this.streams.get(streamId);
    if (inbound === undefined || inbound.ended || inbound.discarding !== undefined) {
      // Nobody will read it (body cancelled, unknown, or answered already): give the window back.
      this.#ack(flowControlledLength, streamId);
      if (inbound?.discarding !== undefined) {
        inbound.discarding -= flowControlledLength;
        if (inbound.discarding < 0) this.discard(streamId, inbound, ErrorCode.NO_ERROR);
      }
      return false;
    }
    if (inbound.drain !== undefined) {
      inbound.drain.octets += data.length;
      this.#ack(flowControlledLength, streamId);
      return false;
    }
    // Padding (§6.1) is never delivered, so it is acknowledged at once.
    if (flowControlledLength > data.length) this.#ack(flowControlledLength - data.length, streamId);
    if (data.length === 0) return false;
    // The payload is a view of the received chunk (or of a fresh buffer the decoder made for a
    // split frame); neither is reused, so it is queued as is. A queued view keeps its whole
    // buffer alive, though: past PIN_BUDGET of such buffers per connection, small frames are
    // copied, so a peer cannot pin large read buffers with tiny unread frames.
    const cost = data.buffer.byteLength;
    const pinned = this.#pinned + cost <= PIN_BUDGET ? cost : 0;
    this.#pinned += pinned;
    inbound.queue.push({ data: pinned > 0 ? data : data.slice(), ack: data.length, pinned });
    wake(inbound);
    return pinned > 0;
  }

  endInbound(streamId: number): void {
    const inbound = this.streams.get(streamId);
    if (inbound === undefined) return;
    inbound.ended = true;
    if (inbound.discarding !== undefined) this.streams.delete(streamId);
    this.#settleDrain(streamId, inbound);
    wake(inbound);
  }

  /** A drained body that has ended (or failed) settles its promise. */
  #settleDrain(streamId: number, inbound: Inbound): void {
    const drain = inbound.drain;
    if (drain === undefined) return;
    if (inbound.failure !== undefined) {
      inbound.drain = undefined;
      drain.reject(inbound.failure);
    } else if (inbound.ended) {
      inbound.drain = undefined;
      this.streams.delete(streamId);
      drain.resolve(drain.octets);
    }
  }

  /** Fails a stream's received body. */
  abort(streamId: number, reason: unknown): void {
    const inbound = this.streams.get(streamId);
    if (inbound !== undefined) {
      this.streams.delete(streamId);
      // The stream is gone, but its unread DATA still counts against the connection window.
      this.#dropQueue(streamId, inbound);
      if (inbound.taken) {
        inbound.failure = reason;
        this.#settleDrain(streamId, inbound);
        wake(inbound);
      }
    }
  }

  /**
   * Our side of a stream is complete: drop a request body nobody asked for.
   * RFC 9113 §8.1 lets a server then reset the stream with NO_ERROR; we first
   * absorb up to one default stream window of it (acknowledged, dropped), so
   * a short body still ends normally and the engine keeps judging the rest of
   * the request, and reset only a long upload.
   */
  onSent(streamId: number): void {
    const inbound = this.streams.get(streamId);
    if (inbound === undefined || inbound.taken || !inbound.isRequest) return;
    if (inbound.ended) {
      this.discard(streamId, inbound, ErrorCode.NO_ERROR);
      return;
    }
    this.#dropQueue(streamId, inbound);
    inbound.discarding = DEFAULT_STREAM_WINDOW;
    this.#host.scheduleFlush();
  }

  /** Hands the next piece of a received body to its reader. Returns false if there is nothing yet. */
  #deliver(
    streamId: number,
    inbound: Inbound,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): boolean {
    const item = inbound.queue.shift();
    if (item !== undefined) {
      this.#pinned -= item.pinned;
      controller.enqueue(item.data);
      this.#ack(item.ack, streamId);
      this.#host.scheduleFlush();
      if (inbound.queue.length === 0 && inbound.ended) {
        controller.close();
        this.streams.delete(streamId);
      }
      return true;
    }
    if (inbound.failure !== undefined) {
      controller.error(inbound.failure);
      return true;
    }
    if (inbound.ended) {
      controller.close();
      this.streams.delete(streamId);
      return true;
    }
    return false;
  }

  /** Drops a received body nobody will read: acknowledges it and, if the peer is still sending, resets. */
  discard(streamId: number, inbound: Inbound, errorCode: number): void {
    if (this.streams.get(streamId) !== inbound) return;
    this.streams.delete(streamId);
    this.#dropQueue(streamId, inbound);
    if (!inbound.ended && !this.#host.isClosing()) {
      try {
        this.#connection.resetStream(streamId, errorCode);
      } catch (error) {
        if (!(error instanceof NoSuchStreamError)) throw error;
      }
    }
    this.#host.scheduleFlush();
  }

  /** Forgets undelivered DATA, giving its flow-control credit back (at least the connection's). */
  #dropQueue(streamId: number, inbound: Inbound): void {
    let unread = 0;
    for (const item of inbound.queue) {
      unread += item.ack;
      this.#pinned -= item.pinned;
    }
    inbound.queue.length = 0;
    if (unread > 0) this.#ack(unread, streamId);
  }

  #ack(size: number, streamId: number): void {
    if (this.#host.isClosing()) return;
    try {
      this.#connection.acknowledgeReceivedData(size, streamId);
    } catch (error) {
      // The stream is gone; the engine credits what it can. Anything else is a bug.
      if (!(error instanceof H2Error)) throw error;
    }
    this.#host.consumed(size);
  }
}

function newInbound(isRequest: boolean, ended: boolean): Inbound {
  return {
    queue: [],
    ended,
    failure: undefined,
    taken: false,
    isRequest,
    discarding: undefined,
    wake: undefined,
    drain: undefined,
  };
}

function wake(inbound: Inbound): void {
  const resolve = inbound.wake;
  if (resolve !== undefined) {
    inbound.wake = undefined;
    resolve();
  }
}
