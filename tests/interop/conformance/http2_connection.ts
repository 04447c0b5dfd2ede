/**
 * h2spec's "http2" group, RFC 7540 §3.5 to §5.5 (`http2/3_5_*.go` …
 * `http2/5_5_*.go`): preface, frame format and size, header blocks, stream
 * states and identifiers, concurrency, dependencies, connection errors,
 * extensions. RFC 9113 keeps these section numbers.
 *
 * @module
 */

import {
  CaseFailure,
  show,
  verifyConnectionClose,
  verifyConnectionError,
  verifyHeadersFrame,
  verifyPingAck,
  verifyStreamClose,
  verifyStreamError,
} from "./client.ts";
import { type Case, commonHeaders, dummyHeaders, type Env, ZERO8 } from "./common.ts";
import {
  bytes,
  continuation,
  data,
  E,
  encodeHeaders,
  headers,
  ping,
  PREFACE,
  priority,
  rstStream,
  S,
  settings,
  T,
  windowUpdate,
} from "./wire.ts";

const P255 = { dependsOn: 0, exclusive: false, weight: 255 };

function req(env: Env, stream: number, o: { end?: boolean; method?: string } = {}): Uint8Array {
  return headers(stream, encodeHeaders(commonHeaders(env, o.method ?? "GET")), {
    endStream: o.end ?? true,
  });
}

/** An unknown frame: length 8, type 0x16, flags 0, stream 0 (h2spec's bytes). */
const UNKNOWN_FRAME = bytes("\x00\x00\x08\x16\x00\x00\x00\x00\x00" + "\x00".repeat(8));

