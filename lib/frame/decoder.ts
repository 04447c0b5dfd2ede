/**
 * The resumable frame decoder (RFC 9113 §4): bytes in through `push`, typed
 * frames out through `next`, at any split of the input. It applies the
 * frame-local checks of §4.2 and §6 through a table of per-type parsers and
 * knows nothing of streams or connection state. Unknown frame types come out
 * as `UnknownFrame` (§5.5: "Implementations MUST ignore unknown or
 * unsupported values in all extensible protocol elements").
 *
 * Memory: a frame complete inside a pushed chunk is parsed in place, its
 * payload fields are views of the chunk. Only a frame split across pushes is
 * copied, into one of two reusable partial-frame buffers (double-buffered, so
 * a frame completed from one buffer keeps its views valid while the next
 * partial frame of the same push is stashed in the other). The contract:
 * views stay valid until the next `push`; copy what must live longer.
 *
 * @module
 */

import {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_LENGTH,
  FrameFlag,
  FrameType,
  MAX_MAX_FRAME_SIZE,
} from "../constants.ts";
import { FrameTooLargeError, H2Error } from "../errors.ts";
import { readUint31 } from "./_bytes.ts";
import { parseAltSvc } from "./altsvc.ts";
import { parseContinuation } from "./continuation.ts";
import { parseData } from "./data.ts";
import { parseGoAway } from "./goaway.ts";
import { parseHeaders } from "./headers.ts";
import { parseOrigin } from "./origin.ts";
import { parsePing } from "./ping.ts";
import { parsePriority } from "./priority.ts";
import { parsePriorityUpdate } from "./priority_update.ts";
import { parsePushPromise } from "./push_promise.ts";
import { parseRstStream } from "./rst_stream.ts";
import { parseSettings } from "./settings.ts";
import type { Frame } from "./types.ts";
import { parseWindowUpdate } from "./window_update.ts";

/** A per-type payload parser: frame-local checks, then the typed frame. */
type FrameParser = (flags: number, streamId: number, payload: Uint8Array) => Frame;

/** Dispatch table: frame type code → parser. */
const PARSER_ROWS: ReadonlyArray<readonly [number, FrameParser]> = [
  [FrameType.DATA, parseData],
  [FrameType.HEADERS, parseHeaders],
  [FrameType.PRIORITY, parsePriority],
  [FrameType.RST_STREAM, parseRstStream],
  [FrameType.SETTINGS, parseSettings],
  [FrameType.PUSH_PROMISE, parsePushPromise],
  [FrameType.PING, parsePing],
  [FrameType.GOAWAY, parseGoAway],
  [FrameType.WINDOW_UPDATE, parseWindowUpdate],
  [FrameType.CONTINUATION, parseContinuation],
  [FrameType.ALTSVC, parseAltSvc],
  [FrameType.ORIGIN, parseOrigin],
  [FrameType.PRIORITY_UPDATE, parsePriorityUpdate],
];

/** The table as a dense 256-entry array, so dispatch is one indexed load. */
const PARSERS: ReadonlyArray<FrameParser | undefined> = (() => {
  const table = new Array<FrameParser | undefined>(256).fill(undefined);
  for (const [type, parser] of PARSER_ROWS) table[type] = parser;
  return table;
})();

const EMPTY = new Uint8Array(0);
/** Initial capacity of a partial-frame buffer: one default-size frame. */
const PARTIAL_CAPACITY = FRAME_HEADER_LENGTH + DEFAULT_MAX_FRAME_SIZE;

/**
 * True when a frame header announces a length its type forbids whatever the
 * payload: RST_STREAM ≠ 4 (§6.4), SETTINGS not a multiple of 6 or an ACK with
 * payload (§6.5), PING ≠ 8 (§6.7), GOAWAY < 8 (§6.8), WINDOW_UPDATE ≠ 4
 * (§6.9). All are connection errors (FRAME_SIZE_ERROR) that need no payload
 * to prove, so they are raised as soon as the 9 header octets are in.
 */
