// RFC 9113 §8.4 and §6.6: server push.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection (server) pushes with PUSH_PROMISE, then answers on the promised stream (RFC 9113 §8.4)", () => {
  // RFC 9113 §8.4: PUSH_PROMISE on the request stream, the response on the promised (even) stream.
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.conn.pushStream(1, 2, request("GET", "/style.css"));
  peer.expect(frames.pushPromise(1, 2).request("GET", "/style.css"));
  peer.conn.sendHeaders(2, [[":status", "200"]]);
  peer.conn.sendData(2, new TextEncoder().encode("body{}"), { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.expect(
    frames.headers(2).response(200),
    frames.data(2, "body{}").endStream(),
    frames.headers(1).response(200).endStream(),
  );
  assert.equal(peer.conn.getNextAvailableStreamId(), 4);
});

Deno.test("H2Connection (server) refuses to push when the client disabled push, on even parents and with odd ids (RFC 9113 §8.4, §6.6)", async (t) => {
  // RFC 9113 §6.5.2, §6.6: "PUSH_PROMISE MUST NOT be sent if the SETTINGS_ENABLE_PUSH setting of the peer endpoint is set to 0"
  await t.step("ENABLE_PUSH = 0", () => {
    const peer = ready("server", { settings: frames.settings().enablePush(0) });
    peer.openStream(1, { endStream: true });
    assert.throws(() => peer.conn.pushStream(1, 2, request()));
    peer.expectIdle();
  });
  await t.step("a pushed (even) parent", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.conn.pushStream(1, 2, request("GET", "/a"));
    peer.read();
    assert.throws(() => peer.conn.pushStream(2, 4, request("GET", "/b")));
    peer.expectIdle();
  });
  await t.step("an odd promised id", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    assert.throws(() => peer.conn.pushStream(1, 3, request()));
    peer.expectIdle();
  });
  await t.step("a client cannot push", () => {
    const peer = ready("client");
    peer.openStream(1);
    assert.throws(() => peer.conn.pushStream(1, 2, request()));
  });
});

Deno.test("H2Connection (client) reports PUSH_PROMISE as PushedStreamReceived and the pushed response on the promised stream (RFC 9113 §8.4)", () => {
  // RFC 9113 §8.4.1, §8.4.2
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(frames.pushPromise(1, 2).request("GET", "/style.css"));
  const ev = peer.event("PushedStreamReceived");
  assert.deepEqual([ev.pushedStreamId, ev.parentStreamId], [2, 1]);
  assert.deepEqual(ev.headers.find(([n]) => n === ":path"), [":path", "/style.css"]);
  peer.send(frames.headers(2).response(200), frames.data(2, "x").endStream());
  assert.deepEqual(peer.eventTypes(), ["ResponseReceived", "DataReceived", "StreamEnded"]);
  assert.equal(peer.event("ResponseReceived").streamId, 2);
  peer.expectIdle();
});

Deno.test("H2Connection (client) refuses a push with RST_STREAM(REFUSED_STREAM) and discards what follows on it (RFC 9113 §8.4.2)", () => {
  // RFC 9113 §8.4.2: "the client can send a RST_STREAM frame, using either the CANCEL or REFUSED_STREAM code"
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(frames.pushPromise(1, 2).request("GET", "/x"));
  peer.conn.resetStream(2, 0x7);
  peer.expectRstStream(2, "REFUSED_STREAM");
  peer.trySend(frames.headers(2).response(200), frames.data(2, "x").endStream());
  peer.expectNoError();
  assert.ok(!peer.eventTypes().includes("ResponseReceived"));
  // The parent stream is unaffected.
  peer.send(frames.headers(1).response(200).endStream());
  assert.equal(peer.event("ResponseReceived").streamId, 1);
});

Deno.test("H2Connection (client) rejects illegal PUSH_PROMISE frames as connection errors (RFC 9113 §6.6, §8.4)", async (t) => {
  // RFC 9113 §6.6: stream 0, an illegal promised id, or push disabled → connection PROTOCOL_ERROR.
  const cases: [string, () => Uint8Array[], Record<number, number>?][] = [
    ["PUSH_PROMISE on stream 0", () => [frames.pushPromise(0, 2).request("GET", "/").toBytes()]],
    ["an odd promised stream id", () => [frames.pushPromise(1, 3).request("GET", "/").toBytes()]],
    ["a promised stream id of 0", () => [frames.pushPromise(1, 0).request("GET", "/").toBytes()]],
    ["a promised stream id already used", () => [
      frames.pushPromise(1, 2).request("GET", "/a").toBytes(),
      frames.pushPromise(1, 2).request("GET", "/b").toBytes(),
    ]],
    ["a promised stream id lower than one already promised", () => [
      frames.pushPromise(1, 4).request("GET", "/a").toBytes(),
      frames.pushPromise(1, 2).request("GET", "/b").toBytes(),
    ]],
    [
      "push after the client set ENABLE_PUSH = 0",
      () => [frames.pushPromise(1, 2).request("GET", "/").toBytes()],
      { 2: 0 },
    ],
  ];
  for (const [name, make, settings] of cases) {
    await t.step(name, () => {
      const peer = ready("client", { conn: settings ? { settings } : {} });
      peer.openStream(1, { endStream: true });
      peer.trySend(...make());
      peer.expectConnectionError("PROTOCOL_ERROR");
    });
  }
});

Deno.test("H2Connection (server) treats a received PUSH_PROMISE as a connection PROTOCOL_ERROR (RFC 9113 §8.4)", () => {
  // RFC 9113 §8.4: "A client cannot push. Thus, servers MUST treat the receipt of a PUSH_PROMISE frame as a connection error of type PROTOCOL_ERROR."
  const peer = ready("server");
  peer.openStream(1);
  peer.trySend(frames.pushPromise(1, 2).request("GET", "/"));
  peer.expectConnectionError("PROTOCOL_ERROR");
});

Deno.test("H2Connection (client) resets a promised stream whose request is invalid or unsafe (RFC 9113 §8.4)", async (t) => {
  // RFC 9113 §8.4: "If a client receives a PUSH_PROMISE that does not include a complete and valid set of header fields or the :method pseudo-header field identifies a method that is not safe, it MUST respond on the promised stream with a stream error of type PROTOCOL_ERROR."
  const cases: [string, () => Uint8Array][] = [
    [
      "no :path",
      () =>
        frames.pushPromise(1, 2).fields([[":method", "GET"], [":scheme", "https"], [
          ":authority",
          "a",
        ]]).toBytes(),
    ],
    ["an unsafe method (POST)", () => frames.pushPromise(1, 2).request("POST", "/").toBytes()],
    [
      "an uppercase field name",
      () => frames.pushPromise(1, 2).request("GET", "/", [["X-A", "1"]]).toBytes(),
    ],
  ];
  for (const [name, make] of cases) {
    await t.step(name, () => {
      const peer = ready("client");
      peer.openStream(1, { endStream: true });
      peer.trySend(make());
      peer.expectStreamError(2, "PROTOCOL_ERROR");
      assert.ok(!peer.eventTypes().includes("PushedStreamReceived"));
      peer.send(frames.headers(1).response(200).endStream());
      assert.equal(peer.event("ResponseReceived").streamId, 1);
    });
  }
});
