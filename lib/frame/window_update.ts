/**
 * WINDOW_UPDATE frames, RFC 9113 §6.9: parse (length 4, increment ≠ 0; the
 * R bit masked) and write. An increment of 0 is a stream error on a stream and
 * a connection error on stream 0; window overflow is the connection's check.
 *
 * @module
 */

import { FrameType, MAX_WINDOW_SIZE } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";
import { type ByteSink, readUint31, writeUint32 } from "./_bytes.ts";
import { assertStreamId, writeFrameHeader } from "./header.ts";
import type { WindowUpdateFrame } from "./types.ts";

/**
 * Parses a WINDOW_UPDATE payload.
 *
 * @throws {FrameDataMissingError} When the length is not 4 (connection error).
 * @throws {ProtocolError} On increment 0 (stream error when `streamId` ≠ 0).
 */
export function parseWindowUpdate(
  _flags: number,
  streamId: number,
  payload: Uint8Array,
): WindowUpdateFrame {
  // RFC 9113 §6.9: "A WINDOW_UPDATE frame with a length other than 4 octets
  // MUST be treated as a connection error (Section 5.4.1) of type
  // FRAME_SIZE_ERROR."
  if (payload.length !== 4) {
    throw new FrameDataMissingError(
      `WINDOW_UPDATE frame of "${payload.length}" octets, 4 expected`,
      { detail: "window_update_bad_length" },
    );
  }
  const increment = readUint31(payload, 0);
  // RFC 9113 §6.9: "A receiver MUST treat the receipt of a WINDOW_UPDATE frame
  // with a flow-control window increment of 0 as a stream error (Section
  // 5.4.2) of type PROTOCOL_ERROR; errors on the connection flow-control
  // window MUST be treated as a connection error (Section 5.4.1)."
  if (increment === 0) {
    throw new ProtocolError(`WINDOW_UPDATE with increment 0 on stream "${streamId}"`, {
      detail: "window_update_zero_increment",
      ...(streamId === 0 ? {} : { streamId }),
    });
  }
  return { type: FrameType.WINDOW_UPDATE, streamId, increment };
}

/**
 * Writes a WINDOW_UPDATE frame.
 *
 * @throws {RangeError} On a bad stream id or an increment outside 1..2^31-1.
 */
export function writeWindowUpdate(sink: ByteSink, streamId: number, increment: number): void {
  assertStreamId(streamId, "WINDOW_UPDATE", true);
  if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW_SIZE) {
    throw new RangeError(
      `Invalid WINDOW_UPDATE increment "${increment}": must be an integer in 1..2^31-1`,
    );
  }
  const at = sink.reserve(13);
  writeFrameHeader(sink.bytes, at, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  writeUint32(sink.bytes, at + 9, increment);
}
