/**
 * The conformance suite's HTTP/2 wire format: frame constructors with the call
 * shapes of h2spec's cases, a literal-only HPACK encoder, and a frame parser.
 * The octets come from the test DSL (`tests/_helpers/frames.ts`), written from
 * RFC 9113 §4.1/§6 and RFC 7541 §5–§6 alone; it deliberately imports nothing
 * from `lib/`, so a bug in our codec cannot hide the same bug in the server
 * (h2spec uses Go's `x/net/http2` framer for the same reason: an independent
 * implementation).
 *
 * @module
 */
import {
  bytes as latin1Bytes,
  CODES,
  concat as concatParts,
  F,
  type Field,
  frames,
  hpack,
  hpackInt as hpackIntOctets,
  hpackString as hpackStringOctets,
  PREFACE_TEXT,
  rawFrame,
  S,
  T,
} from "../../_helpers/frames.ts";

export { F, type Field, S, T };

/** Error codes, RFC 9113 §7. */
export const E = CODES;

const ERROR_NAMES = new Map<number, string>(Object.entries(E).map(([k, v]) => [v, k]));
const TYPE_NAMES = new Map<number, string>(Object.entries(T).map(([k, v]) => [v, k]));

/**
 * The name of an error code (`0x1` → `PROTOCOL_ERROR`), or its hex value.
 *
 * @param code The error code.
 * @returns A printable name.
 */
export function errorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** The client connection preface, RFC 9113 §3.4. */
export const PREFACE: Uint8Array = latin1Bytes(PREFACE_TEXT);

/**
 * Concatenates byte arrays.
 *
 * @param parts The arrays.
 * @returns One array.
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatParts(parts);
}

/**
 * Latin-1 bytes of a string (h2spec's `[]byte("...")` with `\xNN` escapes).
 *
 * @param text Characters 0–255.
 * @returns The bytes.
 */
export function bytes(text: string): Uint8Array {
  return latin1Bytes(text);
}

/**
 * One frame: the 9-octet header of RFC 9113 §4.1 and the payload. The stream
 * identifier is written as given (all 32 bits), so tests can set the R bit.
 *
 * @param type Frame type.
 * @param flags Flag octet.
 * @param streamId Stream identifier (32 bits written verbatim).
 * @param payload Frame payload.
 * @returns The frame bytes.
 */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return rawFrame(type, flags, streamId, payload);
}

/** Priority fields of HEADERS/PRIORITY (RFC 9113 §5.3.1 / §6.3). */
export interface Priority {
  /** Stream dependency. */
  dependsOn: number;
  /** Exclusive flag. */
  exclusive: boolean;
  /** Weight field as sent (0–255, i.e. weight − 1). */
  weight: number;
}

/** The DSL's priority fields take the weight (1–256), not the field as sent. */
function prio(p: Priority): { dependsOn: number; exclusive: boolean; weight: number } {
  return { dependsOn: p.dependsOn, exclusive: p.exclusive, weight: p.weight + 1 };
}

/**
 * A DATA frame (RFC 9113 §6.1).
 *
 * @param streamId Stream identifier.
 * @param payload Data (a string is taken as Latin-1 bytes).
 * @param options END_STREAM; `pad` adds PADDED with these octets as padding.
 * @returns The frame bytes.
 */
export function data(
  streamId: number,
  payload: Uint8Array | string,
  options: { endStream?: boolean; pad?: Uint8Array } = {},
): Uint8Array {
  const builder = frames.data(streamId, payload);
  if (options.endStream) builder.endStream();
  if (options.pad !== undefined) {
    // The padding octets are given (h2spec sends them as written), so the payload is raw.
    builder.flags(F.PADDED).rawPayload(options.pad.length, builder.data, options.pad);
  }
  return builder.toBytes();
}

/**
 * A HEADERS frame (RFC 9113 §6.2).
 *
 * @param streamId Stream identifier.
 * @param block Field block fragment.
 * @param options END_STREAM, END_HEADERS (default set), priority fields, padding length.
 * @returns The frame bytes.
 */
