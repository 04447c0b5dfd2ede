/**
 * Private: the receive side of `H2Connection`. `receive()` strips the client
 * preface, feeds the frame decoder and dispatches each frame through a
 * handler table indexed by frame type. Handlers apply RFC 9113 §5–§6 and
 * push events on `core.events`. A stream error (an `H2Error` with
 * `streamId`) becomes RST_STREAM and the loop goes on; any other error
 * becomes one GOAWAY and is rethrown. Header blocks are in `_headers.ts`.
 *
 * @module
 */

import { CONNECTION_PREFACE, FrameType } from "./constants.ts";
import {
  DenialOfServiceError,
  ErrorCode,
  FlowControlError,
  H2Error,
  ProtocolError,
} from "./errors.ts";
import {
  AlternativeServiceAvailable,
  ConnectionTerminated,
  DataReceived,
  OriginReceived,
  PingAckReceived,
  PingReceived,
  PriorityUpdated,
  RemoteSettingsChanged,
  SettingsAcknowledged,
  StreamEnded,
  StreamReset,
  UnknownFrameReceived,
  WindowUpdated,
} from "./events.ts";
import { growWindow } from "./flow.ts";
import type {
  AltSvcFrame,
  ContinuationFrame,
  DataFrame,
  Frame,
  GoAwayFrame,
  HeadersFrame,
  OriginFrame,
  PingFrame,
  PriorityFrame,
  PriorityUpdateFrame,
  PushPromiseFrame,
  RstStreamFrame,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
} from "./frame/types.ts";
import type { ConnectionCore } from "./_core.ts";
import { completeBlock, parsePriorityFieldValue } from "./_headers.ts";
import { isShutdownPing } from "./ping.ts";
import { ClosedBy } from "./stream.ts";
import { StreamEffect, StreamInput } from "./stream_state.ts";

// deno-lint-ignore no-explicit-any
type Handler = (core: ConnectionCore, frame: any) => void;

/**
 * Feeds received bytes through the connection.
 *
 * @param core The connection state.
 * @param data Bytes from the peer, any split.
 * @returns The events.
 */
export function receive(core: ConnectionCore, data: Uint8Array): void {
  let chunk = data;
  if (core.prefaceRemaining > 0) {
    const offset = 24 - core.prefaceRemaining;
    const n = Math.min(core.prefaceRemaining, chunk.length);
    for (let i = 0; i < n; i++) {
      // RFC 9113 §3.4: "Clients and servers MUST treat an invalid connection preface as a
      // connection error of type PROTOCOL_ERROR."
      if (chunk[i] !== CONNECTION_PREFACE[offset + i]) {
        throw new ProtocolError("Invalid HTTP/2 connection preface", { detail: "invalid_preface" });
      }
    }
    core.prefaceRemaining -= n;
    if (n === chunk.length) return;
    chunk = chunk.subarray(n);
  }
  const decoder = core.decoder;
  decoder.push(chunk);
  for (;;) {
    let frame: Frame | undefined;
    try {
      frame = decoder.next();
      if (frame === undefined) return;
      dispatch(core, frame);
    } catch (error) {
      if (error instanceof H2Error && error.streamId !== undefined) {
        if (core.block !== undefined) {
          // §6.10: only CONTINUATION may follow a HEADERS without END_HEADERS.
          throw new ProtocolError("Expected a CONTINUATION frame of the header block in progress", {
            detail: "expected_continuation",
            cause: error,
          });
        }
        core.streamError(error.streamId, error.errorCode);
        continue;
      }
      throw error;
    }
    if (core.dead) return;
  }
}

