/**
 * The 9-octet frame header of RFC 9113 §4.1, read and written with manual
 * byte math. The decoder reads header fields inline on its hot path; these
 * functions are the reference form used by the frame writers, tests and tools.
 *
 * ```
 * +-----------------------------------------------+
 * |                 Length (24)                   |
 * +---------------+---------------+---------------+
 * |   Type (8)    |   Flags (8)   |
 * +-+-------------+---------------+-------------------------------+
 * |R|                 Stream Identifier (31)                      |
 * +=+=============================================================+
 * |                   Frame Payload (0...)                      ...
 * +---------------------------------------------------------------+
 * ```
 *
 * @module
 */

import { FRAME_HEADER_LENGTH, MAX_MAX_FRAME_SIZE, MAX_STREAM_ID } from "../constants.ts";
import { readUint31 } from "./_bytes.ts";

/** The fields of a frame header (§4.1), the reserved R bit masked off. */
export interface FrameHeader {
  /** Payload length in octets (24 bits). */
  readonly length: number;
  /** The frame type code. */
  readonly type: number;
  /** The raw flag octet. */
  readonly flags: number;
  /** The stream identifier (31 bits; the R bit is ignored, §4.1). */
  readonly streamId: number;
}

/**
 * Reads a frame header.
 *
 * @param bytes At least `offset + 9` octets.
 * @param offset Where the header starts.
 * @returns The header fields.
 * @throws {RangeError} When fewer than 9 octets are available.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFrameHeader } from "./header.ts";
 * const header = readFrameHeader(new Uint8Array([0, 0, 8, 6, 1, 0x80, 0, 0, 0]));
 * assert.deepEqual(header, { length: 8, type: 6, flags: 1, streamId: 0 });
 * ```
 */
export function readFrameHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (bytes.length - offset < FRAME_HEADER_LENGTH) {
    throw new RangeError(
      `Cannot read frame header: "${bytes.length - offset}" octets available, 9 needed`,
    );
  }
  return {
    length: (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!,
    type: bytes[offset + 3]!,
    flags: bytes[offset + 4]!,
    // RFC 9113 §4.1: "The semantics of this bit are undefined, and the bit
    // MUST remain unset (0x00) when sending and MUST be ignored when receiving."
    streamId: readUint31(bytes, offset + 5),
  };
}

/**
 * Writes a frame header into `target` at `offset` (the R bit is sent as 0).
 * Arguments are trusted: callers validate them first.
 *
 * @param target The output buffer, with room for 9 octets at `offset`.
 * @param offset Where to write.
 * @param length Payload length (0 … 2^24-1).
 * @param type Frame type code (0 … 255).
 * @param flags Flag octet (0 … 255).
 * @param streamId Stream identifier (0 … 2^31-1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFrameHeader } from "./header.ts";
 * const out = new Uint8Array(9);
 * writeFrameHeader(out, 0, 4, 8, 0, 3);
 * assert.deepEqual([...out], [0, 0, 4, 8, 0, 0, 0, 0, 3]);
 * ```
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  target[offset] = length >>> 16;
  target[offset + 1] = length >>> 8;
  target[offset + 2] = length;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target[offset + 5] = (streamId >>> 24) & 0x7f;
  target[offset + 6] = streamId >>> 16;
  target[offset + 7] = streamId >>> 8;
  target[offset + 8] = streamId;
}

/**
 * Checks a stream id our caller asked us to send on.
 *
 * @param streamId The id.
 * @param what The frame name, for the message.
 * @param allowZero Whether 0 (the connection) is allowed.
 * @throws {RangeError} When not an integer in range, or 0 where not allowed.
 */
export function assertStreamId(streamId: number, what: string, allowZero: boolean): void {
  if (
    !Number.isInteger(streamId) || streamId < (allowZero ? 0 : 1) || streamId > MAX_STREAM_ID
  ) {
    throw new RangeError(
      `Cannot send ${what} on stream "${streamId}": stream id must be an integer in ${
        allowZero ? 0 : 1
      }..2^31-1`,
    );
  }
}

/**
 * Checks a 32-bit field (error code, setting value) our caller asked us to send.
 *
 * @param value The value.
 * @param what A name for the message.
 * @throws {RangeError} When not an integer in 0..2^32-1.
 */
export function assertUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`Invalid ${what} "${value}": must be an integer in 0..2^32-1`);
  }
}

/**
 * Checks a frame payload length our caller asked us to send.
 *
 * @param length The payload length.
 * @param what The frame name.
 * @throws {RangeError} When it cannot fit the 24-bit length field.
 */
export function assertPayloadLength(length: number, what: string): void {
  if (length > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(
      `Cannot send ${what}: payload of "${length}" octets exceeds 2^24-1`,
    );
  }
}