export function headers(
  streamId: number,
  block: Uint8Array,
  options: { endStream?: boolean; endHeaders?: boolean; priority?: Priority; padLength?: number } =
    {},
): Uint8Array {
  const builder = frames.headers(streamId).block(block);
  if (options.endStream) builder.endStream();
  if (!(options.endHeaders ?? true)) builder.noEndHeaders();
  if (options.padLength !== undefined) builder.padded(options.padLength);
  if (options.priority !== undefined) builder.priority(prio(options.priority));
  return builder.toBytes();
}

/**
 * A CONTINUATION frame (RFC 9113 §6.10).
 *
 * @param streamId Stream identifier.
 * @param block Field block fragment.
 * @param endHeaders Sets END_HEADERS.
 * @returns The frame bytes.
 */
export function continuation(streamId: number, block: Uint8Array, endHeaders: boolean): Uint8Array {
  const builder = frames.continuation(streamId, block);
  if (endHeaders) builder.endHeaders();
  return builder.toBytes();
}

/**
 * A PRIORITY frame (RFC 9113 §6.3).
 *
 * @param streamId Stream identifier.
 * @param p Dependency, exclusive flag, weight.
 * @returns The frame bytes.
 */
export function priority(streamId: number, p: Priority): Uint8Array {
  return frames.priority(streamId, prio(p)).toBytes();
}

/**
 * A RST_STREAM frame (RFC 9113 §6.4).
 *
 * @param streamId Stream identifier.
 * @param code Error code.
 * @returns The frame bytes.
 */
export function rstStream(streamId: number, code: number): Uint8Array {
  return frames.rstStream(streamId).code(code).toBytes();
}

/**
 * A SETTINGS frame (RFC 9113 §6.5).
 *
 * @param entries (identifier, value) pairs, written in order.
 * @returns The frame bytes.
 */
export function settings(...entries: [number, number][]): Uint8Array {
  const builder = frames.settings();
  for (const [id, value] of entries) builder.set(id, value);
  return builder.toBytes();
}

/**
 * An empty SETTINGS frame with ACK (RFC 9113 §6.5).
 *
 * @returns The frame bytes.
 */
export function settingsAck(): Uint8Array {
  return frames.settingsAck().toBytes();
}

/**
 * A PUSH_PROMISE frame with END_HEADERS (RFC 9113 §6.6).
 *
 * @param streamId Associated stream.
 * @param promisedId Promised stream identifier.
 * @param block Field block.
 * @returns The frame bytes.
 */
export function pushPromise(streamId: number, promisedId: number, block: Uint8Array): Uint8Array {
  return frames.pushPromise(streamId, promisedId).block(block).toBytes();
}

/**
 * A PING frame (RFC 9113 §6.7).
 *
 * @param opaque Opaque data, zero-padded or truncated to 8 octets.
 * @param ack Sets ACK.
 * @returns The frame bytes.
 */
export function ping(opaque: Uint8Array | string, ack = false): Uint8Array {
  const payload = new Uint8Array(8);
  payload.set((typeof opaque === "string" ? bytes(opaque) : opaque).subarray(0, 8));
  const builder = frames.ping(payload);
  if (ack) builder.ack();
  return builder.toBytes();
}

/**
 * A GOAWAY frame (RFC 9113 §6.8).
 *
 * @param lastStreamId Last stream identifier.
 * @param code Error code.
 * @param debug Additional debug data (Latin-1).
 * @returns The frame bytes.
 */
export function goAway(lastStreamId: number, code: number, debug: string = ""): Uint8Array {
  return frames.goAway(lastStreamId).code(code).debug(debug).toBytes();
}

/**
 * A WINDOW_UPDATE frame (RFC 9113 §6.9).
 *
 * @param streamId Stream identifier (0: the connection).
 * @param increment Window size increment (written as 32 bits).
 * @returns The frame bytes.
 */
export function windowUpdate(streamId: number, increment: number): Uint8Array {
  return frames.windowUpdate(streamId, increment).toBytes();
}

// ---------------------------------------------------------------------------
// HPACK, literal representations only (RFC 7541 §5.1, §5.2, §6.2.2), from the DSL's encoder

/**
 * An HPACK integer with an N-bit prefix (RFC 7541 §5.1).
 *
 * @param value The integer.
 * @param prefixBits N (1–8).
 * @param firstByteFlags The bits above the prefix in the first octet.
 * @returns The encoded octets.
 */
