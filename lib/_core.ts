/**
 * Private: the state one `H2Connection` owns, shared by the public class
 * (`connection.ts`, the send side) and the frame handlers (`_recv.ts`, the
 * receive side). Stream bookkeeping, stream errors and the denial-of-service
 * budgets live here so both sides apply them the same way. Never re-exported.
 *
 * @module
 */

import { DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_MAX_FRAME_SIZE, SettingCode } from "./constants.ts";
import {
  DenialOfServiceError,
  ErrorCode,
  FlowControlError,
  ProtocolError,
  StreamClosedError,
} from "./errors.ts";
import { type ChangedSetting, type H2Event, StreamReset } from "./events.ts";
import { growWindow, WindowManager } from "./flow.ts";
import { FrameDecoder } from "./frame/decoder.ts";
import { FrameWriter } from "./frame/encoder.ts";
import type { HeadersFrame, PushPromiseFrame } from "./frame/types.ts";
import { GoAwayState } from "./goaway.ts";
import { HpackDecoder } from "./hpack/decoder.ts";
import { HpackEncoder } from "./hpack/encoder.ts";
import { type H2Limits, TokenBucket } from "./limits.ts";
import { Settings } from "./settings.ts";
import { ClosedStreams } from "./_closed.ts";
import { ClosedBy, type ClosedByValue, H2Stream } from "./stream.ts";
import {
  isActiveState,
  StreamInput,
  type StreamInputValue,
  StreamState,
  type Transition,
} from "./stream_state.ts";

/** The header-related switches of `H2ConnectionOptions` (python h2's `H2Configuration`). */
export interface HeaderConfig {
  validateOutboundHeaders: boolean;
  normalizeOutboundHeaders: boolean;
  splitOutboundCookies: boolean;
  validateInboundHeaders: boolean;
  normalizeInboundHeaders: boolean;
}

/** A HEADERS or PUSH_PROMISE block waiting for its CONTINUATION frames. */
export interface PendingBlock {
  readonly streamId: number;
  readonly first: HeadersFrame | PushPromiseFrame;
  readonly parts: Uint8Array[];
  length: number;
  continuations: number;
}

/** DATA frames below this size on a stream we reset count as glitches. */
const SMALL_DATA_FRAME = 1_024;

/** `normalizeOutboundHeaders` options, shared: one object per value of `splitCookies`. */
const SPLIT_COOKIES = Object.freeze({ splitCookies: true });
const JOIN_COOKIES = Object.freeze({ splitCookies: false });

/** The largest encoder table we keep, whatever the peer allows (attack catalogue #14). */
export const MAX_ENCODER_TABLE_SIZE = 4_096;

/** Connection state shared by the send and receive sides. */
export class ConnectionCore {
  readonly clientSide: boolean;
  readonly config: HeaderConfig;
  /** `normalizeOutboundHeaders` options, built once. */
  readonly normalizeOptions: { readonly splitCookies: boolean };
  readonly limits: Readonly<H2Limits>;
  readonly writer: FrameWriter = new FrameWriter();
  readonly decoder: FrameDecoder = new FrameDecoder({ maxFrameSize: DEFAULT_MAX_FRAME_SIZE });
  readonly encoder: HpackEncoder = new HpackEncoder();
  readonly hpack: HpackDecoder;
  readonly local: Settings;
  readonly remote: Settings = new Settings();
  readonly streams: Map<number, H2Stream> = new Map();
  /** How recently closed streams closed (the last `maxClosedStreams` ids of each parity). */
  readonly closed: ClosedStreams;
  readonly goAway: GoAwayState = new GoAwayState();
  /** What we may send on the connection (§6.9). */
  outboundWindow: number = DEFAULT_INITIAL_WINDOW_SIZE;
  /** What the peer may send on the connection. */
  readonly inboundWindow: WindowManager = new WindowManager(DEFAULT_INITIAL_WINDOW_SIZE);
  highestInbound = 0;
  highestOutbound = 0;
  openInbound = 0;
  openOutbound = 0;
  /** Streams the peer promised that are still reserved (remote): bounded like active ones. */
  reservedInbound = 0;
  maxOutboundFrameSize: number = DEFAULT_MAX_FRAME_SIZE;
  /** Events of the `receiveData` call in progress. */
  events: H2Event[] = [];
  /** Octets of the client preface still expected (server side, §3.4). */
  prefaceRemaining: number;
  /** The peer's first frame must be SETTINGS (§3.4). */
  awaitingSettings = true;
  initiated = false;
  /** A connection error happened (either way): nothing more is processed. */
  dead = false;
  block: PendingBlock | undefined;
  /** Millisecond clock of the rate budgets (absent: plain counts). */
  readonly #now: (() => number) | undefined;
  /** Created when first spent: a bucket starts full, so a later start changes nothing. */
  #resets: TokenBucket | undefined;
  #glitches: TokenBucket | undefined;
  queuedAcks = 0;
  queuedControl = 0;

