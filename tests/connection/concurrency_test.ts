// RFC 9113 §5.1.2: SETTINGS_MAX_CONCURRENT_STREAMS, both directions.
import assert from "node:assert/strict";
import { bytes, frames, hpack } from "../_helpers/frames.ts";
import { ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection (server) refuses a stream over its advertised limit with RST_STREAM(REFUSED_STREAM) and keeps the connection (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: "An endpoint that receives a HEADERS frame that causes its advertised concurrent stream limit to be exceeded MUST treat this as a stream error ... of type PROTOCOL_ERROR or REFUSED_STREAM."
  const peer = ready("server");
  for (let id = 1; id <= 199; id += 2) peer.openStream(id);
  assert.equal(peer.conn.openInboundStreams, 100);
  // The refused block still updates the HPACK table.
  peer.trySend(
    frames.headers(201).block(hpack.encode(request()), hpack.literalIndexed("x-sync", "1")),
  );
  assert.ok(!peer.eventTypes().includes("RequestReceived"));
  peer.expectStreamError(201, "REFUSED_STREAM");
  // Once a stream closes, a new one is accepted.
  peer.send(frames.rstStream(1).cancel());
  peer.send(frames.headers(203).block(hpack.encode(request()), hpack.indexed(62)).endStream());
  assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["x-sync", "1"]);
});

Deno.test("H2Connection (server) applies limits.maxConcurrentStreams and advertises it (RFC 9113 §5.1.2, §6.5.2)", () => {
  // RFC 9113 §6.5.2 SETTINGS_MAX_CONCURRENT_STREAMS
  const peer = ready("server", { conn: { limits: { maxConcurrentStreams: 2 } } });
  assert.deepEqual(
    (peer.initialSettings!.settings as [string, number][]).find(([n]) =>
      n === "MAX_CONCURRENT_STREAMS"
    ),
    ["MAX_CONCURRENT_STREAMS", 2],
  );
  peer.openStream(1);
  peer.openStream(3);
  peer.trySend(frames.headers(5).request("GET", "/").endStream());
  peer.expectStreamError(5, "REFUSED_STREAM");
  // half-closed streams still count: end 1 from the client side only
  peer.send(frames.data(1, "").endStream());
  peer.trySend(frames.headers(7).request("GET", "/").endStream());
  peer.expectStreamError(7, "REFUSED_STREAM");
});

Deno.test("H2Connection (client) throws TooManyStreamsError when the server's limit is reached (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: "Endpoints MUST NOT exceed the limit set by their peer."
  const peer = ready("client", { settings: frames.settings().maxConcurrentStreams(2) });
  peer.openStream(1);
  peer.openStream(3, { endStream: true });
  assert.throws(
    () => peer.conn.sendHeaders(5, request(), { endStream: true }),
    (e: Error) => e.name === "TooManyStreamsError",
  );
  peer.expectIdle();
  peer.send(frames.headers(3).response(200).endStream());
  peer.conn.sendHeaders(5, request(), { endStream: true });
  assert.equal(peer.read()[0]!.stream, 5);
});

Deno.test("H2Connection (client) applies a lowered MAX_CONCURRENT_STREAMS to new streams only (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: a lowered limit does not close existing streams.
  const peer = ready("client");
  peer.openStream(1);
  peer.openStream(3);
  peer.send(frames.settings().maxConcurrentStreams(1));
  peer.read();
  assert.throws(
    () => peer.conn.sendHeaders(5, request(), { endStream: true }),
    (e: Error) => e.name === "TooManyStreamsError",
  );
  peer.conn.sendData(1, bytes("still open"), { endStream: true });
  assert.equal(peer.read()[0]!.type, "DATA");
});

Deno.test("H2Connection (client) counts pushed streams that became active against its advertised limit (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: open and half-closed streams count; "An endpoint that receives a HEADERS frame that causes its advertised concurrent stream limit to be exceeded MUST treat this as a stream error ... PROTOCOL_ERROR or REFUSED_STREAM". Reserved streams do not count until their HEADERS.
  const peer = ready("client", { conn: { limits: { maxConcurrentStreams: 1 } } });
  peer.openStream(1, { endStream: true });
  peer.send(
    frames.pushPromise(1, 2).request("GET", "/a"),
    frames.pushPromise(1, 4).request("GET", "/b"),
  );
  assert.equal(peer.eventsOf("PushedStreamReceived").length, 2, "reserving is fine");
  peer.send(frames.headers(2).response(200));
  assert.equal(peer.event("ResponseReceived").streamId, 2);
  peer.trySend(frames.headers(4).response(200));
  assert.ok(!peer.eventTypes().includes("ResponseReceived"), `${peer.eventTypes()}`);
  const out = peer.read();
  const rst = out.filter((f) => f.type === "RST_STREAM").map((f) => [f.stream, f.errorCode]);
  assert.equal(rst.length, 1, JSON.stringify(out));
  assert.equal(rst[0]![0], 4);
  assert.ok(
    ["REFUSED_STREAM", "PROTOCOL_ERROR"].includes(rst[0]![1] as string),
    JSON.stringify(out),
  );
});

Deno.test("H2Connection (server) does not activate more pushed streams than the client allows (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: "Endpoints MUST NOT exceed the limit set by their peer." A pushed stream becomes active (half-closed (remote)) with its HEADERS.
  const peer = ready("server", { settings: frames.settings().maxConcurrentStreams(1) });
  peer.openStream(1, { endStream: true });
  peer.conn.pushStream(1, 2, request("GET", "/a"));
  peer.conn.pushStream(1, 4, request("GET", "/b"));
  peer.conn.sendHeaders(2, [[":status", "200"]]);
  peer.read();
  assert.throws(
    () => peer.conn.sendHeaders(4, [[":status", "200"]]),
    (e: Error) => e.name === "TooManyStreamsError",
  );
  peer.expectIdle();
  // once the first push completes, the second may start
  peer.conn.sendData(2, bytes("a"), { endStream: true });
  peer.read();
  peer.conn.sendHeaders(4, [[":status", "200"]]);
  assert.equal(peer.read()[0]!.stream, 4);
});

Deno.test("H2Connection (server) applies a lowered MAX_CONCURRENT_STREAMS once the client acknowledges it (RFC 9113 §5.1.2, §6.5.3)", () => {
  // RFC 9113 §6.5.3: our new value is in force after the ACK; §5.1.2: excess streams are refused.
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.updateSettings({ 3: 1 });
  peer.read();
  peer.send(frames.settingsAck());
  peer.trySend(frames.headers(3).request("GET", "/").endStream());
  peer.expectStreamError(3, "REFUSED_STREAM");
});

Deno.test("H2Connection (server) cannot open streams with HEADERS (RFC 9113 §5.1.1, §8.4)", () => {
  // RFC 9113 §5.1.1: a server's streams are even and come from PUSH_PROMISE; odd ids belong to the client.
  for (const id of [2, 3]) {
    const peer = ready("server");
    assert.throws(() => peer.conn.sendHeaders(id, [[":status", "200"]]));
    peer.expectIdle();
  }
});
