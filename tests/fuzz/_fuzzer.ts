/**
 * A structure-aware fuzzer for `H2Connection.receiveData` (both roles), used
 * by the CI pass (`connection_fuzz_test.ts`, bounded and seeded) and by the
 * long manual run (`bench/fuzz.ts`).
 *
 * Each input is a generated peer conversation (preface, SETTINGS, HEADERS
 * with a hand-written HPACK block and CONTINUATIONs, DATA, WINDOW_UPDATE,
 * PING, RST_STREAM, PRIORITY, PRIORITY_UPDATE, GOAWAY, PUSH_PROMISE, unknown
 * frames), mutated at frame level (flags, lengths, stream ids, types,
 * truncation, repetition, reordering, spliced bytes) or replaced by raw
 * random bytes, then fed at random split points, interleaved with random
 * API calls and random (partial) drains of `dataToSend()`.
 *
 * Properties checked (a violation throws a {@link FuzzFailure} naming the
 * seed and the input hex):
 * - `receiveData` returns known events or throws an `H2Error`, nothing else;
 *   API calls throw only `TypeError`, `RangeError` or `H2Error`.
 * - The output is a whole number of well-formed frames (after the client
 *   preface in the client role), starting with SETTINGS (RFC 9113 §3.4).
 * - No GOAWAY unless a connection error was thrown; after one, the output
 *   ends with exactly one GOAWAY whose code is the error's, and the
 *   connection reports `isClosed`.
 * - `outboundBufferSize` equals what `dataToSend()` returns, and the bytes
 *   produced by `receiveData` since the last full drain stay under a bound
 *   derived from `maxQueuedControlFrames` (no unbounded replies).
 * - `openInboundStreams` never exceeds `maxConcurrentStreams`;
 *   `highestInboundStreamId` never decreases; flow-control windows stay
 *   within ±(2^31−1) (RFC 9113 §6.9.1).
 *
 * @module
 */

import { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import * as w from "../attacks/_wire.ts";

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The seed of input `index` of a run started with `seed`. */
export function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) + Math.imul(index + 1, 0xc2b2_ae35)) >>> 0;
}

/** Which side the engine plays. */
export type Role = "server" | "client";

/** A property violation, with everything needed to reproduce it. */
export class FuzzFailure extends Error {
  /** @param message What went wrong, with seed, index and input hex. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FuzzFailure";
  }
}

/** Process-wide counters of how often the deeper properties were actually exercised. */
export const fuzzCounters = { hpackSyncChecks: 0, windowChecks: 0, sendWindowChecks: 0 };

/** Counters of a fuzz run. */
export interface FuzzStats {
  role: Role;
  inputs: number;
  bytes: number;
  events: number;
  connectionErrors: number;
  /** Connection errors by `detail` (or class name when the detail is empty). */
  details: Map<string, number>;
  ms: number;
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** A 32-bit value biased towards boundaries. */
  u32(): number {
    return this.pick([
      0,
      1,
      2,
      100,
      16_383,
      16_384,
      16_385,
      65_535,
      65_536,
      2 ** 24 - 1,
      2 ** 24,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      this.int(2 ** 32),
      this.int(1000),
    ]);
  }
}

// --- configuration -----------------------------------------------------------

/** Tight budgets so that fuzz inputs of a few dozen frames actually reach every cap. */
const TINY_LIMITS = {
  maxConcurrentStreams: 3,
  maxHeaderListSize: 600,
  maxHeaderFields: 12,
  maxContinuationFrames: 2,
  maxHeaderBlockBytes: 1_200,
  resetBurst: 4,
  resetRatePerSecond: 1,
  glitchBurst: 6,
  glitchRatePerSecond: 1,
  maxQueuedAcks: 4,
  maxQueuedControlFrames: 12,
  maxSettingsEntries: 4,
  maxClosedStreams: 8,
  maxOutboundBuffer: 4_096,
};

/** Contract defaults (lib/limits.ts), used when no `limits` option is given. */
const DEFAULT_LIMITS = {
  maxConcurrentStreams: 100,
  maxQueuedControlFrames: 10_000,
};

interface Config {
  limits: Record<string, number> | undefined;
  maxConcurrentStreams: number;
  maxQueuedControlFrames: number;
  clock: { t: number } | undefined;
}

function pickConfig(rng: Rng): Config {
  const clock = rng.chance(0.5) ? { t: 1_000_000 } : undefined;
  if (rng.chance(0.5)) {
    return {
      limits: undefined,
      maxConcurrentStreams: DEFAULT_LIMITS.maxConcurrentStreams,
      maxQueuedControlFrames: DEFAULT_LIMITS.maxQueuedControlFrames,
      clock,
    };
  }
  return {
    limits: TINY_LIMITS,
    maxConcurrentStreams: TINY_LIMITS.maxConcurrentStreams,
    maxQueuedControlFrames: TINY_LIMITS.maxQueuedControlFrames,
    clock,
  };
}

// --- conversation generator ----------------------------------------------------

const EXTRA_NAMES = [
  "content-length",
  "te",
  "cookie",
  "x-a",
  "accept",
  "user-agent",
  "connection",
  "host",
  "X-Upper",
  "",
  "bad name",
  ":path",
  ":method",
  ":status",
  ":protocol",
  "transfer-encoding",
];
const EXTRA_VALUES = [
  "",
  "0",
  "5",
  "10",
  "trailers",
  "gzip",
  "a=b",
  "x\r\ny",
  " pad ",
  "\0",
  "12a",
];

class Conversation {
  readonly frames: Uint8Array[] = [];
  /** Stream ids the peer has used or may use. */
  readonly pool: number[] = [];
  nextOwn: number;
  touchedMaxFrameSize = false;
  /**
   * Our model of the peer-to-engine HPACK dynamic table (RFC 7541 §2.3.2, §4), newest first,
   * kept for well-formed (chaos 0) conversations whose blocks all reach the decoder.
   */
  table: Array<readonly [string, string]> = [];
  tableMax = 4_096;

