/**
 * A frame-builder DSL for connection tests (after hyperium's `frames.rs` and
 * python h2's `FrameFactory`). It serialises frames itself and carries its own
 * tiny HPACK encoder (literals without indexing, no Huffman), so the code under
 * test (`lib/frame/*`, `lib/hpack/encoder.ts`) cannot vouch for itself.
 *
 * ```ts
 * frames.headers(1).request("GET", "/").endStream().toBytes();
 * frames.data(1, "hi").padded(4).endStream();
 * frames.settings().initialWindowSize(0);
 * frames.goAway(0).flowControlError();
 * ```
 *
 * @module
 */

/** A header field as the tests write it. */
export type Field = readonly [string, string];

/** Anything `bytes()` accepts: octets, numbers (one octet each), latin1 strings, nested lists. */
export type ByteSource = number | string | Uint8Array | { toBytes(): Uint8Array } | ByteSource[];

/** RFC 9113 §3.4: the client connection preface. */
export const PREFACE_TEXT = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** Frame type codes, RFC 9113 §6 (kept here so the helpers import nothing from lib/). */
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
  ALTSVC: 0xa,
  ORIGIN: 0xc,
  PRIORITY_UPDATE: 0x10,
} as const;

/** Frame flag bits, RFC 9113 §6 (END_STREAM and ACK share 0x1). */
export const F = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes, RFC 9113 §7 (names are what `expectGoAway` etc. accept). */
export const CODES = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
/** An RFC 9113 §7 error code name. */
export type CodeName = keyof typeof CODES;

/** Setting identifiers, RFC 9113 §6.5.2, RFC 8441, RFC 9218. */
export const S = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const;

/** Concatenate octets from any mix of sources (the raw escape hatch). */
export function bytes(...parts: ByteSource[]): Uint8Array<ArrayBuffer> {
  // One allocation (collect, then copy): the attack and fuzz suites build hundreds of
  // thousands of frames through here, most from a single array.
  if (parts.length === 1 && parts[0] instanceof Uint8Array) return parts[0].slice();
  const chunks: (number | string | Uint8Array)[] = [];
  let length = 0;
  const add = (part: ByteSource): void => {
    if (typeof part === "number") {
      if (!Number.isInteger(part) || part < 0 || part > 255) {
        throw new RangeError(`Bad octet ${part}`);
      }
      chunks.push(part);
      length += 1;
    } else if (typeof part === "string" || part instanceof Uint8Array) {
      chunks.push(part);
      length += part.length;
    } else if (Array.isArray(part)) {
      for (const p of part) add(p);
    } else {
      add(part.toBytes());
    }
  };
  for (const p of parts) add(p);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (typeof chunk === "number") {
      out[offset++] = chunk;
    } else if (typeof chunk === "string") {
      for (let i = 0; i < chunk.length; i++) out[offset++] = chunk.charCodeAt(i) & 0xff;
    } else {
      out.set(chunk, offset);
      offset += chunk.length;
    }
  }
  return out;
}

/** `n` copies of octet `value`. */
export function repeat(value: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(value);
}

/** Concatenates byte arrays (a fast path of `bytes()` for large payloads). */
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

/** A 32-bit big-endian integer as four octets (the value is taken modulo 2^32). */
export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Serialise a frame header + payload (RFC 9113 §4.1). `length` overrides the announced length. */
export function rawFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array,
  length: number = payload.length,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(9 + payload.length);
  out[0] = (length >>> 16) & 0xff;
  out[1] = (length >>> 8) & 0xff;
  out[2] = length & 0xff;
  out[3] = type;
  out[4] = flags;
  out.set(u32(streamId >>> 0), 5);
  out.set(payload, 9);
  return out;
}

// ---------------------------------------------------------------------------
// A minimal HPACK encoder, RFC 7541 (independent of lib/hpack).

