/**
 * h2spec's "generic" group (`generic/*.go`): a server accepts every ordinary
 * frame and HPACK representation. Each case ends in a response or a PING ACK.
 *
 * @module
 */

import {
  CaseFailure,
  show,
  verifyConnectionClose,
  verifyFrameType,
  verifyHeadersFrame,
  verifyPingAck,
  verifyPingAckOrClose,
  verifySettingsAck,
  verifyStreamClose,
} from "./client.ts";
import { type Case, commonHeaders, type Env, H2SPEC8, ZERO8 } from "./common.ts";
import {
  bytes,
  concat,
  continuation,
  data,
  E,
  encodeHeaders,
  goAway,
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

function get(env: Env, end = true): Uint8Array {
  return headers(1, encodeHeaders(commonHeaders(env)), { endStream: end });
}

function post(env: Env): Uint8Array {
  return headers(1, encodeHeaders(commonHeaders(env, "POST")), { endStream: false });
}

/** Sends the common GET with `rep` appended to its block; expects a response (RFC 7541 §6). */
function hpackAccepts(id: string, desc: string, rfc: string, rep: string, prepend = false): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      const common = encodeHeaders(commonHeaders(env));
      const block = prepend ? concat(bytes(rep), common) : concat(common, bytes(rep));
      await c.send(headers(1, block, { endStream: true }));
      await verifyHeadersFrame(c, 1);
    },
  };
}