function dispatch(core: ConnectionCore, frame: Frame): void {
  const block = core.block;
  if (
    block !== undefined &&
    (frame.type !== FrameType.CONTINUATION || frame.streamId !== block.streamId)
  ) {
    // RFC 9113 §6.10: "Any other type of frame or a frame on a different stream MUST be treated
    // as a connection error of type PROTOCOL_ERROR."
    throw new ProtocolError("Expected a CONTINUATION frame of the header block in progress", {
      detail: "expected_continuation",
    });
  }
  if (core.awaitingSettings) {
    // RFC 9113 §3.4: the preface "MUST be followed by a SETTINGS frame".
    if (frame.type !== FrameType.SETTINGS || frame.ack) {
      throw new ProtocolError("The first frame of the peer must be SETTINGS", {
        detail: "first_frame_not_settings",
      });
    }
    core.awaitingSettings = false;
  }
  const handler: Handler = frame.type === "unknown"
    ? recvUnknown
    : HANDLERS[frame.type] ?? recvUnknown;
  handler(core, frame);
}

function recvData(core: ConnectionCore, frame: DataFrame): void {
  const streamId = frame.streamId;
  const length = frame.data.length;
  const size = frame.padLength === undefined ? length : length + frame.padLength + 1;
  // RFC 9113 §6.9.1: a receiver MUST treat exceeding the window as FLOW_CONTROL_ERROR.
  if (!core.inboundWindow.consume(size)) {
    throw new FlowControlError("DATA exceeds the connection flow-control window", {
      detail: "connection_window_exceeded",
    });
  }
  const stream = core.streams.get(streamId);
  if (stream === undefined) {
    core.creditConnection(size);
    core.onMissingStream(streamId, "DATA", length);
    return;
  }
  const row = stream.peek(StreamInput.RECV_DATA);
  if (row === undefined) {
    throw new ProtocolError(`DATA on stream "${streamId}" in state "${stream.state}"`, {
      detail: "data_in_invalid_state",
    });
  }
  if (row.effect === StreamEffect.STREAM_CLOSED) {
    core.creditConnection(size);
    core.streamError(streamId, ErrorCode.STREAM_CLOSED);
    return;
  }
  if (!stream.headersReceived) {
    // §8.1: a message starts with a header section; DATA first makes it malformed.
    core.creditConnection(size);
    core.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
    return;
  }
  if (!stream.inbound.consume(size)) {
    // §6.9.1: only the stream window is exceeded: a stream error.
    core.creditConnection(size);
    core.streamError(streamId, ErrorCode.FLOW_CONTROL_ERROR);
    return;
  }
  const received = stream.receivedLength += length;
  const expected = stream.expectedLength;
  // RFC 9113 §8.1.1: a content-length that does not equal the DATA payload sum is malformed.
  if (
    expected !== undefined && (received > expected || (frame.endStream && received !== expected))
  ) {
    core.creditConnection(size);
    core.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
    return;
  }
  if (length === 0 && !frame.endStream) core.glitch("empty DATA frame");
  core.advance(stream, StreamInput.RECV_DATA);
  let ended: StreamEnded | undefined;
  if (frame.endStream) {
    ended = new StreamEnded({ streamId });
    core.advance(stream, StreamInput.RECV_END_STREAM);
  }
  core.events.push(
    new DataReceived({
      streamId,
      data: frame.data,
      flowControlledLength: size,
      streamEnded: ended,
    }),
  );
  if (ended !== undefined) core.events.push(ended);
}

function startBlock(core: ConnectionCore, frame: HeadersFrame | PushPromiseFrame): void {
  const length = frame.fragment.length;
  checkBlockBytes(core, length);
  core.block = {
    streamId: frame.streamId,
    first: frame,
    parts: [frame.fragment.slice()],
    length,
    continuations: 0,
  };
}

function checkBlockBytes(core: ConnectionCore, length: number): void {
  if (length > core.limits.maxHeaderBlockBytes) {
    throw new DenialOfServiceError(
      `Header block exceeds "${core.limits.maxHeaderBlockBytes}" octets`,
      { detail: "header_block_too_large" },
    );
  }
}

function recvHeaders(core: ConnectionCore, frame: HeadersFrame): void {
  if (!frame.endHeaders) return startBlock(core, frame);
  completeBlock(core, frame, frame.fragment);
}

