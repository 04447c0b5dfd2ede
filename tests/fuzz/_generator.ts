/**
 * The conversation generator and frame-level mutator of the `receiveData`
 * fuzzer. A {@link Conversation} writes the peer's side of a connection as
 * raw frames at one of three chaos levels (well-formed, occasionally invalid,
 * fully invalid) and models the HPACK dynamic table it builds; {@link mutate}
 * then flips flags, lies about lengths, changes stream ids and types,
 * truncates, repeats, reorders, splices and deletes frames.
 *
 * @module
 */

import * as w from "../attacks/_wire.ts";
import type { Rng, Role } from "./_common.ts";

export const EXTRA_NAMES = [
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
export const EXTRA_VALUES = [
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

export class Conversation {
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

export function mutate(frames: Uint8Array[], rng: Rng, chaos: 0 | 1 | 2): void {
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
