/**
 * PUSH_PROMISE frames, RFC 9113 §6.6: parse (stream 0, length, padding,
 * promised stream 0) and write one frame. Whether push is enabled and the
 * promised id is valid for this connection is the connection's business.
 *
 * @module
 */

import { FrameFlag, FrameType } from "../constants.ts";
import { ProtocolError } from "../errors.ts";
import { type ByteSink, readUint31, writeUint32 } from "./_bytes.ts";
import { assertPadLength, readPadLength } from "./_padding.ts";
import { assertPayloadLength, assertStreamId, writeFrameHeader } from "./header.ts";
import type { PushPromiseFrame } from "./types.ts";

/**
 * Parses a PUSH_PROMISE payload.
 *
 * @throws {ProtocolError} On stream 0, promised stream 0 or padding too long.
 * @throws {FrameDataMissingError} When too short for Pad Length and the promised id.
 */
export function parsePushPromise(
  flags: number,
  streamId: number,
  payload: Uint8Array,
): PushPromiseFrame {
  // RFC 9113 §6.6: "If the Stream Identifier field specifies the value 0x00, a
  // recipient MUST respond with a connection error (Section 5.4.1) of type
  // PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("PUSH_PROMISE frame on stream 0", {
      detail: "push_promise_on_stream_0",
    });
  }
  const padLength = readPadLength(flags, payload, 4, "push_promise");
  const start = padLength === undefined ? 0 : 1;
  // RFC 9113 §6.6: the R bit of the Promised Stream ID is reserved and ignored.
  const promisedStreamId = readUint31(payload, start);
  // RFC 9113 §6.6: "A receiver MUST treat the receipt of a PUSH_PROMISE that
  // promises an illegal stream identifier (Section 5.1.1) as a connection
  // error (Section 5.4.1) of type PROTOCOL_ERROR." Stream 0 is never legal.
  if (promisedStreamId === 0) {
    throw new ProtocolError("PUSH_PROMISE promises stream 0", {
      detail: "push_promise_promised_stream_0",
    });
  }
  return {
    type: FrameType.PUSH_PROMISE,
    streamId,
    promisedStreamId,
    fragment: payload.subarray(start + 4, payload.length - (padLength ?? 0)),
    endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
    padLength,
  };
}

/**
 * Writes one PUSH_PROMISE frame carrying `fragment`.
 *
 * @throws {RangeError} On bad stream ids, pad length or an oversized payload.
 */
export function writePushPromise(
  sink: ByteSink,
  streamId: number,
  promisedStreamId: number,
  fragment: Uint8Array,
  endHeaders: boolean,
  padLength: number | undefined,
): void {
  assertStreamId(streamId, "PUSH_PROMISE", false);
  assertStreamId(promisedStreamId, "PUSH_PROMISE (promised stream)", false);
  let flags = endHeaders ? FrameFlag.END_HEADERS : 0;
  let length = 4 + fragment.length;
  if (padLength !== undefined) {
    assertPadLength(padLength, "PUSH_PROMISE");
    flags |= FrameFlag.PADDED;
    length += 1 + padLength;
  }
  assertPayloadLength(length, "PUSH_PROMISE");
  let at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeFrameHeader(out, at, length, FrameType.PUSH_PROMISE, flags, streamId);
  at += 9;
  if (padLength !== undefined) out[at++] = padLength;
  writeUint32(out, at, promisedStreamId);
  at += 4;
  out.set(fragment, at);
  if (padLength) out.fill(0, at + fragment.length, at + fragment.length + padLength);
}
