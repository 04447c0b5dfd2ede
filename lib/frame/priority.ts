/**
 * PRIORITY frames, RFC 9113 §6.3 (the deprecated RFC 7540 scheme, still
 * parsed and validated), and the 5-octet priority fields they share with
 * HEADERS. Both checks here are stream-scoped, so the decoder consumes the
 * frame and stays usable: a length other than 5 (FRAME_SIZE_ERROR, §6.3) and
 * a stream depending on itself (PROTOCOL_ERROR, RFC 7540 §5.3.1).
 *
 * @module
 */

import { FrameType, MAX_STREAM_ID } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";
import { type ByteSink, readUint31 } from "./_bytes.ts";
import { assertStreamId, writeFrameHeader } from "./header.ts";
import type { PriorityFields, PriorityFrame } from "./types.ts";

/** Octets of the priority fields: E bit + 31-bit dependency, then weight − 1. */
export const PRIORITY_FIELDS_LENGTH = 5;

/**
 * Reads the 5 octets of priority fields at `offset` (§6.2, §6.3).
 *
 * @returns The fields, E bit split off and the weight made 1..256.
 */
export function readPriorityFields(bytes: Uint8Array, offset: number): PriorityFields {
  return {
    dependsOn: readUint31(bytes, offset),
    weight: bytes[offset + 4]! + 1,
    exclusive: (bytes[offset]! & 0x80) !== 0,
  };
}

/**
 * Checks priority fields our caller asked us to send.
 *
 * @throws {RangeError} On a dependency outside 0..2^31-1 or a weight outside 1..256.
 */
export function assertPriorityFields(priority: PriorityFields): void {
  const { dependsOn, weight } = priority;
  if (!Number.isInteger(dependsOn) || dependsOn < 0 || dependsOn > MAX_STREAM_ID) {
    throw new RangeError(`Invalid priority dependency "${dependsOn}": must be in 0..2^31-1`);
  }
  if (!Number.isInteger(weight) || weight < 1 || weight > 256) {
    throw new RangeError(`Invalid priority weight "${weight}": must be an integer in 1..256`);
  }
}

/** Writes 5 octets of (already validated) priority fields at `offset`. */
export function writePriorityFields(out: Uint8Array, offset: number, p: PriorityFields): void {
  const dependsOn = p.dependsOn;
  out[offset] = ((dependsOn >>> 24) & 0x7f) | (p.exclusive ? 0x80 : 0);
  out[offset + 1] = dependsOn >>> 16;
  out[offset + 2] = dependsOn >>> 8;
  out[offset + 3] = dependsOn;
  out[offset + 4] = p.weight - 1;
}

/**
 * Parses a PRIORITY payload.
 *
 * @param _flags Unused: PRIORITY defines no flags.
 * @param streamId The stream id.
 * @param payload The payload.
 * @returns The frame.
 * @throws {ProtocolError} On stream 0 (connection error) or self-dependency (stream error).
 * @throws {FrameDataMissingError} When the length is not 5 (stream error).
 */
export function parsePriority(
  _flags: number,
  streamId: number,
  payload: Uint8Array,
): PriorityFrame {
  // RFC 9113 §6.3: "If a PRIORITY frame is received with a stream identifier
  // of 0x00, the recipient MUST respond with a connection error (Section
  // 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("PRIORITY frame on stream 0", { detail: "priority_on_stream_0" });
  }
  // RFC 9113 §6.3: "A PRIORITY frame with a length other than 5 octets MUST be
  // treated as a stream error (Section 5.4.2) of type FRAME_SIZE_ERROR."
  if (payload.length !== PRIORITY_FIELDS_LENGTH) {
    throw new FrameDataMissingError(
      `PRIORITY frame of "${payload.length}" octets, 5 expected`,
      { detail: "priority_bad_length", streamId },
    );
  }
  const priority = readPriorityFields(payload, 0);
  // RFC 7540 §5.3.1 (the scheme RFC 9113 §5.3.2 still parses): "A stream
  // cannot depend on itself. An endpoint MUST treat this as a stream error
  // (Section 5.4.2) of type PROTOCOL_ERROR."
  if (priority.dependsOn === streamId) {
    throw new ProtocolError(`Stream "${streamId}" depends on itself`, {
      detail: "priority_self_dependency",
      streamId,
    });
  }
  return { type: FrameType.PRIORITY, streamId, priority };
}

/**
 * Writes a PRIORITY frame.
 *
 * @throws {RangeError} On a bad stream id or priority fields.
 */
export function writePriority(sink: ByteSink, streamId: number, priority: PriorityFields): void {
  assertStreamId(streamId, "PRIORITY", false);
  assertPriorityFields(priority);
  const at = sink.reserve(9 + PRIORITY_FIELDS_LENGTH);
  writeFrameHeader(sink.bytes, at, PRIORITY_FIELDS_LENGTH, FrameType.PRIORITY, 0, streamId);
  writePriorityFields(sink.bytes, at + 9, priority);
}