  constructor(
    clientSide: boolean,
    config: HeaderConfig,
    limits: Readonly<H2Limits>,
    localInitial: Iterable<readonly [number, number]>,
    now: (() => number) | undefined,
  ) {
    this.clientSide = clientSide;
    this.config = config;
    this.normalizeOptions = config.splitOutboundCookies ? SPLIT_COOKIES : JOIN_COOKIES;
    this.limits = limits;
    this.local = new Settings(localInitial);
    this.closed = new ClosedStreams(limits.maxClosedStreams);
    this.hpack = new HpackDecoder({
      maxHeaderListSize: this.local.maxHeaderListSize,
      maxHeaderFields: limits.maxHeaderFields,
    });
    this.prefaceRemaining = clientSide ? 0 : 24;
    this.#now = now;
  }

  /** The RST_STREAM budget (`resetBurst`, refilled at `resetRatePerSecond`). */
  get resets(): TokenBucket {
    const limits = this.limits;
    return this.#resets ??= new TokenBucket(
      limits.resetBurst,
      limits.resetRatePerSecond,
      this.#now,
    );
  }

  /** The glitch budget (`glitchBurst`, refilled at `glitchRatePerSecond`). */
  get glitches(): TokenBucket {
    const limits = this.limits;
    return this.#glitches ??= new TokenBucket(
      limits.glitchBurst,
      limits.glitchRatePerSecond,
      this.#now,
    );
  }

  /**
   * Whether the peer opens streams with this id's parity (§5.1.1: clients odd, servers even).
   *
   * @param streamId A non-zero stream id.
   */
  isPeerId(streamId: number): boolean {
    return (streamId % 2 === 1) !== this.clientSide;
  }

  /**
   * Whether an id is still idle: above the highest one used with its parity (§5.1.1).
   *
   * @param streamId A non-zero stream id.
   */
  isIdle(streamId: number): boolean {
    return streamId > (this.isPeerId(streamId) ? this.highestInbound : this.highestOutbound);
  }

  /**
   * Creates a stream with the current initial windows.
   *
   * @param streamId The id.
   * @returns The stream, in the map.
   */
  newStream(streamId: number): H2Stream {
    const stream = new H2Stream(
      streamId,
      this.remote.initialWindowSize,
      this.local.initialWindowSize,
    );
    this.streams.set(streamId, stream);
    return stream;
  }

  /**
   * Applies a stream input: concurrency counts, and on close the move into the closed memory.
   *
   * @param stream The stream.
   * @param input What happens.
   * @returns The row applied, or undefined if the input is not allowed (nothing changed).
   */
  advance(stream: H2Stream, input: StreamInputValue): Transition | undefined {
    const before = stream.state;
    const wasActive = isActiveState(before);
    const row = stream.apply(input);
    if (row === undefined) return undefined;
    if (before !== row.next) {
      if (before === StreamState.RESERVED_REMOTE) this.reservedInbound--;
      else if (row.next === StreamState.RESERVED_REMOTE) this.reservedInbound++;
    }
    const isActive = isActiveState(row.next);
    if (wasActive !== isActive) {
      const delta = isActive ? 1 : -1;
      if (this.isPeerId(stream.id)) this.openInbound += delta;
      else this.openOutbound += delta;
    }
    if (row.next === StreamState.CLOSED) this.forget(stream.id, stream.closedBy!);
    return row;
  }

  /**
   * Forgets a closed stream, remembering how it closed (bounded FIFO).
   *
   * @param streamId The id.
   * @param closedBy How it closed.
   */
  forget(streamId: number, closedBy: ClosedByValue): void {
    this.streams.delete(streamId);
    this.closed.set(streamId, closedBy);
  }

  /**
   * Counts a control frame queued in answer to the peer (ping/settings/reset floods).
   *
   * @param isAck True for PING and SETTINGS ACKs.
   * @throws {DenialOfServiceError} When a queue budget is exceeded.
   */
  countControl(isAck: boolean): void {
    if (isAck && ++this.queuedAcks > this.limits.maxQueuedAcks) {
      throw new DenialOfServiceError(
        `More than "${this.limits.maxQueuedAcks}" PING/SETTINGS ACKs queued and not sent`,
        { detail: "ack_flood" },
      );
    }
    if (++this.queuedControl > this.limits.maxQueuedControlFrames) {
      throw new DenialOfServiceError(
        `More than "${this.limits.maxQueuedControlFrames}" control frames queued and not sent`,
        { detail: "control_frame_flood" },
      );
    }
  }

  /** The output was drained: the queue budgets start again. */
  drained(): void {
    this.queuedAcks = 0;
    this.queuedControl = 0;
  }

  /**
   * Spends a glitch token (a frame that costs us without doing anything useful).
   *
   * @param what What the glitch was, for the message.
   * @throws {DenialOfServiceError} `detail: "too_many_glitches"` when the budget is exhausted.
   */
  glitch(what: string): void {
    if (!this.glitches.take()) {
      throw new DenialOfServiceError(`Glitch budget exhausted (last: ${what})`, {
        detail: "too_many_glitches",
      });
    }
  }

  /**
   * A stream error caused by the peer (§5.4.2): queue RST_STREAM, close the
   * stream, report `StreamReset{remoteReset: false}` (for streams the
   * application knows) and spend a glitch token.
   *
   * @param streamId The stream.
   * @param errorCode The code to send.
   */
  streamError(streamId: number, errorCode: number): void {
    const stream = this.streams.get(streamId);
    // The application hears of it only for a stream it knows (or a stream we refuse).
    let notify = true;
    if (stream !== undefined) {
      if (this.advance(stream, StreamInput.SEND_RST_STREAM) === undefined) {
        this.forget(streamId, ClosedBy.SEND_RST_STREAM); // idle in the map: nothing to transition
      }
    } else if (this.closed.has(streamId)) {
      // Already closed (e.g. WINDOW_UPDATE 0 arriving late): answer on the wire like python h2,
      // Go and nghttp2, keep the original close reason.
      notify = false;
    } else {
      if (this.isIdle(streamId)) {
        // E.g. a self-dependent PRIORITY naming an idle stream (§5.3.1). §6.4: "RST_STREAM
        // frames MUST NOT be sent for a stream in the idle state", and the id is not ours to
        // burn, so the stream error becomes a connection error (§5.4.1 allows it).
        throw new ProtocolError(`Stream error on idle stream "${streamId}"`, {
          errorCode,
          detail: "stream_error_on_idle_stream",
        });
      }
      this.forget(streamId, ClosedBy.SEND_RST_STREAM);
    }
    this.countControl(false);
    this.glitch("stream error");
    this.writer.rstStream(streamId, errorCode);
    if (notify) this.events.push(new StreamReset({ streamId, errorCode, remoteReset: false }));
  }

  /**
   * Credits the connection window for DATA that no stream will consume
   * (closed or reset streams), queueing WINDOW_UPDATE(0) when due (python h2 #1211).
   *
   * @param size Flow-controlled octets dropped.
   */
  creditConnection(size: number): void {
    const increment = this.inboundWindow.processBytes(size);
    if (increment > 0) {
      this.countControl(false);
      this.writer.windowUpdate(0, increment);
    }
  }

  /**
   * A frame names a stream we do not track: idle (never opened) or closed.
   * Returns when the frame is to be dropped; throws for connection errors.
   *
   * @param streamId The stream named by the frame.
   * @param what The frame type, for messages.
   * @param size The DATA payload length (DATA only).
   */
  onMissingStream(streamId: number, what: string, size = 0): void {
    if (this.isIdle(streamId)) {
      // RFC 9113 §5.1 "idle": "Receiving any frame other than HEADERS or PRIORITY on a stream
      // in this state MUST be treated as a connection error of type PROTOCOL_ERROR."
      throw new ProtocolError(`${what} on idle stream "${streamId}"`, {
        detail: "frame_on_idle_stream",
      });
    }
    if (this.isPeerId(streamId) && !this.goAway.acceptsInbound(streamId)) {
      return; // §6.8: streams above our GOAWAY's last stream id are ignored
    }
    const closedBy = this.closed.get(streamId);
    if (closedBy === ClosedBy.SEND_RST_STREAM) {
      // §5.1 "closed": after we reset it, "MUST minimally process and then discard". A few
      // frames may be in flight; an endless stream of them is abuse (a glitch each). Full-size
      // DATA of an upload we cut short costs the peer as much as us (its window is credited
      // back byte for byte), so only small DATA frames are glitches (cf. hyper's small-frame
      // budget).
      if (what !== "DATA" || size < SMALL_DATA_FRAME) this.glitch("frame on a stream we reset");
      return;
    }
    if (closedBy === ClosedBy.RECV_RST_STREAM) {
      // The peer reset it and keeps sending: answer STREAM_CLOSED (a stream error, python h2).
      this.streamError(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (closedBy === undefined) {
      // An id below the highest that was never opened (implicitly closed, §5.1.1) or forgotten.
      throw new ProtocolError(`${what} on closed stream "${streamId}"`, {
        detail: "frame_on_unknown_stream",
      });
    }
    // §5.1 "closed": the peer sent END_STREAM; frames after it are a connection error.
    throw new StreamClosedError(streamId, { detail: "frame_after_end_stream" });
  }

  /**
   * Applies a received SETTINGS frame (§6.5.3: at once) and returns what changed.
   *
   * @param entries The settings in wire order.
   * @returns The changes.
   * @throws {H2Error} PROTOCOL_ERROR for ENABLE_PUSH=1 from a server or ENABLE_CONNECT_PROTOCOL
   *   going back to 0; FLOW_CONTROL_ERROR if a stream window would pass 2^31-1.
   */
  applyRemoteSettings(
    entries: ReadonlyArray<readonly [number, number]>,
  ): Map<number, ChangedSetting> {
    for (const [code, value] of entries) {
      // RFC 9113 §6.5.2: "A client MUST treat receipt of a SETTINGS frame with
      // SETTINGS_ENABLE_PUSH set to 1 as a connection error of type PROTOCOL_ERROR."
      if (code === SettingCode.ENABLE_PUSH && value === 1 && this.clientSide) {
        throw new ProtocolError("Server sent SETTINGS_ENABLE_PUSH=1", {
          detail: "enable_push_from_server",
        });
      }
      // RFC 8441 §3: "a sender MUST NOT send a SETTINGS_ENABLE_CONNECT_PROTOCOL parameter with
      // the value of 0 after previously sending a value of 1."
      if (
        code === SettingCode.ENABLE_CONNECT_PROTOCOL && value === 0 &&
        this.remote.enableConnectProtocol === 1
      ) {
        throw new ProtocolError("SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0", {
          detail: "enable_connect_protocol_withdrawn",
        });
      }
    }
    const oldWindow = this.remote.initialWindowSize;
    const changed = this.remote.apply(entries);
    const window = changed.get(SettingCode.INITIAL_WINDOW_SIZE);
    if (window !== undefined && window.newValue !== oldWindow) {
      // RFC 9113 §6.9.2: the difference applies to every stream window, which may go negative;
      // "An endpoint MUST treat a change to SETTINGS_INITIAL_WINDOW_SIZE that causes any
      // flow-control window to exceed the maximum size as a connection error of type
      // FLOW_CONTROL_ERROR."
      const delta = window.newValue - oldWindow;
      for (const stream of this.streams.values()) {
        const next = growWindow(stream.outboundWindow, delta);
        if (next === undefined) {
          throw new FlowControlError("SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window", {
            detail: "settings_window_overflow",
          });
        }
        stream.outboundWindow = next;
      }
    }
    const table = changed.get(SettingCode.HEADER_TABLE_SIZE);
    if (table !== undefined) {
      this.encoder.headerTableSize = Math.min(table.newValue, MAX_ENCODER_TABLE_SIZE);
    }
    const frameSize = changed.get(SettingCode.MAX_FRAME_SIZE);
    if (frameSize !== undefined) this.maxOutboundFrameSize = frameSize.newValue;
    return changed;
  }

  /**
   * Applies our settings the peer acknowledged.
   *
   * @param changed What the acknowledged batch changed.
   */
  applyLocalSettings(changed: ReadonlyMap<number, ChangedSetting>): void {
    const window = changed.get(SettingCode.INITIAL_WINDOW_SIZE);
    if (window !== undefined && window.originalValue !== undefined) {
      const delta = window.newValue - window.originalValue;
      if (delta !== 0) {
        for (const stream of this.streams.values()) {
          const inbound = stream.inbound;
          inbound.maxWindowSize += delta;
          inbound.currentWindowSize += delta;
        }
      }
    }
    const table = changed.get(SettingCode.HEADER_TABLE_SIZE);
    if (table !== undefined) this.hpack.maxAllowedTableSize = table.newValue;
    const frameSize = changed.get(SettingCode.MAX_FRAME_SIZE);
    if (frameSize !== undefined) this.decoder.maxFrameSize = frameSize.newValue;
    const listSize = changed.get(SettingCode.MAX_HEADER_LIST_SIZE);
    if (listSize !== undefined) this.hpack.maxHeaderListSize = listSize.newValue;
  }

  /** The last stream id our GOAWAY announces by default (the highest the peer opened). */
  get defaultLastStreamId(): number {
    return this.goAway.clampLastStreamId(this.highestInbound);
  }

  /**
   * Queues GOAWAY for a connection error (once) and marks the connection dead.
   *
   * @param errorCode The code.
   */
  fail(errorCode: number): void {
    if (this.dead) return;
    const lastStreamId = this.defaultLastStreamId;
    this.writer.goAway(lastStreamId, errorCode);
    this.goAway.recordSent(lastStreamId, errorCode);
    this.dead = true;
    this.block = undefined;
  }

  /**
   * The error for an input not allowed in a stream's state, for our own actions.
   *
   * @param streamId The stream.
   * @param what The frame, e.g. `"DATA"`.
   * @param stateName The state's RFC name.
   */
  static stateError(streamId: number, what: string, stateName: string): ProtocolError {
    return new ProtocolError(
      `Cannot send ${what} on stream "${streamId}": stream is ${stateName}`,
      {
        detail: "invalid_stream_state",
        errorCode: ErrorCode.PROTOCOL_ERROR,
      },
    );
  }
}
