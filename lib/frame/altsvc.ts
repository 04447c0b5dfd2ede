/**
 * ALTSVC frames, RFC 7838 §4: a 16-bit Origin-Len, the Origin, then the
 * Alt-Svc-Field-Value, both byte strings. Parse rejects only what the frame
 * itself proves malformed (FRAME_SIZE_ERROR); the stream/origin pairing rules
 * of §4 ("the frame MUST be ignored") are the connection's.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { FrameDataMissingError } from "../errors.ts";
import {
  assertByteString,
  type ByteSink,
  bytesToByteString,
  writeByteString,
  writeUint16,
} from "./_bytes.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import type { AltSvcFrame } from "./types.ts";

/**
 * Parses an ALTSVC payload.
 *
 * @throws {FrameDataMissingError} When shorter than 2 octets or Origin-Len runs past the end.
 */
export function parseAltSvc(_flags: number, streamId: number, payload: Uint8Array): AltSvcFrame {
  if (payload.length < 2) {
    throw new FrameDataMissingError(`ALTSVC frame of "${payload.length}" octets, 2 needed`, {
      detail: "altsvc_too_short",
    });
  }
  const originLength = (payload[0]! << 8) | payload[1]!;
  if (2 + originLength > payload.length) {
    throw new FrameDataMissingError(
      `ALTSVC Origin-Len "${originLength}" runs past the payload of "${payload.length}" octets`,
      { detail: "altsvc_origin_overflow" },
    );
  }
  return {
    type: FrameType.ALTSVC,
    streamId,
    origin: bytesToByteString(payload.subarray(2, 2 + originLength)),
    fieldValue: bytesToByteString(payload.subarray(2 + originLength)),
  };
}

/**
 * Writes an ALTSVC frame.
 *
 * @throws {RangeError} On a bad stream id or an origin longer than 65535 octets.
 * @throws {TypeError} When a string holds a char code above 255.
 */
export function writeAltSvc(
  sink: ByteSink,
  streamId: number,
  origin: string,
  fieldValue: string,
): void {
  assertStreamId(streamId, "ALTSVC", true);
  if (origin.length > 0xffff) {
    throw new RangeError(`Cannot send ALTSVC: origin of "${origin.length}" octets exceeds 65535`);
  }
  assertByteString(origin, "ALTSVC origin");
  assertByteString(fieldValue, "ALTSVC field value");
  const length = 2 + origin.length + fieldValue.length;
  assertPayloadLength(length, "ALTSVC");
  const at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeByteString(out, at + 11, origin);
  writeByteString(out, at + 11 + origin.length, fieldValue);
  writeFrameHeader(out, at, length, FrameType.ALTSVC, 0, streamId);
  writeUint16(out, at + 9, origin.length);
}
