/**
 * The frame writer (RFC 9113 §4, §6): typed calls in, wire bytes out. Frames
 * are serialised straight into one reusable, growable output buffer (no
 * allocation per frame); `take()` hands the queued bytes to the caller. A
 * DATA payload is copied once, from the caller's array into that buffer, and
 * handed out as a view of it. Misuse by the caller (bad stream id, pad length
 * above 255, PING data not 8 octets, …) is a `RangeError` or `TypeError`.
 *
 * @module
 */

import { FrameType, MAX_MAX_FRAME_SIZE } from "../constants.ts";
import { ByteSink, recycleOutput } from "./_bytes.ts";
import { writeAltSvc } from "./altsvc.ts";
import { writeContinuation, writeHeaderBlock, writePushPromiseBlock } from "./continuation.ts";
import { writeData } from "./data.ts";
import { writeGoAway } from "./goaway.ts";
import { assertStreamId, writeFrameHeader } from "./header.ts";
import { writeOrigin } from "./origin.ts";
import { writePing } from "./ping.ts";
import { writePriority } from "./priority.ts";
import { writePriorityUpdate } from "./priority_update.ts";
import { writeRstStream } from "./rst_stream.ts";
import { writeSettings } from "./settings.ts";
import type { Frame, PriorityFields } from "./types.ts";
import { writeWindowUpdate } from "./window_update.ts";

const EMPTY = new Uint8Array(0);

/**
 * Writes frames into a reusable output buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameWriter } from "./encoder.ts";
 * import { FrameDecoder } from "./decoder.ts";
 * import { FrameType } from "../constants.ts";
 *
 * const writer = new FrameWriter();
 * writer.settings([[4, 1_048_576]]);
 * writer.headers(1, new Uint8Array([0x82, 0x84]), { endStream: true, maxFrameSize: 16_384 });
 * writer.data(3, new TextEncoder().encode("hi"), { endStream: true });
 * assert.equal(writer.pendingLength, 15 + 11 + 11);
 *
 * const bytes = writer.take(); // owned by the caller
 * assert.equal(writer.pendingLength, 0);
 * const decoder = new FrameDecoder();
 * decoder.push(bytes);
 * assert.equal(decoder.next()?.type, FrameType.SETTINGS);
 * const headers = decoder.next();
 * assert.ok(headers?.type === FrameType.HEADERS && headers.endHeaders && headers.endStream);
 * const data = decoder.next();
 * assert.ok(data?.type === FrameType.DATA);
 * assert.equal(new TextDecoder().decode(data.data), "hi");
 * ```
 */
export class FrameWriter {
  #sink = new ByteSink();

  /** Octets queued and not yet taken. */
  get pendingLength(): number {
    return this.#sink.length;
  }

  /**
   * Removes up to `amount` queued octets (all by default) and returns them.
   * The result belongs to the caller: the writer never writes into it again.
   *
   * @param amount The most octets to take.
   * @returns The octets, ready for a `Response` body or `writer.write`.
   */
  take(amount?: number): Uint8Array<ArrayBuffer> {
    return this.#sink.take(amount);
  }

  /** Drops every queued octet. */
  clear(): void {
    this.#sink.clear();
  }

  /**
   * Hands back bytes that `take()` returned once the caller is done with them
   * (written to the socket, copied), so that their buffer is written again
   * instead of a fresh zero-filled one being allocated: in place by the
   * writer that lent it, or by any writer through a small process-wide pool
   * (at most 4 MiB). Works for the output of any `FrameWriter`, including the
   * one inside an `H2Connection` (`dataToSend()` returns `take()`'s bytes).
   * Optional: bytes never handed back are simply garbage-collected. Once a
   * writer's output has come back this way, `take()` lends views for small
   * control-only output too (before that it returns copies of it, so a
   * caller that never recycles does not make the writer allocate a buffer per
   * frame). Anything
   * that is not a lent view still out (a copy, a foreign array, bytes already
   * handed back) is ignored.
   *
   * Only call it when nothing reads the bytes any more: the writer will
   * overwrite them.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FrameWriter } from "./encoder.ts";
   *
   * const writer = new FrameWriter();
   * writer.data(1, new Uint8Array(10_000));
   * const first = writer.take(); // a view of the writer's buffer
   * assert.equal(FrameWriter.recycle(first), true); // written out: reuse it
   * assert.equal(FrameWriter.recycle(first), false); // already back
   * writer.data(1, new Uint8Array(10_000));
   * assert.equal(writer.take().buffer, first.buffer); // the same memory again
   * ```
   *
   * @param bytes A result of `take()` (or of `H2Connection.dataToSend()`).
   * @returns Whether the bytes were a lent view, now returned.
   */
  static recycle(bytes: Uint8Array): boolean {
    return recycleOutput(bytes);
  }

