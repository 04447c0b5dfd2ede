/**
 * h2spec's "http2" group, §7 (error codes) and §8 (HTTP message exchanges,
 * RFC 7540 §8.1.2.x — in RFC 9113 §8.1, §8.2, §8.3 — and server push), plus
 * the "hpack" group (`hpack/*.go`, RFC 7541).
 *
 * @module
 */

import {
  verifyConnectionClose,
  verifyConnectionError,
  verifyPingAck,
  verifyStreamError,
} from "./client.ts";
import { type Case, commonHeaders, type Env, ZERO8 } from "./common.ts";
import {
  bytes,
  concat,
  data,
  E,
  encodeHeaders,
  type Field,
  goAway,
  headers,
  hpackInt,
  ping,
  pushPromise,
  rstStream,
  S,
} from "./wire.ts";

/** A request whose field list is `fields(env)`; expects a stream PROTOCOL_ERROR (malformed). */
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

/** POST headers, DATA "test", then a second field block `trailer` (END_STREAM as given). */
function withTrailer(
  id: string,
  desc: string,
  rfc: string,
  trailer: Field[],
  endStream: boolean,
): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env, "POST")), { endStream: false }),
        data(1, "test"),
        headers(1, encodeHeaders(trailer), { endStream }),
      );
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  };
}

/** The common GET with `rep` appended (or prepended) to its block; expects COMPRESSION_ERROR. */
function hpackError(
  id: string,
  desc: string,
  rfc: string,
  rep: (c: { settings: Map<number, number> }) => Uint8Array,
  prepend = false,
): Case {
  return {
    id,
    desc,
    rfc,
    async run(c, env) {
      await c.handshake();
      const common = encodeHeaders(commonHeaders(env));
      const extra = rep(c);
      await c.send(
        headers(1, prepend ? concat(extra, common) : concat(common, extra), { endStream: true }),
      );
      await verifyConnectionError(c, E.COMPRESSION_ERROR);
    },
  };
}

function without(env: Env, name: string): Field[] {
  return commonHeaders(env).filter(([n]) => n !== name);
}

