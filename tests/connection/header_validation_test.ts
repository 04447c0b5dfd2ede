// RFC 9113 §8.1.1, §8.2, §8.3: malformed requests and responses are stream
// errors of type PROTOCOL_ERROR; the connection (and its HPACK state) lives on.
import assert from "node:assert/strict";
import { bytes, type Field, frames, hpack } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

const M = ":method", S = ":scheme", P = ":path", A = ":authority";
const base: Field[] = [[M, "GET"], [S, "https"], [P, "/"], [A, "example.com"]];
const without = (name: string): Field[] => base.filter(([n]) => n !== name);

const BAD_REQUESTS: [string, Field[]][] = [
  // §8.2.1 field names and values
  ["an uppercase field name", [...base, ["X-Upper", "1"]]],
  ["an empty field name", [...base, ["", "v"]]],
  ["a space in a field name", [...base, ["x y", "1"]]],
  ["a colon inside a field name", [...base, ["x:y", "1"]]],
  ["DEL in a field name", [...base, ["x\x7f", "1"]]],
  ["CR in a field value", [...base, ["x", "a\rb"]]],
  ["LF in a field value", [...base, ["x", "a\nb"]]],
  ["NUL in a field value", [...base, ["x", "a\x00b"]]],
  ["a leading space in a field value", [...base, ["x", " a"]]],
  ["a trailing tab in a field value", [...base, ["x", "a\t"]]],
  // §8.2.2 connection-specific fields
  ["connection", [...base, ["connection", "keep-alive"]]],
  ["keep-alive", [...base, ["keep-alive", "timeout=5"]]],
  ["proxy-connection", [...base, ["proxy-connection", "keep-alive"]]],
  ["transfer-encoding", [...base, ["transfer-encoding", "chunked"]]],
  ["upgrade", [...base, ["upgrade", "h2c"]]],
  ["te other than trailers", [...base, ["te", "gzip"]]],
  // §8.3 pseudo-header fields
  ["a pseudo-header after a regular field", [[M, "GET"], [S, "https"], ["x", "1"], [P, "/"], [
    A,
    "a",
  ]]],
  ["a duplicated :method", [...base, [M, "POST"]]],
  ["a duplicated :path", [...base, [P, "/again"]]],
  ["an unknown pseudo-header", [...base, [":foo", "bar"]]],
  [":status in a request", [...base, [":status", "200"]]],
  ["no :method", without(M)],
  ["no :scheme", without(S)],
  ["no :path", without(P)],
  ["an empty :path", [[M, "GET"], [S, "https"], [P, ""], [A, "a"]]],
  ["CONNECT with :path", [[M, "CONNECT"], [A, "example.com:443"], [P, "/"]]],
  ["CONNECT with :scheme", [[M, "CONNECT"], [A, "example.com:443"], [S, "https"]]],
  ["CONNECT without :authority", [[M, "CONNECT"]]],
  [":protocol without CONNECT (RFC 8441 §4)", [...base, [":protocol", "websocket"]]],
  ["host disagreeing with :authority", [...base, ["host", "other.example"]]],
];

Deno.test("H2Connection (server) resets every malformed request with PROTOCOL_ERROR and keeps the connection (RFC 9113 §8.1.1)", async (t) => {
  // RFC 9113 §8.1.1: "Malformed requests or responses that are detected MUST be treated as a stream error (Section 5.4.2) of type PROTOCOL_ERROR."
  for (const [name, fields] of BAD_REQUESTS) {
    await t.step(name, () => {
      const peer = ready("server");
      // The bad block also adds an entry to the dynamic table: it must be decoded anyway (§4.3).
      const block = bytes(hpack.encode(fields), hpack.literalIndexed("x-sync", "yes"));
      peer.trySend(frames.headers(1).block(block).endStream());
      assert.ok(!peer.eventTypes().includes("RequestReceived"), `events ${peer.eventTypes()}`);
      peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
      // A following valid request refers to the entry the rejected block added.
      peer.send(frames.headers(3).block(hpack.encode(base), hpack.indexed(62)).endStream());
      const ev = peer.event("RequestReceived");
      assert.equal(ev.streamId, 3);
      assert.deepEqual(ev.headers.at(-1), ["x-sync", "yes"]);
    });
  }
});