  /**
   * @param chaos 0: a well-formed conversation (stream errors still happen);
   *   1: occasional invalid choices; 2: invalid choices at full rate.
   */
  constructor(readonly rng: Rng, readonly role: Role, readonly chaos: 0 | 1 | 2) {
    // The peer of a server engine is a client (odd ids); of a client engine, a server.
    this.nextOwn = role === "server" ? 1 : 2;
    if (role === "client") this.pool.push(1, 3, 5);
  }

  /** An invalid choice, taken with probability p at chaos 2, p/4 at chaos 1, never at 0. */
  bad(p: number): boolean {
    return this.chaos !== 0 && this.rng.chance(this.chaos === 1 ? p / 4 : p);
  }

  streamId(): number {
    if (!this.bad(0.4)) {
      if (this.pool.length > 0) return this.rng.pick(this.pool);
      return this.role === "server" ? this.newStreamId() : this.rng.pick([1, 3, 5]);
    }
    const r = this.rng.next();
    if (r < 0.6 && this.pool.length > 0) return this.rng.pick(this.pool);
    if (r < 0.75) return this.role === "server" ? this.nextOwn : this.rng.pick([1, 3, 5, 7]);
    if (r < 0.85) return 0;
    if (r < 0.95) return this.rng.int(12);
    return this.rng.pick([2 ** 31 - 1, 2 ** 31 - 2, this.rng.int(2 ** 31)]);
  }

  newStreamId(): number {
    const id = this.nextOwn;
    this.nextOwn += 2;
    this.pool.push(id);
    return id;
  }

  fieldList(kind: "request" | "response" | "trailers"): Array<readonly [string, string]> {
    const rng = this.rng;
    let fields: Array<readonly [string, string]>;
    if (kind === "request") fields = [...w.GET];
    else if (kind === "response") {
      const status = this.bad(0.2)
        ? rng.pick(["abc", "1000", "", "20"])
        : rng.pick(["200", "204", "404", "100", "103"]);
      fields = [[":status", status]];
    } else fields = [];
    if (this.bad(0.15) && fields.length > 0) fields.splice(rng.int(fields.length), 1);
    if (this.bad(0.1)) fields.reverse();
    const extras = rng.int(rng.chance(0.1) ? 30 : 4);
    for (let i = 0; i < extras; i++) {
      const name = this.bad(0.5)
        ? rng.pick(EXTRA_NAMES)
        : rng.pick(["accept", "user-agent", "x-a", "cookie", `x-${rng.int(1e6)}`]);
      const value = this.bad(0.5)
        ? rng.pick(EXTRA_VALUES)
        : "v".repeat(rng.int(rng.chance(0.1) ? 900 : 40));
      fields.push([name, value]);
    }
    return fields;
  }

  /** RFC 7541 §4.1, §4.4: an entry costs name + value + 32; too big an entry empties the table. */
  remember(name: string, value: string): void {
    this.table.unshift([name, value]);
    this.evict();
  }

  evict(): void {
    let size = 0;
    let keep = 0;
    for (const [n, v] of this.table) {
      if (size + n.length + v.length + 32 > this.tableMax) break;
      size += n.length + v.length + 32;
      keep++;
    }
    this.table.length = keep;
  }

  hpack(fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
    const rng = this.rng;
    const out: number[] = [];
    if (rng.chance(0.05)) {
      const size = this.bad(0.5) ? rng.pick([4097, 70_000]) : rng.pick([0, 100, 4096]);
      out.push(...w.tableSizeUpdate(size));
      this.tableMax = size;
      this.evict();
    }
    for (const [name, value] of fields) {
      const r = rng.next();
      if (r < 0.05 && this.bad(1)) out.push(...w.indexed(rng.int(80))); // static, dynamic or out of range
      else if (r < 0.25) {
        out.push(...w.literalIndexed(name, value));
        this.remember(name, value);
      } else if (r < 0.32) {
        out.push(0x10, ...w.literal(name, value).slice(1)); // never indexed
      } else if (r < 0.36 && this.bad(1)) {
        // a Huffman-flagged string of random octets (mostly invalid codes)
        const junk = rng.bytes(rng.int(6));
        out.push(
          0x00,
          ...w.hpackInt(junk.length, 7, 0x80),
          ...junk,
          ...w.literal("", value).slice(2),
        );
      } else out.push(...w.literal(name, value));
    }
    if (rng.chance(0.04)) {
      // A small HPACK bomb: one entry referenced many times.
      const bomb = "b".repeat(rng.int(200));
      out.push(...w.literalIndexed("x-bomb", bomb));
      this.remember("x-bomb", bomb);
      const n = rng.int(60);
      for (let i = 0; i < n; i++) out.push(...w.indexed(62));
    }
    if (this.bad(0.03)) out.push(...this.rng.bytes(this.rng.int(8)));
    return Uint8Array.from(out);
  }

  padded(flags: number, payload: Uint8Array): [number, Uint8Array] {
    if (!this.rng.chance(0.1)) return [flags, payload];
    const pad = this.rng.chance(0.9) ? this.rng.int(20) : this.rng.int(256);
    const fill = this.bad(0.1) ? this.rng.int(pad + 1) : pad;
    return [flags | w.F.PADDED, w.concat([Uint8Array.of(pad), payload, new Uint8Array(fill)])];
  }

  headerBlock(
    streamId: number,
    kind: "request" | "response" | "trailers",
    endStream: boolean,
  ): void {
    const rng = this.rng;
    const fragment = this.hpack(this.fieldList(kind));
    const pieces: Uint8Array[] = [];
    const splits = rng.chance(0.25) ? 1 + rng.int(this.bad(0.3) ? 12 : 2) : 0;
    let rest = fragment;
    for (let i = 0; i < splits; i++) {
      const cut = rng.int(rest.length + 1);
      pieces.push(rest.subarray(0, cut));
      rest = rest.subarray(cut);
    }
    pieces.push(rest);
    let flags = endStream ? w.F.END_STREAM : 0;
    if (pieces.length === 1) flags |= w.F.END_HEADERS;
    let first: Uint8Array = pieces[0]!;
    if (rng.chance(0.1)) {
      flags |= w.F.PRIORITY;
      const dep = this.bad(0.2) ? streamId : this.streamId();
      first = w.concat([
        Uint8Array.of((dep >>> 24) | (rng.chance(0.3) ? 0x80 : 0), dep >>> 16, dep >>> 8, dep),
        Uint8Array.of(rng.int(256)),
        first,
      ]);
    }
    const [f, payload] = this.padded(flags, first);
    this.frames.push(w.frame(w.T.HEADERS, f, streamId, payload));
    for (let i = 1; i < pieces.length; i++) {
      const last = i === pieces.length - 1;
      const sid = this.bad(0.05) ? this.streamId() : streamId;
      this.frames.push(w.continuation(sid, pieces[i]!, last));
    }
  }

