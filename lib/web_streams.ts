/**
 * The I/O edge of the stack: wires a Sans-IO {@link H2Connection} to any
 * `{ readable, writable }` pair of Web Streams — a Deno socket, a TLS
 * connection, a `TransformStream` pair in tests — and turns the engine's
 * events into request/response bodies that are themselves streams.
 *
 * What it adds on top of the engine (no runtime-specific API, no timers):
 *
 * - **Writes.** After every action the engine's `dataToSend()` is flushed.
 *   At most one write is in flight; everything produced meanwhile is coalesced
 *   into the next write, so a burst of responses costs one `write()` (the
 *   synchronous `onEvent` mode batches a whole read chunk's responses).
 * - **Backpressure, outbound.** At most `maxOutboundBuffer` (512 KiB, h2o's
 *   soft cap) is ever pending: reading from the transport stops while more
 *   than half of it waits to be written, and body frames stop while half of
 *   it is queued behind the write in flight. So a peer that does not read
 *   cannot make us queue its PING ACKs or DATA without bound
 *   (CVE-2019-9517, CVE-2019-9511). Bodies are pulled
 *   from their source only while the stream holds less than
 *   `maxStreamSendBuffer` (400 KiB, hyper's `max_send_buffer_size`) and cut into
 *   DATA frames only within the peer's flow-control windows and
 *   `maxOutboundFrameSize`, resuming on `WindowUpdated` and
 *   `RemoteSettingsChanged`.
 * - **Backpressure, inbound.** Received bodies are `ReadableStream`s whose
 *   consumption drives `acknowledgeReceivedData`: a slow consumer keeps the
 *   window closed and the peer stalls (RFC 9113 §5.2.2).
 * - **Windows.** {@link H2StreamsConnection.server} advertises a 1 MiB stream
 *   window (SETTINGS_INITIAL_WINDOW_SIZE) and opens the connection window to
 *   16 MiB with a WINDOW_UPDATE, so one fast upload is not throttled by the
 *   RFC's 64 KiB default while memory per connection stays bounded by what
 *   the application leaves unread. hyper and Go use 1 MiB per stream too;
 *   the connection window is larger than theirs (1 MiB) so that sixteen
 *   concurrent uploads each still get a full stream window.
 * - **Adaptive windows.** Unless the caller chose the windows, they grow
 *   from a bandwidth-delay estimate (hyper's and grpc-go's BDP PINGs): while
 *   received bodies are consumed, one PING at a time measures how much is
 *   consumed per round trip, and a sample of at least 2/3 of a window doubles
 *   it (SETTINGS_INITIAL_WINDOW_SIZE for streams, WINDOW_UPDATE for the
 *   connection), up to 16 MiB per stream and 16 MiB per connection (its
 *   starting size: the memory a stalled reader may leave buffered stays what
 *   it was without growth; raise `maxConnectionWindow` for many concurrent
 *   fast uploads over long round trips). The ACKs of these PINGs are not
 *   surfaced as events.
 * - **Lifecycle.** A peer reset cancels the stream's body source and errors
 *   its received body; a connection error (an `H2Error` out of `receiveData`)
 *   closes the transport once the GOAWAY is flushed; an `AbortSignal` (or
 *   {@link H2StreamsConnection.shutdown}) starts a graceful shutdown.
 *
 * @module
 */

import type { H2Connection } from "./connection.ts";
import { ErrorCode, H2Error, NoSuchStreamError } from "./errors.ts";
import type { H2Event, HeaderField } from "./events.ts";
import { ChunkReader } from "./_streams_read.ts";
import { Receiver } from "./_streams_recv.ts";
import { initiate } from "./_streams_init.ts";
import { Sender } from "./_streams_send.ts";
import { type BdpEstimator, isBdpPing } from "./_bdp.ts";
import { SettingCode } from "./constants.ts";

import {
  type H2Body,
  type H2SendOptions,
  type H2StreamsConnectOptions,
  type H2StreamsOptions,
  type H2Transport,
  StreamResetError,
} from "./web_streams_types.ts";

