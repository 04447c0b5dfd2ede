/**
 * `H2Connection`: the Sans-IO HTTP/2 engine (RFC 9113), python h2's
 * `H2Connection` in camelCase. It turns received bytes into events
 * (`receiveData`) and actions (`sendHeaders`, `sendData`, …) into bytes
 * (`dataToSend`), and does no I/O. This file is the public surface and the
 * send side; the receive side is in `_recv.ts`/`_headers.ts`, the state in
 * `_core.ts`, the §5.1 table in `stream_state.ts`.
 *
 * Where python h2 disagrees with RFC 9113, this engine follows the RFC
 * (API.md §5): HPACK failures are COMPRESSION_ERROR; the first frame must be
 * SETTINGS; RST_STREAM/WINDOW_UPDATE/DATA on an idle stream is a connection
 * error; malformed messages, streams over MAX_CONCURRENT_STREAMS
 * (REFUSED_STREAM), WINDOW_UPDATE 0 on a stream and content-length
 * mismatches are stream errors; graceful shutdown exists; RFC 9218
 * PRIORITY_UPDATE is parsed; every denial-of-service pattern of the attack
 * catalogue hits a budget (`lib/limits.ts`).
 *
 * @module
 */

import { CONNECTION_PREFACE, MAX_STREAM_ID, MAX_WINDOW_SIZE, SettingCode } from "./constants.ts";
import {
  ErrorCode,
  FlowControlError,
  H2Error,
  NoAvailableStreamIdError,
  NoSuchStreamError,
  ProtocolError,
} from "./errors.ts";
import type { H2Event, HeaderField } from "./events.ts";
import { GoAwayState } from "./goaway.ts";
import { type H2Limits, resolveLimits } from "./limits.ts";
import { assertPingData, SHUTDOWN_PING_DATA } from "./ping.ts";
import {
  decodeSettingsHeader,
  encodeSettingsHeader,
  type Settings,
  validateSetting,
} from "./settings.ts";
import { StreamInput, StreamState } from "./stream_state.ts";
import { ConnectionCore, type HeaderConfig } from "./_core.ts";
import { receive } from "./_recv.ts";
import {
  assertStreamId,
  assertUint32,
  assertUsable,
  priorityOf,
  pushStream,
  sendData,
  type SendDataOptions,
  sendHeaders,
  type SendHeadersOptions,
  stateError,
  streamOf,
} from "./_send.ts";

export type { SendDataOptions, SendHeadersOptions } from "./_send.ts";

export type { H2Limits } from "./limits.ts";

/** Options of {@linkcode H2Connection} (python h2's `H2Configuration`, plus our budgets). */
export interface H2ConnectionOptions {
  /** Client (true) or server (false) side. @default {true} */
  clientSide?: boolean;
  /** Validate fields we send like received ones (RFC 9113 §8.2, §8.3). @default {true} */
  validateOutboundHeaders?: boolean;
  /** Lowercase names, trim values, drop connection-specific fields, mark sensitive ones. @default {true} */
  normalizeOutboundHeaders?: boolean;
  /** Send each `cookie` crumb as its own field (RFC 9113 §8.2.3). @default {false} */
  splitOutboundCookies?: boolean;
  /** Validate received fields; a malformed message is a stream error. @default {true} */
  validateInboundHeaders?: boolean;
  /** Join received `cookie` fields with "; ". @default {true} */
  normalizeInboundHeaders?: boolean;
  /** Initial local settings keyed by `SettingCode`, sent in the first SETTINGS frame. */
  settings?: Record<number, number>;
  /** Denial-of-service budgets; see {@linkcode H2Limits}. */
  limits?: Partial<H2Limits>;
  /** Millisecond clock for the rate budgets; without it they are per-connection counts. */
  now?: () => number;
}

const EMPTY = new Uint8Array(0);
/** `core.events` between `receiveData` calls: the last call's events are the caller's alone. */
const NO_EVENTS: H2Event[] = Object.freeze([]) as unknown as H2Event[];