/** RFC 7541 §5.1 integer with an N-bit prefix; `first` holds the pattern bits. */
export function hpackInt(value: number, prefixBits: number, first = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** RFC 7541 §5.2 string literal, H = 0 (no Huffman): length prefix, then latin1 octets. */
export function hpackString(s: string, out: number[] = []): number[] {
  out.push(...hpackInt(s.length, 7, 0x00)); // H = 0: no Huffman
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  return out;
}

/** RFC 7541 §6.2 literal with a new name (index 0); `first` selects §6.2.1/§6.2.2/§6.2.3. */
function literalNewName(first: number, name: string, value: string, out: number[] = []): number[] {
  out.push(first);
  hpackString(name, out);
  hpackString(value, out);
  return out;
}

/** Raw HPACK representations as octet lists (for callers that splice them into arrays). */
export const hpackOctets = {
  /** §6.2.2 literal without indexing, new name. */
  literal(name: string, value: string): number[] {
    return literalNewName(0x00, name, value);
  },
  /** §6.2.1 literal with incremental indexing, new name (adds to the dynamic table). */
  literalIndexed(name: string, value: string): number[] {
    return literalNewName(0x40, name, value);
  },
  /** §6.2.3 literal never indexed, new name. */
  neverIndexed(name: string, value: string): number[] {
    return literalNewName(0x10, name, value);
  },
  /** §6.1 indexed field (static 1..61, dynamic 62..). */
  indexed(index: number): number[] {
    return hpackInt(index, 7, 0x80);
  },
  /** §6.3 dynamic table size update. */
  sizeUpdate(size: number): number[] {
    return hpackInt(size, 5, 0x20);
  },
};

/** Raw HPACK representations for hand-made header blocks. */
export const hpack = {
  /** §6.2.2 literal without indexing, new name. */
  literal(name: string, value: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(hpackOctets.literal(name, value));
  },
  /** §6.2.1 literal with incremental indexing, new name (adds to the dynamic table). */
  literalIndexed(name: string, value: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(hpackOctets.literalIndexed(name, value));
  },
  /** §6.2.3 literal never indexed, new name. */
  neverIndexed(name: string, value: string): Uint8Array<ArrayBuffer> {
    return new Uint8Array(hpackOctets.neverIndexed(name, value));
  },
  /** §6.1 indexed field (static 1..61, dynamic 62..). */
  indexed(index: number): Uint8Array<ArrayBuffer> {
    return new Uint8Array(hpackOctets.indexed(index));
  },
  /** §6.3 dynamic table size update. */
  sizeUpdate(size: number): Uint8Array<ArrayBuffer> {
    return new Uint8Array(hpackOctets.sizeUpdate(size));
  },
  /** A whole block of literals without indexing. */
  encode(fields: Iterable<Field>): Uint8Array<ArrayBuffer> {
    const out: number[] = [];
    for (const [n, v] of fields) literalNewName(0x00, n, v, out);
    return new Uint8Array(out);
  },
};

// ---------------------------------------------------------------------------
// Builders.

/** Base of every builder: type, flags, stream, and overrides for malformed frames. */
export abstract class FrameBuilder {
  protected flagBits = 0;
  #lengthOverride: number | undefined;
  #payloadOverride: Uint8Array | undefined;
  #extraFlags = 0;

  constructor(readonly type: number, public streamId: number) {}

  /** The payload this builder describes (before overrides). */
  protected abstract payload(): Uint8Array;

  /** Set extra raw flag bits (e.g. undefined ones, which receivers must ignore). */
  flags(bits: number): this {
    this.#extraFlags |= bits;
    return this;
  }
  /** Announce `n` as the length in the frame header, whatever the payload is. */
  length(n: number): this {
    this.#lengthOverride = n;
    return this;
  }
  /** Replace the payload with raw octets. */
  rawPayload(...parts: ByteSource[]): this {
    this.#payloadOverride = bytes(...parts);
    return this;
  }
  /** Put the frame on another stream. */
  onStream(streamId: number): this {
    this.streamId = streamId;
    return this;
  }
  /** The serialised frame. */
  toBytes(): Uint8Array<ArrayBuffer> {
    const payload = this.#payloadOverride ?? this.payload();
    return rawFrame(
      this.type,
      this.flagBits | this.#extraFlags,
      this.streamId,
      payload,
      this.#lengthOverride ?? payload.length,
    );
  }
  /** Alias of `toBytes()`. */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.toBytes();
  }
}

function padWrap(pad: number | undefined, body: Uint8Array): Uint8Array {
  if (pad === undefined) return body;
  return bytes(pad, body, repeat(0, pad));
}

