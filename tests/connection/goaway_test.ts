// RFC 9113 §6.8: GOAWAY sent and received, graceful shutdown, both roles.
import assert from "node:assert/strict";
import { frames, hpack } from "../_helpers/frames.ts";
import { Peer, ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection reports a received GOAWAY as ConnectionTerminated with code, last stream and debug data (RFC 9113 §6.8)", async (t) => {
  // RFC 9113 §6.8: a received GOAWAY is an event, never a throw.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.goAway(0).enhanceYourCalm().debug("slow down"));
      const ev = peer.event("ConnectionTerminated");
      assert.equal(ev.errorCode, 0xb);
      assert.equal(ev.lastStreamId, 0);
      assert.deepEqual(ev.additionalData, new TextEncoder().encode("slow down"));
    });
  }
});

Deno.test("H2Connection reports an empty GOAWAY debug payload as undefined additionalData", () => {
  // RFC 9113 §6.8: Additional Debug Data is optional.
  const peer = ready("client");
  peer.send(frames.goAway(0));
  assert.equal(peer.event("ConnectionTerminated").additionalData, undefined);
});

Deno.test("H2Connection (client) treats streams above a received GOAWAY's last stream id as refused (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: streams above the last stream identifier were not processed; streams at or below it may complete.
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.openStream(3, { endStream: true });
  peer.openStream(5, { endStream: true });
  peer.send(frames.goAway(1));
  const term = peer.event("ConnectionTerminated");
  assert.equal(term.lastStreamId, 1);
  const refused = peer.eventsOf("StreamReset").map((e) => [e.streamId, e.errorCode]).sort();
  assert.deepEqual(refused, [[3, 0x7], [5, 0x7]], "streams 3 and 5 reported REFUSED_STREAM");
  // Stream 1 may still finish.
  peer.send(frames.headers(1).response(200), frames.data(1, "ok").endStream());
  assert.deepEqual(peer.eventTypes(), ["ResponseReceived", "DataReceived", "StreamEnded"]);
  // No new stream may be opened on a connection going away.
  assert.throws(() => peer.conn.sendHeaders(7, request(), { endStream: true }));
});

Deno.test("H2Connection.closeConnection sends GOAWAY with the highest processed stream id (RFC 9113 §6.8)", async (t) => {
  // RFC 9113 §6.8: the last stream identifier is the highest-numbered stream the sender might have acted on.
  await t.step("server with streams 1 and 3", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.openStream(3, { endStream: true });
    peer.conn.closeConnection();
    peer.expectGoAway(3, "NO_ERROR");
  });
  await t.step("server with no stream", () => {
    const peer = ready("server");
    peer.conn.closeConnection(0x2, { additionalData: new TextEncoder().encode("bye") });
    peer.expect(frames.goAway(0).internalError().debug("bye"));
  });
  await t.step("client (no inbound streams)", () => {
    const peer = ready("client");
    peer.openStream(1, { endStream: true });
    peer.conn.closeConnection();
    peer.expectGoAway(0, "NO_ERROR");
  });
  await t.step("explicit lastStreamId", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.conn.closeConnection(0, { lastStreamId: 1 });
    peer.expectGoAway(1, "NO_ERROR");
  });
});

Deno.test("H2Connection lets streams at or below its GOAWAY's last stream id finish and ignores newer ones (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: "the sender will ignore frames sent on streams initiated by the receiver if the stream has an identifier higher than the included last stream identifier"; lower streams complete.
  const peer = ready("server");
  peer.openStream(1);
  peer.openStream(3);
  peer.conn.closeConnection();
  peer.expectGoAway(3, "NO_ERROR");
  // In-flight body on stream 3 still arrives.
  peer.send(frames.data(3, "body").endStream());
  assert.deepEqual(peer.eventTypes(), ["DataReceived", "StreamEnded"]);
  // A stream the client opened before seeing GOAWAY is not processed.
  peer.send(frames.headers(5).request("GET", "/").endStream());
  assert.ok(!peer.eventTypes().includes("RequestReceived"), `events ${peer.eventTypes()}`);
  const out = peer.read();
  assert.ok(out.every((f) => f.type === "RST_STREAM" && f.stream === 5), JSON.stringify(out));
  // Responses on the surviving streams go out.
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.conn.sendHeaders(3, [[":status", "204"]], { endStream: true });
  peer.expect(
    frames.headers(1).response(200).endStream(),
    frames.headers(3).response(204).endStream(),
  );
});