  /**
   * Queues a DATA frame (§6.1). The payload is copied once.
   *
   * @param streamId A stream id ≥ 1.
   * @param data The payload: the caller splits by the peer's MAX_FRAME_SIZE and windows.
   * @param options END_STREAM; PADDED with `padLength` zero octets (0..255).
   * @throws {RangeError} On a bad stream id, pad length or a payload over 2^24-1.
   */
  data(
    streamId: number,
    data: Uint8Array,
    options: { endStream?: boolean; padLength?: number } = {},
  ): void {
    writeData(this.#sink, streamId, data, options.endStream ?? false, options.padLength);
  }

  /**
   * Queues a field block as HEADERS + CONTINUATION frames (§6.2, §6.10),
   * each payload at most `maxFrameSize` octets, END_HEADERS on the last.
   *
   * @param streamId A stream id ≥ 1.
   * @param block The HPACK-encoded field block.
   * @param options END_STREAM, RFC 7540 priority fields, padding of the HEADERS
   *   frame (additive extension), and the peer's SETTINGS_MAX_FRAME_SIZE.
   * @throws {RangeError} On bad arguments.
   */
  headers(
    streamId: number,
    block: Uint8Array,
    options: {
      endStream?: boolean;
      priority?: PriorityFields;
      padLength?: number;
      maxFrameSize: number;
    },
  ): void {
    writeHeaderBlock(this.#sink, streamId, block, {
      endStream: options.endStream ?? false,
      endHeaders: true,
      priority: options.priority,
      padLength: options.padLength,
      maxFrameSize: options.maxFrameSize,
    });
  }