  settingsFrame(): void {
    const rng = this.rng;
    const n = this.bad(0.1) ? 5 + rng.int(40) : rng.int(5);
    const entries: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const id = rng.chance(0.9) ? 1 + rng.int(9) : rng.int(0x10000);
      const wild = this.bad(0.3);
      let value: number;
      switch (id) {
        case 2:
          // A server must not send ENABLE_PUSH = 1 (RFC 9113 §6.5.2).
          value = wild ? rng.u32() : this.role === "client" ? 0 : rng.int(2);
          break;
        case 8:
        case 9:
          value = wild ? rng.u32() : rng.int(2);
          break;
        case 4:
          value = wild ? rng.u32() : rng.pick([0, 1, 10, 65_535, 1 << 20]);
          break;
        case 5:
          value = wild ? rng.u32() : rng.pick([16_384, 20_000, 2 ** 24 - 1]);
          this.touchedMaxFrameSize = true;
          break;
        default:
          value = wild ? rng.u32() : rng.int(100_000);
      }
      entries.push([id, value]);
    }
    this.frames.push(w.settings(entries));
  }

  generate(): void {
    const rng = this.rng;
    if (this.role === "server") {
      if (!this.bad(0.02)) this.frames.push(w.PREFACE);
    }
    if (!this.bad(0.03)) this.settingsFrame();
    if (this.role === "server" && !this.bad(0.5)) {
      this.headerBlock(this.newStreamId(), "request", this.rng.chance(0.5));
    }
    const count = 2 + rng.int(rng.chance(0.1) ? 60 : 18);
    for (let i = 0; i < count; i++) this.step();
  }

  step(): void {
    const rng = this.rng;
    const r = rng.int(100);
    if (r < 18) {
      // a new request / (client role) a response on an open stream
      if (this.role === "server") {
        this.headerBlock(this.newStreamId(), "request", rng.chance(0.6));
      } else {
        this.headerBlock(rng.pick(this.pool), "response", rng.chance(0.4));
      }
    } else if (r < 23) {
      this.headerBlock(this.streamId(), "trailers", rng.chance(0.8));
    } else if (r < 37) {
      const [flags, payload] = this.padded(
        rng.chance(0.3) ? w.F.END_STREAM : 0,
        new Uint8Array(rng.chance(0.2) ? 0 : rng.int(this.bad(0.05) ? 20_000 : 200)),
      );
      this.frames.push(w.frame(w.T.DATA, flags, this.streamId(), payload));
    } else if (r < 45) {
      const inc = this.bad(0.2) ? rng.u32() : 1 + rng.int(100_000);
      this.frames.push(w.windowUpdate(rng.chance(0.4) ? 0 : this.streamId(), inc));
    } else if (r < 51) {
      this.frames.push(w.ping(rng.int(1000), rng.chance(0.2)));
    } else if (r < 55) {
      this.settingsFrame();
    } else if (r < 58) {
      this.frames.push(w.settingsAck());
    } else if (r < 65) {
      this.frames.push(w.rstStream(this.streamId(), rng.chance(0.8) ? rng.int(14) : rng.u32()));
    } else if (r < 71) {
      const sid = this.streamId();
      this.frames.push(
        w.priority(sid, this.bad(0.1) ? sid : this.streamId(), 1 + rng.int(256), rng.chance(0.2)),
      );
    } else if (r < 75 && (this.role === "server" || this.bad(1))) {
      // PRIORITY_UPDATE: only a client may send it (RFC 9218 §7.1).
      this.frames.push(
        w.priorityUpdate(this.streamId(), rng.pick(["u=1", "u=7, i", "i", "u=9", "", "garbage;;"])),
      );
    } else if (r < 77) {
      this.frames.push(w.goAway(this.streamId(), rng.chance(0.7) ? rng.int(14) : rng.u32()));
    } else if (r < 84) {
      const type = rng.chance(0.8)
        ? 0x20 + rng.int(0xe0)
        : rng.pick([0xa, 0xb, 0xc, 0xd, 0xe, 0xf]);
      this.frames.push(w.frame(type, rng.int(256), this.streamId(), rng.bytes(rng.int(30))));
    } else if (r < 88 && (this.role === "client" || this.bad(1))) {
      // PUSH_PROMISE: legal only from a server, on an open client stream.
      const parent = this.role === "client" ? rng.pick(this.pool) : this.streamId();
      const promised = this.role === "client" ? this.newStreamId() : this.streamId();
      this.frames.push(
        w.pushPromise(parent, promised, this.hpack(this.fieldList("request")), !this.bad(0.1)),
      );
      if (this.role === "client" && rng.chance(0.6)) {
        this.headerBlock(promised, "response", rng.chance(0.5));
      }
    } else if (r < 91 && this.bad(1)) {
      this.frames.push(
        w.continuation(this.streamId(), this.hpack(this.fieldList("trailers")), rng.chance(0.5)),
      );
    } else if (r < 94) {
      // empty frames (CVE-2019-9518 shapes)
      const type = this.bad(0.5) ? w.T.CONTINUATION : rng.pick([w.T.DATA, w.T.HEADERS]);
      const flags = type === w.T.DATA || this.bad(0.5) ? 0 : w.F.END_HEADERS;
      this.frames.push(w.frame(type, flags, this.streamId()));
    } else if (r < 97) {
      // a rapid-reset pair
      const sid = this.role === "server" ? this.newStreamId() : rng.pick(this.pool);
      this.headerBlock(sid, this.role === "server" ? "request" : "response", false);
      this.frames.push(w.rstStream(sid, 8));
    } else if (this.chaos === 2) {
      // frame whose header lies about its length
      this.frames.push(
        w.frame(
          rng.int(11),
          rng.int(256),
          this.streamId(),
          rng.bytes(rng.int(20)),
          rng.u32() & 0xff_ffff,
        ),
      );
    } else {
      this.frames.push(w.ping(rng.int(1000)));
    }
  }
}

