/**
 * A tiny, independent HTTP/2 wire toolkit for the attack and fuzz tests: it
 * serialises raw frames (RFC 9113 §4.1), writes HPACK blocks out of literal
 * and indexed representations by hand (RFC 7541 §5, §6; no Huffman), and
 * splits what the engine sends back into frames. It deliberately shares no
 * code with `lib/` so the code under test cannot vouch for itself.
 *
 * @module
 */

/** The client connection preface, RFC 9113 §3.4. */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Frame type codes (RFC 9113 §6, RFC 9218 §7.1). */
export const T = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
  PRIORITY_UPDATE: 0x10,
} as const;

/** Flag bits (RFC 9113 §6). */
export const F = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes used by the assertions (RFC 9113 §7). */
export const E = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

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
  const out = new Uint8Array(9 + payload.length);
  out[0] = (length >>> 16) & 0xff;
  out[1] = (length >>> 8) & 0xff;
  out[2] = length & 0xff;
  out[3] = type & 0xff;
  out[4] = flags & 0xff;
  new DataView(out.buffer).setUint32(5, streamId >>> 0);
  out.set(payload, 9);
  return out;
}

function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  return out;
}

/** SETTINGS (RFC 9113 §6.5) with the given entries. */
export function settings(
  entries: ReadonlyArray<readonly [number, number]> = [],
  ack = false,
): Uint8Array<ArrayBuffer> {
  const payload = new Uint8Array(entries.length * 6);
  const view = new DataView(payload.buffer);
  entries.forEach(([id, value], i) => {
    view.setUint16(i * 6, id);
    view.setUint32(i * 6 + 2, value >>> 0);
  });
  return frame(T.SETTINGS, ack ? F.ACK : 0, 0, payload);
}

/** SETTINGS ACK. */
export function settingsAck(): Uint8Array<ArrayBuffer> {
  return frame(T.SETTINGS, F.ACK, 0);
}

/** PING (RFC 9113 §6.7) whose 8 opaque octets encode `n`. */
export function ping(n: number, ack = false): Uint8Array<ArrayBuffer> {
  return frame(T.PING, ack ? F.ACK : 0, 0, u32(0, n));
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
  let flags = options.endHeaders === false ? 0 : F.END_HEADERS;
  if (options.endStream) flags |= F.END_STREAM;
  let payload: Uint8Array = block;
  if (options.priority) {
    flags |= F.PRIORITY;
    const p = options.priority;
    payload = concat([
      u32((p.dependsOn | (p.exclusive ? 0x8000_0000 : 0)) >>> 0),
      Uint8Array.of(p.weight - 1),
      block,
    ]);
  }
  return frame(T.HEADERS, flags, streamId, payload);
}

/** CONTINUATION (RFC 9113 §6.10). */
export function continuation(
  streamId: number,
  fragment: Uint8Array,
  endHeaders = false,
): Uint8Array<ArrayBuffer> {
  return frame(T.CONTINUATION, endHeaders ? F.END_HEADERS : 0, streamId, fragment);
}

/** DATA (RFC 9113 §6.1). */
export function data(
  streamId: number,
  payload: Uint8Array | number,
  endStream = false,
): Uint8Array<ArrayBuffer> {
  const bytes = typeof payload === "number" ? new Uint8Array(payload).fill(0x61) : payload;
  return frame(T.DATA, endStream ? F.END_STREAM : 0, streamId, bytes);
}

/** WINDOW_UPDATE (RFC 9113 §6.9); the increment is written as given (31 bits + R). */
export function windowUpdate(streamId: number, increment: number): Uint8Array<ArrayBuffer> {
  return frame(T.WINDOW_UPDATE, 0, streamId, u32(increment));
}

/** RST_STREAM (RFC 9113 §6.4). */
export function rstStream(streamId: number, errorCode: number): Uint8Array<ArrayBuffer> {
  return frame(T.RST_STREAM, 0, streamId, u32(errorCode));
}

