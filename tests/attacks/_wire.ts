/**
 * The attack and fuzz tests' HTTP/2 wire toolkit: short positional frame
 * constructors (RFC 9113 §4.1, §6), hand-written HPACK representations
 * (RFC 7541 §5, §6; no Huffman), and a splitter for what the engine sends back.
 * The octets are built by the test DSL (`tests/_helpers/frames.ts`), which
 * deliberately shares no code with `lib/`, so the code under test cannot vouch
 * for itself; this module only adapts its builders to the call shapes the
 * attacks and the fuzzer use.
 *
 * @module
 */
import {
  bytes,
  CODES,
  concat,
  F,
  frames,
  hpack,
  hpackInt,
  hpackOctets,
  PREFACE_TEXT,
  rawFrame,
  T,
  u32,
} from "../_helpers/frames.ts";
import {
  parseFrames as splitFrames,
  startsWithPreface,
  type WireFrame,
} from "../_helpers/decode.ts";

// Constants, concatenation, the HPACK integer and the frame types come from the DSL as is.
export { concat, F, hpackInt, startsWithPreface, T, type WireFrame };

/** The client connection preface, RFC 9113 §3.4. */
export const PREFACE: Uint8Array = bytes(PREFACE_TEXT);

/** Error codes used by the assertions (RFC 9113 §7). */
export const E = CODES;

/**
 * One raw frame: 9-octet header (RFC 9113 §4.1) plus payload. `length`
 * overrides the announced length (for lying headers); it is not checked.
 */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
  length: number = payload.length,
): Uint8Array<ArrayBuffer> {
  return rawFrame(type, flags, streamId, payload, length);
}

/** SETTINGS (RFC 9113 §6.5) with the given entries. */
export function settings(
  entries: ReadonlyArray<readonly [number, number]> = [],
  ack = false,
): Uint8Array<ArrayBuffer> {
  const builder = frames.settings();
  for (const [id, value] of entries) builder.set(id, value);
  if (ack) builder.ack();
  return builder.toBytes();
}

/** SETTINGS ACK. */
export function settingsAck(): Uint8Array<ArrayBuffer> {
  return frames.settingsAck().toBytes();
}

/** PING (RFC 9113 §6.7) whose 8 opaque octets encode `n`. */
export function ping(n: number, ack = false): Uint8Array<ArrayBuffer> {
  const builder = frames.ping(bytes(u32(0), u32(n)));
  if (ack) builder.ack();
  return builder.toBytes();
}

/** HEADERS (RFC 9113 §6.2). */
export function headers(
  streamId: number,
  block: Uint8Array,
  options: {
    endStream?: boolean;
    endHeaders?: boolean;
    priority?: { dependsOn: number; weight: number; exclusive?: boolean };
  } = {},
): Uint8Array<ArrayBuffer> {
  const builder = frames.headers(streamId).block(block);
  if (options.endHeaders === false) builder.noEndHeaders();
  if (options.endStream) builder.endStream();
  if (options.priority) builder.priority(options.priority);
  return builder.toBytes();
}

/** CONTINUATION (RFC 9113 §6.10). */
export function continuation(
  streamId: number,
  fragment: Uint8Array,
  endHeaders = false,
): Uint8Array<ArrayBuffer> {
  const builder = frames.continuation(streamId, fragment);
  if (endHeaders) builder.endHeaders();
  return builder.toBytes();
}

/** DATA (RFC 9113 §6.1); a number is that many octets of "a". */
export function data(
  streamId: number,
  payload: Uint8Array | number,
  endStream = false,
): Uint8Array<ArrayBuffer> {
  const builder = frames.data(streamId, payload);
  if (endStream) builder.endStream();
  return builder.toBytes();
}

/** WINDOW_UPDATE (RFC 9113 §6.9); the increment is written as given (31 bits + R). */
export function windowUpdate(streamId: number, increment: number): Uint8Array<ArrayBuffer> {
  return frames.windowUpdate(streamId, increment).toBytes();
}

/** RST_STREAM (RFC 9113 §6.4). */
export function rstStream(streamId: number, errorCode: number): Uint8Array<ArrayBuffer> {
  return frames.rstStream(streamId).code(errorCode).toBytes();
}

