/**
 * The properties the `receiveData` fuzzer checks after every call and at the
 * end of every input, the random API actions it interleaves, and the
 * independent models (HPACK table, connection windows, the peer's windows)
 * that the model-based properties compare the engine against.
 *
 * @module
 */

import type { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import * as w from "../attacks/_wire.ts";
import { type Config, fail, fuzzCounters, type Rng, type Role } from "./_common.ts";
import type { Conversation } from "./_generator.ts";

export const SERVER_EVENTS = new Set([
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
export const CLIENT_EVENTS = new Set([
  ...[...SERVER_EVENTS].filter((name) => name !== "RequestReceived"),
  "ResponseReceived",
  "InformationalResponseReceived",
  "PushedStreamReceived",
  "AlternativeServiceAvailable",
  "OriginReceived",
]);

export const MAX_WINDOW = 2 ** 31 - 1;
/** Events that carry a stream's content; none may follow its StreamEnded or StreamReset. */
export const STREAM_CONTENT_EVENTS = new Set([
  "RequestReceived",
  "ResponseReceived",
  "InformationalResponseReceived",
  "TrailersReceived",
  "DataReceived",
  "StreamEnded",
]);
export const KNOWN_TYPES = new Set([
  0x0,
  0x1,
  0x2,
  0x3,
  0x4,
  0x5,
  0x6,
  0x7,
  0x8,
  0x9,
  0xa,
  0xc,
  0x10,
]);

/** RFC 9113 §4–§6 framing rules our own output must obey. */
export function checkFrameShapes(frames: readonly w.WireFrame[], largerFrames: boolean): void {
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
export const MAX_REPLY_FRAME = 9 + 8 + 256;

export function isAllowedApiError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof H2Error;
}

/** Everything about one input, for the checks and for the failure report. */
export interface RunState {
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

export function drain(s: RunState, amount?: number): void {
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

export function checkInvariants(s: RunState): void {
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

export function checkEvents(s: RunState, events: unknown): void {
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

export function randomAction(s: RunState, rng: Rng): void {
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
          // An empty DATA frame (e.g. only END_STREAM) consumes nothing; sending one while a
          // SETTINGS decrease left the window negative breaks §6.9.2's letter ("MUST NOT send new
          // flow-controlled frames") but no receiver can tell, so only octets are checked.
          if (data.length > 0 && data.length > model.window(sid)) {
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

export function hex(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, 16_384);
  let out = "";
  for (const b of shown) out += b.toString(16).padStart(2, "0");
  return bytes.length > shown.length ? `${out}… (${bytes.length} bytes)` : out;
}

export function checkWire(s: RunState): void {
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
export function checkHpackSync(s: RunState, conv: Conversation): void {
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
export function checkConnectionWindow(s: RunState, input: Uint8Array): void {
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
export class PeerWindows {
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

export function modelWindows(input: Uint8Array, role: Role): PeerWindows | undefined {
  try {
    return new PeerWindows(input, role === "server");
  } catch {
    return undefined; // not a whole number of frames
  }
}
