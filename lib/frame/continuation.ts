/**
 * CONTINUATION frames, RFC 9113 §6.10: parse (stream 0 rejected) and write,
 * plus the writers that split a whole field block into HEADERS or
 * PUSH_PROMISE followed by as many CONTINUATION frames as `maxFrameSize`
 * requires, END_HEADERS on the last (§4.3: "a field block MUST be transmitted
 * as a contiguous sequence of frames"). Whether a CONTINUATION is expected
 * at all is the connection's check.
 *
 * @module
 */

import { FrameFlag, FrameType, MAX_MAX_FRAME_SIZE } from "../constants.ts";
import { ProtocolError } from "../errors.ts";
import type { ByteSink } from "./_bytes.ts";
import { assertStreamId, writeFrameHeader } from "./header.ts";
import { writeHeaders } from "./headers.ts";
import { PRIORITY_FIELDS_LENGTH } from "./priority.ts";
import { writePushPromise } from "./push_promise.ts";
import type { ContinuationFrame, PriorityFields } from "./types.ts";

/**
 * Parses a CONTINUATION payload.
 *
 * @throws {ProtocolError} On stream 0.
 */
export function parseContinuation(
  flags: number,
  streamId: number,
  payload: Uint8Array,
): ContinuationFrame {
  // RFC 9113 §6.10: "If a CONTINUATION frame is received with a Stream
  // Identifier field of 0x00, the recipient MUST respond with a connection
  // error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) {
    throw new ProtocolError("CONTINUATION frame on stream 0", {
      detail: "continuation_on_stream_0",
    });
  }
  return {
    type: FrameType.CONTINUATION,
    streamId,
    fragment: payload,
    endHeaders: (flags & FrameFlag.END_HEADERS) !== 0,
  };
}

/**
 * Writes one CONTINUATION frame.
 *
 * @throws {RangeError} On a bad stream id or oversized fragment.
 */
export function writeContinuation(
  sink: ByteSink,
  streamId: number,
  fragment: Uint8Array,
  endHeaders: boolean,
): void {
  assertStreamId(streamId, "CONTINUATION", false);
  if (fragment.length > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`Cannot send CONTINUATION of "${fragment.length}" octets`);
  }
  const at = sink.reserve(9 + fragment.length);
  const flags = endHeaders ? FrameFlag.END_HEADERS : 0;
  writeFrameHeader(sink.bytes, at, fragment.length, FrameType.CONTINUATION, flags, streamId);
  sink.bytes.set(fragment, at + 9);
}

function assertMaxFrameSize(maxFrameSize: number): void {
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1 || maxFrameSize > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(
      `Invalid maxFrameSize "${maxFrameSize}": must be an integer in 1..2^24-1`,
    );
  }
}

function writeContinuations(
  sink: ByteSink,
  streamId: number,
  block: Uint8Array,
  from: number,
  maxFrameSize: number,
  endHeaders: boolean,
): void {
  while (from < block.length) {
    const to = Math.min(block.length, from + maxFrameSize);
    writeContinuation(sink, streamId, block.subarray(from, to), endHeaders && to === block.length);
    from = to;
  }
}

/**
 * Writes a field block as HEADERS + CONTINUATION frames of at most
 * `maxFrameSize` octets of payload each.
 *
 * @throws {RangeError} On bad arguments, or when padding and priority leave no room.
 */
export function writeHeaderBlock(
  sink: ByteSink,
  streamId: number,
  block: Uint8Array,
  options: {
    endStream: boolean;
    endHeaders: boolean;
    priority: PriorityFields | undefined;
    padLength: number | undefined;
    maxFrameSize: number;
  },
): void {
  const { maxFrameSize, padLength, priority } = options;
  assertMaxFrameSize(maxFrameSize);
  const overhead = (priority === undefined ? 0 : PRIORITY_FIELDS_LENGTH) +
    (padLength === undefined ? 0 : 1 + padLength);
  const room = maxFrameSize - overhead;
  if (room < 0) {
    throw new RangeError(
      `Cannot send HEADERS: "${overhead}" octets of priority and padding exceed maxFrameSize "${maxFrameSize}"`,
    );
  }
  const first = Math.min(room, block.length);
  writeHeaders(sink, streamId, block.subarray(0, first), {
    endStream: options.endStream,
    endHeaders: options.endHeaders && first === block.length,
    padLength,
    priority,
  });
  writeContinuations(sink, streamId, block, first, maxFrameSize, options.endHeaders);
}

/**
 * Writes a field block as PUSH_PROMISE + CONTINUATION frames of at most
 * `maxFrameSize` octets of payload each.
 *
 * @throws {RangeError} On bad arguments, or when padding leaves no room.
 */
export function writePushPromiseBlock(
  sink: ByteSink,
  streamId: number,
  promisedStreamId: number,
  block: Uint8Array,
  options: { endHeaders: boolean; padLength: number | undefined; maxFrameSize: number },
): void {
  const { maxFrameSize, padLength } = options;
  assertMaxFrameSize(maxFrameSize);
  const overhead = 4 + (padLength === undefined ? 0 : 1 + padLength);
  const room = maxFrameSize - overhead;
  if (room < 0) {
    throw new RangeError(
      `Cannot send PUSH_PROMISE: "${overhead}" octets of fixed fields exceed maxFrameSize "${maxFrameSize}"`,
    );
  }
  const first = Math.min(room, block.length);
  writePushPromise(
    sink,
    streamId,
    promisedStreamId,
    block.subarray(0, first),
    options.endHeaders && first === block.length,
    padLength,
  );
  writeContinuations(sink, streamId, block, first, maxFrameSize, options.endHeaders);
}