function recvPushPromise(core: ConnectionCore, frame: PushPromiseFrame): void {
  if (!core.clientSide) {
    // RFC 9113 §8.4: "A client cannot push."
    throw new ProtocolError("PUSH_PROMISE received from a client", {
      detail: "push_promise_from_client",
    });
  }
  if (!frame.endHeaders) return startBlock(core, frame);
  completeBlock(core, frame, frame.fragment);
}

function recvContinuation(core: ConnectionCore, frame: ContinuationFrame): void {
  const block = core.block;
  if (block === undefined) {
    // RFC 9113 §6.10: a CONTINUATION not preceded by HEADERS/PUSH_PROMISE/CONTINUATION
    // without END_HEADERS is a connection error of type PROTOCOL_ERROR.
    throw new ProtocolError("CONTINUATION without a header block in progress", {
      detail: "unexpected_continuation",
    });
  }
  if (++block.continuations > core.limits.maxContinuationFrames) {
    throw new DenialOfServiceError(
      `More than "${core.limits.maxContinuationFrames}" CONTINUATION frames in one header block`,
      { detail: "continuation_flood" },
    );
  }
  block.length += frame.fragment.length;
  checkBlockBytes(core, block.length);
  if (!frame.endHeaders) {
    block.parts.push(frame.fragment.slice());
    return;
  }
  block.parts.push(frame.fragment);
  core.block = undefined;
  const whole = new Uint8Array(block.length);
  let at = 0;
  for (const part of block.parts) {
    whole.set(part, at);
    at += part.length;
  }
  completeBlock(core, block.first, whole);
}

function recvPriority(core: ConnectionCore, frame: PriorityFrame): void {
  // RFC 9113 §5.3.2: deprecated, still parsed; counted as a glitch (CVE-2019-9513).
  core.glitch("PRIORITY frame");
  const { weight, dependsOn, exclusive } = frame.priority;
  core.events.push(new PriorityUpdated({ streamId: frame.streamId, weight, dependsOn, exclusive }));
}

function recvRstStream(core: ConnectionCore, frame: RstStreamFrame): void {
  if (!core.resets.take()) {
    throw new DenialOfServiceError("RST_STREAM budget exhausted", { detail: "rapid_reset" });
  }
  const streamId = frame.streamId;
  const stream = core.streams.get(streamId);
  if (stream === undefined) {
    if (core.isIdle(streamId)) {
      // RFC 9113 §6.4: "If a RST_STREAM frame identifying an idle stream is received, the
      // recipient MUST treat this as a connection error of type PROTOCOL_ERROR."
      throw new ProtocolError(`RST_STREAM on idle stream "${streamId}"`, {
        detail: "rst_stream_on_idle_stream",
      });
    }
    return; // closed: it may have crossed our END_STREAM or RST_STREAM (§5.1)
  }
  if (core.advance(stream, StreamInput.RECV_RST_STREAM) === undefined) {
    throw new ProtocolError(`RST_STREAM on idle stream "${streamId}"`, {
      detail: "rst_stream_on_idle_stream",
    });
  }
  core.events.push(new StreamReset({ streamId, errorCode: frame.errorCode, remoteReset: true }));
}

function recvSettings(core: ConnectionCore, frame: SettingsFrame): void {
  if (frame.ack) {
    const changed = core.local.acknowledge();
    core.applyLocalSettings(changed);
    core.events.push(new SettingsAcknowledged({ changedSettings: changed }));
    return;
  }
  const entries = frame.settings;
  if (entries.length > core.limits.maxSettingsEntries) {
    throw new DenialOfServiceError(
      `SETTINGS frame with "${entries.length}" entries (more than "${core.limits.maxSettingsEntries}")`,
      { detail: "too_many_settings" },
    );
  }
  core.countControl(true);
  const changed = core.applyRemoteSettings(entries);
  core.writer.settingsAck();
  core.events.push(new RemoteSettingsChanged({ changedSettings: changed }));
}

