/**
 * Private: the send side of `H2Connection` — opening streams, header blocks,
 * DATA and PUSH_PROMISE — plus the argument and state checks the public
 * methods share. Misuse by the caller is a `TypeError`/`RangeError`; API
 * state errors are python h2's (`ProtocolError`, `StreamClosedError`, …).
 *
 * @module
 */

import { MAX_STREAM_ID } from "./constants.ts";
import {
  FlowControlError,
  FrameTooLargeError,
  NoSuchStreamError,
  ProtocolError,
  StreamClosedError,
  StreamIdTooLowError,
  TooManyStreamsError,
} from "./errors.ts";
import type { HeaderField } from "./events.ts";
import {
  extractMethod,
  extractStatus,
  type FieldValidationFlags,
  normalizeOutbound,
  validateOutboundHeaders,
} from "./fields.ts";
import type { PriorityFields } from "./frame/types.ts";
import type { H2Stream } from "./stream.ts";
import {
  STREAM_STATE_NAMES,
  StreamInput,
  type StreamInputValue,
  StreamState,
} from "./stream_state.ts";
import { ConnectionCore } from "./_core.ts";
import { authorityOf, hasProtocolPseudoHeader } from "./_headers.ts";

/** Options of `H2Connection.sendHeaders`. */
export interface SendHeadersOptions {
  /** Set END_STREAM. @default {false} */
  endStream?: boolean;
  /** RFC 7540 priority weight 1..256 (client only). */
  priorityWeight?: number;
  /** RFC 7540 parent stream (client only). */
  priorityDependsOn?: number;
  /** RFC 7540 exclusive flag (client only). */
  priorityExclusive?: boolean;
  /** Field names to send never-indexed (RFC 7541 §6.2.3), on top of the normalisation defaults. */
  sensitive?: Iterable<string>;
}

/** Options of `H2Connection.sendData`. */
export interface SendDataOptions {
  /** Set END_STREAM. @default {false} */
  endStream?: boolean;
  /** Padding octets 0..255 (counted against flow control, plus the Pad Length octet). */
  padLength?: number;
}

/**
 * Checks a stream id argument.
 *
 * @param streamId The id.
 * @param what What it is, for the message.
 */
export function assertStreamId(streamId: number, what = "Stream ID"): void {
  if (typeof streamId !== "number") {
    throw new TypeError(`${what} must be a number, got "${typeof streamId}"`);
  }
  if (!Number.isInteger(streamId) || streamId < 1 || streamId > MAX_STREAM_ID) {
    throw new RangeError(`${what} "${streamId}" is not in 1..2^31-1`);
  }
}

/**
 * Checks a 32-bit unsigned argument.
 *
 * @param value The value.
 * @param what What it is, for the message.
 */
export function assertUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`${what} "${value}" is not an integer in 0..2^32-1`);
  }
}

/** Sends a header block; see `H2Connection.sendHeaders`. */
export function sendHeaders(
  core: ConnectionCore,
  streamId: number,
  headers: Iterable<HeaderField>,
  options: SendHeadersOptions,
): void {
  assertStreamId(streamId);
  assertUsable(core);
  const endStream = options.endStream ?? false;
  const priority = priorityOf(core, streamId, options);
  let stream = core.streams.get(streamId);
  const isNew = stream === undefined;
  if (stream === undefined) checkNewStream(core, streamId);
  const client = core.clientSide;
  const isTrailer = stream !== undefined && stream.headersSent;
  let input: StreamInputValue = StreamInput.SEND_HEADERS;
  const fields = prepareFields(core, headers, {
    isClient: client,
    isTrailer,
    isResponseHeader: !client,
    isPushPromise: false,
  }, options.sensitive);
  if (!client && !isTrailer) {
    const status = extractStatus(fields.fields);
    if (status !== undefined && status.length === 3 && status[0] === "1") {
      input = StreamInput.SEND_INFORMATIONAL_HEADERS;
      if (endStream) {
        throw new ProtocolError(
          `Cannot set END_STREAM on a 1xx response on stream "${streamId}"`,
          {
            detail: "informational_end_stream",
          },
        );
      }
    }
  }
  if (isTrailer && !endStream) {
    throw new ProtocolError(`Trailers on stream "${streamId}" must set END_STREAM`, {
      detail: "trailers_without_end_stream",
    });
  }
  if (stream !== undefined && stream.peek(input) === undefined) {
    throw stateError(stream, "HEADERS");
  }
  if (stream !== undefined && stream.state === StreamState.RESERVED_LOCAL) {
    // RFC 9113 §5.1.2: a pushed stream counts once its HEADERS make it half-closed (remote).
    checkConcurrency(core);
  }
  // RFC 8441 §4: "A client MUST NOT send a :protocol pseudo-header field unless the server has
  // sent SETTINGS_ENABLE_CONNECT_PROTOCOL with a value of 1."
  if (
    client && isNew && core.remote.enableConnectProtocol !== 1 &&
    hasProtocolPseudoHeader(fields.fields)
  ) {
    throw new ProtocolError("The server did not enable extended CONNECT (RFC 8441)", {
      detail: "connect_protocol_not_enabled",
    });
  }
  const block = fields.sensitive === undefined
    ? core.encoder.encodeView(fields.fields)
    : core.encoder.encodeView(fields.fields, fields.sensitive);
  if (stream === undefined) {
    stream = core.newStream(streamId);
    core.highestOutbound = streamId;
  }
  core.advance(stream, input);
  if (input === StreamInput.SEND_HEADERS) {
    if (isTrailer) stream.trailersSent = true;
    else stream.headersSent = true;
  }
  if (isNew && client) {
    stream.method = extractMethod(fields.fields);
    stream.authority = authorityOf(fields.fields);
  }
  if (endStream) core.advance(stream, StreamInput.SEND_END_STREAM);
  core.writer.headers(
    streamId,
    block,
    priority === undefined
      ? { endStream, maxFrameSize: core.maxOutboundFrameSize }
      : { endStream, priority, maxFrameSize: core.maxOutboundFrameSize },
  );
}

