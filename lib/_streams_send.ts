/**
 * Private to {@link H2StreamsConnection}: body sending. A body is pulled from
 * its source only while the stream holds less than `maxStreamSendBuffer`, and
 * cut into DATA frames only within the peer's flow-control windows and
 * `maxOutboundFrameSize`, one frame per stream per round.
 *
 * @module
 */

import type { H2Connection } from "./connection.ts";
import { ErrorCode, H2Error } from "./errors.ts";
import type { HeaderField } from "./events.ts";

/** DATA options, shared rather than allocated per frame. */
const END_STREAM = Object.freeze({ endStream: true });
const NOT_END_STREAM = Object.freeze({ endStream: false });

/** A body that is not a single buffer. */
export type BodySource =
  | ReadableStream<Uint8Array>
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Per-stream sending state: the unsent part of a body. */
interface Outbound {
  readonly streamId: number;
  readonly chunks: Uint8Array[];
  /** Offset into chunks[0] of the first unsent octet. */
  offset: number;
  /** Unsent octets across chunks. */
  queued: number;
  /** No more chunks will be added. */
  ended: boolean;
  trailers: readonly HeaderField[] | undefined;
  sensitive: readonly string[] | undefined;
  finished: boolean;
  resolve: (completed: boolean) => void;
  /** Wakes the body reader when the buffer has room again (or the stream finished). */
  space: (() => void) | undefined;
  /** Cancels the body source. */
  cancel: ((reason: unknown) => void) | undefined;
}

/** What the sender needs from the connection that owns it. */
export interface SendHost {
  readonly connection: H2Connection;
  /** True once the connection is closing. */
  isClosing(): boolean;
  /** Body frames must stop: the engine's buffer is at the soft cap. */
  framesFull(): boolean;
  /** Pumps and schedules a flush. */
  afterAction(): void;
  scheduleFlush(): void;
  /** Our side of the stream is complete. */
  onSent(streamId: number): void;
  /** Resets a stream (the public `reset`). */
  reset(streamId: number, errorCode: number): void;
  /** Fails the connection because of a bug. */
  failInternal(error: unknown): void;
}

/** The sending half of the adapter: per-stream send buffers and the round-robin pump. */
export class Sender {
  /** Streams with a body still being sent. */
  readonly streams: Map<number, Outbound> = new Map();
  /** Streams with bytes or an end ready to hand to the engine. */
  readonly #sendable = new Set<Outbound>();
  readonly #host: SendHost;
  readonly #connection: H2Connection;
  readonly #maxStreamSend: number;

  constructor(host: SendHost, maxStreamSend: number) {
    this.#host = host;
    this.#connection = host.connection;
    this.#maxStreamSend = maxStreamSend;
  }

  /**
   * Sends a body (and trailers) on a stream whose HEADERS went out already.
   * Resolves true once everything is handed to the engine.
   */
  start(
    streamId: number,
    body: Uint8Array | BodySource | undefined,
    trailers: readonly HeaderField[] | undefined,
    sensitive: readonly string[] | undefined,
  ): Promise<boolean> {
    // Not Promise.withResolvers: Node 20 lacks it, and lib/ runs there unchanged.
    let resolve!: (completed: boolean) => void;
    const promise = new Promise<boolean>((settle) => resolve = settle);
    const out: Outbound = {
      streamId,
      chunks: [],
      offset: 0,
      queued: 0,
      ended: false,
      trailers,
      sensitive,
      finished: false,
      resolve,
      space: undefined,
      cancel: undefined,
    };
    this.streams.set(streamId, out);
    if (body === undefined || body instanceof Uint8Array) {
      if (body !== undefined && body.length > 0) this.#enqueue(out, body);
      out.ended = true;
      this.#sendable.add(out);
      this.#host.afterAction();
    } else {
      // The HEADERS go out now, not with the first chunk: a stream that waits for the peer
      // (SSE, extended CONNECT, gRPC server streaming) must not hold back the response head.
      this.#host.scheduleFlush();
      void this.#feed(out, body);
    }
    return promise;
  }

  /** Fails a stream's outgoing body. */
  abort(streamId: number, reason: unknown): void {
    const out = this.streams.get(streamId);
    if (out !== undefined) this.#finish(out, false, reason);
  }