function recvPing(core: ConnectionCore, frame: PingFrame): void {
  // A copy: events own their bytes, so only DATA payloads are views of the caller's input (the
  // Web Streams adapter reads into the same buffer again when no DATA view was kept).
  const pingData = frame.data.slice();
  if (frame.ack) {
    if (core.goAway.shutdownPending && isShutdownPing(pingData)) {
      // Graceful shutdown step 2: the peer has seen GOAWAY(2^31-1); announce the real last id.
      core.goAway.shutdownPending = false;
      const lastStreamId = core.defaultLastStreamId;
      core.writer.goAway(lastStreamId, ErrorCode.NO_ERROR);
      core.goAway.recordSent(lastStreamId, ErrorCode.NO_ERROR);
    }
    core.events.push(new PingAckReceived({ pingData }));
    return;
  }
  // RFC 9113 §6.7: "Receivers of a PING frame that does not include an ACK flag MUST send a
  // PING frame with the ACK flag set in response, with an identical frame payload."
  core.countControl(true);
  core.writer.ping(pingData, { ack: true });
  core.events.push(new PingReceived({ pingData }));
}

function recvGoAway(core: ConnectionCore, frame: GoAwayFrame): void {
  const { lastStreamId, errorCode } = frame;
  core.goAway.recordReceived(lastStreamId, errorCode);
  const events = core.events;
  events.push(
    new ConnectionTerminated({
      errorCode,
      lastStreamId,
      additionalData: frame.debugData.length > 0 ? frame.debugData.slice() : undefined,
    }),
  );
  // RFC 9113 §6.8: streams we opened above the last stream id were not processed; they may be
  // retried (REFUSED_STREAM semantics, §8.7).
  for (const stream of core.streams.values()) {
    if (stream.id > lastStreamId && !core.isPeerId(stream.id)) {
      core.advance(stream, StreamInput.RECV_RST_STREAM) ??
        core.forget(stream.id, ClosedBy.RECV_RST_STREAM);
      events.push(
        new StreamReset({
          streamId: stream.id,
          errorCode: ErrorCode.REFUSED_STREAM,
          remoteReset: true,
        }),
      );
    }
  }
  if (errorCode !== ErrorCode.NO_ERROR) {
    // The peer is closing because of an error: nothing more is processed. Unlike python h2 we
    // keep the queued output (it may hold our SETTINGS or the last responses the peer wants).
    core.dead = true;
  }
}

function recvWindowUpdate(core: ConnectionCore, frame: WindowUpdateFrame): void {
  const { streamId, increment } = frame;
  if (streamId === 0) {
    const next = growWindow(core.outboundWindow, increment);
    if (next === undefined) {
      // RFC 9113 §6.9.1: overflow of the connection window is a connection FLOW_CONTROL_ERROR.
      throw new FlowControlError("WINDOW_UPDATE overflows the connection window", {
        detail: "connection_window_overflow",
      });
    }
    core.outboundWindow = next;
    core.events.push(new WindowUpdated({ streamId: 0, delta: increment }));
    return;
  }
  const stream = core.streams.get(streamId);
  if (stream === undefined) {
    if (core.isIdle(streamId)) {
      throw new ProtocolError(`WINDOW_UPDATE on idle stream "${streamId}"`, {
        detail: "window_update_on_idle_stream",
      });
    }
    // Closed: "WINDOW_UPDATE can be sent by a peer that has sent a frame with the END_STREAM
    // flag set" (§6.9), so only those on reset streams (in flight, or a flood) cost a glitch.
    const closedBy = core.closed.get(streamId);
    if (closedBy === ClosedBy.SEND_RST_STREAM || closedBy === ClosedBy.RECV_RST_STREAM) {
      core.glitch("WINDOW_UPDATE on a reset stream");
    }
    return;
  }
  if (stream.peek(StreamInput.RECV_WINDOW_UPDATE) === undefined) {
    throw new ProtocolError(`WINDOW_UPDATE on stream "${streamId}" in state "${stream.state}"`, {
      detail: "window_update_in_invalid_state",
    });
  }
  const next = growWindow(stream.outboundWindow, increment);
  if (next === undefined) {
    // RFC 9113 §6.9.1: for a stream, the overflow is a stream error of type FLOW_CONTROL_ERROR.
    core.streamError(streamId, ErrorCode.FLOW_CONTROL_ERROR);
    return;
  }
  stream.outboundWindow = next;
  core.events.push(new WindowUpdated({ streamId, delta: increment }));
}

