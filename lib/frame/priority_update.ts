/**
 * PRIORITY_UPDATE frames, RFC 9218 §7.1: on stream 0 only, an R bit and the
 * 31-bit Prioritized Stream ID, then the Priority Field Value (ASCII, kept as
 * a byte string). Parsing the field value (urgency, incremental) is the
 * connection's job.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { assertByteString, FrameDataMissingError, ProtocolError } from "../errors.ts";
import {
  type ByteSink,
  bytesToByteString,
  readUint31,
  writeByteString,
  writeUint32,
} from "./_bytes.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import type { PriorityUpdateFrame } from "./types.ts";

/**
 * Parses a PRIORITY_UPDATE payload.
 *
 * @throws {ProtocolError} When not on stream 0, or when it names stream 0.
 * @throws {FrameDataMissingError} When shorter than 4 octets.
 */
export function parsePriorityUpdate(
  _flags: number,
  streamId: number,
  payload: Uint8Array,
): PriorityUpdateFrame {
  // RFC 9218 §7.1: PRIORITY_UPDATE is sent on stream 0; one received on any
  // other stream is a connection error of type PROTOCOL_ERROR.
  if (streamId !== 0) {
    throw new ProtocolError(`PRIORITY_UPDATE frame on stream "${streamId}"`, {
      detail: "priority_update_not_on_stream_0",
    });
  }
  // RFC 9218 §7.1: the payload holds at least the 4-octet Prioritized Stream
  // ID; a shorter one is a connection error of type FRAME_SIZE_ERROR.
  if (payload.length < 4) {
    throw new FrameDataMissingError(
      `PRIORITY_UPDATE frame of "${payload.length}" octets, 4 needed`,
      { detail: "priority_update_too_short" },
    );
  }
  const prioritizedStreamId = readUint31(payload, 0);
  // RFC 9218 §7.1: a Prioritized Stream ID of 0x00 is a connection error of
  // type PROTOCOL_ERROR.
  if (prioritizedStreamId === 0) {
    throw new ProtocolError("PRIORITY_UPDATE names stream 0", {
      detail: "priority_update_stream_0",
    });
  }
  return {
    type: FrameType.PRIORITY_UPDATE,
    streamId: 0,
    prioritizedStreamId,
    fieldValue: bytesToByteString(payload.subarray(4)),
  };
}

/**
 * Writes a PRIORITY_UPDATE frame on stream 0.
 *
 * @throws {RangeError} On a prioritized stream id outside 1..2^31-1.
 * @throws {TypeError} When the field value holds a char code above 255.
 */
export function writePriorityUpdate(
  sink: ByteSink,
  prioritizedStreamId: number,
  fieldValue: string,
): void {
  assertStreamId(prioritizedStreamId, "PRIORITY_UPDATE (prioritized stream)", false);
  assertByteString(fieldValue, "PRIORITY_UPDATE field value");
  const length = 4 + fieldValue.length;
  assertPayloadLength(length, "PRIORITY_UPDATE");
  const at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeByteString(out, at + 13, fieldValue);
  writeFrameHeader(out, at, length, FrameType.PRIORITY_UPDATE, 0, 0);
  writeUint32(out, at + 9, prioritizedStreamId);
}
