/**
 * DATA frames, RFC 9113 §6.1: parse (frame-local checks only: stream 0,
 * padding) and write. The parsed `data` is a view of the decoder's input.
 *
 * @module
 */

import { FrameFlag, FrameType } from "../constants.ts";
import { ProtocolError } from "../errors.ts";
import type { ByteSink } from "./_bytes.ts";
import { assertPadLength, readPadLength } from "./_padding.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import type { DataFrame } from "./types.ts";

/**
 * Parses a DATA payload.
 *
 * @param flags The flag octet.
 * @param streamId The stream id (R bit masked).
 * @param payload The payload (a view; kept as-is in `data`).
 * @returns The frame.
 * @throws {ProtocolError} On stream 0 or padding too long (connection errors).
 * @throws {FrameDataMissingError} When PADDED is set and the payload is empty.
 */
export function parseData(flags: number, streamId: number, payload: Uint8Array): DataFrame {
  // RFC 9113 §6.1: "If a DATA frame is received whose Stream Identifier field
  // is 0x00, the recipient MUST respond with a connection error (Section
  // 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("DATA frame on stream 0", { detail: "data_on_stream_0" });
  }
  const padLength = readPadLength(flags, payload, 0, "data");
  return {
    type: FrameType.DATA,
    streamId,
    data: padLength === undefined ? payload : payload.subarray(1, payload.length - padLength),
    endStream: (flags & FrameFlag.END_STREAM) !== 0,
    padLength,
  };
}

/**
 * Writes a DATA frame; the payload is copied once, into the sink.
 *
 * @param sink The output buffer.
 * @param streamId A stream id ≥ 1.
 * @param data The payload.
 * @param endStream Sets END_STREAM.
 * @param padLength Sets PADDED with this many zero octets of padding.
 * @throws {RangeError} On a bad stream id, pad length or oversized payload.
 */
export function writeData(
  sink: ByteSink,
  streamId: number,
  data: Uint8Array,
  endStream: boolean,
  padLength: number | undefined,
): void {
  assertStreamId(streamId, "DATA", false);
  let length = data.length;
  let flags = endStream ? FrameFlag.END_STREAM : 0;
  if (padLength !== undefined) {
    assertPadLength(padLength, "DATA");
    length += 1 + padLength;
    flags |= FrameFlag.PADDED;
  }
  assertPayloadLength(length, "DATA");
  let at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeFrameHeader(out, at, length, FrameType.DATA, flags, streamId);
  at += 9;
  if (padLength !== undefined) out[at++] = padLength;
  out.set(data, at);
  // RFC 9113 §6.1: "Padding octets MUST be set to zero when sending."
  if (padLength) out.fill(0, at + data.length, at + data.length + padLength);
  if (data.length > 0) sink.markPayload();
}