/** §7, §8 and the hpack group. */
export const HTTP2_MESSAGE_CASES: Case[] = [
  {
    id: "http2/7/1",
    desc: "Sends a GOAWAY frame with unknown error code",
    rfc: "RFC 9113 §7: unknown error codes MUST NOT trigger special behaviour",
    async run(c) {
      await c.handshake();
      await c.send(goAway(0, 0xff));
      await verifyConnectionClose(c);
    },
  },
  {
    id: "http2/7/2",
    desc: "Sends a RST_STREAM frame with unknown error code",
    rfc: "RFC 9113 §7: unknown error codes MUST NOT trigger special behaviour",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders(commonHeaders(env, "POST")), { endStream: false }),
        rstStream(1, 0xff),
        ping(ZERO8),
      );
      await verifyPingAck(c, ZERO8);
    },
  },
  withTrailer(
    "http2/8.1/1",
    "Sends a second HEADERS frame without the END_STREAM flag",
    "RFC 9113 §8.1: a trailer section without END_STREAM makes the request malformed",
    [["x-test", "ok"]],
    false,
  ),
  malformed(
    "http2/8.1.2/1",
    "Sends a HEADERS frame that contains the header field name in uppercase letters",
    "RFC 9113 §8.2.1: uppercase field names are malformed",
    (env) => [...commonHeaders(env), ["X-TEST", "ok"]],
  ),
  malformed(
    "http2/8.1.2.1/1",
    "Sends a HEADERS frame that contains a unknown pseudo-header field",
    "RFC 9113 §8.3: undefined pseudo-header fields are malformed",
    (env) => [...commonHeaders(env), [":test", "ok"]],
  ),
  malformed(
    "http2/8.1.2.1/2",
    "Sends a HEADERS frame that contains the pseudo-header field defined for response",
    "RFC 9113 §8.3: response pseudo-header fields in a request are malformed",
    (env) => [...commonHeaders(env), [":status", "200"]],
  ),
  withTrailer(
    "http2/8.1.2.1/3",
    "Sends a HEADERS frame that contains a pseudo-header field as trailers",
    "RFC 9113 §8.1: pseudo-header fields MUST NOT appear in trailers",
    [[":method", "POST"]],
    true,
  ),
  malformed(
    "http2/8.1.2.1/4",
    "Sends a HEADERS frame that contains a pseudo-header field that appears in a header block after a regular header field",
    "RFC 9113 §8.3: pseudo-header fields after regular fields are malformed",
    (env) => [["x-test", "ok"], ...commonHeaders(env)],
  ),
  malformed(
    "http2/8.1.2.2/1",
    "Sends a HEADERS frame that contains the connection-specific header field",
    "RFC 9113 §8.2.2: connection-specific fields are malformed",
    (env) => [...commonHeaders(env), ["connection", "keep-alive"]],
  ),
  malformed(
    "http2/8.1.2.2/2",
    'Sends a HEADERS frame that contains the TE header field with any value other than "trailers"',
    'RFC 9113 §8.2.2: TE other than "trailers" is malformed',
    (env) => [...commonHeaders(env), ["trailers", "test"], ["te", "trailers, deflate"]],
  ),
  malformed(
    "http2/8.1.2.3/1",
    'Sends a HEADERS frame with empty ":path" pseudo-header field',
    'RFC 9113 §8.3.1: ":path" MUST NOT be empty for "http" URIs',
    (env) => commonHeaders(env).map(([n, v]) => [n, n === ":path" ? "" : v] as Field),
  ),
  malformed(
    "http2/8.1.2.3/2",
    'Sends a HEADERS frame that omits ":method" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":method"',
    (env) => without(env, ":method"),
  ),
  malformed(
    "http2/8.1.2.3/3",
    'Sends a HEADERS frame that omits ":scheme" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":scheme"',
    (env) => without(env, ":scheme"),
  ),
  malformed(
    "http2/8.1.2.3/4",
    'Sends a HEADERS frame that omits ":path" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":path"',
    (env) => without(env, ":path"),
  ),
  malformed(
    "http2/8.1.2.3/5",
    'Sends a HEADERS frame with duplicated ":method" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":method"',
    (env) => [...commonHeaders(env), [":method", "GET"]],
  ),
  malformed(
    "http2/8.1.2.3/6",
    'Sends a HEADERS frame with duplicated ":scheme" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":scheme"',
    (env) => [...commonHeaders(env), [":scheme", env.scheme]],
  ),
  malformed(
    "http2/8.1.2.3/7",
    'Sends a HEADERS frame with duplicated ":path" pseudo-header field',
    'RFC 9113 §8.3.1: exactly one ":path"',
    (env) => [...commonHeaders(env), [":path", "/"]],
  ),
  {
    id: "http2/8.1.2.6/1",
    desc:
      'Sends a HEADERS frame with the "content-length" header field which does not equal the DATA frame payload length',
    rfc: "RFC 9113 §8.1.1: content-length ≠ DATA length is malformed (stream PROTOCOL_ERROR)",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders([...commonHeaders(env, "POST"), ["content-length", "1"]]), {
          endStream: false,
        }),
        data(1, "test", { endStream: true }),
      );
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/8.1.2.6/2",
    desc:
      'Sends a HEADERS frame with the "content-length" header field which does not equal the sum of the multiple DATA frames payload length',
    rfc: "RFC 9113 §8.1.1: content-length ≠ sum of DATA lengths is malformed",
    async run(c, env) {
      await c.handshake();
      await c.send(
        headers(1, encodeHeaders([...commonHeaders(env, "POST"), ["content-length", "1"]]), {
          endStream: false,
        }),
        data(1, "test"),
        data(1, "test", { endStream: true }),
      );
      await verifyStreamError(c, E.PROTOCOL_ERROR);
    },
  },
  {
    id: "http2/8.2/1",
    desc: "Sends a PUSH_PROMISE frame",
    rfc: "RFC 9113 §8.4: a server receiving PUSH_PROMISE → connection PROTOCOL_ERROR",
    async run(c, env) {
      await c.handshake();
      await c.send(pushPromise(1, 3, encodeHeaders(commonHeaders(env))));
      await verifyConnectionError(c, E.PROTOCOL_ERROR);
    },
  },
  // hpack group
  hpackError(
    "hpack/2.3.3/1",
    "Sends a indexed header field representation with invalid index",
    "RFC 7541 §2.3.3: an index beyond both tables is a decoding error",
    () => bytes("\xfe"), // indexed, index 126
  ),
  hpackError(
    "hpack/2.3.3/2",
    "Sends a literal header field representation with invalid index",
    "RFC 7541 §2.3.3: a name index beyond both tables is a decoding error",
    () => bytes("\x7f\x3f\x01a"), // literal with incremental indexing, name index 126
  ),
  hpackError(
    "hpack/4.2/1",
    "Sends a dynamic table size update at the end of header block",
    "RFC 7541 §4.2: a size update MUST occur at the beginning of a field block",
    () => bytes("\x21"),
  ),
  hpackError(
    "hpack/5.2/1",
    "Sends a Huffman-encoded string literal representation with padding longer than 7 bits",
    "RFC 7541 §5.2: padding longer than 7 bits is a decoding error",
    () => bytes("\x00\x85\xf2\xb2\x4a\x84\xff\x84\x49\x50\x9f\xff"),
  ),
  hpackError(
    "hpack/5.2/2",
    "Sends a Huffman-encoded string literal representation padded by zero",
    "RFC 7541 §5.2: padding not matching the EOS prefix is a decoding error",
    () => bytes("\x00\x85\xf2\xb2\x4a\x84\xff\x83\x49\x50\x90"),
  ),
  hpackError(
    "hpack/5.2/3",
    "Sends a Huffman-encoded string literal representation containing the EOS symbol",
    "RFC 7541 §5.2: a string containing EOS is a decoding error",
    () => bytes("\x00\x85\xf2\xb2\x4a\x87\xff\xff\xff\xfd\x25\x42\x7f"),
  ),
  hpackError(
    "hpack/6.1/1",
    "Sends a indexed header field representation with index 0",
    "RFC 7541 §6.1: index 0 is a decoding error",
    () => bytes("\x80"),
  ),
  hpackError(
    "hpack/6.3/1",
    "Sends a dynamic table size update larger than the value of SETTINGS_HEADER_TABLE_SIZE",
    "RFC 7541 §6.3: a size update above SETTINGS_HEADER_TABLE_SIZE is a decoding error",
    (c) => hpackInt((c.settings.get(S.HEADER_TABLE_SIZE) ?? 4096) + 1, 5, 0x20),
    true,
  ),
];