/** Sends one DATA frame; see `H2Connection.sendData`. */
export function sendData(
  core: ConnectionCore,
  streamId: number,
  data: Uint8Array,
  options: SendDataOptions,
): void {
  assertStreamId(streamId);
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`DATA payload must be a Uint8Array, got "${typeof data}"`);
  }
  const padLength = options.padLength;
  if (
    padLength !== undefined && (!Number.isInteger(padLength) || padLength < 0 || padLength > 255)
  ) {
    throw new RangeError(`Padding length "${padLength}" is not in 0..255`);
  }
  assertUsable(core);
  const stream = streamOf(core, streamId);
  if (stream.peek(StreamInput.SEND_DATA) === undefined) throw stateError(stream, "DATA");
  const size = padLength === undefined ? data.length : data.length + padLength + 1;
  const window = Math.min(core.outboundWindow, stream.outboundWindow);
  // RFC 9113 §6.9.2: while a window is negative (a smaller SETTINGS_INITIAL_WINDOW_SIZE), "the
  // sender MUST NOT send new flow-controlled frames until it receives WINDOW_UPDATE frames that
  // cause the flow-control window to become positive" — an empty DATA frame included.
  if (size > window) {
    throw new FlowControlError(
      `Cannot send "${size}" octets on stream "${streamId}": flow-control window is "${window}"`,
      { detail: "window_exceeded" },
    );
  }
  if (size > core.maxOutboundFrameSize) {
    throw new FrameTooLargeError(
      `Cannot send "${size}" octets on stream "${streamId}": max frame size is "${core.maxOutboundFrameSize}"`,
      { detail: "frame_too_large" },
    );
  }
  const endStream = options.endStream ?? false;
  core.advance(stream, StreamInput.SEND_DATA);
  core.outboundWindow -= size;
  stream.outboundWindow -= size;
  if (endStream) core.advance(stream, StreamInput.SEND_END_STREAM);
  core.writer.data(streamId, data, options); // same shape: no per-frame allocation
}

/** Sends PUSH_PROMISE; see `H2Connection.pushStream`. */
export function pushStream(
  core: ConnectionCore,
  streamId: number,
  promisedStreamId: number,
  requestHeaders: Iterable<HeaderField>,
  options: { sensitive?: Iterable<string> },
): void {
  assertStreamId(streamId);
  assertStreamId(promisedStreamId, "Promised stream ID");
  assertUsable(core);
  if (core.clientSide) {
    throw new ProtocolError("Clients cannot push streams", { detail: "push_from_client" });
  }
  if (core.remote.enablePush === 0) {
    throw new ProtocolError("The peer disabled server push", { detail: "push_disabled" });
  }
  const parent = streamOf(core, streamId);
  if (!core.isPeerId(streamId)) {
    throw new ProtocolError(`Cannot push on pushed stream "${streamId}"`, {
      detail: "push_on_pushed_stream",
    });
  }
  if (parent.peek(StreamInput.SEND_PUSH_PROMISE) === undefined) {
    throw stateError(parent, "PUSH_PROMISE");
  }
  if (core.isPeerId(promisedStreamId)) {
    throw new ProtocolError(`Promised stream ID "${promisedStreamId}" must be even`, {
      detail: "invalid_promised_stream_id",
    });
  }
  if (promisedStreamId <= core.highestOutbound) {
    throw new StreamIdTooLowError(promisedStreamId, core.highestOutbound);
  }
  assertNotGoingAway(core);
  const fields = prepareFields(core, requestHeaders, {
    isClient: false,
    isTrailer: false,
    isResponseHeader: false,
    isPushPromise: true,
  }, options.sensitive);
  const block = fields.sensitive === undefined
    ? core.encoder.encodeView(fields.fields)
    : core.encoder.encodeView(fields.fields, fields.sensitive);
  core.advance(parent, StreamInput.SEND_PUSH_PROMISE);
  const promised = core.newStream(promisedStreamId);
  core.advance(promised, StreamInput.SEND_PROMISE);
  core.highestOutbound = promisedStreamId;
  promised.method = extractMethod(fields.fields);
  core.writer.pushPromise(streamId, promisedStreamId, block, {
    maxFrameSize: core.maxOutboundFrameSize,
  });
}
/** Throws when the connection is dead. */
export function assertUsable(core: ConnectionCore): void {
  if (core.dead) {
    throw new ProtocolError("The connection is closed", { detail: "connection_closed" });
  }
}

