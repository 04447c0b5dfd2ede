/**
 * GOAWAY frames, RFC 9113 §6.8: parse (stream 0 only, at least 8 octets;
 * the R bit of Last-Stream-ID masked) and write. Debug data is opaque.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";
import { type ByteSink, readUint31, readUint32, writeUint32 } from "./_bytes.ts";
import { assertPayloadLength, assertStreamId, assertUint32, writeFrameHeader } from "./header.ts";
import type { GoAwayFrame } from "./types.ts";

/**
 * Parses a GOAWAY payload.
 *
 * @throws {ProtocolError} When not on stream 0.
 * @throws {FrameDataMissingError} When shorter than 8 octets.
 */
export function parseGoAway(_flags: number, streamId: number, payload: Uint8Array): GoAwayFrame {
  // RFC 9113 §6.8: "An endpoint MUST treat a GOAWAY frame with a stream
  // identifier other than 0x00 as a connection error (Section 5.4.1) of type
  // PROTOCOL_ERROR."
  if (streamId !== 0) {
    throw new ProtocolError(`GOAWAY frame on stream "${streamId}"`, {
      detail: "goaway_not_on_stream_0",
    });
  }
  // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if
  // a frame ... is too small to contain mandatory frame data"; GOAWAY carries
  // Last-Stream-ID and Error Code (8 octets).
  if (payload.length < 8) {
    throw new FrameDataMissingError(`GOAWAY frame of "${payload.length}" octets, 8 needed`, {
      detail: "goaway_too_short",
    });
  }
  return {
    type: FrameType.GOAWAY,
    streamId: 0,
    lastStreamId: readUint31(payload, 0),
    errorCode: readUint32(payload, 4),
    debugData: payload.subarray(8),
  };
}

/**
 * Writes a GOAWAY frame.
 *
 * @throws {RangeError} On a bad last stream id, error code or oversized debug data.
 */
export function writeGoAway(
  sink: ByteSink,
  lastStreamId: number,
  errorCode: number,
  debugData: Uint8Array,
): void {
  assertStreamId(lastStreamId, "GOAWAY (last stream id)", true);
  assertUint32(errorCode, "error code");
  const length = 8 + debugData.length;
  assertPayloadLength(length, "GOAWAY");
  const at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeFrameHeader(out, at, length, FrameType.GOAWAY, 0, 0);
  writeUint32(out, at + 9, lastStreamId);
  writeUint32(out, at + 13, errorCode);
  out.set(debugData, at + 17);
}
