/**
 * h2spec's "http2" group, RFC 7540/9113 §6 (`http2/6_*.go`): the frame
 * definitions — DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY,
 * WINDOW_UPDATE (and flow control), CONTINUATION.
 *
 * @module
 */

import {
  CaseFailure,
  type RawConn,
  show,
  verifyConnectionError,
  verifyDataLength,
  verifyFrameType,
  verifyHeadersFrame,
  verifyPingAck,
  verifySettingsAck,
  verifyStreamError,
} from "./client.ts";
import { type Case, commonHeaders, dummyHeaders, type Env, H2SPEC8, ZERO8 } from "./common.ts";
import {
  bytes,
  continuation,
  data,
  describe,
  E,
  encodeHeaders,
  errorName,
  frameErrorCode,
  headers,
  ping,
  priority,
  S,
  settings,
  T,
  windowUpdate,
} from "./wire.ts";

const P255 = { dependsOn: 0, exclusive: false, weight: 255 };
const MAX_WINDOW = 2 ** 31 - 1;

function req(env: Env, stream: number, o: { end?: boolean; method?: string } = {}): Uint8Array {
  return headers(stream, encodeHeaders(commonHeaders(env, o.method ?? "GET")), {
    endStream: o.end ?? true,
  });
}

function openHeaderBlock(env: Env, method = "GET", endStream = false): Uint8Array {
  return headers(1, encodeHeaders(commonHeaders(env, method)), { endStream, endHeaders: false });
}

/** A case whose only step after the handshake is sending `make(env)`. */
function connError(
  id: string,
  desc: string,
  rfc: string,
  make: (env: Env, c: RawConn) => Uint8Array[],
  ...codes: number[]
): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      await c.send(...make(env, c));
      await verifyConnectionError(c, ...codes);
    },
  };
}

function streamError(
  id: string,
  desc: string,
  rfc: string,
  make: (env: Env, c: RawConn) => Uint8Array[],
  ...codes: number[]
): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      await c.send(...make(env, c));
      await verifyStreamError(c, ...codes);
    },
  };
}