const BAD_LENGTH_RULES: ReadonlyArray<
  readonly [number, (flags: number, length: number) => boolean]
> = [
  [FrameType.RST_STREAM, (_flags, length) => length !== 4],
  [FrameType.WINDOW_UPDATE, (_flags, length) => length !== 4],
  [
    FrameType.SETTINGS,
    (flags, length) => length % 6 !== 0 || ((flags & FrameFlag.ACK) !== 0 && length !== 0),
  ],
  [FrameType.PING, (_flags, length) => length !== 8],
  [FrameType.GOAWAY, (_flags, length) => length < 8],
];
const BAD_LENGTH: ReadonlyArray<((flags: number, length: number) => boolean) | undefined> = (() => {
  const table = new Array<((flags: number, length: number) => boolean) | undefined>(256);
  for (const [type, rule] of BAD_LENGTH_RULES) table[type] = rule;
  return table;
})();

function hasBadFixedLength(type: number, flags: number, length: number): boolean {
  const rule = BAD_LENGTH[type];
  return rule !== undefined && rule(flags, length);
}

/** Options of `FrameDecoder`. */
export interface FrameDecoderOptions {
  /**
   * The local SETTINGS_MAX_FRAME_SIZE in force (2^14 … 2^24-1).
   *
   * @default {16384}
   */
  maxFrameSize?: number;
}

function assertMaxFrameSize(value: number): void {
  if (!Number.isInteger(value) || value < DEFAULT_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
    throw new RangeError(`Invalid maxFrameSize "${value}": must be an integer in 2^14..2^24-1`);
  }
}

/**
 * Decodes HTTP/2 frames from a byte stream split anywhere.
 *
 * Push a chunk, then call `next()` until it returns undefined, then push the
 * next chunk. Payload fields of the frames (`data`, `fragment`, `payload`, …)
 * are views of the pushed chunk (so don't overwrite a chunk whose frames you
 * keep) or of a buffer the decoder allocated for a frame split across pushes
 * and never reuses, so they stay valid after later pushes.
 *
 * Errors are typed `H2Error`s with a `detail` token. A connection error
 * (no `streamId`) leaves the decoder failed: `next()` throws it again and
 * `push()` drops input. A stream error (`streamId` set: PRIORITY of the wrong
 * length or depending on itself, WINDOW_UPDATE of 0 on a stream) consumes the
 * frame, so `next()` can be called again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameDecoder } from "./decoder.ts";
 * import { encodeFrame } from "./encoder.ts";
 * import { FrameType } from "../constants.ts";
 *
 * const bytes = encodeFrame({ type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 1024 });
 * const decoder = new FrameDecoder();
 * decoder.push(bytes.subarray(0, 5));
 * assert.equal(decoder.next(), undefined); // header incomplete
 * decoder.push(bytes.subarray(5));
 * assert.deepEqual(decoder.next(), { type: FrameType.WINDOW_UPDATE, streamId: 1, increment: 1024 });
 * assert.equal(decoder.next(), undefined);
 * assert.equal(decoder.bufferedLength, 0);
 * ```
 *
 * @example Oversized frames are refused as soon as their header is in
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameDecoder } from "./decoder.ts";
 * import { ErrorCode, FrameTooLargeError } from "../errors.ts";
 *
 * const decoder = new FrameDecoder({ maxFrameSize: 16_384 });
 * decoder.push(new Uint8Array([0x00, 0x40, 0x01, 0x0, 0x0, 0, 0, 0, 1])); // length 16385
 * assert.throws(() => decoder.next(), (e) =>
 *   e instanceof FrameTooLargeError && e.errorCode === ErrorCode.FRAME_SIZE_ERROR);
 * ```
 */