function mutate(frames: Uint8Array[], rng: Rng, chaos: 0 | 1 | 2): void {
  const count = chaos === 0
    ? 0
    : chaos === 1
    ? rng.int(2)
    : rng.chance(0.2)
    ? 0
    : 1 + rng.int(rng.chance(0.2) ? 8 : 3);
  const start = frames.length > 0 && frames[0]!.length === 24 ? 1 : 0; // keep the preface mostly intact
  for (let m = 0; m < count && frames.length > start; m++) {
    const i = start + rng.int(frames.length - start);
    const f = frames[i]!.slice();
    switch (rng.int(10)) {
      case 0: // flip a flag bit
        if (f.length >= 9) f[4]! ^= 1 << rng.int(8);
        break;
      case 1: { // change the announced length
        if (f.length < 9) break;
        const len = rng.chance(0.5)
          ? Math.max(0, f.length - 9 + rng.int(9) - 4)
          : rng.u32() & 0xff_ffff;
        f[0] = len >>> 16;
        f[1] = (len >>> 8) & 0xff;
        f[2] = len & 0xff;
        break;
      }
      case 2: { // change the stream id
        if (f.length < 9) break;
        const sid = rng.chance(0.5) ? rng.int(10) : rng.int(2 ** 32);
        new DataView(f.buffer).setUint32(5, sid);
        break;
      }
      case 3: // change the type
        if (f.length >= 9) f[3] = rng.chance(0.8) ? rng.int(11) : rng.int(256);
        break;
      case 4: // truncate
        frames[i] = f.subarray(0, rng.int(f.length + 1));
        continue;
      case 5: { // repeat
        const n = 1 + rng.int(rng.chance(0.1) ? 40 : 4);
        frames.splice(i, 0, ...Array<Uint8Array>(n).fill(f));
        continue;
      }
      case 6: { // reorder
        const j = start + rng.int(frames.length - start);
        frames[i] = frames[j]!;
        frames[j] = f;
        continue;
      }
      case 7: { // splice random bytes into the frame
        const at = rng.int(f.length + 1);
        frames[i] = w.concat([f.subarray(0, at), rng.bytes(1 + rng.int(8)), f.subarray(at)]);
        continue;
      }
      case 8: // delete
        frames.splice(i, 1);
        continue;
      default: // overwrite a byte
        if (f.length > 0) f[rng.int(f.length)] = rng.int(256);
    }
    frames[i] = f;
  }
}

// --- execution and checks ------------------------------------------------------

const SERVER_EVENTS = new Set([
  "RequestReceived",
  "TrailersReceived",
  "DataReceived",
  "WindowUpdated",
  "RemoteSettingsChanged",
  "SettingsAcknowledged",
  "PingReceived",
  "PingAckReceived",
  "StreamEnded",
  "StreamReset",
  "PriorityUpdated",
  "ConnectionTerminated",
  "UnknownFrameReceived",
]);
const CLIENT_EVENTS = new Set([
  ...[...SERVER_EVENTS].filter((name) => name !== "RequestReceived"),
  "ResponseReceived",
  "InformationalResponseReceived",
  "PushedStreamReceived",
  "AlternativeServiceAvailable",
  "OriginReceived",
]);

const MAX_WINDOW = 2 ** 31 - 1;
/** Events that carry a stream's content; none may follow its StreamEnded or StreamReset. */
const STREAM_CONTENT_EVENTS = new Set([
  "RequestReceived",
  "ResponseReceived",
  "InformationalResponseReceived",
  "TrailersReceived",
  "DataReceived",
  "StreamEnded",
]);
const KNOWN_TYPES = new Set([0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xc, 0x10]);

/** RFC 9113 §4–§6 framing rules our own output must obey. */
function checkFrameShapes(frames: readonly w.WireFrame[], largerFrames: boolean): void {
  let openBlock: number | undefined; // stream of a header block still awaiting END_HEADERS
  for (const [i, f] of frames.entries()) {
    const where =
      `output frame ${i} (type ${f.type}, stream ${f.streamId}, ${f.payload.length} octets)`;
    if (!KNOWN_TYPES.has(f.type)) fail(`${where}: unknown type sent`);
    if (!largerFrames && f.payload.length > 16_384) {
      fail(`${where}: over the peer's MAX_FRAME_SIZE`);
    }
    // §6.10: a header block is contiguous: only CONTINUATIONs of the same stream until END_HEADERS.
    if (openBlock !== undefined && (f.type !== w.T.CONTINUATION || f.streamId !== openBlock)) {
      fail(`${where}: interleaved into the header block of stream ${openBlock}`);
    }
    if (openBlock === undefined && f.type === w.T.CONTINUATION) {
      fail(`${where}: stray CONTINUATION`);
    }
    const isBlock = f.type === w.T.HEADERS || f.type === w.T.PUSH_PROMISE ||
      f.type === w.T.CONTINUATION;
    if (isBlock) openBlock = (f.flags & w.F.END_HEADERS) === 0 ? f.streamId : undefined;
    const connectionLevel = f.type === w.T.SETTINGS || f.type === w.T.PING ||
      f.type === w.T.GOAWAY;
    if (connectionLevel && f.streamId !== 0) fail(`${where}: must be on stream 0`);
    const streamLevel = f.type <= w.T.RST_STREAM || f.type === w.T.PUSH_PROMISE ||
      f.type === w.T.CONTINUATION;
    if (streamLevel && f.streamId === 0) fail(`${where}: must not be on stream 0`);
    const view = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length);
    switch (f.type) {
      case w.T.RST_STREAM:
        if (f.payload.length !== 4) fail(`${where}: RST_STREAM must be 4 octets`);
        break;
      case w.T.PING:
        if (f.payload.length !== 8) fail(`${where}: PING must be 8 octets`);
        break;
      case w.T.SETTINGS:
        if (f.payload.length % 6 !== 0) fail(`${where}: SETTINGS not a multiple of 6`);
        if ((f.flags & w.F.ACK) !== 0 && f.payload.length !== 0) fail(`${where}: ACK with payload`);
        break;
      case w.T.GOAWAY:
        if (f.payload.length < 8) fail(`${where}: GOAWAY shorter than 8 octets`);
        break;
      case w.T.WINDOW_UPDATE: {
        if (f.payload.length !== 4) fail(`${where}: WINDOW_UPDATE must be 4 octets`);
        const increment = view.getUint32(0) & 0x7fff_ffff;
        if (increment === 0) fail(`${where}: WINDOW_UPDATE with increment 0`);
        break;
      }
    }
  }
  if (openBlock !== undefined) fail(`header block of stream ${openBlock} left unfinished`);
}
/** The largest control frame the engine emits in reply to input, GOAWAY debug data included. */
const MAX_REPLY_FRAME = 9 + 8 + 256;