/** RFC 7540/9113 §6. */
export const HTTP2_FRAME_CASES: Case[] = [
  // §6.1 DATA
  connError(
    "http2/6.1/1",
    "Sends a DATA frame with 0x0 stream identifier",
    "RFC 9113 §6.1: DATA on stream 0 is a connection PROTOCOL_ERROR",
    () => [data(0, "test", { endStream: true })],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.1/2",
    'Sends a DATA frame on the stream that is not in "open" or "half-closed (local)" state',
    "RFC 9113 §6.1: DATA on a stream not open/half-closed (local) → STREAM_CLOSED",
    (env) => [req(env, 1, { method: "POST" }), data(1, "test", { endStream: true })],
    E.STREAM_CLOSED,
  ),
  connError(
    "http2/6.1/3",
    "Sends a DATA frame with invalid pad length",
    "RFC 9113 §6.1: padding ≥ payload length is a connection PROTOCOL_ERROR",
    (env) => [
      headers(1, encodeHeaders([...commonHeaders(env, "POST"), ["content-length", "4"]]), {
        endStream: false,
      }),
      // length 5, PADDED|END_STREAM, pad length 6, "Test"
      bytes("\x00\x00\x05\x00\x09\x00\x00\x00\x01\x06\x54\x65\x73\x74"),
    ],
    E.PROTOCOL_ERROR,
  ),
  // §6.2 HEADERS
  connError(
    "http2/6.2/1",
    "Sends a HEADERS frame without the END_HEADERS flag, and a PRIORITY frame",
    "RFC 9113 §6.2: HEADERS without END_HEADERS must be followed by CONTINUATION",
    (env) => [
      openHeaderBlock(env),
      priority(1, P255),
      continuation(1, encodeHeaders(dummyHeaders(1)), true),
    ],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.2/2",
    "Sends a HEADERS frame to another stream while sending a HEADERS frame",
    "RFC 9113 §6.2: a frame on another stream inside a field block → PROTOCOL_ERROR",
    (env) => [
      openHeaderBlock(env),
      req(env, 3),
      continuation(1, encodeHeaders(dummyHeaders(1)), true),
    ],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.2/3",
    "Sends a HEADERS frame with 0x0 stream identifier",
    "RFC 9113 §6.2: HEADERS on stream 0 is a connection PROTOCOL_ERROR",
    (env) => [req(env, 0)],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.2/4",
    "Sends a HEADERS frame with invalid pad length",
    "RFC 9113 §6.2: padding exceeding the fragment space → PROTOCOL_ERROR",
    (env) => {
      const block = encodeHeaders(commonHeaders(env));
      // flags END_STREAM|END_HEADERS|PADDED, length = block + 1, pad length = block + 2
      const head = bytes("\x00\x00\x00\x01\x0d\x00\x00\x00\x01");
      head[2] = block.length + 1;
      return [head, Uint8Array.of(block.length + 2), block];
    },
    E.PROTOCOL_ERROR,
  ),
  // §6.3 PRIORITY
  connError(
    "http2/6.3/1",
    "Sends a PRIORITY frame with 0x0 stream identifier",
    "RFC 9113 §6.3: PRIORITY on stream 0 is a connection PROTOCOL_ERROR",
    () => [priority(0, P255)],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.3/2",
    "Sends a PRIORITY frame with a length other than 5 octets",
    "RFC 9113 §6.3: PRIORITY of length ≠ 5 is a stream FRAME_SIZE_ERROR",
    (env) => [req(env, 1), bytes("\x00\x00\x04\x02\x00\x00\x00\x00\x01\x80\x00\x00\x01")],
    E.FRAME_SIZE_ERROR,
  ),
  {
    id: "http2/6.3/3",
    desc:
      "Sends a PRIORITY frame for an idle stream, then send a HEADER frame for a lower stream ID",
    rfc: "RFC 9113 §6.3: PRIORITY can be sent for an idle stream; it does not open it",
    strict: true,
    async run(c, env) {
      await c.handshake();
      await c.send(priority(3, P255), req(env, 1));
      await verifyFrameType(c, T.HEADERS, "HEADERS");
    },
  },
  // §6.4 RST_STREAM
  connError(
    "http2/6.4/1",
    "Sends a RST_STREAM frame with 0x0 stream identifier",
    "RFC 9113 §6.4: RST_STREAM on stream 0 is a connection PROTOCOL_ERROR",
    () => [bytes("\x00\x00\x04\x03\x00\x00\x00\x00\x00\x00\x00\x00\x08")],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.4/2",
    "Sends a RST_STREAM frame on a idle stream",
    "RFC 9113 §6.4: RST_STREAM on an idle stream is a connection PROTOCOL_ERROR",
    () => [bytes("\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x08")],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.4/3",
    "Sends a RST_STREAM frame with a length other than 4 octets",
    "RFC 9113 §6.4: RST_STREAM of length ≠ 4 is a connection FRAME_SIZE_ERROR",
    (env) => [req(env, 1), bytes("\x00\x00\x03\x03\x00\x00\x00\x00\x01\x00\x00\x00")],
    E.FRAME_SIZE_ERROR,
  ),
  // §6.5 SETTINGS
  connError(
    "http2/6.5/1",
    "Sends a SETTINGS frame with ACK flag and payload",
    "RFC 9113 §6.5: SETTINGS ACK with a payload is a connection FRAME_SIZE_ERROR",
    () => [bytes("\x00\x00\x01\x04\x01\x00\x00\x00\x00\x00")],
    E.FRAME_SIZE_ERROR,
  ),
  connError(
    "http2/6.5/2",
    "Sends a SETTINGS frame with 0x1 stream identifier",
    "RFC 9113 §6.5: SETTINGS on a stream ≠ 0 is a connection PROTOCOL_ERROR",
    () => [bytes("\x00\x00\x06\x04\x00\x00\x00\x00\x01\x00\x03\x00\x00\x00\x64")],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.5/3",
    "Sends a SETTINGS frame with a length other than a multiple of 6 octets",
    "RFC 9113 §6.5: a length not a multiple of 6 is a connection FRAME_SIZE_ERROR",
    // h2spec's bytes: the header announces 9 octets, 8 follow (the check needs only the header).
    () => [bytes("\x00\x00\x09\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64\x00\x02")],
    E.PROTOCOL_ERROR,
    E.FRAME_SIZE_ERROR,
  ),
  // §6.5.2
  connError(
    "http2/6.5.2/1",
    "SETTINGS_ENABLE_PUSH (0x2): Sends the value other than 0 or 1",
    "RFC 9113 §6.5.2: ENABLE_PUSH ∉ {0,1} is a connection PROTOCOL_ERROR",
    () => [settings([S.ENABLE_PUSH, 2])],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.5.2/2",
    "SETTINGS_INITIAL_WINDOW_SIZE (0x4): Sends the value above the maximum flow control window size",
    "RFC 9113 §6.5.2: INITIAL_WINDOW_SIZE > 2^31-1 is a connection FLOW_CONTROL_ERROR",
    () => [settings([S.INITIAL_WINDOW_SIZE, 2 ** 31])],
    E.FLOW_CONTROL_ERROR,
  ),
  connError(
    "http2/6.5.2/3",
    "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value below the initial value",
    "RFC 9113 §6.5.2: MAX_FRAME_SIZE < 2^14 is a connection PROTOCOL_ERROR",
    () => [settings([S.MAX_FRAME_SIZE, 16_383])],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.5.2/4",
    "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value above the maximum allowed frame size",
    "RFC 9113 §6.5.2: MAX_FRAME_SIZE > 2^24-1 is a connection PROTOCOL_ERROR",
    () => [settings([S.MAX_FRAME_SIZE, 16_777_216])],
    E.PROTOCOL_ERROR,
  ),
  {
    id: "http2/6.5.2/5",
    desc: "Sends a SETTINGS frame with unknown identifier",
    rfc: "RFC 9113 §6.5.2: unknown settings MUST be ignored",
    async run(c) {
      await c.handshake();
      await c.send(settings([0xff, 1]), ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  // §6.5.3
  {
    id: "http2/6.5.3/1",
    desc: "Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE",
    rfc: "RFC 9113 §6.5.3: values are processed in order (the last one, 1, wins)",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 100], [S.INITIAL_WINDOW_SIZE, 1]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await c.send(req(env, 1));
      await verifyDataLength(c, 1, 1);
    },
  },
  {
    id: "http2/6.5.3/2",
    desc: "Sends a SETTINGS frame without ACK flag",
    rfc: "RFC 9113 §6.5.3: the recipient MUST immediately emit a SETTINGS ACK",
    async run(c) {
      await c.handshake();
      await c.send(settings([S.ENABLE_PUSH, 0]));
      await verifySettingsAck(c);
    },
  },
  // §6.7 PING
  {
    id: "http2/6.7/1",
    desc: "Sends a PING frame",
    rfc: "RFC 9113 §6.7: a PING ACK with an identical payload",
    async run(c) {
      await c.handshake();
      await c.send(ping(H2SPEC8));
      await verifyPingAck(c, H2SPEC8);
    },
  },
  {
    id: "http2/6.7/2",
    desc: "Sends a PING frame with ACK",
    rfc: "RFC 9113 §6.7: an endpoint MUST NOT respond to PING frames with ACK",
    async run(c) {
      await c.handshake();
      const unexpected = Uint8Array.of(0x69, 0x6e, 0x76, 0x61, 0x6c, 0x69, 0x64, 0); // "invalid"
      await c.send(ping(unexpected, true), ping(H2SPEC8));
      while (!c.closed) {
        const ev = await c.waitEvent();
        if (ev.kind === "frame" && ev.frame.type === T.PING) {
          if (sameBytes(ev.frame.payload, unexpected)) {
            throw new CaseFailure(["no answer to PING ACK"], describe(ev.frame));
          }
          if (ev.frame.flags & 1 && sameBytes(ev.frame.payload, H2SPEC8)) return;
        }
        if (ev.kind !== "frame") throw new CaseFailure(["PING(ACK, h2spec)"], show(ev));
      }
    },
  },
  connError(
    "http2/6.7/3",
    "Sends a PING frame with a stream identifier field value other than 0x0",
    "RFC 9113 §6.7: PING on a stream ≠ 0 is a connection PROTOCOL_ERROR",
    () => [bytes("\x00\x00\x08\x06\x00\x00\x00\x00\x01" + "\x00".repeat(8))],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.7/4",
    "Sends a PING frame with a length field value other than 8",
    "RFC 9113 §6.7: PING of length ≠ 8 is a connection FRAME_SIZE_ERROR",
    () => [bytes("\x00\x00\x06\x06\x00\x00\x00\x00\x00" + "\x00".repeat(6))],
    E.FRAME_SIZE_ERROR,
  ),
  // §6.8 GOAWAY
  connError(
    "http2/6.8/1",
    "Sends a GOAWAY frame with a stream identifier other than 0x0",
    "RFC 9113 §6.8: GOAWAY on a stream ≠ 0 is a connection PROTOCOL_ERROR",
    () => [bytes("\x00\x00\x08\x07\x00\x00\x00\x00\x01" + "\x00".repeat(8))],
    E.PROTOCOL_ERROR,
  ),
  // §6.9 WINDOW_UPDATE
  connError(
    "http2/6.9/1",
    "Sends a WINDOW_UPDATE frame with a flow control window increment of 0",
    "RFC 9113 §6.9: increment 0 on the connection is a connection PROTOCOL_ERROR",
    () => [windowUpdate(0, 0)],
    E.PROTOCOL_ERROR,
  ),
  streamError(
    "http2/6.9/2",
    "Sends a WINDOW_UPDATE frame with a flow control window increment of 0 on a stream",
    "RFC 9113 §6.9: increment 0 on a stream is a stream PROTOCOL_ERROR",
    (env) => [req(env, 1, { end: false }), windowUpdate(1, 0)],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.9/3",
    "Sends a WINDOW_UPDATE frame with a length other than 4 octets",
    "RFC 9113 §6.9: WINDOW_UPDATE of length ≠ 4 is a connection FRAME_SIZE_ERROR",
    () => [bytes("\x00\x00\x03\x08\x00\x00\x00\x00\x00\x00\x00\x01")],
    E.FRAME_SIZE_ERROR,
  ),
  // §6.9.1
  {
    id: "http2/6.9.1/1",
    desc: "Sends SETTINGS frame to set the initial window size to 1 and sends HEADERS frame",
    rfc: "RFC 9113 §6.9.1: no flow-controlled frame larger than the window",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 1]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await c.send(req(env, 1));
      await verifyDataLength(c, 1, 1);
    },
  },
  {
    id: "http2/6.9.1/2",
    desc: "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1",
    rfc: "RFC 9113 §6.9.1: connection window over 2^31-1 → GOAWAY(FLOW_CONTROL_ERROR)",
    async run(c) {
      await c.handshake();
      await c.send(windowUpdate(0, MAX_WINDOW), windowUpdate(0, MAX_WINDOW));
      const { frame, last } = await c.waitFrame(T.GOAWAY);
      if (frame !== undefined && frameErrorCode(frame) === E.FLOW_CONTROL_ERROR) return;
      throw new CaseFailure(
        [`GOAWAY(${errorName(E.FLOW_CONTROL_ERROR)})`],
        frame !== undefined ? describe(frame) : show(last),
      );
    },
  },
  {
    id: "http2/6.9.1/3",
    desc:
      "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1 on a stream",
    rfc: "RFC 9113 §6.9.1: stream window over 2^31-1 → RST_STREAM(FLOW_CONTROL_ERROR)",
    async run(c, env) {
      await c.handshake();
      await c.send(
        req(env, 1, { end: false }),
        windowUpdate(1, MAX_WINDOW),
        windowUpdate(1, MAX_WINDOW),
      );
      const { frame, last } = await c.waitFrame(T.RST_STREAM, (f) => f.streamId === 1);
      if (frame !== undefined && frameErrorCode(frame) === E.FLOW_CONTROL_ERROR) return;
      throw new CaseFailure(
        [`RST_STREAM(stream=1, ${errorName(E.FLOW_CONTROL_ERROR)})`],
        frame !== undefined ? describe(frame) : show(last),
      );
    },
  },
  // §6.9.2
  {
    id: "http2/6.9.2/1",
    desc: "Changes SETTINGS_INITIAL_WINDOW_SIZE after sending HEADERS frame",
    rfc: "RFC 9113 §6.9.2: a new INITIAL_WINDOW_SIZE adjusts every open stream's window",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 0]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await c.send(req(env, 1), settings([S.INITIAL_WINDOW_SIZE, 1]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await verifyDataLength(c, 1, 1);
    },
  },
  {
    id: "http2/6.9.2/2",
    desc: "Sends a SETTINGS frame for window size to be negative",
    rfc: "RFC 9113 §6.9.2: a sender MUST track a negative flow-control window",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 3]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await c.send(req(env, 1));
      await verifyFrameType(c, T.DATA, "DATA");
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 2]));
      await verifyFrameType(c, T.SETTINGS, "SETTINGS");
      await c.send(windowUpdate(1, 2));
      await verifyDataLength(c, 1, 1);
    },
  },
  connError(
    "http2/6.9.2/3",
    "Sends a SETTINGS_INITIAL_WINDOW_SIZE settings with an exceeded maximum window size value",
    "RFC 9113 §6.9.2: INITIAL_WINDOW_SIZE making a window exceed 2^31-1 → FLOW_CONTROL_ERROR",
    () => [bytes("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x04\x80\x00\x00\x00")],
    E.FLOW_CONTROL_ERROR,
  ),
  // §6.10 CONTINUATION
  {
    id: "http2/6.10/1",
    desc: "Sends multiple CONTINUATION frames preceded by a HEADERS frame",
    rfc: "RFC 9113 §6.10: any number of CONTINUATION frames can be sent",
    async run(c, env) {
      await c.handshake();
      await c.send(
        openHeaderBlock(env, "GET", true),
        continuation(1, encodeHeaders(dummyHeaders(1)), false),
        continuation(1, encodeHeaders(dummyHeaders(1)), true),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  connError(
    "http2/6.10/2",
    "Sends a CONTINUATION frame followed by any frame other than CONTINUATION",
    "RFC 9113 §6.10: without END_HEADERS only CONTINUATION may follow → PROTOCOL_ERROR",
    (env) => [
      openHeaderBlock(env, "POST"),
      continuation(1, encodeHeaders(dummyHeaders(1)), false),
      data(1, "test", { endStream: true }),
    ],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.10/3",
    "Sends a CONTINUATION frame with 0x0 stream identifier",
    "RFC 9113 §6.10: CONTINUATION on stream 0 is a connection PROTOCOL_ERROR",
    (env) => [
      openHeaderBlock(env, "GET", true),
      continuation(0, encodeHeaders(dummyHeaders(1)), true),
    ],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.10/4",
    "Sends a CONTINUATION frame preceded by a HEADERS frame with END_HEADERS flag",
    "RFC 9113 §6.10: CONTINUATION after END_HEADERS is a connection PROTOCOL_ERROR",
    (env) => [req(env, 1), continuation(1, encodeHeaders(dummyHeaders(1)), true)],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.10/5",
    "Sends a CONTINUATION frame preceded by a CONTINUATION frame with END_HEADERS flag",
    "RFC 9113 §6.10: CONTINUATION after END_HEADERS is a connection PROTOCOL_ERROR",
    (env) => [
      openHeaderBlock(env, "GET", true),
      continuation(1, encodeHeaders(dummyHeaders(1)), true),
      continuation(1, encodeHeaders(dummyHeaders(1)), true),
    ],
    E.PROTOCOL_ERROR,
  ),
  connError(
    "http2/6.10/6",
    "Sends a CONTINUATION frame preceded by a DATA frame",
    "RFC 9113 §6.10: CONTINUATION must follow HEADERS/PUSH_PROMISE/CONTINUATION → PROTOCOL_ERROR",
    (env) => [
      req(env, 1, { end: false, method: "POST" }),
      data(1, "test", { endStream: true }),
      continuation(1, encodeHeaders(dummyHeaders(1)), true),
    ],
    E.PROTOCOL_ERROR,
  ),
];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
