/**
 * Cases h2spec does not have, in the same style: RFC 9113 rules that are new
 * or sharper than RFC 7540 (§3.4 first frame, §8.2.1 field validity, §8.5
 * CONNECT), the "where RFC 9113 wins" promises of API.md §5 (frame size
 * checked before the payload, stream-scoped errors leave the connection
 * usable), HPACK dynamic-table state across requests (RFC 7541 §2.3, §4),
 * the server's HPACK encoder after SETTINGS_HEADER_TABLE_SIZE, and the
 * server's send-side flow control.
 *
 * @module
 */

import {
  CaseFailure,
  type RawConn,
  show,
  verifyConnectionClose,
  verifyConnectionError,
  verifyHeadersFrame,
  verifyPingAck,
  verifySettingsAck,
  verifyStreamClose,
  verifyStreamError,
} from "./client.ts";
import { type Case, commonHeaders, type Env, H2SPEC8, ZERO8 } from "./common.ts";
import {
  bytes,
  concat,
  data,
  describe,
  E,
  encodeHeaders,
  errorName,
  type Field,
  frame,
  frameErrorCode,
  goAway,
  headers,
  hpackString,
  ping,
  PREFACE,
  rstStream,
  S,
  settings,
  T,
  windowUpdate,
} from "./wire.ts";

function malformed(id: string, desc: string, rfc: string, fields: (env: Env) => Field[]): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      await c.send(headers(1, encodeHeaders(fields(env)), { endStream: true }));
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  };
}

/** Waits for the RST_STREAM/GOAWAY of a stream error, then proves the connection still works. */
async function streamErrorThenPing(c: RawConn, codes: number[]): Promise<void> {
  const { frame: rst, last } = await c.waitFrame(T.RST_STREAM, (f) => f.streamId !== 0);
  if (rst === undefined || !codes.includes(frameErrorCode(rst))) {
    throw new CaseFailure(
      [`RST_STREAM(${codes.map(errorName).join("|")}) and the connection stays open`],
      rst !== undefined ? describe(rst) : show(last),
    );
  }
  await c.send(ping(ZERO8));
  await verifyPingAck(c, ZERO8);
}

/** The response body of `streamId` (DATA until END_STREAM), as text. */
async function responseBody(c: RawConn, streamId: number): Promise<string> {
  const parts: Uint8Array[] = [];
  while (!c.closed) {
    const ev = await c.waitEvent();
    if (ev.kind !== "frame") {
      throw new CaseFailure([`DATA(stream=${streamId}, END_STREAM)`], show(ev));
    }
    const f = ev.frame;
    if (f.type === T.RST_STREAM || f.type === T.GOAWAY) {
      throw new CaseFailure([`response on stream ${streamId}`], describe(f));
    }
    if (f.type === T.DATA && f.streamId === streamId) {
      parts.push(f.payload);
      if (f.flags & 1) return new TextDecoder().decode(concat(...parts));
    }
  }
  throw new CaseFailure([`DATA(stream=${streamId}, END_STREAM)`], "Connection closed");
}

/** Literal with incremental indexing, new name (RFC 7541 §6.2.1), no Huffman. */
function indexed(name: string, value: string): Uint8Array {
  return concat(Uint8Array.of(0x40), hpackString(name), hpackString(value));
}

