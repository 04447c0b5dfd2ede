/**
 * An independent frame parser and describer for what the engine sends: turns
 * raw octets into plain, readable summaries (type, flags, stream, payload
 * summary, decoded header fields) so `assert.deepStrictEqual` prints a useful
 * diff. HPACK is decoded by `hpack_decode.ts` (test-only, not lib/hpack).
 *
 * @module
 */

import { TestHpackDecoder } from "./hpack_decode.ts";
import { CODES, PREFACE_TEXT, T } from "./frames.ts";

/** One frame as it came off the wire. */
export interface WireFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** A readable description of one frame. */
export type FrameSummary = Record<string, unknown> & { type: string; stream: number };

const TYPE_NAMES = new Map<number, string>(Object.entries(T).map(([k, v]) => [v, k]));
const CODE_NAMES = new Map<number, string>(Object.entries(CODES).map(([k, v]) => [v, k]));
const SETTING_NAMES = new Map<number, string>([
  [1, "HEADER_TABLE_SIZE"],
  [2, "ENABLE_PUSH"],
  [3, "MAX_CONCURRENT_STREAMS"],
  [4, "INITIAL_WINDOW_SIZE"],
  [5, "MAX_FRAME_SIZE"],
  [6, "MAX_HEADER_LIST_SIZE"],
  [8, "ENABLE_CONNECT_PROTOCOL"],
  [9, "NO_RFC7540_PRIORITIES"],
]);

/** The RFC name of an error code, or its number. */
export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** The RFC name of a frame type, or `UNKNOWN_0x..`. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `UNKNOWN_0x${type.toString(16)}`;
}

function flagNames(type: number, flags: number): string[] {
  const out: string[] = [];
  const has = (bit: number) => (flags & bit) !== 0;
  switch (type) {
    case T.DATA:
      if (has(0x1)) out.push("END_STREAM");
      if (has(0x8)) out.push("PADDED");
      break;
    case T.HEADERS:
      if (has(0x1)) out.push("END_STREAM");
      if (has(0x4)) out.push("END_HEADERS");
      if (has(0x8)) out.push("PADDED");
      if (has(0x20)) out.push("PRIORITY");
      break;
    case T.PUSH_PROMISE:
      if (has(0x4)) out.push("END_HEADERS");
      if (has(0x8)) out.push("PADDED");
      break;
    case T.CONTINUATION:
      if (has(0x4)) out.push("END_HEADERS");
      break;
    case T.SETTINGS:
    case T.PING:
      if (has(0x1)) out.push("ACK");
      break;
    default:
      if (flags !== 0) out.push(`0x${flags.toString(16)}`);
  }
  return out;
}

/** Split octets into frames; throws on a trailing partial frame. */
export function parseFrames(data: Uint8Array): WireFrame[] {
  const out: WireFrame[] = [];
  let i = 0;
  while (i < data.length) {
    if (data.length - i < 9) {
      throw new Error(`Trailing partial frame header (${data.length - i} octets)`);
    }
    const len = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    if (data.length - i - 9 < len) {
      throw new Error(`Truncated ${typeName(data[i + 3]!)} frame: ${len} announced`);
    }
    const view = new DataView(data.buffer, data.byteOffset + i);
    out.push({
      type: data[i + 3]!,
      flags: data[i + 4]!,
      streamId: view.getUint32(5) & 0x7fff_ffff,
      payload: data.slice(i + 9, i + 9 + len),
    });
    i += 9 + len;
  }
  return out;
}

/** True when `data` starts with the client preface. */
export function startsWithPreface(data: Uint8Array): boolean {
  if (data.length < PREFACE_TEXT.length) return false;
  for (let i = 0; i < PREFACE_TEXT.length; i++) {
    if (data[i] !== PREFACE_TEXT.charCodeAt(i)) return false;
  }
  return true;
}

function latin1(data: Uint8Array): string {
  let s = "";
  for (const b of data) s += String.fromCharCode(b);
  return s;
}

function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

function u32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

/** A stateful HPACK decoder (our own test-only implementation, see hpack_decode.ts). */
export class BlockDecoder {
  #d: TestHpackDecoder;
  constructor(tableSize = 4096) {
    this.#d = new TestHpackDecoder(tableSize);
  }
  /** The SETTINGS_HEADER_TABLE_SIZE we advertised (the largest size update allowed). */
  get maxTableSize(): number {
    return this.#d.maxTableSize;
  }
  set maxTableSize(size: number) {
    this.#d.maxTableSize = size;
  }
  /** Octets currently in the dynamic table (RFC 7541 §4.1). */
  get tableSize(): number {
    return this.#d.tableSize;
  }
  /** Decode one complete header block into [name, value] pairs and never-indexed names. */
  decode(block: Uint8Array): { fields: [string, string][]; neverIndexed: string[] } {
    return this.#d.decode(block);
  }
}