/** RFC 7540/9113 §3.5 … §5.5. */
export const HTTP2_CONNECTION_CASES: Case[] = [
  {
    id: "http2/3.5/1",
    desc: "Sends client connection preface",
    rfc: "RFC 9113 §3.4: the server connection preface MUST be the first frame the server sends",
    async run(c) {
      await c.send(PREFACE, settings([S.INITIAL_WINDOW_SIZE, 65_535]));
      const { frame, last } = await c.waitFrame(T.SETTINGS);
      if (frame !== undefined && !(frame.flags & 1)) return;
      throw new CaseFailure(["SETTINGS(flags=0x00)"], show(last));
    },
  },
  {
    id: "http2/3.5/2",
    desc: "Sends invalid connection preface",
    rfc: "RFC 9113 §3.4: an invalid preface is a connection error; the TCP connection ends",
    async run(c) {
      await c.send(bytes("INVALID CONNECTION PREFACE\r\n\r\n"));
      await verifyConnectionClose(c);
    },
  },
  {
    id: "http2/4.1/1",
    desc: "Sends a frame with unknown type",
    rfc: "RFC 9113 §4.1: implementations MUST ignore and discard frames of unknown types",
    async run(c) {
      await c.handshake();
      await c.send(UNKNOWN_FRAME, ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "http2/4.1/2",
    desc: "Sends a frame with undefined flag",
    rfc: "RFC 9113 §4.1: flags with no defined semantics MUST be ignored",
    async run(c) {
      await c.handshake();
      await c.send(bytes("\x00\x00\x08\x06\x16\x00\x00\x00\x00" + "\x00".repeat(8)));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "http2/4.1/3",
    desc: "Sends a frame with reserved field bit",
    rfc: "RFC 9113 §4.1: the reserved bit MUST be ignored when receiving",
    async run(c) {
      await c.handshake();
      await c.send(bytes("\x00\x00\x08\x06\x16\x80\x00\x00\x00" + "\x00".repeat(8)));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "http2/4.2/1",
    desc: "Sends a DATA frame with 2^14 octets in length",
    rfc: "RFC 9113 §4.2: endpoints MUST be capable of receiving frames up to 2^14 octets",
    async run(c, env) {
      await c.handshake();
      await c.send(
        req(env, 1, { end: false, method: "POST" }),
        data(1, "x".repeat(c.maxFrameSize), { endStream: true }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "http2/4.2/2",
    desc: "Sends a large size DATA frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
    rfc: "RFC 9113 §4.2: a frame larger than SETTINGS_MAX_FRAME_SIZE → FRAME_SIZE_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(
        req(env, 1, { end: false, method: "POST" }),
        data(1, "x".repeat(c.maxFrameSize + 1), { endStream: true }),
      );
      await verifyStreamError(c, E.FRAME_SIZE_ERROR);
    },
  },
  {
    id: "http2/4.2/3",
    desc: "Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
    rfc: "RFC 9113 §4.2: a too-large frame carrying a field block is a connection FRAME_SIZE_ERROR",
    async run(c, env) {
      await c.handshake();
      const block = encodeHeaders([...commonHeaders(env), ...dummyHeaders(5)]);
      await c.send(headers(1, block, { endStream: true }));
      await verifyConnectionError(c, E.FRAME_SIZE_ERROR);
    },
  },
  {
    id: "http2/4.3/1",
    desc: "Sends invalid header block fragment",
    rfc: "RFC 9113 §4.3: a field block decoding error is a connection COMPRESSION_ERROR",
    async run(c) {
      await c.handshake();
      // Literal with incremental indexing, the name's length and string missing.
      await c.send(bytes("\x00\x00\x01\x01\x05\x00\x00\x00\x01\x40"));
      await verifyConnectionError(c, E.COMPRESSION_ERROR);
    },
  },
  {
    id: "http2/4.3/2",
    desc: "Sends a PRIORITY frame while sending the header blocks",
    rfc: "RFC 9113 §4.3: field blocks MUST be contiguous; anything else → PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: false, endHeaders: false }),
        priority(1, P255),
        continuation(1, encodeHeaders(dummyHeaders(1)), true),
      );
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/4.3/3",
    desc: "Sends a HEADERS frame to another stream while sending the header blocks",
    rfc: "RFC 9113 §4.3: no frames from another stream inside a field block",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: false, endHeaders: false }),
        req(env, 3),
        continuation(1, encodeHeaders(dummyHeaders(1)), true),
      );
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  // §5.1 idle
  ...([
    ["http2/5.1/1", "idle: Sends a DATA frame", () => data(1, "test", { endStream: true })],
    ["http2/5.1/2", "idle: Sends a RST_STREAM frame", () => rstStream(1, E.CANCEL)],
    ["http2/5.1/3", "idle: Sends a WINDOW_UPDATE frame", () => windowUpdate(1, 100)],
  ] as const).map(([id, desc, make]): Case => ({
    id,
    desc,
    rfc: "RFC 9113 §5.1 idle: any frame but HEADERS/PRIORITY is a connection PROTOCOL_ERROR",
    async run(c) {
      await c.handshake();
      await c.send(make());
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  })),
  {
    id: "http2/5.1/4",
    desc: "idle: Sends a CONTINUATION frame",
    rfc: "RFC 9113 §5.1 idle / §6.10: connection PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(continuation(1, encodeHeaders(commonHeaders(env)), true));
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  // §5.1 half-closed (remote)
  {
    id: "http2/5.1/5",
    desc: "half closed (remote): Sends a DATA frame",
    rfc: "RFC 9113 §5.1 half-closed (remote): other frames → stream error STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1), data(1, "test", { endStream: true }));
      await verifyStreamError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/6",
    desc: "half closed (remote): Sends a HEADERS frame",
    rfc: "RFC 9113 §5.1 half-closed (remote): other frames → stream error STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1), req(env, 1));
      await verifyStreamError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/7",
    desc: "half closed (remote): Sends a CONTINUATION frame",
    rfc: "RFC 9113 §5.1 / §6.10: STREAM_CLOSED or PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      const block = encodeHeaders(commonHeaders(env));
      await c.send(headers(1, block, { endStream: true }), continuation(1, block, true));
      await verifyStreamError(c, E.STREAM_CLOSED, E.PROTOCOL_ERROR);
    },
  },
  // §5.1 closed
  {
    id: "http2/5.1/8",
    desc: "closed: Sends a DATA frame after sending RST_STREAM frame",
    rfc: "RFC 9113 §5.1 closed: frames after RST_STREAM → stream error STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(
        req(env, 1, { end: false }),
        rstStream(1, E.CANCEL),
        data(1, "test", { endStream: true }),
      );
      await verifyStreamError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/9",
    desc: "closed: Sends a HEADERS frame after sending RST_STREAM frame",
    rfc: "RFC 9113 §5.1 closed: frames after RST_STREAM → stream error STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1, { end: false }), rstStream(1, E.CANCEL), req(env, 1));
      await verifyStreamError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/10",
    desc: "closed: Sends a CONTINUATION frame after sending RST_STREAM frame",
    rfc: "RFC 9113 §5.1 / §6.10: STREAM_CLOSED or PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(
        req(env, 1, { end: false }),
        rstStream(1, E.CANCEL),
        continuation(1, encodeHeaders(dummyHeaders(1)), true),
      );
      await verifyStreamError(c, E.STREAM_CLOSED, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.1/11",
    desc: "closed: Sends a DATA frame",
    rfc: "RFC 9113 §5.1 closed: frames after END_STREAM both ways → connection STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1));
      await verifyStreamClose(c);
      await c.send(data(1, "test", { endStream: true }));
      await verifyConnectionError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/12",
    desc: "closed: Sends a HEADERS frame",
    rfc: "RFC 9113 §5.1 closed: frames after END_STREAM both ways → connection STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1));
      await verifyStreamClose(c);
      await c.send(req(env, 1));
      await verifyConnectionError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1/13",
    desc: "closed: Sends a CONTINUATION frame",
    rfc: "RFC 9113 §5.1 / §6.10: connection STREAM_CLOSED or PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 1));
      await verifyStreamClose(c);
      await c.send(continuation(1, encodeHeaders(dummyHeaders(1)), true));
      await verifyConnectionError(c, E.STREAM_CLOSED, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.1.1/1",
    desc: "Sends even-numbered stream identifier",
    rfc: "RFC 9113 §5.1.1: an unexpected stream identifier is a connection PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 2));
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.1.1/2",
    desc: "Sends stream identifier that is numerically smaller than previous",
    rfc: "RFC 9113 §5.1.1: stream identifiers MUST increase; else connection PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 5), req(env, 3));
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.1.1/3",
    desc: "Sends HEADERS frame with the stream which is in half-closed (remote) state",
    rfc: "RFC 9113 §5.1: a second HEADERS on a half-closed (remote) stream → STREAM_CLOSED",
    async run(c, env) {
      await c.handshake();
      await c.send(req(env, 5), req(env, 5));
      await verifyStreamError(c, E.STREAM_CLOSED);
    },
  },
  {
    id: "http2/5.1.2/1",
    desc:
      "Sends HEADERS frames that causes their advertised concurrent stream limit to be exceeded",
    rfc: "RFC 9113 §5.1.2: over the advertised limit → stream error PROTOCOL_ERROR/REFUSED_STREAM",
    async run(c, env) {
      await c.handshake();
      const max = c.settings.get(S.MAX_CONCURRENT_STREAMS);
      if (max === undefined) {
        throw new CaseFailure(["SETTINGS_MAX_CONCURRENT_STREAMS advertised"], "unlimited (skip)");
      }
      const block = encodeHeaders(commonHeaders(env));
      const frames = [settings([S.INITIAL_WINDOW_SIZE, 0])];
      for (let i = 0; i <= max; i++) frames.push(headers(1 + 2 * i, block, { endStream: true }));
      await c.send(...frames);
      await verifyStreamError(c, E.PROTOCOL_ERROR, E.REFUSED_STREAM);
    },
  },
  {
    id: "http2/5.3.1/1",
    desc: "Sends HEADERS frame that depends on itself",
    rfc: "RFC 9113 §5.3.1 (RFC 7540): a stream cannot depend on itself → stream PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), {
          endStream: true,
          priority: { dependsOn: 1, exclusive: false, weight: 255 },
        }),
      );
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.3.1/2",
    desc: "Sends PRIORITY frame that depend on itself",
    rfc: "RFC 9113 §5.3.1 (RFC 7540): a stream cannot depend on itself → stream PROTOCOL_ERROR",
    async run(c) {
      await c.handshake();
      await c.send(priority(1, { dependsOn: 1, exclusive: false, weight: 255 }));
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/5.4.1/1",
    desc: "Sends an invalid PING frame for connection close",
    rfc: "RFC 9113 §5.4.1: after the GOAWAY for a connection error, the TCP connection is closed",
    async run(c) {
      await c.handshake();
      await c.send(bytes("\x00\x00\x08\x06\x00\x00\x00\x00\x03" + "\x00".repeat(8)));
      await verifyConnectionClose(c);
    },
  },
  {
    id: "http2/5.4.1/2",
    desc: "Sends an invalid PING frame to receive GOAWAY frame",
    rfc: "RFC 9113 §5.4.1: an endpoint SHOULD first send a GOAWAY",
    strict: true,
    async run(c) {
      await c.handshake();
      await c.send(bytes("\x00\x00\x08\x06\x00\x00\x00\x00\x03" + "\x00".repeat(8)));
      const { frame, last } = await c.waitFrame(T.GOAWAY);
      if (frame === undefined) throw new CaseFailure(["GOAWAY(PROTOCOL_ERROR)"], show(last));
    },
  },
  {
    id: "http2/5.5/1",
    desc: "Sends an unknown extension frame",
    rfc: "RFC 9113 §5.5: unknown extension frames MUST be ignored",
    async run(c) {
      await c.handshake();
      await c.send(UNKNOWN_FRAME, ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "http2/5.5/2",
    desc: "Sends an unknown extension frame in the middle of a header block",
    rfc: "RFC 9113 §5.5: an extension frame inside a field block is a connection PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: true, endHeaders: false }),
        UNKNOWN_FRAME,
      );
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
];