export function hpackInt(value: number, prefixBits: number, firstByteFlags = 0): Uint8Array {
  return Uint8Array.from(hpackIntOctets(value, prefixBits, firstByteFlags));
}

/**
 * A raw (non-Huffman) string literal (RFC 7541 §5.2, H = 0).
 *
 * @param text Latin-1 characters.
 * @returns The length-prefixed octets.
 */
export function hpackString(text: string): Uint8Array {
  return Uint8Array.from(hpackStringOctets(text));
}

/**
 * A header block made only of "Literal Header Field without Indexing — New
 * Name" representations (RFC 7541 §6.2.2, first octet 0x00), no Huffman: it
 * never touches the peer's dynamic table, so every block stands alone.
 *
 * @param fields The fields, in order.
 * @returns The header block.
 */
export function encodeHeaders(fields: readonly Field[]): Uint8Array {
  return hpack.encode(fields);
}

// ---------------------------------------------------------------------------
// Parsing what the server sends

/** A frame read from the server. */
export interface Frame {
  /** Frame type. */
  readonly type: number;
  /** Flags. */
  readonly flags: number;
  /** Stream identifier (R bit cleared). */
  readonly streamId: number;
  /** Payload. */
  readonly payload: Uint8Array;
}

/**
 * Splits complete frames off the front of `buffer`.
 *
 * @param buffer Received bytes.
 * @returns The complete frames and the bytes left over.
 */
export function parseFrames(buffer: Uint8Array): { frames: Frame[]; rest: Uint8Array } {
  const frames: Frame[] = [];
  let at = 0;
  while (buffer.length - at >= 9) {
    const length = buffer[at]! << 16 | buffer[at + 1]! << 8 | buffer[at + 2]!;
    if (buffer.length - at < 9 + length) break;
    const view = new DataView(buffer.buffer, buffer.byteOffset + at);
    frames.push({
      type: buffer[at + 3]!,
      flags: buffer[at + 4]!,
      streamId: view.getUint32(5) & 0x7fff_ffff,
      payload: buffer.slice(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return { frames, rest: buffer.slice(at) };
}

/**
 * The error code of a RST_STREAM (octets 0–3) or GOAWAY (octets 4–7) frame.
 *
 * @param f The frame.
 * @returns The code, or -1 when the payload is too short.
 */
export function frameErrorCode(f: Frame): number {
  const off = f.type === T.GOAWAY ? 4 : 0;
  if (f.payload.length < off + 4) return -1;
  return new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(off);
}

/**
 * A one-line description of a frame for failure messages, e.g.
 * `GOAWAY(last_stream_id=1, PROTOCOL_ERROR, "bad_ping")`.
 *
 * @param f The frame.
 * @returns The description.
 */
export function describe(f: Frame): string {
  const name = TYPE_NAMES.get(f.type) ?? `UNKNOWN(0x${f.type.toString(16)})`;
  const head = `stream=${f.streamId}, flags=0x${f.flags.toString(16).padStart(2, "0")}`;
  if (f.type === T.GOAWAY) {
    const last = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0) & 0x7fff_ffff;
    const debug = new TextDecoder().decode(f.payload.subarray(8));
    return `GOAWAY(last_stream_id=${last}, ${errorName(frameErrorCode(f))}, "${debug}")`;
  }
  if (f.type === T.RST_STREAM) return `RST_STREAM(${head}, ${errorName(frameErrorCode(f))})`;
  if (f.type === T.PING) {
    return `PING(${head}, data=${Array.from(f.payload, (b) => b.toString(16)).join(" ")})`;
  }
  return `${name}(${head}, length=${f.payload.length})`;
}

/**
 * The (id, value) pairs of a SETTINGS payload.
 *
 * @param f A SETTINGS frame.
 * @returns The entries in order.
 */
export function settingsEntries(f: Frame): [number, number][] {
  const out: [number, number][] = [];
  const view = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length);
  for (let i = 0; i + 6 <= f.payload.length; i += 6) {
    out.push([view.getUint16(i), view.getUint32(i + 2)]);
  }
  return out;
}