export type { H2Body, H2SendOptions, H2StreamsConnectOptions, H2StreamsOptions, H2Transport };
export { StreamResetError };

/**
 * An {@link H2Connection} driven over a Web Streams transport. Iterate it
 * (`for await (const event of h2)`) or pass `onEvent` for the events; read
 * bodies with {@link requestBody}/{@link responseBody}; send with
 * {@link respond}/{@link request}. `DataReceived` events are consumed here
 * and surface only through the body streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { H2StreamsConnection } from "./web_streams.ts";
 *
 * // Two in-memory pipes stand in for a socket.
 * const up = new TransformStream<Uint8Array, Uint8Array>();
 * const down = new TransformStream<Uint8Array, Uint8Array>();
 * const server = H2StreamsConnection.server({ readable: up.readable, writable: down.writable }, {
 *   onEvent(event) {
 *     if (event.type === "RequestReceived") {
 *       server.respond(event.streamId, [[":status", "200"]], new TextEncoder().encode("hi"));
 *     }
 *   },
 * });
 * const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
 * const { streamId } = client.request([
 *   [":method", "GET"], [":scheme", "http"], [":authority", "example"], [":path", "/"],
 * ]);
 * for await (const event of client) {
 *   if (event.type === "ResponseReceived") break;
 * }
 * assert.equal(await new Response(client.responseBody(streamId)).text(), "hi");
 * await client.close();
 * await server.closed;
 * ```
 */
export class H2StreamsConnection implements AsyncIterable<H2Event> {
  /** The Sans-IO engine, for anything this adapter does not wrap (ping, priorities, settings). */
  readonly connection: H2Connection;
  /** Resolves once the transport is closed (never rejects; see {@link error}). */
  readonly closed: Promise<void>;

  #reader: ChunkReader;
  /**
   * A view of the chunk being received was kept: queued body data. (The engine
   * copies PING data and GOAWAY debug data into its events, lib/_recv.ts, so
   * DATA payloads are the only views of a chunk that leave `receiveData`.)
   */
  #chunkKept = false;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #onEvent: ((event: H2Event) => void) | undefined;
  #maxOutbound: number;
  #maxQueued: number;

  /** Created for the first body that is not sent at once (an idle connection has none). */
  #sender: Sender | undefined;
  #maxStreamSend: number;
  #receiver: Receiver;
  /** Bytes read before this object existed, taken (and dropped) by the read loop. */
  #initialData: Uint8Array | undefined;
  /** Adaptive windows (set by the factories), or undefined for fixed ones. */
  #bdp: BdpEstimator | undefined;

  #events: H2Event[] = [];
  #eventHead = 0;
  #eventWaiter: (() => void) | undefined;

  #inDispatch = false;
  #flushScheduled = false;
  #flushTask: (() => void) | undefined;
  #onWritten: (() => void) | undefined;
  #onWriteFailed: ((error: unknown) => void) | undefined;
  #writing = false;
  #inFlight = 0;
  #flushWaiters: (() => void)[] = [];
  #resumeReading: (() => void) | undefined;

  #closing = false;
  /** The writable failed or is closed: nothing more can be written. */
  #writeDead = false;
  #shuttingDown = false;
  #error: unknown = undefined;
  #resolveClosed!: () => void;
  #bytesRead = 0;
  #bytesWritten = 0;