Deno.test("H2Connection (server) accepts the valid edge cases of RFC 9113 §8.2 and §8.3", async (t) => {
  // RFC 9113 §8.2.2 (te: trailers), §8.3.1 (CONNECT with only :authority), empty values are allowed.
  const good: [string, Field[]][] = [
    ["te: trailers", [...base, ["te", "trailers"]]],
    ["an empty field value", [...base, ["x-empty", ""]]],
    ["a value with inner spaces and tabs", [...base, ["x", "a \t b"]]],
    ["CONNECT with only :method and :authority", [[M, "CONNECT"], [A, "example.com:443"]]],
    ["host equal to :authority", [...base, ["host", "example.com"]]],
    ["high octets in a value (obs-text)", [...base, ["x", "caf\xe9"]]],
  ];
  for (const [name, fields] of good) {
    await t.step(name, () => {
      const peer = ready("server");
      peer.send(frames.headers(1).fields(fields).endStream());
      assert.deepEqual(peer.event("RequestReceived").headers, fields);
      peer.expectIdle();
    });
  }
});

const BAD_RESPONSES: [string, Field[]][] = [
  ["no :status", [["content-type", "text/plain"]]],
  [":method in a response", [[":status", "200"], [M, "GET"]]],
  [":path in a response", [[":status", "200"], [P, "/"]]],
  ["a duplicated :status", [[":status", "200"], [":status", "204"]]],
  [":status after a regular field", [["x", "1"], [":status", "200"]]],
  ["an uppercase field name", [[":status", "200"], ["Content-Type", "a"]]],
  ["a connection-specific field", [[":status", "200"], ["connection", "close"]]],
  ["LF in a value", [[":status", "200"], ["x", "a\nb"]]],
  ["an unknown pseudo-header", [[":status", "200"], [":foo", "x"]]],
];

Deno.test("H2Connection (client) resets every malformed response with PROTOCOL_ERROR and keeps the connection (RFC 9113 §8.1.1)", async (t) => {
  // RFC 9113 §8.1.1: "Clients MUST NOT accept a malformed response."
  for (const [name, fields] of BAD_RESPONSES) {
    await t.step(name, () => {
      const peer = ready("client");
      peer.openStream(1, { endStream: true });
      peer.openStream(3, { endStream: true });
      peer.trySend(frames.headers(1).fields(fields).endStream());
      assert.ok(!peer.eventTypes().includes("ResponseReceived"), `events ${peer.eventTypes()}`);
      peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
      peer.send(frames.headers(3).response(200).endStream());
      assert.equal(peer.event("ResponseReceived").streamId, 3);
    });
  }
});

Deno.test("H2Connection joins inbound cookie fields with '; ' by default (RFC 9113 §8.2.3)", () => {
  // RFC 9113 §8.2.3: "these MUST be concatenated into a single octet string using the two-octet delimiter of 0x3b, 0x20"
  const peer = ready("server");
  peer.send(
    frames.headers(1).request("GET", "/", [["cookie", "a=1"], ["cookie", "b=2"]]).endStream(),
  );
  const cookies = peer.event("RequestReceived").headers.filter(([n]) => n === "cookie");
  assert.deepEqual(cookies, [["cookie", "a=1; b=2"]]);
});

Deno.test("H2Connection delivers malformed fields when validateInboundHeaders is off (python h2 option)", () => {
  // python h2 `validate_inbound_headers=False`; RFC 9113 §8.1.1 then becomes the application's job.
  const peer = ready("server", { conn: { validateInboundHeaders: false } });
  peer.send(frames.headers(1).request("GET", "/", [["X-Upper", "1"]]).endStream());
  assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["X-Upper", "1"]);
});

Deno.test("H2Connection refuses to send header fields with CR, LF or NUL (RFC 9113 §8.2.1)", async (t) => {
  // RFC 9113 §8.2.1: field values MUST NOT contain NUL, LF or CR; API.md §5: outbound fields are validated too.
  const bad: [string, Field][] = [
    ["CR", ["x", "a\rb"]],
    ["LF", ["x", "a\nb"]],
    ["NUL", ["x", "a\x00b"]],
    ["a space in a name", ["x y", "1"]],
  ];
  for (const [name, field] of bad) {
    await t.step(name, () => {
      const peer = ready("server");
      peer.openStream(1, { endStream: true });
      assert.throws(() =>
        peer.conn.sendHeaders(1, [[":status", "200"], field], { endStream: true })
      );
      peer.expectIdle();
    });
  }
  await t.step("a char above 0xff is a TypeError", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    assert.throws(() => peer.conn.sendHeaders(1, [[":status", "200"], ["x", "\u20ac"]]), TypeError);
    peer.expectIdle();
  });
});

Deno.test("H2Connection lowercases outbound names and drops connection-specific fields by default (python h2 normalisation)", () => {
  // RFC 9113 §8.2 (lowercase), §8.2.2 (connection-specific fields must not be sent); python h2 normalize_outbound_headers.
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"], ["Content-Type", "text/plain"], [
    "connection",
    "close",
  ]], {
    endStream: true,
  });
  peer.expect(frames.headers(1).response(200, [["content-type", "text/plain"]]).endStream());
});