/** PRIORITY (RFC 9113 §6.3). */
export function priority(
  streamId: number,
  dependsOn: number,
  weight = 16,
  exclusive = false,
): Uint8Array<ArrayBuffer> {
  return frames.priority(streamId, { dependsOn, weight, exclusive }).toBytes();
}

/** PRIORITY_UPDATE (RFC 9218 §7.1) on stream 0; `value` is ASCII (sf-dictionary). */
export function priorityUpdate(
  prioritizedStreamId: number,
  value: string,
): Uint8Array<ArrayBuffer> {
  return frames.priorityUpdate(prioritizedStreamId, value).toBytes();
}

/** GOAWAY (RFC 9113 §6.8). */
export function goAway(
  lastStreamId: number,
  errorCode: number,
  debug: Uint8Array = new Uint8Array(0),
): Uint8Array<ArrayBuffer> {
  return frames.goAway(lastStreamId).code(errorCode).debug(debug).toBytes();
}

/** PUSH_PROMISE (RFC 9113 §6.6). */
export function pushPromise(
  streamId: number,
  promisedStreamId: number,
  block: Uint8Array,
  endHeaders = true,
): Uint8Array<ArrayBuffer> {
  const builder = frames.pushPromise(streamId, promisedStreamId).block(block);
  if (!endHeaders) builder.noEndHeaders();
  return builder.toBytes();
}

// --- HPACK by hand (RFC 7541), from the DSL's encoder ---------------------

/** Literal without indexing, new name (RFC 7541 §6.2.2). */
export function literal(name: string, value: string): number[] {
  return hpackOctets.literal(name, value);
}

/** Literal with incremental indexing, new name (RFC 7541 §6.2.1). */
export function literalIndexed(name: string, value: string): number[] {
  return hpackOctets.literalIndexed(name, value);
}

/** Indexed field (RFC 7541 §6.1). 62 is the newest dynamic entry. */
export function indexed(index: number): number[] {
  return hpackOctets.indexed(index);
}

/** Dynamic table size update (RFC 7541 §6.3). */
export function tableSizeUpdate(size: number): number[] {
  return hpackOctets.sizeUpdate(size);
}

/** An HPACK block of literal (never-indexed-table) fields. */
export function block(fields: ReadonlyArray<readonly [string, string]>): Uint8Array<ArrayBuffer> {
  return hpack.encode(fields);
}

/** A minimal valid GET request header list. */
export const GET: ReadonlyArray<readonly [string, string]> = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "localhost"],
];

/** A minimal valid 200 response header list. */
export const OK: ReadonlyArray<readonly [string, string]> = [[":status", "200"]];

/** HEADERS(END_HEADERS) carrying a literal GET request. */
export function request(streamId: number, endStream = true): Uint8Array<ArrayBuffer> {
  return headers(streamId, block(GET), { endStream });
}

// --- parsing what the engine sends -----------------------------------------

/**
 * Splits bytes into frames (the DSL's parser, `tests/_helpers/decode.ts`).
 * Throws if they do not end on a frame boundary (the engine's output always
 * must). `skipPreface` drops a leading client preface.
 */
export function parseFrames(bytes: Uint8Array, skipPreface = false): WireFrame[] {
  const skip = skipPreface && startsWithPreface(bytes) ? PREFACE.length : 0;
  return splitFrames(bytes.subarray(skip));
}

/** A parsed GOAWAY. */
export interface GoAwayInfo {
  lastStreamId: number;
  errorCode: number;
  debug: string;
}

/** Decodes a GOAWAY frame's payload. */
export function goAwayInfo(f: WireFrame): GoAwayInfo {
  const view = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length);
  return {
    lastStreamId: view.getUint32(0) & 0x7fff_ffff,
    errorCode: view.getUint32(4),
    debug: new TextDecoder().decode(f.payload.subarray(8)),
  };
}

/** The error code of an RST_STREAM frame. */
export function rstCode(f: WireFrame): number {
  return new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length).getUint32(0);
}

/** All GOAWAYs among `frames`. */
export function goAways(frames: readonly WireFrame[]): GoAwayInfo[] {
  return frames.filter((f) => f.type === T.GOAWAY).map(goAwayInfo);
}

/** All RST_STREAMs among `frames`, as `[streamId, errorCode]`. */
export function resets(frames: readonly WireFrame[]): Array<[number, number]> {
  return frames.filter((f) => f.type === T.RST_STREAM).map((f) => [f.streamId, rstCode(f)]);
}
