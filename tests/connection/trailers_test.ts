// RFC 9113 §8.1: trailer sections, both directions.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

Deno.test("H2Connection (server) reports a trailer block after the body as TrailersReceived with StreamEnded (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: "optionally, one HEADERS frame ... containing the trailer section"
  const peer = ready("server");
  peer.openStream(1);
  peer.send(frames.data(1, "body"), frames.headers(1).fields([["x-checksum", "abc"]]).endStream());
  assert.deepEqual(peer.eventTypes(), ["DataReceived", "TrailersReceived", "StreamEnded"]);
  const ev = peer.event("TrailersReceived");
  assert.deepEqual(ev.headers, [["x-checksum", "abc"]]);
  assert.equal(ev.streamEnded?.streamId, 1);
});

Deno.test("H2Connection (client) reports response trailers as TrailersReceived (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(
    frames.headers(1).response(200),
    frames.data(1, "x"),
    frames.headers(1).fields([["grpc-status", "0"]]).endStream(),
  );
  assert.deepEqual(peer.eventTypes(), [
    "ResponseReceived",
    "DataReceived",
    "TrailersReceived",
    "StreamEnded",
  ]);
});

Deno.test("H2Connection rejects malformed trailers as stream PROTOCOL_ERROR (RFC 9113 §8.1)", async (t) => {
  // RFC 9113 §8.1: trailers carry END_STREAM and no pseudo-header fields; otherwise the message is malformed.
  const cases: [string, () => Uint8Array][] = [
    ["trailers without END_STREAM", () => frames.headers(1).fields([["x-t", "1"]]).toBytes()],
    [
      "a pseudo-header in trailers",
      () => frames.headers(1).fields([[":path", "/"], ["x-t", "1"]]).endStream().toBytes(),
    ],
    [
      "an uppercase name in trailers",
      () => frames.headers(1).fields([["X-T", "1"]]).endStream().toBytes(),
    ],
  ];
  for (const role of ["server", "client"] as const) {
    for (const [name, make] of cases) {
      await t.step(`${role}: ${name}`, () => {
        const peer = ready(role);
        peer.openStream(1);
        if (role === "client") peer.send(frames.headers(1).response(200));
        peer.trySend(make());
        peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
      });
    }
  }
});

Deno.test("H2Connection sends trailers as a final HEADERS with END_STREAM and refuses trailers without it (RFC 9113 §8.1)", async (t) => {
  // RFC 9113 §8.1: the trailer section ends the stream.
  await t.step("server", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.conn.sendHeaders(1, [[":status", "200"]]);
    peer.conn.sendData(1, new TextEncoder().encode("x"));
    assert.throws(() => peer.conn.sendHeaders(1, [["x-t", "1"]]));
    assert.throws(() => peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true }));
    peer.conn.sendHeaders(1, [["x-t", "1"]], { endStream: true });
    peer.expect(
      frames.headers(1).response(200),
      frames.data(1, "x"),
      frames.headers(1).fields([["x-t", "1"]]).endStream(),
    );
  });
  await t.step("client", () => {
    const peer = ready("client");
    peer.openStream(1);
    peer.conn.sendData(1, new TextEncoder().encode("x"));
    peer.conn.sendHeaders(1, [["x-t", "1"]], { endStream: true });
    peer.expect(frames.data(1, "x"), frames.headers(1).fields([["x-t", "1"]]).endStream());
  });
});
