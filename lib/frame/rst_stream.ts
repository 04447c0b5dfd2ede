/**
 * RST_STREAM frames, RFC 9113 §6.4: parse (stream 0, fixed length 4) and
 * write. The error code is kept as a plain number: unknown codes are valid.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";
import { type ByteSink, readUint32, writeUint32 } from "./_bytes.ts";
import { assertStreamId, assertUint32, writeFrameHeader } from "./header.ts";
import type { RstStreamFrame } from "./types.ts";

/**
 * Parses a RST_STREAM payload.
 *
 * @throws {ProtocolError} On stream 0.
 * @throws {FrameDataMissingError} When the length is not 4.
 */
export function parseRstStream(
  _flags: number,
  streamId: number,
  payload: Uint8Array,
): RstStreamFrame {
  // RFC 9113 §6.4: "If a RST_STREAM frame is received with a stream identifier
  // of 0x00, the recipient MUST treat this as a connection error (Section
  // 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("RST_STREAM frame on stream 0", { detail: "rst_stream_on_stream_0" });
  }
  // RFC 9113 §6.4: "A RST_STREAM frame with a length other than 4 octets MUST
  // be treated as a connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (payload.length !== 4) {
    throw new FrameDataMissingError(
      `RST_STREAM frame of "${payload.length}" octets, 4 expected`,
      { detail: "rst_stream_bad_length" },
    );
  }
  return { type: FrameType.RST_STREAM, streamId, errorCode: readUint32(payload, 0) };
}

/**
 * Writes a RST_STREAM frame.
 *
 * @throws {RangeError} On a bad stream id or error code.
 */
export function writeRstStream(sink: ByteSink, streamId: number, errorCode: number): void {
  assertStreamId(streamId, "RST_STREAM", false);
  assertUint32(errorCode, "error code");
  const at = sink.reserve(13);
  writeFrameHeader(sink.bytes, at, 4, FrameType.RST_STREAM, 0, streamId);
  writeUint32(sink.bytes, at + 9, errorCode);
}