  #enqueue(out: Outbound, chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    out.chunks.push(chunk);
    out.queued += chunk.length;
    this.#sendable.add(out);
  }

  /** Pulls a body source into the stream's send buffer, pausing while it is full. */
  async #feed(out: Outbound, body: BodySource): Promise<void> {
    try {
      if (body instanceof ReadableStream) {
        const reader = body.getReader();
        out.cancel = (reason) => void reader.cancel(reason).catch(() => {});
        while (true) {
          if (out.queued >= this.#maxStreamSend) await this.#waitForRoom(out);
          if (out.finished) return;
          const { value, done } = await reader.read();
          if (done) break;
          if (out.finished) return;
          this.#enqueue(out, value);
          this.#host.afterAction();
        }
      } else if (Symbol.asyncIterator in body) {
        const iterator = body[Symbol.asyncIterator]();
        out.cancel = () => void iterator.return?.()?.catch?.(() => {});
        while (true) {
          if (out.queued >= this.#maxStreamSend) await this.#waitForRoom(out);
          if (out.finished) return;
          const { value, done } = await iterator.next();
          if (done) break;
          if (out.finished) return;
          this.#enqueue(out, value);
          this.#host.afterAction();
        }
      } else {
        for (const chunk of body) {
          if (out.queued >= this.#maxStreamSend) await this.#waitForRoom(out);
          if (out.finished) return;
          this.#enqueue(out, chunk);
          this.#host.afterAction();
        }
      }
    } catch (error) {
      // The body source failed: the peer must not take a truncated body as complete.
      if (!out.finished) this.#host.reset(out.streamId, ErrorCode.INTERNAL_ERROR);
      this.#finish(out, false, error);
      return;
    }
    if (out.finished) return;
    out.ended = true;
    this.#sendable.add(out);
    this.#host.afterAction();
  }

  /**
   * Waits until the stream's send buffer has room or the stream is finished.
   * Callers check for room first: most chunks find some, and an async call
   * per chunk would cost a promise each.
   */
  async #waitForRoom(out: Outbound): Promise<void> {
    while (!out.finished && out.queued >= this.#maxStreamSend) {
      await new Promise<void>((resolve) => out.space = resolve);
    }
  }

  /**
   * Moves body bytes into the engine, one frame per stream per round
   * (round-robin), while windows allow and the engine's buffer is below
   * the soft cap.
   */
  pump(): void {
    if (this.#sendable.size === 0 || this.#host.isClosing()) return;
    let progress = true;
    while (progress && this.#sendable.size > 0) {
      progress = false;
      for (const out of this.#sendable) {
        if (this.#host.framesFull()) return;
        if (this.#step(out)) progress = true;
      }
    }
  }

  /** Sends at most one frame of a stream. Returns true if something was sent. */
  #step(out: Outbound): boolean {
    const conn = this.#connection;
    const id = out.streamId;
    try {
      if (out.queued > 0) {
        const window = conn.localFlowControlWindow(id);
        if (window <= 0) return false;
        const chunk = out.chunks[0]!;
        const size = Math.min(chunk.length - out.offset, window, conn.maxOutboundFrameSize);
        const piece = size === chunk.length ? chunk : chunk.subarray(out.offset, out.offset + size);
        out.offset += size;
        out.queued -= size;
        if (out.offset === chunk.length) {
          out.chunks.shift();
          out.offset = 0;
        }
        const last = out.queued === 0 && out.ended && out.trailers === undefined;
        conn.sendData(id, piece, last ? END_STREAM : NOT_END_STREAM);
        if (last) this.#finish(out, true, undefined);
        else {
          if (out.queued === 0 && !out.ended) this.#sendable.delete(out);
          if (out.space !== undefined && out.queued < this.#maxStreamSend) {
            const space = out.space;
            out.space = undefined;
            space();
          }
        }
        return true;
      }
      if (out.ended) {
        // An empty DATA frame ends the stream: it waits while the window is negative (§6.9.2).
        if (out.trailers === undefined && conn.localFlowControlWindow(id) < 0) return false;
        if (out.trailers !== undefined) {
          conn.sendHeaders(id, [...out.trailers], {
            endStream: true,
            ...(out.sensitive === undefined ? {} : { sensitive: [...out.sensitive] }),
          });
        } else {
          conn.endStream(id);
        }
        this.#finish(out, true, undefined);
        return true;
      }
      this.#sendable.delete(out);
      return false;
    } catch (error) {
      // An H2Error: the stream was closed under us (e.g. reset by a peer in the same batch).
      this.#finish(out, false, error);
      // Anything else is a bug. It runs in write callbacks and microtasks, where a throw would
      // end the whole process: fail this connection only, loudly (error, GOAWAY INTERNAL_ERROR).
      if (!(error instanceof H2Error)) this.#host.failInternal(error);
      return false;
    }
  }

  #finish(out: Outbound, completed: boolean, reason: unknown): void {
    if (out.finished) return;
    out.finished = true;
    out.chunks.length = 0;
    out.queued = 0;
    this.#sendable.delete(out);
    if (this.streams.get(out.streamId) === out) this.streams.delete(out.streamId);
    if (!completed) out.cancel?.(reason);
    const space = out.space;
    out.space = undefined;
    space?.();
    out.resolve(completed);
    if (completed) this.#host.onSent(out.streamId);
  }
}
