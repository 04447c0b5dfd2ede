/**
 * Private: what a complete inbound header block means (RFC 9113 §8.1): a
 * request, an informational or final response, trailers or a pushed
 * request. HPACK decodes every block exactly once, even for streams we
 * refuse or already reset, so the dynamic table stays in sync (§4.3). A
 * malformed message is a stream error of type PROTOCOL_ERROR (§8.1.1).
 *
 * @module
 */

import { SettingCode } from "./constants.ts";
import {
  DenialOfServiceError,
  ErrorCode,
  H2Error,
  HpackDecodingError,
  OversizedHeaderListError,
  ProtocolError,
} from "./errors.ts";
import {
  type HeaderEventInit,
  type HeaderField,
  InformationalResponseReceived,
  PriorityUpdated,
  PushedStreamReceived,
  RequestReceived,
  ResponseReceived,
  StreamEnded,
  TrailersReceived,
} from "./events.ts";
import {
  extractMethod,
  extractStatus,
  normalizeInboundHeaders,
  parseContentLength,
  validateInboundHeaders,
} from "./fields.ts";
import type { HeadersFrame, PushPromiseFrame } from "./frame/types.ts";
import type { ConnectionCore } from "./_core.ts";
import { ClosedBy, type H2Stream } from "./stream.ts";
import { StreamEffect, StreamInput, type StreamInputValue, StreamState } from "./stream_state.ts";

/** Outcome of HPACK decoding: the fields, or the size error to turn into a stream error. */
type Decoded = HeaderField[] | OversizedHeaderListError;

function decodeBlock(core: ConnectionCore, block: Uint8Array): Decoded {
  try {
    return core.hpack.decode(block);
  } catch (error) {
    if (error instanceof OversizedHeaderListError) {
      // RFC 9113 §10.5.1; hyperium's rule: far over the limit is abuse, not a mistake.
      if (error.listSize > 4 * core.local.maxHeaderListSize) {
        throw new DenialOfServiceError("Header list far over the advertised limit", {
          detail: "header_list_way_too_large",
          cause: error,
        });
      }
      return error;
    }
    if (error instanceof H2Error) throw error;
    // RFC 9113 §4.3: any HPACK decoding failure is a COMPRESSION_ERROR.
    throw new HpackDecodingError("HPACK decoding failed", {
      detail: "hpack_failure",
      cause: error,
    });
  }
}

/**
 * Handles a complete HEADERS or PUSH_PROMISE block.
 *
 * @param core The connection.
 * @param first The frame that started the block.
 * @param block The whole field block fragment.
 */
export function completeBlock(
  core: ConnectionCore,
  first: HeadersFrame | PushPromiseFrame,
  block: Uint8Array,
): void {
  const decoded = decodeBlock(core, block);
  if ("promisedStreamId" in first) recvPushPromiseBlock(core, first, decoded);
  else recvHeadersBlock(core, first, decoded);
}

function sensitiveOf(core: ConnectionCore): string[] | undefined {
  const names = core.hpack.lastSensitiveHeaders;
  return names.length === 0 ? undefined : names.slice();
}

function hasProtocolPseudoHeader(fields: readonly HeaderField[]): boolean {
  for (const field of fields) {
    const name = field[0];
    if (name.charCodeAt(0) !== 0x3a) return false;
    if (name === ":protocol") return true;
  }
  return false;
}

function authorityOf(fields: readonly HeaderField[]): string | undefined {
  let host: string | undefined;
  for (const [name, value] of fields) {
    if (name === ":authority") return value;
    if (name === "host" && host === undefined) host = value;
  }
  return host;
}