  /**
   * Starts driving an engine that is already initiated (its preface is in
   * `dataToSend()`). Most callers want {@link H2StreamsConnection.server} or
   * {@link H2StreamsConnection.client}, which also set the windows.
   *
   * @param connection An initiated engine.
   * @param transport The byte streams; both are locked by this object.
   * @param options Event delivery, limits and the shutdown signal.
   */
  constructor(connection: H2Connection, transport: H2Transport, options: H2StreamsOptions = {}) {
    this.connection = connection;
    this.#reader = new ChunkReader(transport.readable);
    this.#writer = transport.writable.getWriter();
    this.#onEvent = options.onEvent;
    this.#maxOutbound = options.maxOutboundBuffer ?? 524_288;
    this.#maxQueued = options.maxQueuedEvents ?? 256;
    this.#maxStreamSend = options.maxStreamSendBuffer ?? 409_600;
    this.#initialData = options.initialData;
    // Created once: the helper reaches back through these, never through per-chunk closures.
    this.#receiver = new Receiver({
      connection,
      isClosing: () => this.#closing,
      scheduleFlush: () => this.#scheduleFlush(),
      consumed: (size) => this.#consumed(size),
    });
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.shutdown();
      else {
        // One signal may serve many connections: do not let it hold the closed ones.
        const onAbort = () => this.shutdown();
        signal.addEventListener("abort", onAbort, { once: true });
        void this.closed.then(() => signal.removeEventListener("abort", onAbort));
      }
    }
    this.#flushNow();
    // Started on a microtask so that `onEvent` never runs before the constructor returns.
    queueMicrotask(() => void this.#readLoop());
  }

  /**
   * A server-side connection: advertises the receive windows, sends the
   * server preface (or, with `upgradeSettings`, takes the h2c upgrade) and
   * starts reading.
   *
   * @param transport The byte streams.
   * @param options Windows, engine options, event delivery, limits.
   * @returns The running connection.
   */
  static server(
    transport: H2Transport,
    options: H2StreamsConnectOptions = {},
  ): H2StreamsConnection {
    return H2StreamsConnection.#start(false, transport, options);
  }

  /**
   * A client-side connection: sends the client preface with our receive
   * windows and starts reading.
   *
   * @param transport The byte streams.
   * @param options Windows, engine options, event delivery, limits.
   * @returns The running connection.
   */
  static client(
    transport: H2Transport,
    options: H2StreamsConnectOptions = {},
  ): H2StreamsConnection {
    return H2StreamsConnection.#start(true, transport, options);
  }

  static #start(
    clientSide: boolean,
    transport: H2Transport,
    options: H2StreamsConnectOptions,
  ): H2StreamsConnection {
    const { connection, bdp } = initiate(clientSide, options);
    const h2 = new H2StreamsConnection(connection, transport, options);
    h2.#bdp = bdp; // before the first read, which starts on a microtask
    return h2;
  }

  /** The error that ended the connection (an `H2Error` for protocol errors), if any. */
  get error(): unknown {
    return this.#error;
  }

  /** Octets read from the transport so far (for idle detection). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Octets written to the transport so far. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** True once the connection is closing or closed. */
  get isClosed(): boolean {
    return this.#closing;
  }

  /**
   * Events in wire order, except `DataReceived` (read bodies instead) and
   * `WindowUpdated` (flow control is handled here); ends when the connection
   * closes. Reading from the transport pauses while `maxQueuedEvents` wait
   * here, so iterate (or pass `onEvent`) for as long as the connection lives.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<H2Event, void, undefined> {
    while (true) {
      if (this.#eventHead < this.#events.length) {
        const event = this.#events[this.#eventHead]!;
        this.#eventHead++;
        if (this.#eventHead === this.#events.length) {
          this.#events = [];
          this.#eventHead = 0;
        }
        this.#wakeReader();
        yield event;
        continue;
      }
      if (this.#closing) return;
      await new Promise<void>((resolve) => this.#eventWaiter = resolve);
    }
  }

  /**
   * Sends a response: the header block, then the body within the peer's
   * flow-control windows, then the trailers or END_STREAM. When the request
   * body was never taken with {@link requestBody} and is still arriving, the
   * rest of it is acknowledged and dropped; past 1 MiB more the stream is
   * reset with NO_ERROR (RFC 9113 §8.1: the client may stop).
   *
   * @param streamId The request's stream.
   * @param headers The response fields, `:status` first.
   * @param body The body; none for an empty one.
   * @param options Trailers, never-indexed names.
   * @returns Resolves `true` once everything is handed to the engine, `false`
   *   if the stream was reset or the connection closed first (never rejects
   *   for those, so an unawaited call cannot crash the process).
   * @throws {TypeError} Misuse, e.g. invalid header fields (as a rejection).
   */
  respond(
    streamId: number,
    headers: readonly HeaderField[],
    body?: H2Body,
    options: H2SendOptions = {},
  ): Promise<boolean> {
    return this.#send(streamId, headers, body, options);
  }

  /**
   * Client side: opens a stream with a request and sends its body.
   *
   * @param headers The request fields, pseudo-headers first.
   * @param body The body; none for an empty one.
   * @param options Trailers, never-indexed names.
   * @returns The new stream id and a promise like {@link respond}'s.
   */
  request(
    headers: readonly HeaderField[],
    body?: H2Body,
    options: H2SendOptions = {},
  ): { streamId: number; sent: Promise<boolean> } {
    const streamId = this.connection.getNextAvailableStreamId();
    this.#receiver.open(streamId, false, false);
    return { streamId, sent: this.#send(streamId, headers, body, options) };
  }

  /**
   * The body of a received request as a stream. Reading it acknowledges the
   * data to the peer (the window reopens only as fast as it is consumed);
   * cancelling it resets the stream with CANCEL. It errors with a
   * {@link StreamResetError} if the stream is reset.
   *
   * @param streamId A stream announced by `RequestReceived`.
   * @returns The body; each call for a stream must be the first.
   * @throws {TypeError} If the stream has no pending body or it was taken already.
   */
  requestBody(streamId: number): ReadableStream<Uint8Array> {
    return this.#receiver.body(streamId);
  }

  /**
   * Reads the body of a received request (or, client side, response) to its
   * end without keeping it: each DATA frame is counted and acknowledged as it
   * arrives, and the read buffer it came in is reused. For bodies that only
   * need to be measured, checked against a limit by length, or thrown away
   * while the stream still finishes normally.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { H2StreamsConnection } from "./web_streams.ts";
   *
   * const up = new TransformStream<Uint8Array, Uint8Array>();
   * const down = new TransformStream<Uint8Array, Uint8Array>();
   * const server = H2StreamsConnection.server({ readable: up.readable, writable: down.writable }, {
   *   onEvent(event) {
   *     if (event.type !== "RequestReceived") return;
   *     void server.drainBody(event.streamId).then((octets) =>
   *       server.respond(event.streamId, [[":status", "200"]], new TextEncoder().encode(`${octets}`))
   *     );
   *   },
   * });
   * const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
   * const { streamId } = client.request([
   *   [":method", "POST"], [":scheme", "http"], [":authority", "example"], [":path", "/"],
   * ], new Uint8Array(100_000));
   * for await (const event of client) {
   *   if (event.type === "ResponseReceived") break;
   * }
   * assert.equal(await new Response(client.responseBody(streamId)).text(), "100000");
   * await client.close();
   * ```
   *
   * @param streamId A stream announced by `RequestReceived` (or opened with {@link request}).
   * @returns The body's length in octets (padding excluded), once it ends.
   *   Rejects with a {@link StreamResetError} if the stream is reset first.
   * @throws {TypeError} If the body was taken already or the stream is gone.
   */
  drainBody(streamId: number): Promise<number> {
    return this.#receiver.drain(streamId);
  }

  /**
   * Client side: the body of a response, like {@link requestBody}.
   *
   * @param streamId A stream opened with {@link request}.
   * @returns The body.
   * @throws {TypeError} If the body was taken already or the stream is gone.
   */
  responseBody(streamId: number): ReadableStream<Uint8Array> {
    return this.requestBody(streamId);
  }

  /**
   * Resets a stream (RST_STREAM) and drops what it was sending or receiving.
   *
   * @param streamId The stream.
   * @param errorCode The RFC 9113 §7 code. @default ErrorCode.CANCEL
   */
  reset(streamId: number, errorCode: number = ErrorCode.CANCEL): void {
    const reason = new StreamResetError(streamId, errorCode);
    this.#abortStream(streamId, reason);
    try {
      this.connection.resetStream(streamId, errorCode);
    } catch (error) {
      if (!(error instanceof NoSuchStreamError)) throw error;
    }
    this.#afterAction();
  }

  /**
   * Writes everything queued so far.
   *
   * @returns Resolves when the engine's buffer is empty and no write is in flight.
   */
  flush(): Promise<void> {
    this.#sender?.pump();
    this.#flushNow();
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  /**
   * Graceful shutdown: `startGracefulShutdown()` (GOAWAY with the largest
   * stream id, then a PING; on its ACK the final GOAWAY with the real last
   * stream id). Streams already accepted finish; the transport closes once
   * none is left. Idempotent.
   */
  shutdown(): void {
    if (this.#shuttingDown || this.#closing) return;
    this.#shuttingDown = true;
    this.connection.startGracefulShutdown();
    this.#afterAction();
  }

  /**
   * Closes at once: GOAWAY with `errorCode`, flush, close the transport.
   * In-flight streams fail.
   *
   * @param errorCode The GOAWAY code. @default ErrorCode.NO_ERROR
   * @returns {@link closed}.
   */
  close(errorCode: number = ErrorCode.NO_ERROR): Promise<void> {
    if (!this.#closing) {
      try {
        this.connection.closeConnection(errorCode);
      } catch {
        // Already closed by the peer: nothing more to say.
      }
      void this.#finish(undefined);
    }
    return this.closed;
  }

  /**
   * Tears the connection down without flushing: aborts the writable and
   * cancels the readable. For a peer that stopped reading, where
   * {@link close} would wait for a write that never completes.
   *
   * @param reason Why; becomes {@link error} unless one is set.
   * @returns {@link closed}.
   */
  abort(reason?: unknown): Promise<void> {
    if (!this.#writeDead) {
      this.#writeDead = true;
      void this.#writer.abort(reason).catch(() => {});
      this.#settleFlushWaiters(); // a close waiting for its GOAWAY to be written stops waiting
    }
    void this.#finish(reason);
    return this.closed;
  }

  // ---------------------------------------------------------------- reading

  async #readLoop(): Promise<void> {
    try {
      this.#receiveInitialData();
      while (!this.#closing) {
        while (!this.#closing && (this.#outputBlocked() || this.#eventsFull())) {
          await new Promise<void>((resolve) => this.#resumeReading = resolve);
        }
        if (this.#closing) break;
        // Not in a local: V8 keeps locals in this suspended frame, so the read buffer would
        // stay alive until the next read completes, i.e. for as long as the connection idles.
        if (!this.#receiveRead(await this.#reader.read())) break;
      }
    } catch (error) {
      // The transport failed (reset, closed under us): nothing can be flushed.
      if (!this.#closing) this.#error = error;
    }
    void this.#finish(this.#error);
  }

  /** Processes one read; false at the end of the input. */
  #receiveRead(result: ReadableStreamReadResult<Uint8Array>): boolean {
    if (result.done) return false;
    this.#reader.accept(result);
    this.#chunkKept = false;
    this.#receive(result.value);
    // Nothing received from it is referenced any more: the next read may fill the same buffer.
    if (!this.#chunkKept) this.#reader.release();
    return true;
  }

  /**
   * Processes `initialData` and lets go of it (not a parameter of the read
   * loop, whose suspended frame would keep the buffer alive as long as the
   * connection).
   */
  #receiveInitialData(): void {
    const initialData = this.#initialData;
    this.#initialData = undefined;
    if (initialData !== undefined && initialData.length > 0) this.#receive(initialData);
  }

  /**
   * Reading stops: more than half of `maxOutboundBuffer` is pending (written
   * but unconfirmed, or queued in the engine). The peer is not reading, so
   * whatever it sends now would only add answers we cannot deliver.
   */
  #outputBlocked(): boolean {
    return this.#inFlight + this.connection.outboundBufferSize > this.#maxOutbound >>> 1;
  }

  /**
   * Body frames stop: the engine holds half the budget. While one write is in
   * flight the next one is framed, so the socket never waits for the CPU, and
   * at most `maxOutboundBuffer` (plus a frame) is pending. Writes also stay
   * below the engine's 256 KiB buffer replacement size, so its output buffer
   * is never regrown by copying.
   */
  #framesFull(): boolean {
    return this.connection.outboundBufferSize >= this.#maxOutbound >>> 1;
  }

  #eventsFull(): boolean {
    return this.#events.length - this.#eventHead >= this.#maxQueued;
  }

  #wakeReader(): void {
    const resume = this.#resumeReading;
    if (resume !== undefined && !(this.#outputBlocked() || this.#eventsFull())) {
      this.#resumeReading = undefined;
      resume();
    }
  }

  #receive(chunk: Uint8Array): void {
    this.#bytesRead += chunk.length;
    let events: H2Event[];
    try {
      events = this.connection.receiveData(chunk);
    } catch (error) {
      // RFC 9113 §5.4.1: the engine queued the GOAWAY before throwing; flush it, then close.
      if (error instanceof H2Error) void this.#finish(error);
      else this.#failInternal(error);
      return;
    }
    this.#inDispatch = true;
    try {
      for (const event of events) this.#dispatch(event);
    } catch (error) {
      // A throwing onEvent handler is our application's bug: fail the connection loudly.
      this.#inDispatch = false;
      this.#failInternal(error);
      return;
    }
    this.#inDispatch = false;
    this.#sender?.pump();
    this.#flushNow();
    this.#checkDone();
  }

  #dispatch(event: H2Event): void {
    switch (event.type) {
      case "DataReceived":
        this.#bdp?.received();
        if (this.#receiver.recvData(event.streamId, event.data, event.flowControlledLength)) {
          this.#chunkKept = true;
        }
        return; // surfaced through the body streams only
      case "RequestReceived":
        this.#receiver.open(event.streamId, true, event.streamEnded !== undefined);
        break;
      case "PushedStreamReceived":
        // Client side: the promised response's body is read like any other (RFC 9113 §8.4).
        this.#receiver.open(event.pushedStreamId, false, false);
        break;
      case "ResponseReceived":
      case "TrailersReceived":
        if (event.streamEnded !== undefined) this.#receiver.endInbound(event.streamId);
        break;
      case "StreamEnded":
        this.#receiver.endInbound(event.streamId);
        break;
      case "StreamReset":
        this.#abortStream(
          event.streamId,
          new StreamResetError(event.streamId, event.errorCode),
        );
        break;
      case "ConnectionTerminated":
        this.#recvGoAway(event.errorCode, event.lastStreamId);
        break;
      case "PingAckReceived":
        if (this.#bdp !== undefined && isBdpPing(event.pingData)) {
          this.#bdpAcked(event.pingData);
          return; // our own measurement, not the application's PING
        }
        break;
    }
    this.#emit(event);
  }

  // ---------------------------------------------------------------- adaptive windows

  /** Received octets were consumed: maybe start a BDP sample with a PING. */
  #consumed(size: number): void {
    const bdp = this.#bdp;
    if (bdp === undefined) return;
    const ping = bdp.consumed(size);
    if (ping === undefined) return;
    try {
      this.connection.ping(ping);
    } catch {
      // The engine is closed: nothing more will arrive to measure.
    }
  }

  /** A BDP PING came back: grow the windows the sample says are too small. */
  #bdpAcked(data: Uint8Array): void {
    const bdp = this.#bdp!;
    const stream = bdp.streamWindow;
    const connection = bdp.connectionWindow;
    if (!bdp.acked(data)) return;
    try {
      // RFC 9113 §6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE resizes every open stream too.
      if (bdp.streamWindow > stream) {
        this.connection.updateSettings([[SettingCode.INITIAL_WINDOW_SIZE, bdp.streamWindow]]);
      }
      if (bdp.connectionWindow > connection) {
        this.connection.incrementFlowControlWindow(bdp.connectionWindow - connection);
      }
    } catch {
      // The engine is closed: the windows no longer matter.
    }
  }

  #emit(event: H2Event): void {
    if (this.#onEvent !== undefined) {
      this.#onEvent(event);
      return;
    }
    // Flow control is this adapter's business: window updates would only fill the queue of an
    // application that reads bodies without iterating events.
    if (event.type === "WindowUpdated") return;
    this.#events.push(event);
    const waiter = this.#eventWaiter;
    if (waiter !== undefined) {
      this.#eventWaiter = undefined;
      waiter();
    }
  }

  #recvGoAway(errorCode: number, lastStreamId: number): void {
    // RFC 9113 §6.8: streams we initiated above lastStreamId were not processed by the peer.
    const ours = this.connection.clientSide ? 1 : 0;
    for (const streamId of this.#streamIds()) {
      if (streamId > lastStreamId && streamId % 2 === ours) {
        this.#abortStream(
          streamId,
          new StreamResetError(streamId, errorCode, "Stream not processed: GOAWAY"),
        );
      }
    }
  }

  /** The streams with a body being sent or received. */
  #streamIds(): number[] {
    const receiving = this.#receiver.streams.keys();
    return this.#sender === undefined
      ? [...receiving]
      : [...this.#sender.streams.keys(), ...receiving];
  }

  /** Fails a stream's body in both directions. */
  #abortStream(streamId: number, reason: StreamResetError): void {
    this.#sender?.abort(streamId, reason);
    this.#receiver.abort(streamId, reason);
  }

  // ---------------------------------------------------------------- sending

  // Async although it never awaits: misuse errors from the engine then surface as rejections.
  // deno-lint-ignore require-await
  async #send(
    streamId: number,
    headers: readonly HeaderField[],
    body: H2Body | undefined,
    options: H2SendOptions,
  ): Promise<boolean> {
    if (this.#closing) return false;
    const trailers = options.trailers;
    const empty = body === undefined || (body instanceof Uint8Array && body.length === 0);
    try {
      this.connection.sendHeaders(streamId, [...headers], {
        endStream: empty && trailers === undefined,
        ...(options.sensitive === undefined ? {} : { sensitive: [...options.sensitive] }),
      });
    } catch (error) {
      const inbound = this.#receiver.streams.get(streamId);
      if (inbound !== undefined && !inbound.isRequest) this.#receiver.streams.delete(streamId); // never opened
      if (error instanceof NoSuchStreamError) return false; // reset by the peer meanwhile
      throw error;
    }
    if (empty && trailers === undefined) {
      this.#afterAction();
      this.#receiver.onSent(streamId);
      return true;
    }
    if (
      trailers === undefined && body instanceof Uint8Array && !this.#framesFull() &&
      body.length <= this.connection.maxOutboundFrameSize &&
      body.length <= this.connection.localFlowControlWindow(streamId)
    ) {
      // The common small response: one DATA frame with END_STREAM, no send state.
      this.connection.sendData(streamId, body, { endStream: true });
      this.#afterAction();
      this.#receiver.onSent(streamId);
      return true;
    }
    return this.#bodySender().start(streamId, body, trailers, options.sensitive);
  }

  #bodySender(): Sender {
    // Created once: the helper reaches back through these, never through per-chunk closures.
    return this.#sender ??= new Sender({
      connection: this.connection,
      isClosing: () => this.#closing,
      framesFull: () => this.#framesFull(),
      afterAction: () => this.#afterAction(),
      scheduleFlush: () => this.#scheduleFlush(),
      onSent: (streamId) => this.#receiver.onSent(streamId),
      reset: (streamId, errorCode) => this.reset(streamId, errorCode),
      failInternal: (error) => this.#failInternal(error),
    }, this.#maxStreamSend);
  }

  #failInternal(error: unknown): void {
    try {
      this.connection.closeConnection(ErrorCode.INTERNAL_ERROR);
    } catch {
      // Already closed.
    }
    void this.#finish(error);
  }

  #afterAction(): void {
    this.#sender?.pump();
    this.#scheduleFlush();
  }

  // ---------------------------------------------------------------- writing

  #scheduleFlush(): void {
    if (this.#inDispatch || this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One callback per connection, made on first use, instead of a closure per flush.
    queueMicrotask(
      this.#flushTask ??= () => {
        this.#flushScheduled = false;
        this.#sender?.pump();
        this.#flushNow();
        this.#checkDone();
      },
    );
  }

  #flushNow(): void {
    if (this.#writing || this.#writeDead) return;
    if (this.connection.outboundBufferSize === 0) {
      this.#settleFlushWaiters();
      return;
    }
    const bytes = this.connection.dataToSend();
    this.#writing = true;
    this.#inFlight = bytes.length;
    // The two callbacks are made once per connection, not per write.
    this.#writer.write(bytes).then(
      this.#onWritten ??= () => {
        this.#bytesWritten += this.#inFlight;
        this.#writing = false;
        this.#inFlight = 0;
        this.#sender?.pump();
        this.#flushNow();
        this.#wakeReader();
        this.#checkDone();
      },
      this.#onWriteFailed ??= (error: unknown) => {
        this.#writing = false;
        this.#inFlight = 0;
        this.#writeDead = true;
        this.#settleFlushWaiters();
        if (!this.#closing) this.#error = error;
        void this.#finish(this.#error);
      },
    );
  }

  /** A body is being sent. */
  #sending(): boolean {
    return this.#sender !== undefined && this.#sender.streams.size > 0;
  }

  #isIdle(): boolean {
    return this.#writeDead || (!this.#writing && this.connection.outboundBufferSize === 0);
  }

  #settleFlushWaiters(): void {
    if (this.#flushWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Closes the transport once the engine says the connection is over (a
   * graceful shutdown finished, a GOAWAY with no stream left, a connection
   * error) and nothing is left to send.
   */
  #checkDone(): void {
    if (this.#closing || this.#sending() || !this.connection.isClosed) return;
    void this.#finish(undefined);
  }

  /** Fails what is in flight, flushes the last frames (GOAWAY), then closes the transport. */
  async #finish(error: unknown): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (error !== undefined && this.#error === undefined) this.#error = error;
    const reason = error ?? new StreamResetError(0, ErrorCode.NO_ERROR, "Connection closed");
    for (const streamId of this.#streamIds()) {
      // A body that arrived complete stays readable after the transport is gone.
      if (!this.#sender?.streams.has(streamId) && this.#receiver.streams.get(streamId)?.ended) {
        continue;
      }
      this.#abortStream(
        streamId,
        reason instanceof StreamResetError
          ? new StreamResetError(streamId, reason.errorCode, reason.message)
          : new StreamResetError(
            streamId,
            reason instanceof H2Error ? reason.errorCode : ErrorCode.INTERNAL_ERROR,
            `Connection failed: ${reason instanceof Error ? reason.message : String(reason)}`,
          ),
      );
    }
    const waiter = this.#eventWaiter;
    this.#eventWaiter = undefined;
    waiter?.();
    const resume = this.#resumeReading;
    this.#resumeReading = undefined;
    resume?.();
    // Flush what the engine still holds (the GOAWAY), then close.
    this.#flushNow();
    if (!this.#isIdle()) await new Promise<void>((resolve) => this.#flushWaiters.push(resolve));
    if (!this.#writeDead) {
      this.#writeDead = true;
      await this.#writer.close().catch(() => {});
    } else {
      // Not awaited: an abort waits for the write in flight, which may never settle.
      void this.#writer.abort().catch(() => {});
    }
    await this.#reader.cancel().catch(() => {});
    this.#settleFlushWaiters();
    this.#resolveClosed();
  }
}