Deno.test("H2Connection never raises the last stream id of a second GOAWAY it sends (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: "Endpoints MUST NOT increase the value they send in the last stream identifier"
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.closeConnection(0, { lastStreamId: 1 });
  peer.expectGoAway(1, "NO_ERROR");
  peer.conn.closeConnection(0, { lastStreamId: 5 });
  const out = peer.read();
  for (const f of out) assert.ok((f.lastStreamId as number) <= 1, JSON.stringify(out));
});

Deno.test("H2Connection reports each received GOAWAY, the last stream id only going down (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: "the sender can send another GOAWAY frame with an updated last stream identifier"
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.openStream(3, { endStream: true });
  peer.send(frames.goAway(2 ** 31 - 1));
  assert.equal(peer.event("ConnectionTerminated").lastStreamId, 2 ** 31 - 1);
  peer.send(frames.goAway(1));
  assert.equal(peer.event("ConnectionTerminated").lastStreamId, 1);
  assert.deepEqual(peer.eventsOf("StreamReset").map((e) => [e.streamId, e.errorCode]), [[3, 0x7]]);
});

Deno.test("H2Connection.startGracefulShutdown sends GOAWAY(2^31-1) and PING, then the final GOAWAY on the PING ACK (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: "A server that is attempting to gracefully shut down a connection SHOULD send an initial GOAWAY frame with the last stream identifier set to 2^31-1 and a NO_ERROR code ... After allowing time for any in-flight stream creation (at least one round-trip time), the server MAY send another GOAWAY frame with an updated last stream identifier."
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.startGracefulShutdown();
  const first = peer.read();
  assert.deepEqual(first.map((f) => f.type), ["GOAWAY", "PING"]);
  assert.equal(first[0]!.lastStreamId, 2 ** 31 - 1);
  assert.equal(first[0]!.errorCode, "NO_ERROR");
  assert.deepEqual(first[1]!.flags, []);
  // A request in flight during the round trip is still accepted.
  peer.send(frames.headers(3).request("GET", "/").endStream());
  assert.equal(peer.event("RequestReceived").streamId, 3);
  peer.send(
    frames.ping(
      new Uint8Array(first[1]!.data === undefined ? [] : hexToBytes(first[1]!.data as string)),
    ).ack(),
  );
  peer.expectGoAway(3, "NO_ERROR");
  // Streams ≤ 3 finish.
  peer.send(frames.data(1, "x").endStream());
  assert.deepEqual(peer.eventTypes(), ["DataReceived", "StreamEnded"]);
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.conn.sendHeaders(3, [[":status", "200"]], { endStream: true });
  peer.expect(
    frames.headers(1).response(200).endStream(),
    frames.headers(3).response(200).endStream(),
  );
  // A later stream is not processed.
  peer.send(frames.headers(5).request("GET", "/").endStream());
  assert.ok(!peer.eventTypes().includes("RequestReceived"));
});

