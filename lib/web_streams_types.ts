/**
 * The public types of the Web Streams adapter (`H2StreamsConnection` in
 * `web_streams.ts`, which re-exports them): the transport, body and
 * option shapes and the error a body fails with.
 *
 * @module
 */

import type { H2ConnectionOptions } from "./connection.ts";
import type { H2Event, HeaderField } from "./events.ts";

/**
 * A duplex byte transport: a Deno TCP or TLS connection, a node:net socket
 * wrapped in Web Streams, or a `TransformStream` pair.
 */
export interface H2Transport {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * A message body to send: one buffer (sent without copying it first), a
 * stream, or any (async) iterable of buffers. Chunks from streams and
 * iterables are owned by the connection once yielded.
 */
export type H2Body =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Options for sending a message with `H2StreamsConnection.respond` or `request`. */
export interface H2SendOptions {
  /** Trailer fields sent after the body, ending the stream. @default undefined */
  trailers?: readonly HeaderField[];
  /** Field names to send never-indexed (RFC 7541 §6.2.3). @default undefined */
  sensitive?: readonly string[];
}

/** Options of the `H2StreamsConnection` constructor. */
export interface H2StreamsOptions {
  /**
   * Called synchronously for every event in wire order. When set, events are
   * not queued for the async iterator, and everything the handler sends while
   * a received chunk is being processed goes out in one write.
   * @default undefined (events are queued for `for await`)
   */
  onEvent?: (event: H2Event) => void;
  /** Aborting starts a graceful shutdown (see `H2StreamsConnection.shutdown`). @default undefined */
  signal?: AbortSignal;
  /** Bytes already read from the transport (e.g. while sniffing the protocol), processed first. @default undefined */
  initialData?: Uint8Array;
  /**
   * Output budget: reading stops while more than half of it waits to be
   * written (in flight or queued), and body frames stop while half of it is
   * queued. @default 524_288
   */
  maxOutboundBuffer?: number;
  /** A body source is read only while its stream holds fewer unsent bytes than this. @default 409_600 */
  maxStreamSendBuffer?: number;
  /** Reading stops while this many events wait for the async iterator. @default 256 */
  maxQueuedEvents?: number;
}

/** Options of `H2StreamsConnection.server` and `H2StreamsConnection.client`. */
export interface H2StreamsConnectOptions extends H2StreamsOptions {
  /** Engine options (`clientSide` is set by the factory). @default {} */
  connectionOptions?: Omit<H2ConnectionOptions, "clientSide">;
  /** SETTINGS_INITIAL_WINDOW_SIZE we advertise: each stream's receive window. @default 1_048_576 */
  streamWindow?: number;
  /** The connection receive window, opened with a WINDOW_UPDATE at start. @default 16_777_216 */
  connectionWindow?: number;
  /**
   * Grow the receive windows from a bandwidth-delay estimate (PING round
   * trips, as hyper's adaptive window): a window that the octets consumed in
   * one round trip nearly fill doubles, up to {@link maxStreamWindow} and
   * {@link maxConnectionWindow}. Windows grow only while the application
   * reads bodies as fast as they arrive. With `connectionOptions.now`, growth
   * also needs the measured bandwidth to be the highest yet.
   * @default true, unless `streamWindow`, `connectionWindow` or a
   *   SETTINGS_INITIAL_WINDOW_SIZE in `connectionOptions.settings` is given
   */
  adaptiveWindow?: boolean;
  /** With {@link adaptiveWindow}: the stream window's ceiling. @default 16_777_216 */
  maxStreamWindow?: number;
  /** With {@link adaptiveWindow}: the connection window's ceiling. @default 16_777_216 */
  maxConnectionWindow?: number;
  /**
   * Server only, h2c upgrade (RFC 7540 §3.2): the `HTTP2-Settings` header of
   * the HTTP/1.1 request. The connection starts with
   * `initiateUpgradeConnection` and the request is stream 1.
   * @default undefined
   */
  upgradeSettings?: string;
}

/** The reason a body stream fails when its HTTP/2 stream is reset or the connection ends. */
export class StreamResetError extends Error {
  /** The stream. */
  readonly streamId: number;
  /** The RFC 9113 §7 code of the RST_STREAM or GOAWAY. */
  readonly errorCode: number;

  /**
   * Creates the error for a stream that was reset.
   *
   * @param streamId The stream.
   * @param errorCode The RST_STREAM or GOAWAY code.
   * @param message Description.
   */
  constructor(streamId: number, errorCode: number, message?: string) {
    super(message ?? `Stream "${streamId}" was reset with code "${errorCode}"`);
    this.name = "StreamResetError";
    this.streamId = streamId;
    this.errorCode = errorCode;
  }
}