function fail(message: string): never {
  throw new FuzzFailure(message);
}

function isAllowedApiError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof H2Error;
}

/** Everything about one input, for the checks and for the failure report. */
interface RunState {
  conn: H2Connection;
  role: Role;
  config: Config;
  wire: Uint8Array[];
  /** Bytes produced by receiveData since the last full drain. */
  replyBytes: number;
  streams: Set<number>;
  dataReceived: Array<[number, number]>;
  error: H2Error | undefined;
  highestInbound: number;
  events: number;
  /** Streams after StreamEnded or StreamReset: no more data or header events may come. */
  finished: Set<number>;
  lastRequest: number;
  /** The peer changed SETTINGS_MAX_FRAME_SIZE (so our frames may be larger than 16384). */
  largerFrames: boolean;
  /** We called updateSettings (HEADER_TABLE_SIZE may have changed). */
  tableTouched: boolean;
  /** The peer's windows as we model them (chaos 0 only). */
  peerWindows: PeerWindows | undefined;
}

function drain(s: RunState, amount?: number): void {
  const before = s.conn.outboundBufferSize;
  const out = amount === undefined ? s.conn.dataToSend() : s.conn.dataToSend(amount);
  const expected = amount === undefined ? before : Math.min(amount, before);
  if (out.length !== expected) {
    fail(
      `dataToSend(${amount ?? ""}) returned ${out.length} bytes, outboundBufferSize said ${before}`,
    );
  }
  if (s.conn.outboundBufferSize !== before - out.length) {
    fail(
      `outboundBufferSize is ${s.conn.outboundBufferSize} after draining ${out.length} of ${before}`,
    );
  }
  if (out.length > 0) s.wire.push(out);
  if (s.conn.outboundBufferSize === 0) s.replyBytes = 0;
}

function checkInvariants(s: RunState): void {
  const conn = s.conn;
  const open = conn.openInboundStreams;
  if (open > s.config.maxConcurrentStreams) {
    fail(
      `openInboundStreams ${open} exceeds maxConcurrentStreams ${s.config.maxConcurrentStreams}`,
    );
  }
  const highest = conn.highestInboundStreamId;
  if (highest < s.highestInbound) {
    fail(`highestInboundStreamId went down: ${s.highestInbound} → ${highest}`);
  }
  s.highestInbound = highest;
  const inbound = conn.inboundFlowControlWindow;
  const outbound = conn.outboundFlowControlWindow;
  if (!(inbound >= 0 && inbound <= MAX_WINDOW)) {
    fail(`connection receive window out of range: ${inbound}`);
  }
  if (!(outbound >= 0 && outbound <= MAX_WINDOW)) {
    fail(`connection send window out of range: ${outbound}`);
  }
  for (const id of s.streams) {
    for (const get of [conn.localFlowControlWindow, conn.remoteFlowControlWindow]) {
      let value: number;
      try {
        value = get.call(conn, id);
      } catch (e) {
        if (!isAllowedApiError(e)) throw e;
        s.streams.delete(id); // closed or never opened: stop asking (errors are costly)
        break;
      }
      if (!(Number.isSafeInteger(value) && Math.abs(value) <= MAX_WINDOW)) {
        fail(`stream ${id} window out of range: ${value}`);
      }
    }
  }
  const cap = (s.config.maxQueuedControlFrames + 2) * MAX_REPLY_FRAME;
  if (s.replyBytes > cap) {
    fail(`receiveData queued ${s.replyBytes} reply bytes without a drain (bound ${cap})`);
  }
}

function checkEvents(s: RunState, events: unknown): void {
  if (!Array.isArray(events)) fail(`receiveData returned ${String(events)}, not an array`);
  const allowed = s.role === "server" ? SERVER_EVENTS : CLIENT_EVENTS;
  for (const event of events) {
    const type = (event as { type?: unknown }).type;
    if (typeof type !== "string" || !allowed.has(type)) {
      fail(`unexpected event ${String(type)} for a ${s.role}`);
    }
    s.events++;
    const e = event as {
      streamId?: number;
      flowControlledLength?: number;
      data?: Uint8Array;
      changedSettings?: Map<number, unknown>;
    };
    if (typeof e.streamId === "number" && e.streamId > 0) s.streams.add(e.streamId);
    if (type === "RemoteSettingsChanged" && e.changedSettings?.has(5)) s.largerFrames = true;
    if (typeof e.streamId === "number" && STREAM_CONTENT_EVENTS.has(type)) {
      // RFC 9113 §5.1: nothing arrives on a stream after END_STREAM or RST_STREAM.
      if (s.finished.has(e.streamId)) {
        fail(`${type} on stream ${e.streamId} after it ended or was reset`);
      }
      if (type === "StreamEnded") s.finished.add(e.streamId);
    }
    if (type === "StreamReset" && typeof e.streamId === "number") s.finished.add(e.streamId);
    if (type === "RequestReceived") {
      // RFC 9113 §5.1.1: new streams arrive in increasing order.
      if (e.streamId! <= s.lastRequest) {
        fail(`request on stream ${e.streamId} after ${s.lastRequest}`);
      }
      s.lastRequest = e.streamId!;
    }
    if (type === "DataReceived") {
      if (!(e.data instanceof Uint8Array) || e.flowControlledLength! < e.data.length) {
        fail(`DataReceived with flowControlledLength ${e.flowControlledLength} < data length`);
      }
      s.dataReceived.push([e.streamId!, e.flowControlledLength!]);
    }
  }
}

