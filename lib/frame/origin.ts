/**
 * ORIGIN frames, RFC 8336 §2: a sequence of Origin-Entry (16-bit
 * Origin-Len + ASCII-Origin). Flags are ignored. ORIGIN is a non-critical
 * extension frame, so a truncated entry is never an error: the frame comes
 * out opaque (RFC 9113 §5.5) for the connection to ignore. Ignoring ORIGIN on
 * a stream other than 0 is the connection's rule.
 *
 * @module
 */

import { FrameType } from "../constants.ts";
import { assertByteString } from "../errors.ts";
import { type ByteSink, bytesToByteString, writeByteString, writeUint16 } from "./_bytes.ts";
import { assertPayloadLength, writeFrameHeader } from "./header.ts";
import type { OriginFrame, UnknownFrame } from "./types.ts";

/**
 * Parses an ORIGIN payload. One with an Origin-Entry cut short is returned as
 * an opaque extension frame instead.
 */
export function parseOrigin(
  flags: number,
  streamId: number,
  payload: Uint8Array,
): OriginFrame | UnknownFrame {
  const origins: string[] = [];
  let at = 0;
  while (at < payload.length) {
    const length = payload.length - at < 2 ? -1 : (payload[at]! << 8) | payload[at + 1]!;
    at += 2;
    if (length < 0 || at + length > payload.length) {
      return { type: "unknown", frameType: FrameType.ORIGIN, streamId, flags, payload };
    }
    origins.push(bytesToByteString(payload.subarray(at, at + length)));
    at += length;
  }
  return { type: FrameType.ORIGIN, streamId, origins };
}

/**
 * Writes an ORIGIN frame on stream 0.
 *
 * @throws {RangeError} When an origin exceeds 65535 octets or the payload 2^24-1.
 * @throws {TypeError} When an origin holds a char code above 255.
 */
export function writeOrigin(sink: ByteSink, origins: readonly string[]): void {
  let length = 0;
  for (const origin of origins) {
    if (origin.length > 0xffff) {
      throw new RangeError(`Cannot send ORIGIN: origin of "${origin.length}" octets exceeds 65535`);
    }
    assertByteString(origin, "ORIGIN origin");
    length += 2 + origin.length;
  }
  assertPayloadLength(length, "ORIGIN");
  let at = sink.reserve(9 + length);
  const out = sink.bytes;
  const frameAt = at;
  at += 9;
  for (const origin of origins) {
    writeUint16(out, at, origin.length);
    writeByteString(out, at + 2, origin);
    at += 2 + origin.length;
  }
  writeFrameHeader(out, frameAt, length, FrameType.ORIGIN, 0, 0);
}