/** PRIORITY (RFC 9113 §6.3). */
export function priority(
  streamId: number,
  dependsOn: number,
  weight = 16,
  exclusive = false,
): Uint8Array<ArrayBuffer> {
  return frame(
    T.PRIORITY,
    0,
    streamId,
    concat([u32((dependsOn | (exclusive ? 0x8000_0000 : 0)) >>> 0), Uint8Array.of(weight - 1)]),
  );
}

/** PRIORITY_UPDATE (RFC 9218 §7.1) on stream 0. */
export function priorityUpdate(
  prioritizedStreamId: number,
  value: string,
): Uint8Array<ArrayBuffer> {
  return frame(
    T.PRIORITY_UPDATE,
    0,
    0,
    concat([u32(prioritizedStreamId), new TextEncoder().encode(value)]),
  );
}

/** GOAWAY (RFC 9113 §6.8). */
export function goAway(
  lastStreamId: number,
  errorCode: number,
  debug: Uint8Array = new Uint8Array(0),
): Uint8Array<ArrayBuffer> {
  return frame(T.GOAWAY, 0, 0, concat([u32(lastStreamId, errorCode), debug]));
}

/** PUSH_PROMISE (RFC 9113 §6.6). */
export function pushPromise(
  streamId: number,
  promisedStreamId: number,
  block: Uint8Array,
  endHeaders = true,
): Uint8Array<ArrayBuffer> {
  return frame(
    T.PUSH_PROMISE,
    endHeaders ? F.END_HEADERS : 0,
    streamId,
    concat([u32(promisedStreamId), block]),
  );
}

// --- HPACK by hand (RFC 7541) ---------------------------------------------

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the pattern bits. */
export function hpackInt(value: number, prefixBits: number, first = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

function hpackString(s: string): number[] {
  const out = hpackInt(s.length, 7, 0);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  return out;
}

/** Literal without indexing, new name (RFC 7541 §6.2.2). */
export function literal(name: string, value: string): number[] {
  return [0x00, ...hpackString(name), ...hpackString(value)];
}

/** Literal with incremental indexing, new name (RFC 7541 §6.2.1). */
export function literalIndexed(name: string, value: string): number[] {
  return [0x40, ...hpackString(name), ...hpackString(value)];
}

/** Indexed field (RFC 7541 §6.1). 62 is the newest dynamic entry. */
export function indexed(index: number): number[] {
  return hpackInt(index, 7, 0x80);
}

/** Dynamic table size update (RFC 7541 §6.3). */
export function tableSizeUpdate(size: number): number[] {
  return hpackInt(size, 5, 0x20);
}

/** An HPACK block of literal (never-indexed-table) fields. */
export function block(fields: ReadonlyArray<readonly [string, string]>): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  for (const [n, v] of fields) out.push(...literal(n, v));
  return Uint8Array.from(out);
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

/** A frame as it was seen on the wire. */
export interface WireFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/**
 * Splits bytes into frames. Throws if they do not end on a frame boundary
 * (the engine's output always must). `skipPreface` drops a leading client
 * preface.
 */
export function parseFrames(bytes: Uint8Array, skipPreface = false): WireFrame[] {
  let offset = 0;
  if (skipPreface && startsWithPreface(bytes)) offset = PREFACE.length;
  const frames: WireFrame[] = [];
  while (offset < bytes.length) {
    if (bytes.length - offset < 9) throw new Error(`Truncated frame header at ${offset}`);
    const length = (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
    if (bytes.length - offset - 9 < length) throw new Error(`Truncated frame payload at ${offset}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
    frames.push({
      type: bytes[offset + 3]!,
      flags: bytes[offset + 4]!,
      streamId: view.getUint32(5) & 0x7fff_ffff,
      payload: bytes.subarray(offset + 9, offset + 9 + length),
    });
    offset += 9 + length;
  }
  return frames;
}

/** True when `bytes` begins with the client preface. */
export function startsWithPreface(bytes: Uint8Array): boolean {
  if (bytes.length < PREFACE.length) return false;
  for (let i = 0; i < PREFACE.length; i++) if (bytes[i] !== PREFACE[i]) return false;
  return true;
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
