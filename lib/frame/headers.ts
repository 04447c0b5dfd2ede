/**
 * HEADERS frames, RFC 9113 §6.2: parse (frame-local checks only: stream 0,
 * length of the padding and priority fields) and write one frame. Splitting a
 * field block into HEADERS + CONTINUATION is `writeFieldBlock` in
 * `continuation.ts`. A HEADERS frame depending on itself is NOT rejected here:
 * the connection must still HPACK-decode its block, so it checks that.
 *
 * @module
 */

import { FrameFlag, FrameType } from "../constants.ts";
import { ProtocolError } from "../errors.ts";
import type { ByteSink } from "./_bytes.ts";
import { assertPadLength, readPadLength } from "./_padding.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import {
  assertPriorityFields,
  PRIORITY_FIELDS_LENGTH,
  readPriorityFields,
  writePriorityFields,
} from "./priority.ts";
import type { HeadersFrame, PriorityFields } from "./types.ts";

/**
 * Parses a HEADERS payload.
 *
 * @param flags The flag octet.
 * @param streamId The stream id.
 * @param payload The payload; `fragment` is a view of it.
 * @returns The frame.
 * @throws {ProtocolError} On stream 0 or padding too long.
 * @throws {FrameDataMissingError} When too short for Pad Length / priority fields.
 */
export function parseHeaders(flags: number, streamId: number, payload: Uint8Array): HeadersFrame {
  // RFC 9113 §6.2: "If a HEADERS frame is received whose Stream Identifier
  // field is 0x00, the recipient MUST respond with a connection error
  // (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("HEADERS frame on stream 0", { detail: "headers_on_stream_0" });
  }
  const hasPriority = (flags & FrameFlag.PRIORITY) !== 0;
  const fixed = hasPriority ? PRIORITY_FIELDS_LENGTH : 0;
  const padLength = readPadLength(flags, payload, fixed, "headers");
  const start = padLength === undefined ? 0 : 1;
  return {
    type: FrameType.HEADERS,
    streamId,
    fragment: payload.subarray(start + fixed, payload.length - (padLength ?? 0)),
    endStream: (flags & FrameFlag.END_STREAM) !== 0,
    endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
    padLength,
    priority: hasPriority ? readPriorityFields(payload, start) : undefined,
  };
}

/**
 * Writes one HEADERS frame carrying `fragment`.
 *
 * @throws {RangeError} On a bad stream id, pad length, priority or oversized payload.
 */
export function writeHeaders(
  sink: ByteSink,
  streamId: number,
  fragment: Uint8Array,
  options: {
    endStream: boolean;
    endHeaders: boolean;
    padLength: number | undefined;
    priority: PriorityFields | undefined;
  },
): void {
  assertStreamId(streamId, "HEADERS", false);
  const { padLength, priority } = options;
  let flags = (options.endStream ? FrameFlag.END_STREAM : 0) |
    (options.endHeaders ? FrameFlag.END_HEADERS : 0);
  let length = fragment.length;
  if (padLength !== undefined) {
    assertPadLength(padLength, "HEADERS");
    flags |= FrameFlag.PADDED;
    length += 1 + padLength;
  }
  if (priority !== undefined) {
    assertPriorityFields(priority);
    flags |= FrameFlag.PRIORITY;
    length += PRIORITY_FIELDS_LENGTH;
  }
  assertPayloadLength(length, "HEADERS");
  let at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeFrameHeader(out, at, length, FrameType.HEADERS, flags, streamId);
  at += 9;
  if (padLength !== undefined) out[at++] = padLength;
  if (priority !== undefined) {
    writePriorityFields(out, at, priority);
    at += PRIORITY_FIELDS_LENGTH;
  }
  out.set(fragment, at);
  // RFC 9113 §6.2: "Padding octets MUST be set to zero when sending."
  if (padLength) out.fill(0, at + fragment.length, at + fragment.length + padLength);
}
