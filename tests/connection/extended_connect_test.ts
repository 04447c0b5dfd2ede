// RFC 8441: extended CONNECT (:protocol) for WebSockets over HTTP/2.
import assert from "node:assert/strict";
import { type Field, frames } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

const ws: Field[] = [
  [":method", "CONNECT"],
  [":protocol", "websocket"],
  [":scheme", "https"],
  [":path", "/chat"],
  [":authority", "example.com"],
  ["sec-websocket-version", "13"],
];

Deno.test("H2Connection (server) advertises ENABLE_CONNECT_PROTOCOL when configured and accepts :protocol requests (RFC 8441 §3, §4)", () => {
  // RFC 8441 §4: ":protocol ... with :scheme and :path"; the stream stays open both ways.
  const peer = ready("server", { conn: { settings: { 8: 1 } } });
  const advertised = new Map(peer.initialSettings!.settings as [string, number][]);
  assert.equal(advertised.get("ENABLE_CONNECT_PROTOCOL"), 1);
  peer.send(frames.headers(1).fields(ws));
  assert.deepEqual(peer.event("RequestReceived").headers, ws);
  peer.conn.sendHeaders(1, [[":status", "200"]]);
  peer.conn.sendData(1, new Uint8Array([0x81, 0]));
  peer.send(frames.data(1, "\x81\x00"));
  assert.equal(peer.event("DataReceived").streamId, 1);
  peer.expect(frames.headers(1).response(200), frames.data(1, "\x81\x00"));
});

Deno.test("H2Connection (server) resets extended CONNECT requests missing :scheme or :path (RFC 8441 §4)", async (t) => {
  // RFC 8441 §4: "the :scheme and :path pseudo-header fields MUST be included"
  for (const drop of [":scheme", ":path"]) {
    await t.step(`without ${drop}`, () => {
      const peer = ready("server", { conn: { settings: { 8: 1 } } });
      peer.trySend(frames.headers(1).fields(ws.filter(([n]) => n !== drop)));
      peer.expectStreamError(1, "PROTOCOL_ERROR");
    });
  }
});

Deno.test("H2Connection (client) sends an extended CONNECT once the server enabled it (RFC 8441 §4)", () => {
  // RFC 8441 §4
  const peer = ready("client", { settings: frames.settings().enableConnectProtocol(1) });
  peer.conn.sendHeaders(1, ws);
  peer.expect(frames.headers(1).fields(ws));
  peer.send(frames.headers(1).response(200));
  assert.equal(peer.event("ResponseReceived").streamId, 1);
  peer.conn.sendData(1, new Uint8Array([1, 2, 3]));
  assert.equal(peer.read()[0]!.type, "DATA");
});