function randomAction(s: RunState, rng: Rng): void {
  const conn = s.conn;
  const ids = [...s.streams];
  const sid = ids.length > 0 && rng.chance(0.85) ? rng.pick(ids) : 1 + rng.int(9);
  const end = rng.chance(0.4);
  const before = conn.outboundBufferSize;
  try {
    switch (rng.int(9)) {
      case 0:
        if (s.role === "client") {
          const id = conn.getNextAvailableStreamId();
          s.streams.add(id);
          conn.sendHeaders(id, w.GET, { endStream: end });
        } else {conn.sendHeaders(sid, [[":status", rng.pick(["200", "404", "103"])]], {
            endStream: end,
          });}
        break;
      case 1: {
        let size = rng.int(rng.chance(0.1) ? 70_000 : 300);
        if (rng.chance(0.5)) {
          // Probe the boundary the engine reports: exactly the window, or one octet more.
          let window = -1;
          try {
            window = Math.min(conn.localFlowControlWindow(sid), conn.maxOutboundFrameSize);
          } catch (e) {
            if (!isAllowedApiError(e)) throw e;
          }
          if (window >= 0) size = rng.pick([window, window + 1, rng.int(window + 1)]);
        }
        const data = new Uint8Array(size);
        conn.sendData(sid, data, { endStream: end });
        // RFC 9113 §6.9.1: "The sender MUST NOT send a flow-controlled frame with a length that
        // exceeds the space available in either of the flow-control windows advertised by the receiver."
        const model = s.peerWindows;
        if (model !== undefined) {
          if (data.length > model.window(sid)) {
            fail(
              `sendData sent ${data.length} octets on stream ${sid}; the peer allowed ${
                model.window(sid)
              }`,
            );
          }
          model.record(sid, data.length);
          if (data.length > 0) fuzzCounters.sendWindowChecks++;
        }
        break;
      }
      case 2:
        conn.resetStream(sid, rng.int(14));
        break;
      case 3: {
        const acked = s.dataReceived.length > 0 && rng.chance(0.8)
          ? s.dataReceived.splice(rng.int(s.dataReceived.length), 1)[0]!
          : [sid, rng.int(70_000)] as [number, number];
        conn.acknowledgeReceivedData(acked[1], acked[0]);
        break;
      }
      case 4:
        conn.ping(rng.bytes(rng.chance(0.95) ? 8 : rng.int(12)));
        break;
      case 5:
        conn.endStream(sid);
        break;
      case 6:
        conn.incrementFlowControlWindow(1 + rng.int(100_000), rng.chance(0.5) ? sid : undefined);
        break;
      case 7:
        conn.sendHeaders(sid, [["x-trailer", "1"]], { endStream: true });
        break;
      default:
        s.tableTouched = true; // our HEADER_TABLE_SIZE may change: the HPACK model no longer holds
        conn.updateSettings({ 4: rng.int(100_000), 1: rng.pick([0, 4096]) });
    }
  } catch (e) {
    if (!isAllowedApiError(e)) {
      fail(`API call threw ${(e as Error)?.stack ?? String(e)}`);
    }
  }
  // API output is the caller's own; it does not count against the reply bound.
  if (conn.outboundBufferSize < before) fail("an API call shrank the output buffer");
}

function hex(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, 16_384);
  let out = "";
  for (const b of shown) out += b.toString(16).padStart(2, "0");
  return bytes.length > shown.length ? `${out}… (${bytes.length} bytes)` : out;
}

function checkWire(s: RunState): void {
  const out = w.concat(s.wire);
  if (s.role === "client" && !w.startsWithPreface(out)) {
    fail("client output does not start with the preface");
  }
  let frames: w.WireFrame[];
  try {
    frames = w.parseFrames(out, s.role === "client");
  } catch (e) {
    return fail(`output is not a whole number of frames: ${(e as Error).message}`);
  }
  if (frames[0]?.type !== w.T.SETTINGS || (frames[0].flags & w.F.ACK) !== 0) {
    fail(
      `the first frame sent is not SETTINGS (RFC 9113 §3.4): ${
        JSON.stringify(
          frames.slice(0, 3).map((f) => [f.type, f.flags, f.streamId, f.payload.length]),
        )
      }`,
    );
  }
  checkFrameShapes(frames, s.largerFrames);
  const goaways = w.goAways(frames);
  if (s.error === undefined) {
    if (goaways.length > 0) {
      fail(`GOAWAY ${JSON.stringify(goaways)} sent without a connection error`);
    }
    return;
  }
  if (goaways.length !== 1) {
    fail(
      `${goaways.length} GOAWAYs after ${s.error.name}(${s.error.detail}); expected exactly one`,
    );
  }
  if (frames.at(-1)!.type !== w.T.GOAWAY) fail("the GOAWAY is not the last frame sent");
  if (goaways[0]!.errorCode !== s.error.errorCode) {
    fail(`GOAWAY code ${goaways[0]!.errorCode} but ${s.error.name}.errorCode ${s.error.errorCode}`);
  }
  if (s.conn.isClosed !== true) fail("isClosed is not true after a connection error");
}

/**
 * RFC 9113 §4.3, §5.1: every header block is decoded, whatever happens to its stream, so the
 * dynamic table stays in sync. A last request references the entries our model says the
 * table holds; if the engine delivers it, the fields must be exactly those entries.
 */
