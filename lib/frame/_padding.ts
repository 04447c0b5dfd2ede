/**
 * Private helpers for the padded frames (DATA, HEADERS, PUSH_PROMISE,
 * RFC 9113 §6.1, §6.2, §6.6): reading the Pad Length octet with its
 * frame-local checks, and validating a pad length our caller asked for.
 *
 * @module
 */

import { FrameFlag } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";

/**
 * Reads the Pad Length of a frame whose PADDED flag may be set.
 *
 * @param flags The frame's flag octet.
 * @param payload The whole payload.
 * @param fixed Octets of fixed fields that follow Pad Length (priority, promised id).
 * @param name Frame name and detail prefix, e.g. `"data"`.
 * @returns The pad length, or undefined when PADDED is not set.
 * @throws {FrameDataMissingError} When the payload cannot hold Pad Length and the fixed fields.
 * @throws {ProtocolError} When the padding exceeds what remains of the payload.
 */
export function readPadLength(
  flags: number,
  payload: Uint8Array,
  fixed: number,
  name: string,
): number | undefined {
  if ((flags & FrameFlag.PADDED) === 0) {
    if (payload.length < fixed) {
      throw new FrameDataMissingError(
        `${name.toUpperCase()} frame of "${payload.length}" octets is too short`,
        { detail: `${name}_too_short` },
      );
    }
    return undefined;
  }
  if (payload.length < 1 + fixed) {
    throw new FrameDataMissingError(
      `Padded ${name.toUpperCase()} frame of "${payload.length}" octets is too short`,
      { detail: `${name}_too_short` },
    );
  }
  const padLength = payload[0]!;
  // RFC 9113 §6.1: "If the length of the padding is the length of the frame
  // payload or greater, the recipient MUST treat this as a connection error
  // (Section 5.4.1) of type PROTOCOL_ERROR." (§6.2 and §6.6 likewise: padding
  // that exceeds the room left for the fragment.)
  if (padLength > payload.length - 1 - fixed) {
    throw new ProtocolError(
      `${name.toUpperCase()} pad length "${padLength}" exceeds the payload of "${payload.length}" octets`,
      { detail: `${name}_pad_too_long` },
    );
  }
  return padLength;
}

/**
 * Checks a pad length our caller asked for.
 *
 * @throws {RangeError} Unless an integer in 0..255.
 */
export function assertPadLength(padLength: number, what: string): void {
  if (!Number.isInteger(padLength) || padLength < 0 || padLength > 255) {
    throw new RangeError(`Invalid ${what} pad length "${padLength}": must be an integer in 0..255`);
  }
}
