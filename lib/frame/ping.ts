/**
 * PING frames, RFC 9113 §6.7: parse (stream 0 only, exactly 8 octets) and
 * write. Answering with an ACK is the connection's job.
 *
 * @module
 */

import { FrameFlag, FrameType } from "../constants.ts";
import { FrameDataMissingError, ProtocolError } from "../errors.ts";
import type { ByteSink } from "./_bytes.ts";
import { writeFrameHeader } from "./header.ts";
import type { PingFrame } from "./types.ts";

/**
 * Parses a PING payload.
 *
 * @throws {ProtocolError} When not on stream 0.
 * @throws {FrameDataMissingError} When the length is not 8.
 */
export function parsePing(flags: number, streamId: number, payload: Uint8Array): PingFrame {
  // RFC 9113 §6.7: "If a PING frame is received with a Stream Identifier field
  // value other than 0x00, the recipient MUST respond with a connection error
  // (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId !== 0) {
    throw new ProtocolError(`PING frame on stream "${streamId}"`, {
      detail: "ping_not_on_stream_0",
    });
  }
  // RFC 9113 §6.7: "Receipt of a PING frame with a length field value other
  // than 8 MUST be treated as a connection error (Section 5.4.1) of type
  // FRAME_SIZE_ERROR."
  if (payload.length !== 8) {
    throw new FrameDataMissingError(`PING frame of "${payload.length}" octets, 8 expected`, {
      detail: "ping_bad_length",
    });
  }
  return { type: FrameType.PING, streamId: 0, ack: (flags & FrameFlag.ACK) !== 0, data: payload };
}

/**
 * Writes a PING frame.
 *
 * @throws {RangeError} When `data` is not exactly 8 octets.
 */
export function writePing(sink: ByteSink, data: Uint8Array, ack: boolean): void {
  if (data.length !== 8) {
    throw new RangeError(`Cannot send PING: opaque data must be 8 octets, got "${data.length}"`);
  }
  const at = sink.reserve(17);
  writeFrameHeader(sink.bytes, at, 8, FrameType.PING, ack ? FrameFlag.ACK : 0, 0);
  sink.bytes.set(data, at + 9);
}