function checkHpackSync(s: RunState, conv: Conversation): void {
  const refs: number[] = [];
  const expected: Array<readonly [string, string]> = [];
  conv.table.forEach(([name, value], i) => {
    if (refs.length >= 6 || name.startsWith(":") || name === "cookie") return;
    refs.push(...w.indexed(62 + i));
    expected.push([name, value]);
  });
  if (expected.length === 0) return;
  let streamId = conv.nextOwn;
  let head: ReadonlyArray<readonly [string, string]> = w.GET;
  if (s.role === "client") {
    // Ask for one more response, and answer it with the references.
    try {
      streamId = s.conn.getNextAvailableStreamId();
      s.conn.sendHeaders(streamId, w.GET, { endStream: true });
    } catch (e) {
      if (isAllowedApiError(e)) return;
      throw e;
    }
    head = w.OK;
  }
  const last = w.headers(streamId, w.concat([w.block(head), Uint8Array.from(refs)]), {
    endStream: true,
  });
  let events: H2Event[];
  try {
    events = s.conn.receiveData(last);
  } catch (e) {
    if (e instanceof H2Error && e.errorCode === w.E.COMPRESSION_ERROR) {
      fail(
        `HPACK table out of sync: ${e.detail} on a block referencing ${JSON.stringify(expected)}`,
      );
    }
    if (!(e instanceof H2Error)) throw e;
    s.error = e; // another budget ended it: checkWire verifies the GOAWAY
    return;
  }
  const kind = s.role === "server" ? "RequestReceived" : "ResponseReceived";
  const request = events.find((e) => e.type === kind && e.streamId === streamId);
  if (request === undefined || !("headers" in request)) return; // refused for a budget: no claim
  fuzzCounters.hpackSyncChecks++;
  const got = request.headers.slice(head.length);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    fail(`HPACK table out of sync: got ${JSON.stringify(got)}, model ${JSON.stringify(expected)}`);
  }
}

/**
 * RFC 9113 §6.9: "A receiver that receives a flow-controlled frame MUST always account for its
 * contribution against the connection flow-control window" — on closed and reset streams too.
 * For a well-formed input (chaos 0) the window must be 65535 + our WINDOW_UPDATE(0) increments
 * − every DATA payload the peer sent (padding included).
 */
function checkConnectionWindow(s: RunState, input: Uint8Array): void {
  let received = 0;
  try {
    for (const f of w.parseFrames(input, s.role === "server")) {
      // After a GOAWAY with an error code the peer is gone (§5.4.1): the engine stops reading.
      if (f.type === w.T.GOAWAY && w.goAwayInfo(f).errorCode !== 0) break;
      if (f.type === w.T.DATA) received += f.payload.length;
    }
  } catch {
    return; // not a whole number of frames: no model
  }
  let granted = 0;
  for (const f of w.parseFrames(w.concat(s.wire), s.role === "client")) {
    if (f.type === w.T.WINDOW_UPDATE && f.streamId === 0) {
      granted += new DataView(f.payload.buffer, f.payload.byteOffset, 4).getUint32(0) & 0x7fff_ffff;
    }
  }
  fuzzCounters.windowChecks++;
  const expected = 65_535 + granted - received;
  if (s.conn.inboundFlowControlWindow !== expected) {
    fail(
      `connection receive window ${s.conn.inboundFlowControlWindow}, expected ${expected} ` +
        `(65535 + ${granted} granted − ${received} received)`,
    );
  }
}

/**
 * Our own model of the peer's flow-control windows (what we may send), built from the input
 * frames the engine has read so far (RFC 9113 §6.9.1, §6.9.2): per stream, the current
 * SETTINGS_INITIAL_WINDOW_SIZE + its WINDOW_UPDATEs − what we sent on it; for the connection,
 * 65535 + WINDOW_UPDATE(0)s − everything we sent. Only kept for well-formed (chaos 0) inputs.
 */
class PeerWindows {
  initial = 65_535;
  connection = 65_535;
  readonly updates = new Map<number, number>();
  readonly sent = new Map<number, number>();
  readonly #frames: Array<{ end: number; frame: w.WireFrame }> = [];
  #next = 0;
  /** After a GOAWAY with an error the engine stops reading: the model stops too. */
  #stopped = false;

  constructor(input: Uint8Array, skipPreface: boolean) {
    let offset = skipPreface && w.startsWithPreface(input) ? w.PREFACE.length : 0;
    for (const frame of w.parseFrames(input.subarray(offset))) {
      offset += 9 + frame.payload.length;
      this.#frames.push({ end: offset, frame });
    }
  }

  /** Applies the frames wholly inside the first `offset` input octets. */
  advance(offset: number): void {
    while (!this.#stopped && this.#next < this.#frames.length) {
      const { end, frame } = this.#frames[this.#next]!;
      if (end > offset) break;
      this.#next++;
      const view = new DataView(
        frame.payload.buffer,
        frame.payload.byteOffset,
        frame.payload.length,
      );
      if (frame.type === w.T.SETTINGS && (frame.flags & w.F.ACK) === 0) {
        for (let at = 0; at + 6 <= frame.payload.length; at += 6) {
          if (view.getUint16(at) === 4) this.initial = view.getUint32(at + 2);
        }
      } else if (frame.type === w.T.WINDOW_UPDATE && frame.payload.length === 4) {
        const increment = view.getUint32(0) & 0x7fff_ffff;
        if (frame.streamId === 0) this.connection += increment;
        else this.updates.set(frame.streamId, (this.updates.get(frame.streamId) ?? 0) + increment);
      } else if (frame.type === w.T.GOAWAY && w.goAwayInfo(frame).errorCode !== 0) {
        this.#stopped = true;
      }
    }
  }

  window(streamId: number): number {
    const stream = this.initial + (this.updates.get(streamId) ?? 0) -
      (this.sent.get(streamId) ?? 0);
    return Math.min(stream, this.connection);
  }

  record(streamId: number, length: number): void {
    this.sent.set(streamId, (this.sent.get(streamId) ?? 0) + length);
    this.connection -= length;
  }
}

function modelWindows(input: Uint8Array, role: Role): PeerWindows | undefined {
  try {
    return new PeerWindows(input, role === "server");
  } catch {
    return undefined; // not a whole number of frames
  }
}