/** The generic cases, in h2spec's order. */
export const GENERIC_CASES: Case[] = [
  {
    id: "generic/1/1",
    desc: "Sends a client connection preface",
    rfc: "RFC 9113 §3.4: the server connection preface is a SETTINGS frame, the first it sends",
    async run(c) {
      await c.send(PREFACE, settings([S.INITIAL_WINDOW_SIZE, 65_535]));
      const ev = await c.waitEvent();
      if (ev.kind === "frame" && ev.frame.type === T.SETTINGS && !(ev.frame.flags & 1)) return;
      throw new CaseFailure(["SETTINGS(flags=0x00) first"], show(ev));
    },
  },
  {
    id: "generic/2/1",
    desc: "Sends a PRIORITY frame on idle stream",
    rfc: "RFC 9113 §5.1: PRIORITY is allowed on an idle stream",
    async run(c) {
      await c.handshake();
      await c.send(priority(1, P255), ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "generic/2/2",
    desc: "Sends a WINDOW_UPDATE frame on half-closed (remote) stream",
    rfc: "RFC 9113 §5.1: WINDOW_UPDATE is allowed on a half-closed (remote) stream",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.INITIAL_WINDOW_SIZE, 0]), get(env), windowUpdate(1, 1));
      await verifyFrameType(c, T.DATA, "DATA");
    },
  },
  {
    id: "generic/2/3",
    desc: "Sends a PRIORITY frame on half-closed (remote) stream",
    rfc: "RFC 9113 §5.1: PRIORITY is allowed on a half-closed (remote) stream",
    async run(c, env) {
      await c.handshake();
      await c.send(
        settings([S.INITIAL_WINDOW_SIZE, 0]),
        get(env),
        priority(1, P255),
        windowUpdate(1, 1),
      );
      await verifyFrameType(c, T.DATA, "DATA");
    },
  },
  {
    id: "generic/2/4",
    desc: "Sends a RST_STREAM frame on half-closed (remote) stream",
    rfc: "RFC 9113 §5.1: RST_STREAM is allowed on a half-closed (remote) stream",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env), rstStream(1, E.CANCEL), ping(ZERO8));
      await verifyPingAckOrClose(c, ZERO8);
    },
  },
  {
    id: "generic/2/5",
    desc: "Sends a PRIORITY frame on closed stream",
    rfc: "RFC 9113 §5.1: PRIORITY is allowed on a closed stream",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env));
      await verifyStreamClose(c);
      await c.send(priority(1, P255), ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "generic/3.1/1",
    desc: "Sends a DATA frame",
    rfc: "RFC 9113 §6.1",
    async run(c, env) {
      await c.handshake();
      await c.send(post(env), data(1, "test", { endStream: true }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.1/2",
    desc: "Sends multiple DATA frames",
    rfc: "RFC 9113 §6.1",
    async run(c, env) {
      await c.handshake();
      await c.send(post(env), data(1, "test"), data(1, "test", { endStream: true }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.1/3",
    desc: "Sends a DATA frame with padding",
    rfc: "RFC 9113 §6.1: DATA frames MAY contain padding",
    async run(c, env) {
      await c.handshake();
      await c.send(post(env), data(1, "test", { endStream: true, pad: bytes("padded") }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.2/1",
    desc: "Sends a HEADERS frame",
    rfc: "RFC 9113 §6.2",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.2/2",
    desc: "Sends a HEADERS frame with padding",
    rfc: "RFC 9113 §6.2: HEADERS can include padding",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: true, padLength: 8 }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.2/3",
    desc: "Sends a HEADERS frame with priority",
    rfc: "RFC 9113 §6.2: PRIORITY flag fields",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: true, priority: P255 }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  ...([
    ["generic/3.3/1", "Sends a PRIORITY frame with priority 1", 1, { ...P255, weight: 0 }],
    ["generic/3.3/2", "Sends a PRIORITY frame with priority 256", 1, P255],
    ["generic/3.3/3", "Sends a PRIORITY frame with stream dependency", 3, {
      dependsOn: 1,
      exclusive: false,
      weight: 0,
    }],
    ["generic/3.3/4", "Sends a PRIORITY frame with exclusive", 1, {
      dependsOn: 0,
      exclusive: true,
      weight: 0,
    }],
    [
      "generic/3.3/5",
      "Sends a PRIORITY frame for an idle stream, then send a HEADER frame for a lower stream ID",
      3,
      P255,
    ],
  ] as const).map(([id, desc, stream, p]): Case => ({
    id,
    desc,
    rfc: "RFC 9113 §6.3: PRIORITY can be sent in any stream state",
    async run(c, env) {
      await c.handshake();
      await c.send(priority(stream, p), get(env));
      await verifyHeadersFrame(c, 1);
    },
  })),
  {
    id: "generic/3.4/1",
    desc: "Sends a RST_STREAM frame",
    rfc: "RFC 9113 §6.4",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env, false), rstStream(1, E.CANCEL), ping(ZERO8));
      await verifyPingAckOrClose(c, ZERO8);
    },
  },
  {
    id: "generic/3.5/1",
    desc: "Sends a SETTINGS frame",
    rfc: "RFC 9113 §6.5.3: the recipient MUST immediately emit a SETTINGS ACK",
    async run(c) {
      await c.handshake();
      await c.send(settings(
        [S.HEADER_TABLE_SIZE, 4096],
        [S.ENABLE_PUSH, 1],
        [S.MAX_CONCURRENT_STREAMS, 100],
        [S.INITIAL_WINDOW_SIZE, 65_535],
        [S.MAX_FRAME_SIZE, 16_384],
        [S.MAX_HEADER_LIST_SIZE, 100],
      ));
      await verifySettingsAck(c);
    },
  },
  {
    id: "generic/3.7/1",
    desc: "Sends a PING frame",
    rfc: "RFC 9113 §6.7: PING is answered with an ACK carrying the same payload",
    async run(c) {
      await c.handshake();
      await c.send(ping(H2SPEC8));
      await verifyPingAck(c, H2SPEC8);
    },
  },
  {
    id: "generic/3.8/1",
    desc: "Sends a GOAWAY frame",
    rfc: "RFC 9113 §6.8: GOAWAY(0, NO_ERROR) with no streams: the server closes",
    async run(c) {
      await c.handshake();
      await c.send(goAway(0, E.NO_ERROR, "h2spec"));
      await verifyConnectionClose(c);
    },
  },
  {
    id: "generic/3.9/1",
    desc: "Sends a WINDOW_UPDATE frame with stream ID 0",
    rfc: "RFC 9113 §6.9",
    async run(c) {
      await c.handshake();
      await c.send(windowUpdate(0, 1), ping(ZERO8));
      await verifyPingAck(c, ZERO8);
    },
  },
  {
    id: "generic/3.9/2",
    desc: "Sends a WINDOW_UPDATE frame with stream ID 1",
    rfc: "RFC 9113 §6.9",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env), windowUpdate(1, 1));
      await verifyFrameType(c, T.HEADERS, "HEADERS");
    },
  },
  {
    id: "generic/3.10/1",
    desc: "Sends a CONTINUATION frame",
    rfc: "RFC 9113 §6.10",
    async run(c, env) {
      await c.handshake();
      const block = encodeHeaders(commonHeaders(env));
      await c.send(
        headers(1, block.subarray(0, 5), { endStream: true, endHeaders: false }),
        continuation(1, block.subarray(5), true),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/3.10/2",
    desc: "Sends multiple CONTINUATION frames",
    rfc: "RFC 9113 §6.10",
    async run(c, env) {
      await c.handshake();
      const block = encodeHeaders(commonHeaders(env));
      await c.send(
        headers(1, block.subarray(0, 5), { endStream: true, endHeaders: false }),
        continuation(1, block.subarray(5, 10), false),
        continuation(1, block.subarray(10), true),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/4/1",
    desc: "Sends a GET request",
    rfc: "RFC 9113 §8.1",
    async run(c, env) {
      await c.handshake();
      await c.send(get(env));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/4/2",
    desc: "Sends a HEAD request",
    rfc: "RFC 9113 §8.1",
    async run(c, env) {
      await c.handshake();
      await c.send(headers(1, encodeHeaders(commonHeaders(env, "HEAD")), { endStream: true }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/4/3",
    desc: "Sends a POST request",
    rfc: "RFC 9113 §8.1",
    async run(c, env) {
      await c.handshake();
      await c.send(post(env), data(1, "test", { endStream: true }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "generic/4/4",
    desc: "Sends a POST request with trailers",
    rfc: "RFC 9113 §8.1: trailers end the request",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders([...commonHeaders(env, "POST"), ["trailer", "x-test"]]), {
          endStream: false,
        }),
        data(1, "test"),
        headers(1, encodeHeaders([["x-test", "ok"]]), { endStream: true }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  hpackAccepts(
    "generic/5/1",
    "Sends a indexed header field representation",
    "RFC 7541 §6.1",
    "\xba",
  ),
  hpackAccepts(
    "generic/5/2",
    "Sends a literal header field with incremental indexing - indexed name",
    "RFC 7541 §6.2.1",
    "\x40\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/3",
    "Sends a literal header field with incremental indexing - indexed name (with Huffman coding)",
    "RFC 7541 §6.2.1",
    "\x40\x0a\x75\x73\x65\x72\x2d\x61\x67\x65\x6e\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/4",
    "Sends a literal header field with incremental indexing - new name",
    "RFC 7541 §6.2.1",
    "\x40\x06\x78\x2d\x74\x65\x73\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/5",
    "Sends a literal header field with incremental indexing - new name (with Huffman coding)",
    "RFC 7541 §6.2.1",
    "\x40\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/6",
    "Sends a literal header field without indexing - indexed name",
    "RFC 7541 §6.2.2",
    "\x00\x0a\x75\x73\x65\x72\x2d\x61\x67\x65\x6e\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/7",
    "Sends a literal header field without indexing - indexed name (with Huffman coding)",
    "RFC 7541 §6.2.2",
    "\x00\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/8",
    "Sends a literal header field without indexing - new name",
    "RFC 7541 §6.2.2",
    "\x00\x06\x78\x2d\x74\x65\x73\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/9",
    "Sends a literal header field without indexing - new name (huffman encoded)",
    "RFC 7541 §6.2.2",
    "\x00\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/10",
    "Sends a literal header field never indexed - indexed name",
    "RFC 7541 §6.2.3",
    "\x10\x0a\x75\x73\x65\x72\x2d\x61\x67\x65\x6e\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/11",
    "Sends a literal header field never indexed - indexed name (huffman encoded)",
    "RFC 7541 §6.2.3",
    "\x10\x87\xb5\x05\xb1\x61\xcc\x5a\x93\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/12",
    "Sends a literal header field never indexed - new name",
    "RFC 7541 §6.2.3",
    "\x10\x06\x78\x2d\x74\x65\x73\x74\x06\x68\x32\x73\x70\x65\x63",
  ),
  hpackAccepts(
    "generic/5/13",
    "Sends a literal header field never indexed - new name (huffman encoded)",
    "RFC 7541 §6.2.3",
    "\x10\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
  ),
  hpackAccepts(
    "generic/5/14",
    "Sends a dynamic table size update",
    "RFC 7541 §6.3",
    "\x20",
    true,
  ),
  hpackAccepts(
    "generic/5/15",
    "Sends multiple dynamic table size update",
    "RFC 7541 §4.2: two updates (0, then 4096) at the start of a block",
    "\x20\x3f\xe1\x1f",
    true,
  ),
];