function stripPadding(f: WireFrame, prefix: number): { body: Uint8Array; pad?: number } {
  const p = f.payload;
  if ((f.flags & 0x8) === 0) return { body: p.subarray(prefix) };
  const pad = p[0] ?? 0;
  return { body: p.subarray(1 + prefix, p.length - pad), pad };
}

/**
 * Describe frames. Header blocks (HEADERS/PUSH_PROMISE + CONTINUATION) are
 * decoded with `decoder` once complete; the fields go on the first frame.
 */
export function describeFrames(list: WireFrame[], decoder: BlockDecoder): FrameSummary[] {
  const out: FrameSummary[] = [];
  let pending: { summary: FrameSummary; parts: Uint8Array[] } | undefined;
  const finish = () => {
    if (!pending) return;
    const total = pending.parts.reduce((n, p) => n + p.length, 0);
    const block = new Uint8Array(total);
    let o = 0;
    for (const p of pending.parts) {
      block.set(p, o);
      o += p.length;
    }
    try {
      const { fields, neverIndexed } = decoder.decode(block);
      pending.summary.headers = fields;
      if (neverIndexed.length > 0) pending.summary.neverIndexed = neverIndexed;
    } catch (e) {
      pending.summary.headers = `<HPACK error: ${(e as Error).message}>`;
    }
    pending = undefined;
  };
  for (const f of list) {
    const s: FrameSummary = {
      type: typeName(f.type),
      stream: f.streamId,
      flags: flagNames(f.type, f.flags),
    };
    const p = f.payload;
    switch (f.type) {
      case T.DATA: {
        const { body, pad } = stripPadding(f, 0);
        s.data = body.length <= 64 ? latin1(body) : `<${body.length} octets>`;
        if (pad !== undefined) s.padLength = pad;
        break;
      }
      case T.HEADERS: {
        const prio = (f.flags & 0x20) !== 0 ? 5 : 0;
        const { body, pad } = stripPadding(f, prio);
        if (prio) {
          const off = (f.flags & 0x8) !== 0 ? 1 : 0;
          const dep = u32(p, off);
          s.priority = {
            dependsOn: dep & 0x7fff_ffff,
            exclusive: dep >= 0x8000_0000,
            weight: p[off + 4]! + 1,
          };
        }
        if (pad !== undefined) s.padLength = pad;
        finish();
        pending = { summary: s, parts: [body] };
        if ((f.flags & 0x4) !== 0) finish();
        break;
      }
      case T.PUSH_PROMISE: {
        const { body, pad } = stripPadding(f, 4);
        const off = (f.flags & 0x8) !== 0 ? 1 : 0;
        s.promisedStream = u32(p, off) & 0x7fff_ffff;
        if (pad !== undefined) s.padLength = pad;
        finish();
        pending = { summary: s, parts: [body] };
        if ((f.flags & 0x4) !== 0) finish();
        break;
      }
      case T.CONTINUATION:
        if (pending) pending.parts.push(p);
        s.fragmentLength = p.length;
        if ((f.flags & 0x4) !== 0) {
          out.push(s);
          finish();
          continue;
        }
        break;
      case T.PRIORITY:
        if (p.length === 5) {
          const dep = u32(p, 0);
          s.priority = {
            dependsOn: dep & 0x7fff_ffff,
            exclusive: dep >= 0x8000_0000,
            weight: p[4]! + 1,
          };
        } else s.payload = hex(p);
        break;
      case T.RST_STREAM:
        s.errorCode = p.length === 4 ? codeName(u32(p, 0)) : `<bad length ${p.length}>`;
        break;
      case T.SETTINGS: {
        const entries: [string, number][] = [];
        for (let i = 0; i + 6 <= p.length; i += 6) {
          const id = (p[i]! << 8) | p[i + 1]!;
          entries.push([SETTING_NAMES.get(id) ?? `0x${id.toString(16)}`, u32(p, i + 2)]);
        }
        s.settings = entries;
        break;
      }
      case T.PING:
        s.data = hex(p);
        break;
      case T.GOAWAY:
        s.lastStreamId = u32(p, 0) & 0x7fff_ffff;
        s.errorCode = codeName(u32(p, 4));
        s.debug = latin1(p.subarray(8));
        break;
      case T.WINDOW_UPDATE:
        s.increment = u32(p, 0) & 0x7fff_ffff;
        break;
      case T.PRIORITY_UPDATE:
        s.prioritizedStream = u32(p, 0) & 0x7fff_ffff;
        s.fieldValue = latin1(p.subarray(4));
        break;
      default:
        s.payload = hex(p);
    }
    out.push(s);
  }
  finish();
  return out;
}