function recvHeadersBlock(core: ConnectionCore, frame: HeadersFrame, decoded: Decoded): void {
  const streamId = frame.streamId;
  let stream = core.streams.get(streamId);
  if (stream === undefined) {
    if (!core.isPeerId(streamId) || core.clientSide) {
      // Our own id that we no longer track, or a server-initiated stream without PUSH_PROMISE.
      if (core.isIdle(streamId)) {
        throw new ProtocolError(`HEADERS on idle stream "${streamId}"`, {
          detail: core.isPeerId(streamId) ? "headers_without_push_promise" : "invalid_stream_id",
        });
      }
      core.onMissingStream(streamId, "HEADERS");
      return;
    }
    if (streamId <= core.highestInbound) {
      // §6.8: a stream ignored after our GOAWAY stays ignored (its blocks are still decoded).
      if (!core.goAway.acceptsInbound(streamId)) return core.glitch("HEADERS after GOAWAY");
      if (!core.closed.has(streamId)) {
        // RFC 9113 §5.1.1: a new stream id must be larger than every id the peer used.
        throw new ProtocolError(
          `Stream ID "${streamId}" is not higher than "${core.highestInbound}"`,
          { detail: "stream_id_too_low" },
        );
      }
      core.onMissingStream(streamId, "HEADERS");
      return;
    }
    core.highestInbound = streamId;
    // RFC 9113 §6.8: after our GOAWAY, new streams above its last stream id are ignored (each
    // still costs an HPACK decode, hence a glitch).
    if (!core.goAway.acceptsInbound(streamId)) return core.glitch("HEADERS after GOAWAY");
    // RFC 9113 §5.1.2: over our SETTINGS_MAX_CONCURRENT_STREAMS → PROTOCOL_ERROR or
    // REFUSED_STREAM stream error; REFUSED_STREAM tells the client it may retry.
    if (core.openInbound >= core.local.maxConcurrentStreams) {
      core.streamError(streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    stream = core.newStream(streamId);
  }
  if (decoded instanceof OversizedHeaderListError) {
    if (stream.state === 0) core.advance(stream, StreamInput.RECV_HEADERS);
    core.streamError(streamId, ErrorCode.ENHANCE_YOUR_CALM);
    return;
  }
  const priority = frame.priority;
  // RFC 9113 §5.3.1: "A stream cannot depend on itself ... stream error of type PROTOCOL_ERROR."
  if (priority !== undefined && priority.dependsOn === streamId) {
    if (stream.state === 0) core.advance(stream, StreamInput.RECV_HEADERS);
    core.streamError(streamId, ErrorCode.PROTOCOL_ERROR);
    return;
  }
  if (core.clientSide) recvResponseBlock(core, stream, frame, decoded);
  else recvRequestBlock(core, stream, frame, decoded);
}

/** Server side: a request, or trailers on a request stream. */
function recvRequestBlock(
  core: ConnectionCore,
  stream: H2Stream,
  frame: HeadersFrame,
  fields: HeaderField[],
): void {
  const isTrailer = stream.headersReceived;
  if (!enter(core, stream, StreamInput.RECV_HEADERS)) return;
  try {
    fields = checkFields(core, fields, {
      isClient: false,
      isTrailer,
      isResponseHeader: false,
      isPushPromise: false,
    });
    if (isTrailer) {
      checkTrailers(stream, frame);
    } else {
      // RFC 8441 §4: ":protocol" only after we sent SETTINGS_ENABLE_CONNECT_PROTOCOL=1.
      if (
        hasProtocolPseudoHeader(fields) &&
        core.local.latest(SettingCode.ENABLE_CONNECT_PROTOCOL) !== 1
      ) {
        throw new ProtocolError("Extended CONNECT without SETTINGS_ENABLE_CONNECT_PROTOCOL", {
          detail: "connect_protocol_not_enabled",
        });
      }
      stream.method = extractMethod(fields);
      initContentLength(stream, fields, frame.endStream, false);
    }
  } catch (error) {
    return malformed(core, stream, error);
  }
  stream.headersReceived = true;
  const Event = isTrailer ? TrailersReceived : RequestReceived;
  emit(core, stream, frame, fields, Event);
}

/** Client side: an informational or final response, or trailers. */
function recvResponseBlock(
  core: ConnectionCore,
  stream: H2Stream,
  frame: HeadersFrame,
  fields: HeaderField[],
): void {
  const isTrailer = stream.headersReceived;
  // RFC 9113 §5.1.2: a pushed stream counts once its HEADERS make it half-closed (local).
  if (
    stream.state === StreamState.RESERVED_REMOTE &&
    core.openInbound >= core.local.maxConcurrentStreams
  ) {
    core.streamError(stream.id, ErrorCode.REFUSED_STREAM);
    return;
  }
  const status = isTrailer ? undefined : extractStatus(fields);
  const informational = status !== undefined && status.length === 3 && status[0] === "1";
  const input = informational ? StreamInput.RECV_INFORMATIONAL_HEADERS : StreamInput.RECV_HEADERS;
  if (!enter(core, stream, input)) return;
  try {
    fields = checkFields(core, fields, {
      isClient: true,
      isTrailer,
      isResponseHeader: true,
      isPushPromise: false,
    });
    if (isTrailer) checkTrailers(stream, frame);
    else if (informational) {
      // RFC 9113 §8.1: an informational response cannot end the stream.
      if (frame.endStream) {
        throw new ProtocolError("1xx response with END_STREAM", {
          detail: "informational_end_stream",
        });
      }
    } else {
      // §8.1.1: a response to HEAD, and 204/304 responses, carry no content.
      const noBody = stream.method === "HEAD" || status === "204" || status === "304";
      initContentLength(stream, fields, frame.endStream, noBody);
    }
  } catch (error) {
    return malformed(core, stream, error);
  }
  if (informational) {
    emit(core, stream, frame, fields, InformationalResponseReceived);
    return;
  }
  stream.headersReceived = true;
  emit(core, stream, frame, fields, isTrailer ? TrailersReceived : ResponseReceived);
}

/** Applies the HEADERS input; false when the stream error or drop is handled. */
function enter(core: ConnectionCore, stream: H2Stream, input: StreamInputValue): boolean {
  const row = stream.peek(input);
  if (row === undefined) {
    throw new ProtocolError(`HEADERS on stream "${stream.id}" in state "${stream.state}"`, {
      detail: "headers_in_invalid_state",
    });
  }
  if (row.effect === StreamEffect.STREAM_CLOSED) {
    // §5.1 "half-closed (remote)": stream error STREAM_CLOSED.
    core.streamError(stream.id, ErrorCode.STREAM_CLOSED);
    return false;
  }
  core.advance(stream, input);
  return true;
}

function checkFields(
  core: ConnectionCore,
  fields: HeaderField[],
  flags: {
    isClient: boolean;
    isTrailer: boolean;
    isResponseHeader: boolean;
    isPushPromise: boolean;
  },
): HeaderField[] {
  const normalized = core.config.normalizeInboundHeaders ? normalizeInboundHeaders(fields) : fields;
  if (core.config.validateInboundHeaders) validateInboundHeaders(normalized, flags);
  return normalized;
}

function checkTrailers(stream: H2Stream, frame: HeadersFrame): void {
  // RFC 9113 §8.1: trailers are the last header section and carry END_STREAM.
  if (!frame.endStream) {
    throw new ProtocolError("Trailers without END_STREAM", {
      detail: "trailers_without_end_stream",
    });
  }
  const expected = stream.expectedLength;
  if (expected !== undefined && expected !== stream.receivedLength) {
    throw new ProtocolError(
      `Body length "${stream.receivedLength}" does not match content-length "${expected}"`,
      { detail: "content_length_mismatch" },
    );
  }
}

function initContentLength(
  stream: H2Stream,
  fields: readonly HeaderField[],
  endStream: boolean,
  noBody: boolean,
): void {
  const declared = parseContentLength(fields);
  stream.expectedLength = noBody ? 0 : declared;
  // RFC 9113 §8.1.1: HEADERS with END_STREAM and a non-zero content-length is malformed.
  if (endStream && !noBody && declared !== undefined && declared !== 0) {
    throw new ProtocolError(`END_STREAM with content-length "${declared}"`, {
      detail: "content_length_mismatch",
    });
  }
}

function malformed(core: ConnectionCore, stream: H2Stream, error: unknown): void {
  if (!(error instanceof ProtocolError)) throw error;
  // RFC 9113 §8.1.1: "Malformed requests or responses that are detected MUST be treated as a
  // stream error of type PROTOCOL_ERROR."
  core.streamError(stream.id, ErrorCode.PROTOCOL_ERROR);
}

type HeaderEventClass = new (init: HeaderEventInit) =>
  | RequestReceived
  | ResponseReceived
  | TrailersReceived
  | InformationalResponseReceived;

function emit(
  core: ConnectionCore,
  stream: H2Stream,
  frame: HeadersFrame,
  headers: HeaderField[],
  Event: HeaderEventClass,
): void {
  const streamId = stream.id;
  let ended: StreamEnded | undefined;
  if (frame.endStream) {
    ended = new StreamEnded({ streamId });
    core.advance(stream, StreamInput.RECV_END_STREAM);
  }
  let priorityUpdated: PriorityUpdated | undefined;
  const priority = frame.priority;
  if (priority !== undefined) {
    priorityUpdated = new PriorityUpdated({
      streamId,
      weight: priority.weight,
      dependsOn: priority.dependsOn,
      exclusive: priority.exclusive,
    });
  }
  const init: HeaderEventInit = { streamId, headers, streamEnded: ended, priorityUpdated };
  const sensitive = sensitiveOf(core);
  if (sensitive !== undefined) init.sensitiveHeaders = sensitive;
  const events = core.events;
  events.push(new Event(init));
  if (ended !== undefined) events.push(ended);
  if (priorityUpdated !== undefined) events.push(priorityUpdated);
}

function recvPushPromiseBlock(
  core: ConnectionCore,
  frame: PushPromiseFrame,
  decoded: Decoded,
): void {
  const parentId = frame.streamId;
  const promisedId = frame.promisedStreamId;
  // RFC 9113 §6.6 / §8.4: PUSH_PROMISE with push disabled is a connection PROTOCOL_ERROR.
  if (core.local.enablePush === 0) {
    throw new ProtocolError("PUSH_PROMISE received with SETTINGS_ENABLE_PUSH=0", {
      detail: "push_disabled",
    });
  }
  // §5.1.1: the promised id is a new server-initiated id.
  if (!core.isPeerId(promisedId) || promisedId <= core.highestInbound) {
    throw new ProtocolError(`Invalid promised stream ID "${promisedId}"`, {
      detail: "invalid_promised_stream_id",
    });
  }
  // §8.4: pushes are associated with a client-initiated request.
  if (core.isPeerId(parentId)) {
    throw new ProtocolError(`PUSH_PROMISE on server stream "${parentId}"`, {
      detail: "push_on_pushed_stream",
    });
  }
  core.highestInbound = promisedId;
  const parent = core.streams.get(parentId);
  if (parent === undefined) {
    if (core.closed.get(parentId) === ClosedBy.RECV_RST_STREAM) {
      // §6.6: PUSH_PROMISE only on an open or half-closed (local) stream; the peer reset it.
      throw new ProtocolError(`PUSH_PROMISE on reset stream "${parentId}"`, {
        detail: "push_promise_on_closed_stream",
      });
    }
    core.onMissingStream(parentId, "PUSH_PROMISE");
    // Minimal processing on a reset parent: the promised stream is reserved, then refused.
    core.streamError(promisedId, ErrorCode.REFUSED_STREAM);
    return;
  }
  const row = parent.peek(StreamInput.RECV_PUSH_PROMISE);
  if (row === undefined || row.effect !== StreamEffect.NONE) {
    throw new ProtocolError(`PUSH_PROMISE on stream "${parentId}" in state "${parent.state}"`, {
      detail: "push_promise_in_invalid_state",
    });
  }
  if (core.reservedInbound >= Math.max(core.local.maxConcurrentStreams, 100)) {
    // Bounded memory: reserved streams do not count against MAX_CONCURRENT_STREAMS (§5.1.2),
    // so their number gets its own cap: as many as may be open, at least 100.
    core.streamError(promisedId, ErrorCode.REFUSED_STREAM);
    return;
  }
  const promised = core.newStream(promisedId);
  core.advance(promised, StreamInput.RECV_PROMISE);
  if (decoded instanceof OversizedHeaderListError) {
    core.streamError(promisedId, ErrorCode.ENHANCE_YOUR_CALM);
    return;
  }
  let headers: HeaderField[];
  try {
    headers = checkFields(core, decoded, {
      isClient: true,
      isTrailer: false,
      isResponseHeader: false,
      isPushPromise: true,
    });
  } catch (error) {
    // RFC 9113 §8.4: an invalid promised request is a stream error on the promised stream.
    return malformed(core, promised, error);
  }
  promised.method = extractMethod(headers);
  promised.authority = authorityOf(headers);
  const sensitive = sensitiveOf(core);
  core.events.push(
    new PushedStreamReceived({
      pushedStreamId: promisedId,
      parentStreamId: parentId,
      headers,
      ...(sensitive === undefined ? {} : { sensitiveHeaders: sensitive }),
    }),
  );
}

/**
 * Parses an RFC 9218 Priority Field Value (`u=N, i`); members with bad
 * values are ignored, so a malformed value yields the defaults (§4, §8).
 *
 * @param value The field value.
 * @returns Urgency 0..7 (default 3) and the incremental flag (default false).
 */
export function parsePriorityFieldValue(value: string): { urgency: number; incremental: boolean } {
  let urgency = 3;
  let incremental = false;
  for (const member of value.split(",")) {
    const item = member.trim();
    const eq = item.indexOf("=");
    const key = (eq === -1 ? item : item.slice(0, eq)).split(";")[0]!.trim();
    const raw = eq === -1 ? "?1" : item.slice(eq + 1).split(";")[0]!.trim();
    if (key === "u") {
      if (/^[0-7]$/.test(raw)) urgency = Number(raw);
    } else if (key === "i") {
      if (raw === "?1") incremental = true;
      else if (raw === "?0") incremental = false;
    }
  }
  return { urgency, incremental };
}

export { authorityOf, hasProtocolPseudoHeader };