/** Cases beyond h2spec's list. */
export const EXTRA_CASES: Case[] = [
  {
    id: "extra/3.4/1",
    desc: "Sends a PING frame instead of SETTINGS right after the preface",
    rfc: "RFC 9113 §3.4: the preface MUST be followed by SETTINGS; else connection PROTOCOL_ERROR",
    async run(c) {
      await c.send(PREFACE, ping(ZERO8));
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "extra/3.4/2",
    desc:
      'Sends a preface that differs from "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" in its last line',
    rfc: "RFC 9113 §3.4: an invalid preface is a connection error; the connection ends",
    async run(c) {
      await c.send(bytes("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"), settings());
      await verifyConnectionClose(c);
    },
  },
  {
    id: "extra/4.2/1",
    desc: "Sends only the 9-octet header of a DATA frame larger than SETTINGS_MAX_FRAME_SIZE",
    rfc: "RFC 9113 §4.2 (API.md §5): FRAME_SIZE_ERROR at once, without waiting for the payload",
    async run(c, env) {
      await c.handshake();
      const head = frame(T.DATA, 0, 1).subarray(0, 9);
      const size = c.maxFrameSize + 1;
      head[0] = size >>> 16 & 0xff;
      head[1] = size >>> 8 & 0xff;
      head[2] = size & 0xff;
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env, "POST")), { endStream: false }),
        head,
      );
      await verifyStreamError(c, E.FRAME_SIZE_ERROR);
    },
  },
  {
    id: "extra/5.1.2/1",
    desc: "Exceeds MAX_CONCURRENT_STREAMS, then sends a PING",
    rfc: "RFC 9113 §5.1.2 (API.md §5): the refusal is a stream error; the connection stays usable",
    async run(c, env) {
      await c.handshake();
      const max = c.settings.get(S.MAX_CONCURRENT_STREAMS);
      if (max === undefined) {
        throw new CaseFailure(["SETTINGS_MAX_CONCURRENT_STREAMS advertised"], "unlimited");
      }
      const block = encodeHeaders(commonHeaders(env));
      const frames = [settings([S.INITIAL_WINDOW_SIZE, 0])];
      for (let i = 0; i <= max; i++) frames.push(headers(1 + 2 * i, block, { endStream: true }));
      await c.send(...frames);
      await streamErrorThenPing(c, [E.REFUSED_STREAM, E.PROTOCOL_ERROR]);
    },
  },
  {
    id: "extra/6.9/1",
    desc: "Sends WINDOW_UPDATE with increment 0 on a stream, then a PING",
    rfc: "RFC 9113 §6.9 (API.md §5): a stream error only; the connection stays usable",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: false }),
        windowUpdate(1, 0),
      );
      await streamErrorThenPing(c, [E.PROTOCOL_ERROR]);
    },
  },
  {
    id: "extra/5.4.1/1",
    desc: "Completes stream 1, then sends a PING on stream 3",
    rfc: "RFC 9113 §6.8: the error GOAWAY names the last stream processed (1)",
    async run(c, env) {
      await c.handshake();
      await c.send(headers(1, encodeHeaders(commonHeaders(env)), { endStream: true }));
      await verifyStreamClose(c);
      await c.send(bytes("\x00\x00\x08\x06\x00\x00\x00\x00\x03" + "\x00".repeat(8)));
      const { frame: g, last } = await c.waitFrame(T.GOAWAY);
      const lastId = g === undefined
        ? -1
        : new DataView(g.payload.buffer, g.payload.byteOffset).getUint32(0) & 0x7fff_ffff;
      if (g !== undefined && frameErrorCode(g) === E.PROTOCOL_ERROR && lastId === 1) return;
      throw new CaseFailure(
        ["GOAWAY(last_stream_id=1, PROTOCOL_ERROR)"],
        g !== undefined ? describe(g) : show(last),
      );
    },
  },
  {
    id: "extra/6.8/1",
    desc: "Sends a request and GOAWAY(0, NO_ERROR) together",
    rfc: "RFC 9113 §6.8: the client's GOAWAY does not cancel streams the client opened",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env)), { endStream: true }),
        goAway(0, E.NO_ERROR),
      );
      await verifyHeadersFrame(c, 1);
      await verifyStreamClose(c);
    },
  },
  {
    id: "extra/8.1.1/1",
    desc: 'Sends HEADERS with END_STREAM and "content-length: 4"',
    rfc: "RFC 9113 §8.1.1: content-length ≠ the (empty) body is malformed",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders([...commonHeaders(env, "POST"), ["content-length", "4"]]), {
          endStream: true,
        }),
      );
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  },
  malformed(
    "extra/8.2.1/1",
    "Sends a field value containing LF",
    "RFC 9113 §8.2.1: a value MUST NOT contain NUL, LF or CR; such a request is malformed",
    (env) => [...commonHeaders(env), ["x-test", "a\nb"]],
  ),
  malformed(
    "extra/8.2.1/2",
    "Sends a field value containing CR",
    "RFC 9113 §8.2.1: a value MUST NOT contain NUL, LF or CR; such a request is malformed",
    (env) => [...commonHeaders(env), ["x-test", "a\rb"]],
  ),
  malformed(
    "extra/8.2.1/3",
    "Sends a field value containing NUL",
    "RFC 9113 §8.2.1: a value MUST NOT contain NUL, LF or CR; such a request is malformed",
    (env) => [...commonHeaders(env), ["x-test", "a\0b"]],
  ),
  malformed(
    "extra/8.2.1/4",
    "Sends a field value with leading whitespace",
    "RFC 9113 §8.2.1: a value MUST NOT start or end with whitespace; malformed",
    (env) => [...commonHeaders(env), ["x-test", " ok"]],
  ),
  malformed(
    "extra/8.2.1/5",
    "Sends a field name containing a space",
    "RFC 9113 §8.2.1: a name MUST NOT contain 0x00-0x20; malformed",
    (env) => [...commonHeaders(env), ["x test", "ok"]],
  ),
  malformed(
    "extra/8.2.1/6",
    "Sends an empty field name",
    "RFC 9113 §8.2.1 / RFC 9110 §5.1: a field name is a non-empty token; malformed",
    (env) => [...commonHeaders(env), ["", "ok"]],
  ),
  {
    id: "extra/8.2.2/1",
    desc: 'Sends "te: trailers"',
    rfc: 'RFC 9113 §8.2.2: TE with the value "trailers" is allowed',
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders([...commonHeaders(env), ["te", "trailers"]]), {
          endStream: true,
        }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
  malformed(
    "extra/8.5/1",
    'Sends a CONNECT request with ":scheme" and ":path"',
    'RFC 9113 §8.5: CONNECT MUST omit ":scheme" and ":path"; malformed',
    (env) => commonHeaders(env, "CONNECT"),
  ),
  malformed(
    "extra/8.5/2",
    'Sends a CONNECT request without ":authority"',
    'RFC 9113 §8.5: CONNECT MUST include ":authority"; malformed',
    () => [[":method", "CONNECT"]],
  ),
  {
    id: "extra/hpack/1",
    desc: "Indexes a field in request 1, refers to it by index 62 in request 3",
    rfc: "RFC 7541 §2.3.2, §6.2.1: dynamic-table entries persist across field blocks",
    async run(c, env) {
      await c.handshake();
      const common = encodeHeaders(commonHeaders(env));
      await c.send(headers(1, concat(common, indexed("x-conformance", "dyn-1")), {
        endStream: true,
      }));
      const first = await responseBody(c, 1);
      // 0xbe: indexed field 62, the newest dynamic entry.
      await c.send(headers(3, concat(common, bytes("\xbe")), { endStream: true }));
      const second = await responseBody(c, 3);
      for (const [n, body] of [[1, first], [3, second]] as const) {
        const echoed = JSON.parse(body) as Record<string, string>;
        if (echoed["x-conformance"] !== "dyn-1") {
          throw new CaseFailure([`stream ${n} echoes "x-conformance": "dyn-1"`], body);
        }
      }
    },
  },
  {
    id: "extra/hpack/2",
    desc: "Evicts the dynamic table with a size update to 0, then refers to index 62",
    rfc: "RFC 7541 §4.3, §2.3.3: the entry is gone; the index is a decoding error",
    async run(c, env) {
      await c.handshake();
      const common = encodeHeaders(commonHeaders(env));
      await c.send(headers(1, concat(common, indexed("x-conformance", "dyn-2")), {
        endStream: true,
      }));
      await responseBody(c, 1);
      await c.send(headers(3, concat(bytes("\x20"), common, bytes("\xbe")), { endStream: true }));
      await verifyConnectionError(c, E.COMPRESSION_ERROR);
    },
  },
  {
    id: "extra/hpack/3",
    desc: "Sets SETTINGS_HEADER_TABLE_SIZE to 0, then sends a request",
    rfc: "RFC 7541 §4.2: the server's next field block MUST start with a size update ≤ 0",
    async run(c, env) {
      await c.handshake();
      await c.send(settings([S.HEADER_TABLE_SIZE, 0]));
      await verifySettingsAck(c);
      await c.send(headers(1, encodeHeaders(commonHeaders(env)), { endStream: true }));
      const { frame: h, last } = await c.waitFrame(T.HEADERS, (f) => f.streamId === 1);
      if (h === undefined) throw new CaseFailure(["HEADERS(stream=1)"], show(last));
      let at = 0;
      if (h.flags & 0x8) at += 1; // PADDED: pad length octet
      if (h.flags & 0x20) at += 5; // PRIORITY fields
      const first = h.payload[at];
      // 0x20: "001" size-update prefix with a 5-bit value of 0.
      if (first === 0x20) return;
      throw new CaseFailure(
        ["response field block starting with a dynamic table size update to 0 (0x20)"],
        `first octet 0x${first?.toString(16)}`,
      );
    },
  },
  {
    id: "extra/6.9.1/1",
    desc: "Requests 100000 octets without WINDOW_UPDATE, then opens the windows",
    rfc: "RFC 9113 §6.9.1, §4.2: ≤ 65535 octets before WINDOW_UPDATE; no DATA over MAX_FRAME_SIZE",
    async run(c, env) {
      await c.handshake();
      const fields = commonHeaders(env).map(([n, v]): Field => [
        n,
        n === ":path" ? "/bytes/100000" : v,
      ]);
      await c.send(headers(1, encodeHeaders(fields), { endStream: true }));
      let received = 0;
      let opened = false;
      while (true) {
        const ev = await c.waitEvent(opened ? 2_000 : 500);
        if (ev.kind === "timeout" && !opened) {
          // The server stopped: exactly the initial windows' worth must have arrived.
          if (received !== 65_535) {
            throw new CaseFailure(
              ["65535 octets, then a pause"],
              `${received} octets, then a pause`,
            );
          }
          c.closed = false; // our own pause, not the end of the case
          await c.send(windowUpdate(0, 100_000), windowUpdate(1, 100_000));
          opened = true;
          continue;
        }
        if (ev.kind !== "frame") throw new CaseFailure(["DATA until END_STREAM"], show(ev));
        const f = ev.frame;
        if (f.type !== T.DATA || f.streamId !== 1) continue;
        if (f.payload.length > 16_384) {
          throw new CaseFailure(["DATA ≤ 16384 octets (our MAX_FRAME_SIZE)"], describe(f));
        }
        received += f.payload.length;
        if (received > 65_535 && !opened) {
          throw new CaseFailure(["at most 65535 octets before WINDOW_UPDATE"], `${received}`);
        }
        if (f.flags & 1) break;
      }
      if (received !== 100_000) throw new CaseFailure(["100000 octets"], `${received}`);
    },
  },
  {
    id: "extra/6.2/1",
    desc: "Sends a HEADERS frame with both PADDED and PRIORITY",
    rfc: "RFC 9113 §6.2: Pad Length, then the priority fields, then the block, then padding",
    async run(c, env) {
      await c.handshake();
      await c.send(headers(1, encodeHeaders(commonHeaders(env)), {
        endStream: true,
        padLength: 17,
        priority: { dependsOn: 0, exclusive: true, weight: 200 },
      }));
      await verifyHeadersFrame(c, 1);
    },
  },
  {
    id: "extra/6.4/1",
    desc: "Resets a large download after its first DATA frame, then sends a PING",
    rfc: "RFC 9113 §5.1 closed: after RST_STREAM the server sends no more DATA on the stream",
    async run(c, env) {
      await c.handshake();
      const fields = commonHeaders(env).map(([n, v]): Field => [
        n,
        n === ":path" ? "/bytes/1000000" : v,
      ]);
      // Open both windows wide, so only the RST_STREAM can stop the server.
      await c.send(
        settings([S.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]),
        windowUpdate(0, 2 ** 31 - 1 - 65_535),
        headers(1, encodeHeaders(fields), { endStream: true }),
      );
      const { frame: first, last } = await c.waitFrame(T.DATA, (f) => f.streamId === 1);
      if (first === undefined) throw new CaseFailure(["DATA(stream=1)"], show(last));
      await c.send(rstStream(1, E.CANCEL), ping(H2SPEC8));
      // Frames the server queued before reading the RST may still come, up to the PING ACK.
      await verifyPingAck(c, H2SPEC8);
      while (true) {
        const ev = await c.waitEvent(500);
        if (ev.kind === "timeout") return;
        if (ev.kind === "closed") throw new CaseFailure(["connection stays open"], show(ev));
        if (ev.frame.streamId === 1 && ev.frame.type !== T.PRIORITY) {
          throw new CaseFailure(
            ["nothing more on stream 1 after the PING ACK"],
            describe(ev.frame),
          );
        }
      }
    },
  },
  {
    id: "extra/6.1/1",
    desc: "Sends a DATA frame with padding only (pad length = payload length - 1)",
    rfc: "RFC 9113 §6.1: a pad length equal to the rest of the payload is valid (empty data)",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env, "POST")), { endStream: false }),
        data(1, "", { endStream: true, pad: new Uint8Array(7) }),
      );
      await verifyHeadersFrame(c, 1);
    },
  },
];