function assertNotGoingAway(core: ConnectionCore): void {
  const goAway = core.goAway;
  if (goAway.receivedLastStreamId !== undefined || goAway.sentLastStreamId !== undefined) {
    throw new ProtocolError("Cannot open a stream: the connection is going away", {
      detail: "connection_going_away",
    });
  }
}

function checkNewStream(core: ConnectionCore, streamId: number): void {
  if (core.closed.has(streamId)) throw new StreamClosedError(streamId);
  if (core.isPeerId(streamId) || !core.clientSide) {
    if (!core.isIdle(streamId)) throw new StreamClosedError(streamId);
    throw new ProtocolError(`Cannot open stream "${streamId}": invalid stream ID for this side`, {
      detail: "invalid_stream_id",
    });
  }
  if (streamId <= core.highestOutbound) {
    throw new StreamIdTooLowError(streamId, core.highestOutbound);
  }
  assertNotGoingAway(core);
  checkConcurrency(core);
}

function checkConcurrency(core: ConnectionCore): void {
  const max = core.remote.maxConcurrentStreams;
  if (core.openOutbound + 1 > max) {
    throw new TooManyStreamsError(
      `Max outbound streams is "${max}", "${core.openOutbound}" open`,
      { detail: "too_many_streams" },
    );
  }
}

/** The tracked stream, or NoSuchStreamError/StreamClosedError. */
export function streamOf(core: ConnectionCore, streamId: number): H2Stream {
  const stream = core.streams.get(streamId);
  if (stream !== undefined) return stream;
  if (core.closed.has(streamId) || !core.isIdle(streamId)) throw new StreamClosedError(streamId);
  throw new NoSuchStreamError(streamId);
}

/** The error for an action not allowed in the stream's state. */
export function stateError(stream: H2Stream, what: string): ProtocolError {
  return ConnectionCore.stateError(stream.id, what, STREAM_STATE_NAMES[stream.state]!);
}

/** Checks RFC 7540 priority arguments (client only). */
export function priorityOf(
  core: ConnectionCore,
  streamId: number,
  options: SendHeadersOptions,
): PriorityFields | undefined {
  const { priorityWeight, priorityDependsOn, priorityExclusive } = options;
  if (
    priorityWeight === undefined && priorityDependsOn === undefined &&
    priorityExclusive === undefined
  ) {
    return undefined;
  }
  if (!core.clientSide) throw new TypeError("Servers cannot prioritize streams");
  const weight = priorityWeight ?? 16;
  const dependsOn = priorityDependsOn ?? 0;
  if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
    throw new ProtocolError(`Weight "${weight}" is not in 1..256`, { detail: "invalid_weight" });
  }
  if (!Number.isInteger(dependsOn) || dependsOn < 0 || dependsOn > MAX_STREAM_ID) {
    throw new RangeError(`Dependency "${dependsOn}" is not in 0..2^31-1`);
  }
  if (dependsOn === streamId) {
    throw new ProtocolError(`Stream "${streamId}" must not depend on itself`, {
      detail: "self_dependency",
    });
  }
  return { weight, dependsOn, exclusive: priorityExclusive ?? false };
}

function prepareFields(
  core: ConnectionCore,
  headers: Iterable<HeaderField>,
  flags: FieldValidationFlags,
  extraSensitive?: Iterable<string>,
): { fields: HeaderField[]; sensitive: { sensitive: Iterable<string> } | undefined } {
  const config = core.config;
  let fields: HeaderField[];
  let sensitive: Set<string> | undefined;
  if (config.normalizeOutboundHeaders) {
    const normalized = normalizeOutbound(headers, core.normalizeOptions);
    fields = normalized.fields;
    sensitive = normalized.sensitive;
  } else {
    fields = Array.isArray(headers) ? headers as HeaderField[] : [...headers];
  }
  if (extraSensitive !== undefined) {
    sensitive = new Set(sensitive);
    for (const name of extraSensitive) sensitive.add(name.toLowerCase());
  }
  if (config.validateOutboundHeaders) validateOutboundHeaders(fields, flags);
  return { fields, sensitive: sensitive === undefined ? undefined : { sensitive } };
}