export class FrameDecoder {
  #maxFrameSize: number;
  /** The chunk being parsed and the offset of its first unconsumed octet. */
  #chunk: Uint8Array = EMPTY;
  #pos = 0;
  /**
   * Holds the prefix of a frame split across pushes (`#partialLength` octets).
   * Once the frame completes, its views point into this buffer, so it is
   * handed over with the frame and a later split frame gets a fresh one.
   */
  #partial: Uint8Array = EMPTY;
  #partialLength = 0;
  #error: H2Error | undefined;

  /**
   * Creates a decoder expecting the first frame (after the client preface).
   *
   * @param options The local maximum frame size.
   * @throws {RangeError} When `maxFrameSize` is outside 2^14..2^24-1.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    assertMaxFrameSize(maxFrameSize);
    this.#maxFrameSize = maxFrameSize;
  }

  /**
   * The local SETTINGS_MAX_FRAME_SIZE in force: a frame header announcing a
   * longer payload is a FRAME_SIZE_ERROR (§4.2).
   *
   * @throws {RangeError} On set, when outside 2^14..2^24-1.
   */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  set maxFrameSize(value: number) {
    assertMaxFrameSize(value);
    this.#maxFrameSize = value;
  }

  /** Octets pushed but not yet returned as frames. */
  get bufferedLength(): number {
    return this.#partialLength + this.#chunk.length - this.#pos;
  }