  /**
   * Queues a field block as PUSH_PROMISE + CONTINUATION frames (§6.6).
   *
   * @param streamId The associated (client-initiated) stream.
   * @param promisedStreamId The promised stream id ≥ 1.
   * @param block The HPACK-encoded request field block.
   * @param options The peer's SETTINGS_MAX_FRAME_SIZE; optional padding.
   * @throws {RangeError} On bad arguments.
   */
  pushPromise(
    streamId: number,
    promisedStreamId: number,
    block: Uint8Array,
    options: { maxFrameSize: number; padLength?: number },
  ): void {
    writePushPromiseBlock(this.#sink, streamId, promisedStreamId, block, {
      endHeaders: true,
      padLength: options.padLength,
      maxFrameSize: options.maxFrameSize,
    });
  }

  /**
   * Queues a PRIORITY frame (§6.3).
   *
   * @throws {RangeError} On a bad stream id, dependency or weight.
   */
  priority(streamId: number, priority: PriorityFields): void {
    writePriority(this.#sink, streamId, priority);
  }

  /**
   * Queues a RST_STREAM frame (§6.4).
   *
   * @throws {RangeError} On a bad stream id or error code.
   */
  rstStream(streamId: number, errorCode: number): void {
    writeRstStream(this.#sink, streamId, errorCode);
  }

  /**
   * Queues a SETTINGS frame (§6.5) with entries in the given order.
   *
   * @param entries `[id, value]` pairs.
   * @throws {RangeError} On an id outside 16 bits or a value outside 32 bits.
   */
  settings(entries: ReadonlyArray<readonly [number, number]>): void {
    writeSettings(this.#sink, entries, false);
  }

  /** Queues an empty SETTINGS frame with ACK (§6.5.3). */
  settingsAck(): void {
    writeSettings(this.#sink, [], true);
  }

  /**
   * Queues a PING frame (§6.7).
   *
   * @param data Exactly 8 octets of opaque data.
   * @param options `ack` sets the ACK flag.
   * @throws {RangeError} When `data` is not 8 octets.
   */
  ping(data: Uint8Array, options: { ack?: boolean } = {}): void {
    writePing(this.#sink, data, options.ack ?? false);
  }

  /**
   * Queues a GOAWAY frame (§6.8).
   *
   * @param lastStreamId The last peer-initiated stream processed (0..2^31-1).
   * @param errorCode The error code.
   * @param debugData Opaque diagnostic data.
   * @throws {RangeError} On a bad stream id or error code.
   */
  goAway(lastStreamId: number, errorCode: number, debugData: Uint8Array = EMPTY): void {
    writeGoAway(this.#sink, lastStreamId, errorCode, debugData);
  }

  /**
   * Queues a WINDOW_UPDATE frame (§6.9).
   *
   * @param streamId 0 for the connection window, else a stream.
   * @param increment 1..2^31-1.
   * @throws {RangeError} On a bad stream id or increment.
   */
  windowUpdate(streamId: number, increment: number): void {
    writeWindowUpdate(this.#sink, streamId, increment);
  }

  /**
   * Queues an ALTSVC frame (RFC 7838 §4).
   *
   * @param streamId 0 (then `origin` names the origin) or the stream it applies to.
   * @param origin The origin (byte string), empty on a stream.
   * @param fieldValue The Alt-Svc field value (byte string).
   * @throws {RangeError} On a bad stream id or an origin over 65535 octets.
   * @throws {TypeError} When a string holds a char code above 255.
   */
  altSvc(streamId: number, origin: string, fieldValue: string): void {
    writeAltSvc(this.#sink, streamId, origin, fieldValue);
  }

  /**
   * Queues an ORIGIN frame on stream 0 (RFC 8336 §2).
   *
   * @param origins ASCII origin serialisations.
   * @throws {RangeError} When an origin exceeds 65535 octets.
   * @throws {TypeError} When an origin holds a char code above 255.
   */
  origin(origins: readonly string[]): void {
    writeOrigin(this.#sink, origins);
  }

  /**
   * Queues a PRIORITY_UPDATE frame on stream 0 (RFC 9218 §7.1).
   *
   * @param prioritizedStreamId The stream the priority applies to (≥ 1).
   * @param fieldValue The Priority Field Value, e.g. `"u=1, i"`.
   * @throws {RangeError} On a bad stream id.
   * @throws {TypeError} When the value holds a char code above 255.
   */
  priorityUpdate(prioritizedStreamId: number, fieldValue: string): void {
    writePriorityUpdate(this.#sink, prioritizedStreamId, fieldValue);
  }

  /**
   * Queues a frame of any type with a raw flag octet and payload (§5.5
   * extension frames; also a test escape hatch: known type codes are written
   * verbatim, unchecked).
   *
   * @throws {RangeError} On a type or flags outside 0..255, a bad stream id or payload over 2^24-1.
   */
  unknown(frameType: number, streamId: number, flags: number, payload: Uint8Array): void {
    writeRaw(this.#sink, frameType, streamId, flags, payload);
  }
}

function assertOctet(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new RangeError(`Invalid ${what} "${value}": must be an integer in 0..255`);
  }
}

function writeRaw(
  sink: ByteSink,
  frameType: number,
  streamId: number,
  flags: number,
  payload: Uint8Array,
): void {
  assertOctet(frameType, "frame type");
  assertOctet(flags, "frame flags");
  assertStreamId(streamId, "frame", true);
  if (payload.length > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`Cannot send frame: payload of "${payload.length}" octets exceeds 2^24-1`);
  }
  const at = sink.reserve(9 + payload.length);
  writeFrameHeader(sink.bytes, at, payload.length, frameType, flags, streamId);
  sink.bytes.set(payload, at + 9);
  if (payload.length > 0) sink.markPayload();
}

/** Writes one frame object; HEADERS and PUSH_PROMISE split at `maxFrameSize`. */
type FrameWriterFn<F extends Frame> = (sink: ByteSink, frame: F, maxFrameSize: number) => void;

/** Dispatch table: frame type → how to write a frame object of that type. */
const FRAME_WRITERS: { readonly [T in Frame["type"]]: FrameWriterFn<Extract<Frame, { type: T }>> } =
  {
    [FrameType.DATA]: (sink, f) => writeData(sink, f.streamId, f.data, f.endStream, f.padLength),
    [FrameType.HEADERS]: (sink, f, maxFrameSize) =>
      writeHeaderBlock(sink, f.streamId, f.fragment, {
        endStream: f.endStream,
        endHeaders: f.endHeaders,
        priority: f.priority,
        padLength: f.padLength,
        maxFrameSize,
      }),
    [FrameType.PRIORITY]: (sink, f) => writePriority(sink, f.streamId, f.priority),
    [FrameType.RST_STREAM]: (sink, f) => writeRstStream(sink, f.streamId, f.errorCode),
    [FrameType.SETTINGS]: (sink, f) => writeSettings(sink, f.settings, f.ack),
    [FrameType.PUSH_PROMISE]: (sink, f, maxFrameSize) =>
      writePushPromiseBlock(sink, f.streamId, f.promisedStreamId, f.fragment, {
        endHeaders: f.endHeaders,
        padLength: f.padLength,
        maxFrameSize,
      }),
    [FrameType.PING]: (sink, f) => writePing(sink, f.data, f.ack),
    [FrameType.GOAWAY]: (sink, f) => writeGoAway(sink, f.lastStreamId, f.errorCode, f.debugData),
    [FrameType.WINDOW_UPDATE]: (sink, f) => writeWindowUpdate(sink, f.streamId, f.increment),
    [FrameType.CONTINUATION]: (sink, f) =>
      writeContinuation(sink, f.streamId, f.fragment, f.endHeaders),
    [FrameType.ALTSVC]: (sink, f) => writeAltSvc(sink, f.streamId, f.origin, f.fieldValue),
    [FrameType.ORIGIN]: (sink, f) => {
      if (f.streamId !== 0) {
        throw new RangeError(`Cannot send ORIGIN on stream "${f.streamId}": only on stream 0`);
      }
      writeOrigin(sink, f.origins);
    },
    [FrameType.PRIORITY_UPDATE]: (sink, f) =>
      writePriorityUpdate(sink, f.prioritizedStreamId, f.fieldValue),
    unknown: (sink, f) => writeRaw(sink, f.frameType, f.streamId, f.flags, f.payload),
  };

/**
 * Encodes one frame object to wire bytes, for tests and tools (the engine uses
 * `FrameWriter`). A HEADERS or PUSH_PROMISE whose payload exceeds
 * `maxFrameSize` is split into CONTINUATION frames (END_HEADERS moves to the
 * last); any other frame over `maxFrameSize` is a `RangeError`.
 *
 * @param frame The frame, as `FrameDecoder` returns it.
 * @param options `maxFrameSize` (default 2^24-1: no splitting).
 * @returns The bytes, owned by the caller.
 * @throws {RangeError} On out-of-range fields or an oversized frame.
 * @throws {TypeError} When a string field holds a char code above 255.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./encoder.ts";
 * import { FrameType } from "../constants.ts";
 *
 * const bytes = encodeFrame({
 *   type: FrameType.PING,
 *   streamId: 0,
 *   ack: true,
 *   data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
 * });
 * assert.deepEqual([...bytes], [0, 0, 8, 6, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
 *
 * // A field block longer than maxFrameSize becomes HEADERS + CONTINUATION.
 * const split = encodeFrame({
 *   type: FrameType.HEADERS,
 *   streamId: 1,
 *   fragment: new Uint8Array(20_000),
 *   endStream: false,
 *   endHeaders: true,
 *   padLength: undefined,
 *   priority: undefined,
 * }, { maxFrameSize: 16_384 });
 * assert.equal(split.length, 9 + 16_384 + 9 + 3_616);
 * assert.equal(split[9 + 16_384 + 3], FrameType.CONTINUATION);
 * ```
 */
export function encodeFrame(
  frame: Frame,
  options: { maxFrameSize?: number } = {},
): Uint8Array<ArrayBuffer> {
  const maxFrameSize = options.maxFrameSize ?? MAX_MAX_FRAME_SIZE;
  const sink = new ByteSink(64);
  (FRAME_WRITERS[frame.type] as FrameWriterFn<Frame>)(sink, frame, maxFrameSize);
  const isBlock = frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE;
  if (!isBlock && sink.length - 9 > maxFrameSize) {
    throw new RangeError(
      `Cannot encode frame: payload of "${
        sink.length - 9
      }" octets exceeds maxFrameSize "${maxFrameSize}"`,
    );
  }
  sink.markPayload();
  return sink.take();
}