Deno.test("H2Connection rejects GOAWAY on a stream other than 0 and GOAWAY shorter than 8 octets (RFC 9113 §6.8)", async (t) => {
  // RFC 9113 §6.8: stream ≠ 0 → PROTOCOL_ERROR; the fixed fields need 8 octets (FRAME_SIZE_ERROR, §4.2).
  const cases: [string, () => Uint8Array, string][] = [
    ["GOAWAY on stream 1", () => frames.goAway(0).onStream(1).toBytes(), "PROTOCOL_ERROR"],
    [
      "GOAWAY of 7 octets",
      () => frames.goAway(0).rawPayload(0, 0, 0, 0, 0, 0, 0).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
  ];
  for (const role of Peer.both()) {
    for (const [name, make, code] of cases) {
      await t.step(`${role}: ${name} → ${code}`, () => {
        const peer = ready(role);
        peer.trySend(make());
        peer.expectConnectionError(code as "PROTOCOL_ERROR");
      });
    }
  }
});

function hexToBytes(h: string): number[] {
  return h.match(/../g)!.map((x) => parseInt(x, 16));
}

Deno.test("H2Connection still decodes header blocks of streams it ignores after GOAWAY, keeping HPACK in sync (RFC 9113 §6.8, §4.3)", () => {
  // RFC 9113 §6.8: ignored streams' frames "that alter connection state cannot be completely ignored ... HEADERS, PUSH_PROMISE, and CONTINUATION frames MUST be minimally processed to ensure that the state maintained for field section compression is consistent"
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.closeConnection();
  peer.expectGoAway(1, "NO_ERROR");
  peer.send(
    frames.headers(3).block(hpack.encode(request()), hpack.literalIndexed("x-sync", "1"))
      .endStream(),
  );
  assert.ok(!peer.eventTypes().includes("RequestReceived"));
  peer.read();
  peer.send(frames.headers(1).block(hpack.indexed(62)).endStream());
  assert.deepEqual(peer.event("TrailersReceived").headers, [["x-sync", "1"]]);
});

Deno.test("H2Connection keeps answering PING after it sent GOAWAY (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: GOAWAY stops new streams; the connection stays usable for the rest until closed.
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.closeConnection();
  peer.read();
  peer.send(frames.ping("stillok!"));
  peer.expect(frames.ping("stillok!").ack());
});

Deno.test("H2Connection sends the final graceful GOAWAY only for the ACK of its own shutdown PING (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8, §6.7: other PING ACKs are just PingAckReceived.
  const peer = ready("server");
  peer.conn.startGracefulShutdown();
  peer.read();
  peer.send(frames.ping("otherack").ack());
  assert.equal(peer.event("PingAckReceived").pingData.length, 8);
  peer.expectIdle();
});

Deno.test("H2Connection keeps ignoring every frame of a stream it ignored after GOAWAY, trailers included (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: "the sender will ignore frames sent on streams initiated by the receiver if the stream has an identifier higher than the included last stream identifier" — and field blocks are still decoded (§4.3).
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.closeConnection();
  peer.expectGoAway(1, "NO_ERROR");
  // The client opened stream 3 before it saw the GOAWAY, then finished its request.
  peer.send(frames.headers(3).request("POST", "/"));
  peer.trySend(
    frames.data(3, "body"),
    frames.headers(3).block(hpack.literalIndexed("x-sync", "2")).endStream(),
  );
  peer.expectNoError();
  assert.ok(
    !peer.eventTypes().some((e) => e === "TrailersReceived" || e === "DataReceived"),
    `${peer.eventTypes()}`,
  );
  assert.ok(!peer.read().some((f) => f.type === "GOAWAY"));
  // Stream 1 finishes and sees the table entry the ignored trailers added.
  peer.send(frames.headers(1).block(hpack.indexed(62)).endStream());
  assert.deepEqual(peer.event("TrailersReceived").headers, [["x-sync", "2"]]);
});

Deno.test("H2Connection (server) applies a client's GOAWAY last stream id to pushed streams only (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: the last stream identifier covers streams initiated by the GOAWAY's receiver; the client's own requests are unaffected.
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.pushStream(1, 2, request("GET", "/p"));
  peer.read();
  peer.send(frames.goAway(0));
  assert.equal(peer.event("ConnectionTerminated").lastStreamId, 0);
  assert.deepEqual(peer.eventsOf("StreamReset").map((e) => [e.streamId, e.errorCode]), [[2, 0x7]]);
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.expect(frames.headers(1).response(200).endStream());
});

Deno.test("H2Connection keeps unknown GOAWAY error codes as numbers (RFC 9113 §7)", () => {
  // RFC 9113 §7: "Unknown or unsupported error codes MUST NOT trigger any special behavior."
  const peer = ready("client");
  peer.send(frames.goAway(0).code(0xdead));
  assert.equal(peer.event("ConnectionTerminated").errorCode, 0xdead);
});