/** Runs one generated input; returns its state or throws a FuzzFailure. */
export function runInput(
  role: Role,
  seed: number,
): { input: Uint8Array; error: H2Error | undefined; events: number; chaos: number } {
  const rng = new Rng(seed);
  const config = pickConfig(rng);
  const chaos = rng.pick([0, 0, 0, 1, 1, 1, 2, 2, 2, 2] as const);
  const conv = new Conversation(rng, role, chaos);
  conv.generate();
  mutate(conv.frames, rng, chaos);
  let input = w.concat(conv.frames);
  if (chaos === 2 && rng.chance(0.1)) {
    const head = role === "server" && rng.chance(0.8)
      ? w.concat([w.PREFACE, w.settings()])
      : new Uint8Array(0);
    input = w.concat([head, rng.bytes(rng.int(300))]);
  }
  const clock = config.clock;
  const options: ConstructorParameters<typeof H2Connection>[0] = { clientSide: role === "client" };
  if (config.limits !== undefined) options.limits = config.limits;
  if (clock !== undefined) options.now = () => clock.t;
  const conn = new H2Connection(options);
  const s: RunState = {
    conn,
    role,
    config,
    wire: [],
    replyBytes: 0,
    streams: new Set(),
    dataReceived: [],
    error: undefined,
    highestInbound: 0,
    events: 0,
    finished: new Set(),
    lastRequest: 0,
    largerFrames: false,
    tableTouched: false,
    peerWindows: chaos === 0 ? modelWindows(input, role) : undefined,
  };
  try {
    conn.initiateConnection();
    if (role === "client") {
      for (const [id, end] of [[1, true], [3, false], [5, false]] as const) {
        conn.sendHeaders(id, w.GET, { endStream: end });
        s.streams.add(id);
      }
    }
    if (rng.chance(0.7)) drain(s);
    let offset = 0;
    const oneByte = input.length <= 3_000 && rng.chance(0.05);
    while (offset < input.length) {
      const size = oneByte
        ? 1
        : rng.chance(0.3)
        ? input.length - offset
        : 1 + rng.int(input.length - offset);
      const chunk = input.subarray(offset, offset + size);
      offset += size;
      if (clock !== undefined) clock.t += rng.chance(0.8) ? rng.int(50) : rng.int(5_000);
      const before = conn.outboundBufferSize;
      let events: unknown;
      try {
        events = conn.receiveData(chunk);
      } catch (e) {
        if (!(e instanceof H2Error)) {
          fail(`receiveData threw a non-H2Error: ${(e as Error)?.stack ?? String(e)}`);
        }
        // The engine wraps its own crashes as INTERNAL_ERROR "internal_error": still a crash.
        if (
          e.detail === "internal_error" || e.cause !== undefined && !(e.cause instanceof H2Error)
        ) {
          const cause = e.cause as Error | undefined;
          fail(`receiveData crashed (${e.detail}): ${cause?.stack ?? String(cause)}`);
        }
        s.error = e;
        break;
      }
      s.replyBytes += conn.outboundBufferSize - before;
      s.peerWindows?.advance(offset);
      checkEvents(s, events);
      checkInvariants(s);
      if (rng.chance(0.3)) randomAction(s, rng);
      const d = rng.next();
      if (d < 0.4) drain(s);
      else if (d < 0.45) drain(s, rng.int(64));
    }
    if (s.error === undefined && chaos === 0 && !s.tableTouched) checkHpackSync(s, conv);
    if (s.error !== undefined) {
      // The transport would close now; a stray late read must be a no-op: no events, no
      // output, no second error (RFC 9113 §5.4.1: one GOAWAY, then nothing).
      const pending = conn.outboundBufferSize;
      let late: H2Event[];
      try {
        late = conn.receiveData(rng.bytes(1 + rng.int(40)));
      } catch (e) {
        return fail(
          `receiveData after the connection error threw ${(e as Error)?.stack ?? String(e)}`,
        );
      }
      if (late.length > 0) {
        fail(`receiveData after the connection error returned ${late.length} events`);
      }
      if (conn.outboundBufferSize !== pending) {
        fail("receiveData after the connection error queued output");
      }
      // Nor may the application put frames after the GOAWAY (checkWire: GOAWAY is last).
      for (let i = 0; i < 3; i++) randomAction(s, rng);
    }
    drain(s);
    checkWire(s);
    if (s.error === undefined && chaos === 0) checkConnectionWindow(s, input);
  } catch (e) {
    const reason = e instanceof FuzzFailure
      ? e.message
      : `harness: ${(e as Error)?.stack ?? String(e)}`;
    throw new FuzzFailure(
      `${role} input seed ${seed} (chaos ${chaos}, limits: ${
        config.limits ? "tiny" : "default"
      }, clock: ${!!clock}): ${reason}\n` +
        `input (${input.length} bytes): ${hex(input)}`,
      { cause: e },
    );
  }
  return { input, error: s.error, events: s.events, chaos };
}

/**
 * Runs `runs` inputs for one role from `seed`. Throws a FuzzFailure naming
 * `FUZZ_SEED`, the input index and the input hex on the first violation.
 */
export function runFuzz(
  options: { role: Role; seed: number; runs: number; deadlineMs?: number },
): FuzzStats {
  const started = performance.now();
  const stats: FuzzStats = {
    role: options.role,
    inputs: 0,
    bytes: 0,
    events: 0,
    connectionErrors: 0,
    details: new Map(),
    ms: 0,
  };
  for (let i = 0; i < options.runs; i++) {
    if (options.deadlineMs !== undefined && performance.now() - started > options.deadlineMs) break;
    let result;
    try {
      result = runInput(options.role, inputSeed(options.seed, i));
    } catch (e) {
      if (e instanceof FuzzFailure) {
        throw new FuzzFailure(`FUZZ_SEED=${options.seed} index ${i}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    stats.inputs++;
    stats.bytes += result.input.length;
    stats.events += result.events;
    if (result.error !== undefined) {
      stats.connectionErrors++;
      const key = `${result.error.name}:${result.error.detail}`;
      stats.details.set(key, (stats.details.get(key) ?? 0) + 1);
    }
  }
  stats.ms = performance.now() - started;
  return stats;
}