function recvAltSvc(core: ConnectionCore, frame: AltSvcFrame): void {
  // RFC 7838 §4: servers ignore ALTSVC; so do clients for malformed ones.
  if (!core.clientSide) return;
  const { streamId, fieldValue } = frame;
  if (streamId === 0) {
    if (frame.origin.length === 0) return;
    core.events.push(new AlternativeServiceAvailable({ origin: frame.origin, fieldValue }));
    return;
  }
  if (frame.origin.length !== 0) return;
  const stream = core.streams.get(streamId);
  if (stream === undefined || stream.headersReceived || stream.authority === undefined) return;
  core.events.push(new AlternativeServiceAvailable({ origin: stream.authority, fieldValue }));
}

function recvOrigin(core: ConnectionCore, frame: OriginFrame): void {
  // RFC 8336 §2.1: ignored on a stream other than 0 and by clients' peers (servers).
  if (!core.clientSide || frame.streamId !== 0) return;
  core.events.push(new OriginReceived({ origins: frame.origins }));
}

function recvPriorityUpdate(core: ConnectionCore, frame: PriorityUpdateFrame): void {
  const streamId = frame.prioritizedStreamId;
  // RFC 9218 §7.1: "If a client receives a PRIORITY_UPDATE frame, it MUST respond with a
  // connection error of type PROTOCOL_ERROR."
  if (core.clientSide) {
    throw new ProtocolError("PRIORITY_UPDATE received from a server", {
      detail: "priority_update_from_server",
    });
  }
  if (streamId === 0 || !core.isPeerId(streamId)) {
    throw new ProtocolError(`PRIORITY_UPDATE for stream "${streamId}"`, {
      detail: "priority_update_invalid_stream",
    });
  }
  const { urgency, incremental } = parsePriorityFieldValue(frame.fieldValue);
  core.events.push(
    new PriorityUpdated({ streamId, urgency, incremental, fieldValue: frame.fieldValue }),
  );
}

function recvUnknown(core: ConnectionCore, frame: UnknownFrame): void {
  // RFC 9113 §5.5: "Implementations MUST ignore unknown or unsupported values"; counted as a glitch.
  core.glitch("unknown frame");
  // An ALTSVC or ORIGIN frame the codec could not parse arrives opaque: ignore it (RFC 7838 §4,
  // RFC 8336 §2: non-critical extension frames; servers ignore ALTSVC anyway).
  if (frame.frameType === FrameType.ALTSVC || frame.frameType === FrameType.ORIGIN) return;
  core.events.push(new UnknownFrameReceived({ frame }));
}

/** Frame handlers indexed by frame type code. */
const HANDLERS: Array<Handler | undefined> = [];
HANDLERS[FrameType.DATA] = recvData;
HANDLERS[FrameType.HEADERS] = recvHeaders;
HANDLERS[FrameType.PRIORITY] = recvPriority;
HANDLERS[FrameType.RST_STREAM] = recvRstStream;
HANDLERS[FrameType.SETTINGS] = recvSettings;
HANDLERS[FrameType.PUSH_PROMISE] = recvPushPromise;
HANDLERS[FrameType.PING] = recvPing;
HANDLERS[FrameType.GOAWAY] = recvGoAway;
HANDLERS[FrameType.WINDOW_UPDATE] = recvWindowUpdate;
HANDLERS[FrameType.CONTINUATION] = recvContinuation;
HANDLERS[FrameType.ALTSVC] = recvAltSvc;
HANDLERS[FrameType.ORIGIN] = recvOrigin;
HANDLERS[FrameType.PRIORITY_UPDATE] = recvPriorityUpdate;