/** The header switches when none is given: shared (frozen) by such connections. */
const DEFAULT_HEADER_CONFIG: HeaderConfig = Object.freeze({
  validateOutboundHeaders: true,
  normalizeOutboundHeaders: true,
  splitOutboundCookies: false,
  validateInboundHeaders: true,
  normalizeInboundHeaders: true,
});

function headerConfig(options: H2ConnectionOptions): HeaderConfig {
  if (
    options.validateOutboundHeaders === undefined &&
    options.normalizeOutboundHeaders === undefined &&
    options.splitOutboundCookies === undefined &&
    options.validateInboundHeaders === undefined &&
    options.normalizeInboundHeaders === undefined
  ) return DEFAULT_HEADER_CONFIG;
  return Object.freeze({
    validateOutboundHeaders: options.validateOutboundHeaders ?? true,
    normalizeOutboundHeaders: options.normalizeOutboundHeaders ?? true,
    splitOutboundCookies: options.splitOutboundCookies ?? false,
    validateInboundHeaders: options.validateInboundHeaders ?? true,
    normalizeInboundHeaders: options.normalizeInboundHeaders ?? true,
  });
}

/**
 * A Sans-IO HTTP/2 connection, client or server side. Feed received bytes
 * to {@linkcode H2Connection.receiveData}, act with `send*`, and write what
 * {@linkcode H2Connection.dataToSend} returns. Receive-side flow control is
 * manual as in python h2: call `acknowledgeReceivedData` for every
 * `DataReceived` once the data is consumed.
 *
 * @example A client and a server talking in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { H2Connection } from "./connection.ts";
 * import { DataReceived, RequestReceived, ResponseReceived, StreamEnded } from "./events.ts";
 *
 * const client = new H2Connection();
 * const server = new H2Connection({ clientSide: false });
 * client.initiateConnection();
 * server.initiateConnection();
 * const id = client.getNextAvailableStreamId();
 * client.sendHeaders(id, [[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", "/"]], {
 *   endStream: true,
 * });
 * for (const event of server.receiveData(client.dataToSend())) {
 *   if (event instanceof RequestReceived) {
 *     server.sendHeaders(event.streamId, [[":status", "200"], ["content-type", "text/plain"]]);
 *     server.sendData(event.streamId, new TextEncoder().encode("hi"), { endStream: true });
 *   }
 * }
 * const events = client.receiveData(server.dataToSend());
 * const response = events.find((e) => e instanceof ResponseReceived);
 * assert.deepEqual(response?.headers, [[":status", "200"], ["content-type", "text/plain"]]);
 * const data = events.find((e) => e instanceof DataReceived);
 * assert.equal(new TextDecoder().decode(data?.data), "hi");
 * assert.ok(events.some((e) => e instanceof StreamEnded));
 * ```
 */
export class H2Connection {
  readonly #core: ConnectionCore;
  /** Our first SETTINGS as `[id, value, id, value, …]` (kept for life: smaller than pairs). */
  readonly #initialSettings: number[];
  #preface: Uint8Array | undefined;

  /**
   * Creates a connection; nothing is queued until `initiateConnection()`.
   *
   * @param options Role, header switches, initial settings and budgets.
   * @throws {RangeError|InvalidSettingsValueError} For an invalid initial setting or limit.
   */
  constructor(options: H2ConnectionOptions = {}) {
    const clientSide = options.clientSide ?? true;
    const limits = resolveLimits(options.limits);
    const initial = new Map<number, number>([
      [SettingCode.HEADER_TABLE_SIZE, 4_096],
      [SettingCode.ENABLE_PUSH, clientSide ? 1 : 0],
      [SettingCode.INITIAL_WINDOW_SIZE, 65_535],
      [SettingCode.MAX_FRAME_SIZE, 16_384],
      [SettingCode.ENABLE_CONNECT_PROTOCOL, 0],
      [SettingCode.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
      [SettingCode.MAX_HEADER_LIST_SIZE, limits.maxHeaderListSize],
    ]);
    for (const [key, value] of Object.entries(options.settings ?? {})) {
      const code = Number(key);
      validateSetting(code, value);
      initial.set(code, value);
    }
    this.#initialSettings = [...initial].flat();
    // python h2: the limits we advertise are enforced from the start, not from the ACK.
    const inForce: Array<[number, number]> = [
      [SettingCode.MAX_CONCURRENT_STREAMS, initial.get(SettingCode.MAX_CONCURRENT_STREAMS)!],
      [SettingCode.MAX_HEADER_LIST_SIZE, initial.get(SettingCode.MAX_HEADER_LIST_SIZE)!],
    ];
    this.#core = new ConnectionCore(
      clientSide,
      headerConfig(options),
      limits,
      inForce,
      options.now,
    );
  }