/** DATA, RFC 9113 §6.1. */
export class DataBuilder extends FrameBuilder {
  #pad: number | undefined;
  constructor(streamId: number, readonly data: Uint8Array) {
    super(T.DATA, streamId);
  }
  /** END_STREAM. */
  endStream(): this {
    this.flagBits |= 0x1;
    return this;
  }
  /** PADDED with `n` octets of padding (flow-controlled size = data + n + 1). */
  padded(n: number): this {
    this.flagBits |= 0x8;
    this.#pad = n;
    return this;
  }
  protected payload(): Uint8Array {
    return padWrap(this.#pad, this.data);
  }
}

/** RFC 7540 priority fields. */
export interface Prio {
  dependsOn?: number;
  weight?: number;
  exclusive?: boolean;
}

function prioBytes(p: Prio): number[] {
  const dep = (p.dependsOn ?? 0) >>> 0;
  return [...u32((p.exclusive ? 0x8000_0000 : 0) + dep), (p.weight ?? 16) - 1];
}

/** A default request's fields. */
export function requestFields(method: string, path: string, extra: Field[] = []): Field[] {
  return [
    [":method", method],
    [":scheme", "https"],
    [":path", path],
    [":authority", "example.com"],
    ...extra,
  ];
}

/** HEADERS, RFC 9113 §6.2. END_HEADERS is set unless `noEndHeaders()`. */
export class HeadersBuilder extends FrameBuilder {
  #fields: Field[] = [];
  #block: Uint8Array | undefined;
  #pad: number | undefined;
  #prio: Prio | undefined;
  constructor(streamId: number) {
    super(T.HEADERS, streamId);
    this.flagBits = 0x4;
  }
  /** A request: :method, :scheme https, :path, :authority example.com, then `extra`. */
  request(method: string, path: string, extra: Field[] = []): this {
    this.#fields = requestFields(method, path, extra);
    return this;
  }
  /** A response: :status then `extra`. */
  response(status: number | string, extra: Field[] = []): this {
    this.#fields = [[":status", String(status)], ...extra];
    return this;
  }
  /** Exactly these fields. */
  fields(fields: Field[]): this {
    this.#fields = [...fields];
    return this;
  }
  /** Append fields. */
  add(...fields: Field[]): this {
    this.#fields.push(...fields);
    return this;
  }
  /** A raw HPACK block instead of the fields. */
  block(...parts: ByteSource[]): this {
    this.#block = bytes(...parts);
    return this;
  }
  /** END_STREAM. */
  endStream(): this {
    this.flagBits |= 0x1;
    return this;
  }
  /** Clear END_HEADERS (the block continues in CONTINUATION frames). */
  noEndHeaders(): this {
    this.flagBits &= ~0x4;
    return this;
  }
  /** PADDED with `n` octets of padding. */
  padded(n: number): this {
    this.flagBits |= 0x8;
    this.#pad = n;
    return this;
  }
  /** PRIORITY flag with RFC 7540 fields (weight default 16). */
  priority(p: Prio): this {
    this.flagBits |= 0x20;
    this.#prio = p;
    return this;
  }
  /** The HPACK block this frame carries. */
  headerBlock(): Uint8Array {
    return this.#block ?? hpack.encode(this.#fields);
  }
  protected payload(): Uint8Array {
    const block = this.headerBlock();
    const body = this.#prio ? bytes(prioBytes(this.#prio), block) : block;
    return padWrap(this.#pad, body);
  }
}

/** CONTINUATION, RFC 9113 §6.10. */
export class ContinuationBuilder extends FrameBuilder {
  #block: Uint8Array;
  constructor(streamId: number, block: Uint8Array) {
    super(T.CONTINUATION, streamId);
    this.#block = block;
  }
  /** END_HEADERS. */
  endHeaders(): this {
    this.flagBits |= 0x4;
    return this;
  }
  protected payload(): Uint8Array {
    return this.#block;
  }
}

/** PUSH_PROMISE, RFC 9113 §6.6. END_HEADERS is set unless `noEndHeaders()`. */
export class PushPromiseBuilder extends FrameBuilder {
  #fields: Field[] = [];
  #block: Uint8Array | undefined;
  #pad: number | undefined;
  constructor(streamId: number, public promisedStreamId: number) {
    super(T.PUSH_PROMISE, streamId);
    this.flagBits = 0x4;
  }
  /** The promised request (GET by default). */
  request(method: string, path: string, extra: Field[] = []): this {
    this.#fields = requestFields(method, path, extra);
    return this;
  }
  /** Exactly these fields. */
  fields(fields: Field[]): this {
    this.#fields = [...fields];
    return this;
  }
  /** A raw HPACK block. */
  block(...parts: ByteSource[]): this {
    this.#block = bytes(...parts);
    return this;
  }
  /** Clear END_HEADERS. */
  noEndHeaders(): this {
    this.flagBits &= ~0x4;
    return this;
  }
  /** PADDED. */
  padded(n: number): this {
    this.flagBits |= 0x8;
    this.#pad = n;
    return this;
  }
  protected payload(): Uint8Array {
    const block = this.#block ?? hpack.encode(this.#fields);
    return padWrap(this.#pad, bytes(u32(this.promisedStreamId), block));
  }
}

/** SETTINGS, RFC 9113 §6.5. */
export class SettingsBuilder extends FrameBuilder {
  readonly entries: [number, number][] = [];
  constructor() {
    super(T.SETTINGS, 0);
  }
  /** Any id/value (unknown ids included). */
  set(id: number, value: number): this {
    this.entries.push([id, value]);
    return this;
  }
  /** SETTINGS_HEADER_TABLE_SIZE. */
  headerTableSize(v: number): this {
    return this.set(S.HEADER_TABLE_SIZE, v);
  }
  /** SETTINGS_ENABLE_PUSH. */
  enablePush(v: number): this {
    return this.set(S.ENABLE_PUSH, v);
  }
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxConcurrentStreams(v: number): this {
    return this.set(S.MAX_CONCURRENT_STREAMS, v);
  }
  /** SETTINGS_INITIAL_WINDOW_SIZE. */
  initialWindowSize(v: number): this {
    return this.set(S.INITIAL_WINDOW_SIZE, v);
  }
  /** SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize(v: number): this {
    return this.set(S.MAX_FRAME_SIZE, v);
  }
  /** SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListSize(v: number): this {
    return this.set(S.MAX_HEADER_LIST_SIZE, v);
  }
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441). */
  enableConnectProtocol(v: number): this {
    return this.set(S.ENABLE_CONNECT_PROTOCOL, v);
  }
  /** SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218). */
  noRfc7540Priorities(v: number): this {
    return this.set(S.NO_RFC7540_PRIORITIES, v);
  }
  /** The ACK flag. */
  ack(): this {
    this.flagBits |= 0x1;
    return this;
  }
  protected payload(): Uint8Array {
    const out: number[] = [];
    for (const [id, v] of this.entries) out.push((id >> 8) & 0xff, id & 0xff, ...u32(v));
    return new Uint8Array(out);
  }
}

/** PING, RFC 9113 §6.7. */
export class PingBuilder extends FrameBuilder {
  constructor(readonly data: Uint8Array) {
    super(T.PING, 0);
  }
  /** The ACK flag. */
  ack(): this {
    this.flagBits |= 0x1;
    return this;
  }
  protected payload(): Uint8Array {
    return this.data;
  }
}

/** Builders carrying an error code: GOAWAY and RST_STREAM. */
abstract class CodeBuilder extends FrameBuilder {
  errorCode = 0;
  /** Any code (unknown ones too). */
  code(n: number | CodeName): this {
    this.errorCode = typeof n === "number" ? n : CODES[n];
    return this;
  }
  /** NO_ERROR. */
  noError(): this {
    return this.code(0x0);
  }
  /** PROTOCOL_ERROR. */
  protocolError(): this {
    return this.code(0x1);
  }
  /** INTERNAL_ERROR. */
  internalError(): this {
    return this.code(0x2);
  }
  /** FLOW_CONTROL_ERROR. */
  flowControlError(): this {
    return this.code(0x3);
  }
  /** STREAM_CLOSED. */
  streamClosed(): this {
    return this.code(0x5);
  }
  /** FRAME_SIZE_ERROR. */
  frameSizeError(): this {
    return this.code(0x6);
  }
  /** REFUSED_STREAM. */
  refusedStream(): this {
    return this.code(0x7);
  }
  /** CANCEL. */
  cancel(): this {
    return this.code(0x8);
  }
  /** COMPRESSION_ERROR. */
  compressionError(): this {
    return this.code(0x9);
  }
  /** ENHANCE_YOUR_CALM. */
  enhanceYourCalm(): this {
    return this.code(0xb);
  }
}

/** GOAWAY, RFC 9113 §6.8. */
export class GoAwayBuilder extends CodeBuilder {
  #debug: Uint8Array = new Uint8Array();
  constructor(public lastStreamId: number) {
    super(T.GOAWAY, 0);
  }
  /** Additional debug data. */
  debug(data: string | Uint8Array): this {
    this.#debug = bytes(data);
    return this;
  }
  protected payload(): Uint8Array {
    return bytes(u32(this.lastStreamId), u32(this.errorCode), this.#debug);
  }
}

/** RST_STREAM, RFC 9113 §6.4. */
export class RstStreamBuilder extends CodeBuilder {
  constructor(streamId: number) {
    super(T.RST_STREAM, streamId);
  }
  protected payload(): Uint8Array {
    return new Uint8Array(u32(this.errorCode));
  }
}

/** WINDOW_UPDATE, RFC 9113 §6.9. */
export class WindowUpdateBuilder extends FrameBuilder {
  constructor(streamId: number, readonly increment: number) {
    super(T.WINDOW_UPDATE, streamId);
  }
  protected payload(): Uint8Array {
    return new Uint8Array(u32(this.increment));
  }
}

/** PRIORITY, RFC 9113 §6.3. */
export class PriorityBuilder extends FrameBuilder {
  constructor(streamId: number, readonly prio: Prio) {
    super(T.PRIORITY, streamId);
  }
  protected payload(): Uint8Array {
    return new Uint8Array(prioBytes(this.prio));
  }
}

/** PRIORITY_UPDATE, RFC 9218 §7.1 (sent on stream 0). */
export class PriorityUpdateBuilder extends FrameBuilder {
  constructor(readonly prioritizedStreamId: number, readonly fieldValue: string) {
    super(T.PRIORITY_UPDATE, 0);
  }
  protected payload(): Uint8Array {
    return bytes(u32(this.prioritizedStreamId), this.fieldValue);
  }
}

/** Any frame type with a raw payload (RFC 9113 §5.5 extension frames, or malformed known ones). */
export class RawBuilder extends FrameBuilder {
  constructor(type: number, streamId: number, flags: number, readonly raw: Uint8Array) {
    super(type, streamId);
    this.flagBits = flags;
  }
  protected payload(): Uint8Array {
    return this.raw;
  }
}

/** A fixed byte string that behaves like a builder (the preface, raw chunks). */
export class Raw {
  constructor(readonly data: Uint8Array) {}
  /** The octets. */
  toBytes(): Uint8Array {
    return this.data;
  }
  /** Alias of `toBytes()`. */
  bytes(): Uint8Array {
    return this.data;
  }
}

function toData(data: string | Uint8Array | number): Uint8Array {
  if (typeof data === "number") return repeat(0x61, data);
  return typeof data === "string" ? bytes(data) : data;
}

/** The DSL entry points. */
export const frames = {
  /** The 24-octet client preface, RFC 9113 §3.4. */
  preface(): Raw {
    return new Raw(bytes(PREFACE_TEXT));
  },
  /** DATA on `streamId`; `data` as latin1 text, octets, or a length (filled with "a"). */
  data(streamId: number, data: string | Uint8Array | number = ""): DataBuilder {
    return new DataBuilder(streamId, toData(data));
  },
  /** HEADERS on `streamId`. */
  headers(streamId: number): HeadersBuilder {
    return new HeadersBuilder(streamId);
  },
  /** CONTINUATION carrying `block` (raw HPACK octets or fields). */
  continuation(
    streamId: number,
    block: Uint8Array | Field[] = new Uint8Array(),
  ): ContinuationBuilder {
    return new ContinuationBuilder(
      streamId,
      block instanceof Uint8Array ? block : hpack.encode(block),
    );
  },
  /** PUSH_PROMISE on `streamId` promising `promisedStreamId`. */
  pushPromise(streamId: number, promisedStreamId: number): PushPromiseBuilder {
    return new PushPromiseBuilder(streamId, promisedStreamId);
  },
  /** SETTINGS (empty until values are added). */
  settings(): SettingsBuilder {
    return new SettingsBuilder();
  },
  /** SETTINGS with ACK. */
  settingsAck(): SettingsBuilder {
    return new SettingsBuilder().ack();
  },
  /** PING with 8 octets (default 0..7). */
  ping(data: Uint8Array | string = bytes(0, 1, 2, 3, 4, 5, 6, 7)): PingBuilder {
    return new PingBuilder(bytes(data));
  },
  /** GOAWAY with NO_ERROR unless a code is set. */
  goAway(lastStreamId: number): GoAwayBuilder {
    return new GoAwayBuilder(lastStreamId);
  },
  /** RST_STREAM with NO_ERROR unless a code is set. */
  rstStream(streamId: number): RstStreamBuilder {
    return new RstStreamBuilder(streamId);
  },
  /** WINDOW_UPDATE. */
  windowUpdate(streamId: number, increment: number): WindowUpdateBuilder {
    return new WindowUpdateBuilder(streamId, increment);
  },
  /** PRIORITY (weight 16, depends on 0 by default). */
  priority(streamId: number, prio: Prio = {}): PriorityBuilder {
    return new PriorityBuilder(streamId, prio);
  },
  /** PRIORITY_UPDATE (RFC 9218). */
  priorityUpdate(prioritizedStreamId: number, fieldValue: string): PriorityUpdateBuilder {
    return new PriorityUpdateBuilder(prioritizedStreamId, fieldValue);
  },
  /** A frame of any type with a raw payload. */
  unknown(type: number, streamId = 0, payload: ByteSource = [], flags = 0): RawBuilder {
    return new RawBuilder(type, streamId, flags, bytes(payload));
  },
  /** Raw octets. */
  raw(...parts: ByteSource[]): Raw {
    return new Raw(bytes(...parts));
  },
};
