/**
 * ALTSVC frames, RFC 7838 §4: a 16-bit Origin-Len, the Origin, then the
 * Alt-Svc-Field-Value, both byte strings. ALTSVC is an extension frame that
 * servers MUST ignore (RFC 7838 §4), so a malformed one is never an error: it
 * comes out as an opaque extension frame (RFC 9113 §5.5) for the connection to
 * ignore. The stream/origin pairing rules of §4 are the connection's.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { assertByteString } from "../errors.ts";
import { type ByteSink, bytesToByteString, writeByteString, writeUint16 } from "./_bytes.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import type { AltSvcFrame, UnknownFrame } from "./types.ts";

/**
 * Parses an ALTSVC payload. One shorter than 2 octets, or whose Origin-Len runs
 * past the end, is returned as an opaque extension frame instead.
 */
export function parseAltSvc(
  flags: number,
  streamId: number,
  payload: Uint8Array,
): AltSvcFrame | UnknownFrame {
  const originLength = payload.length < 2 ? -1 : (payload[0]! << 8) | payload[1]!;
  if (originLength < 0 || 2 + originLength > payload.length) {
    return { type: "unknown", frameType: FrameType.ALTSVC, streamId, flags, payload };
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
