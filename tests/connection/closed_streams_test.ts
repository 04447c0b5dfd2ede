// RFC 9113 §5.1, §5.1.1: closed streams, stream identifiers and stream counting.
import assert from "node:assert/strict";
import { bytes, frames, hpack } from "../_helpers/frames.ts";
import { ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection still decodes HEADERS on a stream it reset, keeping HPACK in sync (RFC 9113 §5.1 closed)", async (t) => {
  // RFC 9113 §5.1: "An endpoint MUST minimally process and then discard any frames it receives in this state. This means updating header compression state for HEADERS and PUSH_PROMISE frames."
  await t.step("server: trailers on a reset request", () => {
    const peer = ready("server");
    peer.openStream(1);
    peer.conn.resetStream(1, 0x8);
    peer.read();
    peer.trySend(frames.headers(1).block(hpack.literalIndexed("x-sync", "yes")).endStream());
    assert.ok(!peer.eventTypes().includes("TrailersReceived"));
    peer.read();
    peer.send(frames.headers(3).block(hpack.encode(request()), hpack.indexed(62)).endStream());
    assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["x-sync", "yes"]);
  });
  await t.step("client: a response on a reset request", () => {
    const peer = ready("client");
    peer.openStream(1, { endStream: true });
    peer.openStream(3, { endStream: true });
    peer.conn.resetStream(1, 0x8);
    peer.read();
    peer.trySend(
      frames.headers(1).block(hpack.indexed(8), hpack.literalIndexed("x-sync", "yes")).endStream(),
    );
    assert.ok(!peer.eventTypes().includes("ResponseReceived"));
    peer.read();
    peer.send(frames.headers(3).block(hpack.indexed(8), hpack.indexed(62)).endStream());
    assert.deepEqual(peer.event("ResponseReceived").headers, [[":status", "200"], [
      "x-sync",
      "yes",
    ]]);
  });
});

Deno.test("H2Connection counts only open and half-closed streams (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: "Streams in either of the 'half-closed' states count toward the maximum"; closed ones do not.
  const peer = ready("server");
  peer.openStream(1);
  peer.openStream(3, { endStream: true });
  peer.openStream(5);
  assert.equal(peer.conn.openInboundStreams, 3);
  assert.equal(peer.conn.openOutboundStreams, 0);
  peer.conn.sendHeaders(3, [[":status", "200"]], { endStream: true });
  peer.send(frames.rstStream(5).cancel());
  assert.equal(peer.conn.openInboundStreams, 1);
  assert.equal(peer.conn.highestInboundStreamId, 5);
});

Deno.test("H2Connection hands out increasing stream ids and refuses to reuse lower ones (RFC 9113 §5.1.1)", async (t) => {
  // RFC 9113 §5.1.1: "The identifier of a newly established stream MUST be numerically greater than all streams that the initiating endpoint has opened or reserved."
  await t.step("client", () => {
    const peer = ready("client");
    assert.equal(peer.conn.getNextAvailableStreamId(), 1);
    peer.conn.sendHeaders(3, request(), { endStream: true });
    assert.equal(peer.conn.getNextAvailableStreamId(), 5);
    assert.equal(peer.conn.highestOutboundStreamId, 3);
    assert.throws(
      () => peer.conn.sendHeaders(1, request(), { endStream: true }),
      (e: Error) => e.name === "StreamIdTooLowError",
    );
    assert.throws(() => peer.conn.sendHeaders(4, request(), { endStream: true }));
  });
  await t.step("server", () => {
    const peer = ready("server");
    assert.equal(peer.conn.getNextAvailableStreamId(), 2);
  });
});

Deno.test("H2Connection (server) rejects a new stream id lower than one it has seen, even one never used (RFC 9113 §5.1.1)", () => {
  // RFC 9113 §5.1.1: opening stream 7 implicitly closes idle streams 1, 3, 5; HEADERS on them is a connection PROTOCOL_ERROR.
  const peer = ready("server");
  peer.send(frames.headers(7).request("GET", "/").endStream());
  peer.trySend(frames.headers(5).request("GET", "/").endStream());
  assert.ok(peer.error !== undefined, "HEADERS on an implicitly closed stream must be an error");
  peer.expectConnectionError(
    (peer.error as { errorCode: number }).errorCode === 0x5 ? "STREAM_CLOSED" : "PROTOCOL_ERROR",
  );
});

Deno.test("H2Connection (server) treats a repeated request on a finished stream as STREAM_CLOSED (RFC 9113 §5.1)", () => {
  // RFC 9113 §5.1 closed: "An endpoint MAY treat receipt of any other type of frame on a closed stream as a connection error ... STREAM_CLOSED"
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.read();
  peer.trySend(frames.headers(1).request("GET", "/").endStream());
  if (peer.error !== undefined) peer.expectConnectionError("STREAM_CLOSED");
  else peer.expectStreamError(1, "STREAM_CLOSED");
});

Deno.test("H2Connection refuses to act on streams it has closed (RFC 9113 §5.1: no frames but PRIORITY on closed streams)", () => {
  // RFC 9113 §5.1: "An endpoint MUST NOT send frames other than PRIORITY on a closed stream."
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.read();
  assert.throws(() => peer.conn.sendData(1, bytes("x")));
  assert.throws(() => peer.conn.sendHeaders(1, [["x", "1"]], { endStream: true }));
  assert.throws(() => peer.conn.endStream(1));
  peer.expectIdle();
});

Deno.test("H2Connection (client) counts its open outbound streams until both sides end them (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: open and half-closed streams count.
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.openStream(3);
  assert.equal(peer.conn.openOutboundStreams, 2);
  assert.equal(peer.conn.openInboundStreams, 0);
  peer.send(frames.headers(1).response(200).endStream());
  assert.equal(peer.conn.openOutboundStreams, 1);
  peer.send(frames.headers(3).response(200).endStream());
  assert.equal(peer.conn.openOutboundStreams, 1, "3 is half-closed (remote) until we end it");
  peer.conn.endStream(3);
  assert.equal(peer.conn.openOutboundStreams, 0);
  assert.equal(peer.conn.highestOutboundStreamId, 3);
});