  /** {@link #initialSettings} as `[id, value]` pairs, for the frame and the pending batch. */
  #initialSettingsPairs(): Array<[number, number]> {
    const flat = this.#initialSettings;
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    return pairs;
  }

  // -------------------------------------------------------------------------
  // Properties

  /** True for the client side. */
  get clientSide(): boolean {
    return this.#core.clientSide;
  }
  /** The budgets in force (`maxOutboundBuffer` is for the I/O adapter). */
  get limits(): Readonly<H2Limits> {
    return this.#core.limits;
  }
  /** Our settings (values in force; sent ones apply when acknowledged). */
  get localSettings(): Settings {
    return this.#core.local;
  }
  /** The peer's settings, applied on receipt. */
  get remoteSettings(): Settings {
    return this.#core.remote;
  }
  /** The largest frame payload we may send (the peer's SETTINGS_MAX_FRAME_SIZE). */
  get maxOutboundFrameSize(): number {
    return this.#core.maxOutboundFrameSize;
  }
  /** The largest frame payload we accept (our acknowledged SETTINGS_MAX_FRAME_SIZE). */
  get maxInboundFrameSize(): number {
    return this.#core.local.maxFrameSize;
  }
  /** Streams we opened that are open or half-closed (§5.1.2). */
  get openOutboundStreams(): number {
    return this.#core.openOutbound;
  }
  /** Streams the peer opened that are open or half-closed (§5.1.2). */
  get openInboundStreams(): number {
    return this.#core.openInbound;
  }
  /** The highest stream id the peer opened or promised (0 before any). */
  get highestInboundStreamId(): number {
    return this.#core.highestInbound;
  }
  /** The highest stream id we opened or promised (0 before any). */
  get highestOutboundStreamId(): number {
    return this.#core.highestOutbound;
  }
  /** What we may send on the connection now (§6.9). */
  get outboundFlowControlWindow(): number {
    return this.#core.outboundWindow;
  }
  /** What the peer may send on the connection now. */
  get inboundFlowControlWindow(): number {
    return this.#core.inboundWindow.currentWindowSize;
  }
  /** Octets waiting in {@linkcode H2Connection.dataToSend}. */
  get outboundBufferSize(): number {
    return this.#core.writer.pendingLength + (this.#preface?.length ?? 0);
  }
  /**
   * True when the connection can do nothing more: a connection error either
   * way, or a GOAWAY sent or received (and a graceful shutdown finished) with
   * no stream left. The I/O layer closes the transport once the output is flushed.
   */
  get isClosed(): boolean {
    const core = this.#core;
    return core.dead ||
      (core.goAway.isGoingAway && !core.goAway.shutdownPending && core.streams.size === 0);
  }

  // -------------------------------------------------------------------------
  // Lifecycle

  /**
   * Queues the connection preface: the client magic (client side) and our
   * first SETTINGS frame (both sides, RFC 9113 §3.4). Call it once, first.
   */
  initiateConnection(): void {
    const core = this.#core;
    if (core.initiated) return;
    core.initiated = true;
    if (core.clientSide) this.#preface = CONNECTION_PREFACE.slice();
    const settings = this.#initialSettingsPairs();
    core.writer.settings(settings);
    core.local.queue(settings);
  }

  /**
   * Sets up an h2c upgraded connection (RFC 7540 §3.2) and queues the preface.
   * Client: returns the `HTTP2-Settings` header value (base64url SETTINGS
   * payload, no padding) and makes stream 1 half-closed (local). Server:
   * applies the client's header as its first SETTINGS (no ACK is sent) and
   * makes stream 1 half-closed (remote); the client preface is still expected.
   *
   * @param settingsHeader The client's `HTTP2-Settings` value (server side).
   * @returns The header value on the client side, else undefined.
   * @throws {TypeError} On the server without a header.
   * @throws {H2Error} If the header is not a valid SETTINGS payload.
   */
  initiateUpgradeConnection(settingsHeader?: string): string | undefined {
    const core = this.#core;
    let result: string | undefined;
    if (core.clientSide) {
      result = encodeSettingsHeader(this.#initialSettingsPairs());
    } else {
      if (typeof settingsHeader !== "string") {
        throw new TypeError("A server needs the client's HTTP2-Settings header value");
      }
      core.applyRemoteSettings(decodeSettingsHeader(settingsHeader));
    }
    this.initiateConnection();
    const stream = core.newStream(1);
    core.advance(stream, core.clientSide ? StreamInput.UPGRADE_CLIENT : StreamInput.UPGRADE_SERVER);
    if (core.clientSide) {
      core.highestOutbound = 1;
      stream.headersSent = true;
    } else {
      core.highestInbound = 1;
      stream.headersReceived = true;
    }
    return result;
  }

  /**
   * Processes bytes received from the peer.
   *
   * @param data Received bytes, split anywhere. DATA payloads in the events may be views of it.
   * @returns The events, in order.
   * @throws {H2Error} On a connection error, after queueing exactly one GOAWAY
   *   with its code; later calls return no events.
   */
  receiveData(data: Uint8Array): H2Event[] {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Received data must be a Uint8Array, got "${typeof data}"`);
    }
    const core = this.#core;
    const events: H2Event[] = [];
    core.events = events;
    if (core.dead) return events;
    try {
      receive(core, data);
    } catch (error) {
      const failure = error instanceof H2Error
        ? error
        : new H2Error("Internal error while processing received data", {
          errorCode: ErrorCode.INTERNAL_ERROR,
          detail: "internal_error",
          cause: error,
        });
      core.fail(failure.errorCode);
      throw failure;
    } finally {
      core.events = NO_EVENTS;
    }
    return events;
  }

  /**
   * Takes the bytes to write to the peer. The buffer is not capped: the
   * engine never drops output. Instead the I/O layer should stop reading
   * while `outboundBufferSize` exceeds `limits.maxOutboundBuffer`, and the
   * engine bounds what the peer can make it queue between two drains
   * (`maxQueuedAcks`, `maxQueuedControlFrames` → GOAWAY(ENHANCE_YOUR_CALM)).
   * A full drain resets those counts.
   *
   * @param amount Take at most this many octets (all by default).
   * @returns The bytes, owned by the caller.
   */
  dataToSend(amount?: number): Uint8Array<ArrayBuffer> {
    const core = this.#core;
    const writer = core.writer;
    const preface = this.#preface;
    let out: Uint8Array<ArrayBuffer>;
    if (preface === undefined) {
      out = writer.take(amount);
    } else if (amount !== undefined && amount < preface.length) {
      out = preface.slice(0, amount);
      this.#preface = preface.subarray(amount);
    } else {
      const rest = writer.take(amount === undefined ? undefined : amount - preface.length);
      out = new Uint8Array(preface.length + rest.length);
      out.set(preface);
      out.set(rest, preface.length);
      this.#preface = undefined;
    }
    if (writer.pendingLength === 0) core.drained();
    return out;
  }

  /** Discards every queued outbound byte (python h2's `clear_outbound_data_buffer`). */
  clearOutboundDataBuffer(): void {
    this.#core.writer.clear();
    this.#preface = undefined;
    this.#core.drained();
  }

  // -------------------------------------------------------------------------
  // Streams

  /**
   * The next stream id we may open (it is not reserved until used).
   *
   * @returns 1 or 2 at first, then the highest outbound id + 2.
   * @throws {NoAvailableStreamIdError} When ids are exhausted (§5.1.1).
   */
  getNextAvailableStreamId(): number {
    const core = this.#core;
    const highest = core.highestOutbound;
    const next = highest === 0 ? (core.clientSide ? 1 : 2) : highest + 2;
    if (next > MAX_STREAM_ID) {
      throw new NoAvailableStreamIdError("No stream IDs left on this connection", {
        detail: "stream_ids_exhausted",
      });
    }
    return next;
  }

  /**
   * Sends a header block: a request (opening the stream, client), a 1xx or
   * final response (server), or trailers (with `endStream`). Fields are
   * normalised and validated per the options, HPACK-encoded and split into
   * HEADERS + CONTINUATION at `maxOutboundFrameSize`.
   *
   * @param streamId The stream.
   * @param headers The fields (byte strings), pseudo-headers first.
   * @param options END_STREAM, RFC 7540 priority (client only), never-indexed names.
   * @throws {TooManyStreamsError} Opening a stream over the peer's MAX_CONCURRENT_STREAMS.
   * @throws {StreamIdTooLowError} Opening a stream id not above the highest used.
   * @throws {StreamClosedError} The stream is closed.
   * @throws {ProtocolError} Invalid headers or state (trailers without END_STREAM, 1xx with END_STREAM, …).
   * @throws {TypeError|RangeError} Bad arguments, a char above 255, priority on a server.
   */
  sendHeaders(
    streamId: number,
    headers: Iterable<HeaderField>,
    options: SendHeadersOptions = {},
  ): void {
    sendHeaders(this.#core, streamId, headers, options);
  }

  /**
   * Sends one DATA frame. Like python h2 it never splits or buffers: check
   * `localFlowControlWindow(streamId)` and `maxOutboundFrameSize` first.
   * An empty DATA frame is allowed when the window is 0 (as in python h2
   * 4.4: it consumes no window), but not while it is negative: RFC 9113
   * §6.9.2 forbids any flow-controlled frame until a WINDOW_UPDATE makes it
   * positive again (python h2 sends it).
   *
   * @param streamId The stream.
   * @param data The payload.
   * @param options END_STREAM and padding.
   * @throws {FlowControlError} If data plus padding exceeds `localFlowControlWindow(streamId)`.
   * @throws {FrameTooLargeError} If it exceeds `maxOutboundFrameSize`.
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   * @throws {ProtocolError} The stream state forbids DATA (e.g. half-closed (local)).
   * @throws {TypeError|RangeError} Bad arguments.
   */
  sendData(streamId: number, data: Uint8Array, options: SendDataOptions = {}): void {
    sendData(this.#core, streamId, data, options);
  }

  /**
   * Ends our side of a stream with an empty DATA frame carrying END_STREAM.
   *
   * @param streamId The stream.
   * @throws {FlowControlError} While the stream's window is negative (RFC 9113
   *   §6.9.2; see {@link H2Connection.sendData}): wait for `WindowUpdated`.
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   * @throws {ProtocolError} Already half-closed (local).
   */
  endStream(streamId: number): void {
    assertStreamId(streamId);
    assertUsable(this.#core);
    const stream = streamOf(this.#core, streamId);
    if (stream.peek(StreamInput.SEND_END_STREAM) === undefined) {
      throw stateError(stream, "END_STREAM");
    }
    // The empty DATA frame is flow-controlled: not while a window is negative (RFC 9113 §6.9.2).
    const window = this.localFlowControlWindow(streamId);
    if (window < 0) {
      throw new FlowControlError(
        `Cannot end stream "${streamId}" with DATA: its flow-control window is "${window}"`,
        { detail: "window_exceeded" },
      );
    }
    this.#core.advance(stream, StreamInput.SEND_END_STREAM);
    this.#core.writer.data(streamId, EMPTY, { endStream: true });
  }

  /**
   * Resets a stream (RST_STREAM, §6.4).
   *
   * @param streamId The stream.
   * @param errorCode The code. @default {0}
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   */
  resetStream(streamId: number, errorCode: number = ErrorCode.NO_ERROR): void {
    assertStreamId(streamId);
    assertUint32(errorCode, "Error code");
    assertUsable(this.#core);
    const stream = streamOf(this.#core, streamId);
    if (this.#core.advance(stream, StreamInput.SEND_RST_STREAM) === undefined) {
      throw stateError(stream, "RST_STREAM");
    }
    this.#core.writer.rstStream(streamId, errorCode);
  }

  /**
   * Sends a PUSH_PROMISE (server): the promised stream becomes reserved
   * (local); answer it later with `sendHeaders(promisedStreamId, …)`.
   *
   * @param streamId The client-initiated parent stream (open or half-closed (remote)).
   * @param promisedStreamId A new even stream id.
   * @param requestHeaders The promised request.
   * @param options Never-indexed names.
   * @throws {ProtocolError} Client side, push disabled by the peer, pushes on a pushed stream, bad state or headers.
   * @throws {StreamIdTooLowError} The promised id is not above the highest used.
   */
  pushStream(
    streamId: number,
    promisedStreamId: number,
    requestHeaders: Iterable<HeaderField>,
    options: { sensitive?: Iterable<string> } = {},
  ): void {
    pushStream(this.#core, streamId, promisedStreamId, requestHeaders, options);
  }

  // -------------------------------------------------------------------------
  // Flow control

  /**
   * Tells the engine the application consumed received data (python h2's
   * auto strategy): WINDOW_UPDATEs for the connection and the stream are
   * queued when at least half a window is processed, or a window ran dry.
   *
   * @param acknowledgedSize The `flowControlledLength` of consumed `DataReceived` events.
   * @param streamId The stream (a closed stream only credits the connection).
   * @throws {RangeError} Negative size or bad stream id.
   * @throws {NoSuchStreamError} A stream id never used.
   */
  acknowledgeReceivedData(acknowledgedSize: number, streamId: number): void {
    if (!Number.isInteger(acknowledgedSize) || acknowledgedSize < 0) {
      throw new RangeError(`Acknowledged size "${acknowledgedSize}" must be an integer >= 0`);
    }
    assertStreamId(streamId);
    const core = this.#core;
    const stream = core.streams.get(streamId);
    if (stream === undefined && core.isIdle(streamId)) throw new NoSuchStreamError(streamId);
    if (core.dead) return;
    const increment = core.inboundWindow.processBytes(acknowledgedSize);
    if (increment > 0) core.writer.windowUpdate(0, increment);
    if (stream === undefined || stream.state === StreamState.HALF_CLOSED_REMOTE) return;
    const streamIncrement = stream.inbound.processBytes(acknowledgedSize);
    if (streamIncrement > 0) core.writer.windowUpdate(streamId, streamIncrement);
  }

  /**
   * Opens the inbound window by hand (WINDOW_UPDATE), for the connection
   * (no stream id) or a stream.
   *
   * @param increment 1..2^31-1.
   * @param streamId The stream, or omitted for the connection.
   * @throws {RangeError} Increment out of range.
   * @throws {FlowControlError} The window would exceed 2^31-1.
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   */
  incrementFlowControlWindow(increment: number, streamId?: number): void {
    if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW_SIZE) {
      throw new RangeError(`Window increment "${increment}" is not in 1..2^31-1`);
    }
    assertUsable(this.#core);
    const core = this.#core;
    if (streamId === undefined || streamId === 0) {
      core.inboundWindow.open(increment);
      core.writer.windowUpdate(0, increment);
      return;
    }
    assertStreamId(streamId);
    const stream = streamOf(this.#core, streamId);
    if (stream.peek(StreamInput.SEND_WINDOW_UPDATE) === undefined) {
      throw stateError(stream, "WINDOW_UPDATE");
    }
    stream.inbound.open(increment);
    core.writer.windowUpdate(streamId, increment);
  }

  /**
   * How much we may send on a stream now: the smaller of the connection and stream windows.
   *
   * @param streamId The stream, or 0 for the connection window alone.
   * @returns Octets (may be ≤ 0).
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   */
  localFlowControlWindow(streamId: number): number {
    if (streamId === 0) return this.#core.outboundWindow;
    assertStreamId(streamId);
    return Math.min(this.#core.outboundWindow, streamOf(this.#core, streamId).outboundWindow);
  }

  /**
   * How much the peer may send on a stream now.
   *
   * @param streamId The stream, or 0 for the connection window alone.
   * @returns Octets.
   * @throws {NoSuchStreamError|StreamClosedError} Unknown or closed stream.
   */
  remoteFlowControlWindow(streamId: number): number {
    if (streamId === 0) return this.#core.inboundWindow.currentWindowSize;
    assertStreamId(streamId);
    return Math.min(
      this.#core.inboundWindow.currentWindowSize,
      streamOf(this.#core, streamId).inbound.currentWindowSize,
    );
  }

  // -------------------------------------------------------------------------
  // Connection-level frames

  /**
   * Sends SETTINGS; the values apply when the peer acknowledges them (`SettingsAcknowledged`).
   *
   * @param newSettings Values keyed by `SettingCode` (an object, a Map or entries).
   * @throws {InvalidSettingsValueError} A value RFC 9113 §6.5.2 forbids.
   * @throws {RangeError} A value outside 0..2^32-1.
   */
  updateSettings(
    newSettings: Record<number, number> | Iterable<readonly [number, number]>,
  ): void {
    const entries: Array<readonly [number, number]> = Symbol.iterator in newSettings
      ? [...(newSettings as Iterable<readonly [number, number]>)]
      : Object.entries(newSettings).map(([k, v]) => [Number(k), v] as const);
    for (const [code, value] of entries) validateSetting(code, value);
    assertUsable(this.#core);
    const core = this.#core;
    core.local.queue(entries);
    core.writer.settings(entries);
  }

  /**
   * Sends a PING.
   *
   * @param opaqueData Exactly 8 octets, echoed in the `PingAckReceived` event.
   * @throws {RangeError} Not 8 octets.
   */
  ping(opaqueData: Uint8Array): void {
    assertPingData(opaqueData);
    assertUsable(this.#core);
    this.#core.writer.ping(opaqueData);
  }

  /**
   * Sends GOAWAY (§6.8). With NO_ERROR, streams up to `lastStreamId` may
   * finish, new peer streams above it are ignored, and a later GOAWAY may
   * lower (never raise) it. With an error code the connection is closed.
   *
   * @param errorCode The code. @default {0}
   * @param options Debug data; the last stream id (default: the highest the peer opened).
   * @throws {TypeError|RangeError} Bad arguments.
   */
  closeConnection(
    errorCode: number = ErrorCode.NO_ERROR,
    options: { additionalData?: Uint8Array; lastStreamId?: number } = {},
  ): void {
    assertUint32(errorCode, "Error code");
    const { additionalData, lastStreamId } = options;
    if (additionalData !== undefined && !(additionalData instanceof Uint8Array)) {
      throw new TypeError("GOAWAY additional data must be a Uint8Array");
    }
    if (
      lastStreamId !== undefined &&
      (!Number.isInteger(lastStreamId) || lastStreamId < 0 || lastStreamId > MAX_STREAM_ID)
    ) {
      throw new RangeError(`Last stream ID "${lastStreamId}" is not in 0..2^31-1`);
    }
    const core = this.#core;
    const last = core.goAway.clampLastStreamId(lastStreamId ?? core.highestInbound);
    core.writer.goAway(last, errorCode, additionalData);
    core.goAway.recordSent(last, errorCode);
    core.goAway.shutdownPending = false;
    if (errorCode !== ErrorCode.NO_ERROR) core.dead = true;
  }

  /**
   * Starts a graceful shutdown (RFC 9113 §6.8; python h2 has none, #1181):
   * sends GOAWAY(2^31-1, NO_ERROR) and a PING; when its ACK arrives the
   * final GOAWAY with the real last stream id is queued. Streams up to it
   * finish; new ones above it are ignored. `isClosed` turns true once no
   * stream is left. Calling it again, or after `closeConnection`, does nothing.
   * The engine has no clock: if the PING ACK never comes, call
   * `closeConnection()` after a timeout of your choosing.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { H2Connection } from "./connection.ts";
   * import { ConnectionTerminated } from "./events.ts";
   * const client = new H2Connection();
   * const server = new H2Connection({ clientSide: false });
   * client.initiateConnection();
   * server.initiateConnection();
   * server.receiveData(client.dataToSend());
   * client.receiveData(server.dataToSend());
   * server.startGracefulShutdown();
   * const first = client.receiveData(server.dataToSend()); // GOAWAY(2^31-1) + PING
   * assert.equal(first.find((e) => e instanceof ConnectionTerminated)?.lastStreamId, 2 ** 31 - 1);
   * server.receiveData(client.dataToSend()); // the PING ACK
   * const last = client.receiveData(server.dataToSend());
   * assert.equal(last.find((e) => e instanceof ConnectionTerminated)?.lastStreamId, 0);
   * assert.ok(server.isClosed);
   * ```
   */
  startGracefulShutdown(): void {
    const core = this.#core;
    if (core.dead || core.goAway.sentLastStreamId !== undefined) return;
    const last = GoAwayState.SHUTDOWN_LAST_STREAM_ID;
    core.writer.goAway(last, ErrorCode.NO_ERROR);
    core.goAway.recordSent(last, ErrorCode.NO_ERROR);
    core.goAway.shutdownPending = true;
    core.writer.ping(SHUTDOWN_PING_DATA);
  }

  /**
   * Sends a PRIORITY frame (RFC 7540 fields; client only, as python h2).
   *
   * @param streamId The stream.
   * @param options Weight 1..256 (default 16), parent (default 0), exclusive (default false).
   * @throws {TypeError} On the server side.
   * @throws {ProtocolError} Weight out of range or self-dependency.
   */
  prioritize(
    streamId: number,
    options: { weight?: number; dependsOn?: number; exclusive?: boolean } = {},
  ): void {
    assertStreamId(streamId);
    const priority = priorityOf(this.#core, streamId, {
      priorityWeight: options.weight ?? 16,
      priorityDependsOn: options.dependsOn ?? 0,
      priorityExclusive: options.exclusive ?? false,
    })!;
    assertUsable(this.#core);
    this.#core.writer.priority(streamId, priority);
  }

  /**
   * Sends ALTSVC (RFC 7838, server only): on stream 0 with `origin`, or on a
   * request stream before its response with `streamId`.
   *
   * @param fieldValue The Alt-Svc field value (byte string).
   * @param options Exactly one of `origin` and `streamId`.
   * @throws {TypeError} Both or neither option.
   * @throws {ProtocolError} Client side, or the response was already sent.
   */
  advertiseAlternativeService(
    fieldValue: string,
    options: { origin?: string; streamId?: number } = {},
  ): void {
    const { origin, streamId } = options;
    if ((origin === undefined) === (streamId === undefined)) {
      throw new TypeError("Exactly one of origin and streamId is required");
    }
    const core = this.#core;
    if (core.clientSide) {
      throw new ProtocolError("Clients cannot send ALTSVC", { detail: "altsvc_from_client" });
    }
    assertUsable(this.#core);
    if (streamId !== undefined) {
      assertStreamId(streamId);
      const stream = streamOf(this.#core, streamId);
      if (stream.headersSent) {
        throw new ProtocolError(`Cannot send ALTSVC on stream "${streamId}" after the response`, {
          detail: "altsvc_after_response",
        });
      }
      core.writer.altSvc(streamId, "", fieldValue);
      return;
    }
    core.writer.altSvc(0, origin!, fieldValue);
  }

  // -------------------------------------------------------------------------
  // Helpers
}