  /**
   * Adds input. Frames from the previous chunk should all have been taken
   * with `next()` first (if not, the rest is kept, at the cost of a copy).
   *
   * @param chunk The next octets of the connection (after the client preface).
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    const rest = this.#chunk.length - this.#pos;
    if (rest > 0) {
      // Not drained (the invariant `#partialLength === 0` holds here: a partial
      // frame only exists once the chunk is used up). Rare: join the two.
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.#chunk.subarray(this.#pos));
      joined.set(chunk, rest);
      chunk = joined;
    }
    this.#chunk = chunk;
    this.#pos = 0;
  }

  /**
   * Returns the next complete frame, or undefined when more input is needed.
   *
   * @returns A typed frame; `{ type: "unknown", … }` for extension frame types.
   * @throws {FrameTooLargeError} When a header announces more than `maxFrameSize`.
   * @throws {H2Error} On a frame-local violation of RFC 9113 §6 (see the class doc).
   */
  next(): Frame | undefined {
    if (this.#error !== undefined) throw this.#error;
    if (this.#partialLength > 0) return this.#nextFromPartial();
    const chunk = this.#chunk;
    const pos = this.#pos;
    const available = chunk.length - pos;
    if (available < FRAME_HEADER_LENGTH) {
      if (available > 0) this.#stash(chunk, pos);
      return this.#drained();
    }
    const length = (chunk[pos]! << 16) | (chunk[pos + 1]! << 8) | chunk[pos + 2]!;
    if (length > this.#maxFrameSize) throw this.#tooLarge(length);
    if (hasBadFixedLength(chunk[pos + 3]!, chunk[pos + 4]!, length)) {
      this.#rejectLength(chunk[pos + 3]!, chunk[pos + 4]!, readUint31(chunk, pos + 5), length);
    }
    const end = pos + FRAME_HEADER_LENGTH + length;
    if (end > chunk.length) {
      this.#stash(chunk, pos);
      return undefined;
    }
    this.#pos = end;
    return this.#parse(
      chunk[pos + 3]!,
      chunk[pos + 4]!,
      readUint31(chunk, pos + 5),
      chunk.subarray(pos + FRAME_HEADER_LENGTH, end),
    );
  }

  /**
   * Lets go of the used-up chunk (what is left of it, if anything, was copied
   * into the partial frame) and asks for more input: an idle connection would
   * otherwise keep its last read buffer alive, and the caller may now write
   * into that buffer again.
   */
  #drained(): undefined {
    this.#chunk = EMPTY;
    this.#pos = 0;
    return undefined;
  }

  /** Starts a partial frame with the rest of `chunk` (fewer octets than one frame). */
  #stash(chunk: Uint8Array, pos: number): void {
    const n = chunk.length - pos;
    if (this.#partial.length < n) this.#partial = new Uint8Array(Math.max(n, PARTIAL_CAPACITY));
    this.#partial.set(chunk.subarray(pos));
    this.#partialLength = n;
    this.#pos = chunk.length;
  }

  /** Continues the partial frame with octets of the current chunk. */
  #nextFromPartial(): Frame | undefined {
    const chunk = this.#chunk;
    let have = this.#partialLength;
    if (have < FRAME_HEADER_LENGTH) {
      const n = Math.min(FRAME_HEADER_LENGTH - have, chunk.length - this.#pos);
      this.#partial.set(chunk.subarray(this.#pos, this.#pos + n), have);
      this.#pos += n;
      this.#partialLength = have += n;
      if (have < FRAME_HEADER_LENGTH) return this.#drained();
    }
    let partial = this.#partial;
    const length = (partial[0]! << 16) | (partial[1]! << 8) | partial[2]!;
    if (length > this.#maxFrameSize) throw this.#tooLarge(length);
    if (have === FRAME_HEADER_LENGTH && hasBadFixedLength(partial[3]!, partial[4]!, length)) {
      this.#rejectLength(partial[3]!, partial[4]!, readUint31(partial, 5), length);
    }
    const total = FRAME_HEADER_LENGTH + length;
    const n = Math.min(total - have, chunk.length - this.#pos);
    if (partial.length < have + n) {
      // Grow with what has arrived, not with what the header announces: a
      // peer trickling a 16 MiB frame costs memory only as its octets come.
      const grown = new Uint8Array(Math.min(total, Math.max(have + n, partial.length * 2)));
      grown.set(partial.subarray(0, have));
      this.#partial = partial = grown;
    }
    partial.set(chunk.subarray(this.#pos, this.#pos + n), have);
    this.#pos += n;
    have += n;
    if (have < total) {
      this.#partialLength = have;
      return this.#drained();
    }
    this.#partialLength = 0;
    this.#partial = EMPTY; // the frame's views keep this buffer; never write it again
    return this.#parse(
      partial[3]!,
      partial[4]!,
      readUint31(partial, 5),
      partial.subarray(FRAME_HEADER_LENGTH, total),
    );
  }

  /**
   * Rejects a control frame whose header alone proves its length wrong, before
   * its payload arrives: the type's parser sees a stand-in payload that is just
   * as wrong (at most 9 octets), so the error and its `detail` are the ones the
   * whole frame would get.
   */
  #rejectLength(type: number, flags: number, streamId: number, length: number): never {
    this.#parse(type, flags, streamId, new Uint8Array(Math.min(length, 9)));
    // Unreachable: every length `hasBadFixedLength` flags makes the parser throw.
    throw new H2Error("Frame length check failed", { detail: "internal" });
  }

  #tooLarge(length: number): FrameTooLargeError {
    // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR
    // if a frame exceeds the size defined in SETTINGS_MAX_FRAME_SIZE".
    const error = new FrameTooLargeError(
      `Frame of "${length}" octets exceeds SETTINGS_MAX_FRAME_SIZE "${this.#maxFrameSize}"`,
      { detail: "frame_too_large" },
    );
    this.#error = error;
    return error;
  }

  #parse(type: number, flags: number, streamId: number, payload: Uint8Array): Frame {
    const parser = PARSERS[type];
    if (parser === undefined) {
      return { type: "unknown", frameType: type, streamId, flags, payload };
    }
    try {
      return parser(flags, streamId, payload);
    } catch (error) {
      // Stream errors leave the decoder usable (the frame is consumed);
      // connection errors, and anything unexpected, end it.
      if (!(error instanceof H2Error) || error.streamId === undefined) {
        this.#error = error instanceof H2Error
          ? error
          : new H2Error("Frame parser failed", { cause: error, detail: "internal" });
      }
      throw error;
    }
  }
}
