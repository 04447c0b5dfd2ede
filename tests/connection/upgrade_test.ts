// RFC 7540 §3.2 (h2c Upgrade, kept by RFC 9113 §3.1 for existing deployments): initiateUpgradeConnection.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { Peer } from "../_helpers/peer.ts";

function b64url(data: Uint8Array): string {
  let s = "";
  for (const b of data) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const std = s.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(
    atob(std + "=".repeat((4 - (std.length % 4)) % 4)),
    (c) => c.charCodeAt(0),
  );
}

Deno.test("H2Connection (client) returns its SETTINGS payload as the base64url HTTP2-Settings value and owns stream 1 (RFC 7540 §3.2.1)", () => {
  // RFC 7540 §3.2.1: "The content of the HTTP2-Settings header field is the payload of a SETTINGS frame, encoded as a base64url string"
  const peer = Peer.client();
  const header = peer.conn.initiateUpgradeConnection();
  assert.equal(typeof header, "string");
  assert.match(header!, /^[A-Za-z0-9_-]*$/, "base64url without padding");
  const payload = fromB64url(header!);
  assert.equal(payload.length % 6, 0);
  const out = peer.read();
  assert.equal(out[0]!.type, "SETTINGS");
  // The header carries the same settings as the SETTINGS frame the client sends.
  const entries: [number, number][] = [];
  for (let i = 0; i < payload.length; i += 6) {
    entries.push([
      (payload[i]! << 8) | payload[i + 1]!,
      new DataView(payload.buffer).getUint32(i + 2),
    ]);
  }
  assert.equal(entries.length, (out[0]!.settings as unknown[]).length);
  // Stream 1 is half-closed (local): the request went as HTTP/1.1.
  assert.throws(() => peer.conn.sendData(1, new Uint8Array(1)));
  assert.equal(peer.conn.getNextAvailableStreamId(), 3);
  // The response arrives on stream 1 after the server preface.
  peer.send(frames.settings(), frames.headers(1).response(200), frames.data(1, "hi").endStream());
  assert.deepEqual(peer.eventTypes(), [
    "RemoteSettingsChanged",
    "ResponseReceived",
    "DataReceived",
    "StreamEnded",
  ]);
  assert.equal(peer.event("ResponseReceived").streamId, 1);
});

Deno.test("H2Connection (server) applies the HTTP2-Settings header and answers the upgraded request on stream 1 (RFC 7540 §3.2)", () => {
  // RFC 7540 §3.2: the upgraded request is stream 1, half-closed (remote) on the server; §3.2.1: the header settings are applied as a SETTINGS frame (the 101 acknowledges them).
  const peer = Peer.server();
  const payload = frames.settings().initialWindowSize(1000).maxConcurrentStreams(5).toBytes()
    .subarray(9);
  peer.conn.initiateUpgradeConnection(b64url(payload));
  const out = peer.read();
  assert.deepEqual(
    out.map((f) => [f.type, f.flags]),
    [["SETTINGS", []]],
    "only the server preface, no ACK",
  );
  assert.equal(peer.conn.localFlowControlWindow(1), 1000);
  peer.send(frames.preface(), frames.settings());
  peer.expect(frames.settingsAck());
  peer.conn.sendHeaders(1, [[":status", "200"]]);
  peer.conn.sendData(1, new TextEncoder().encode("ok"), { endStream: true });
  peer.expect(frames.headers(1).response(200), frames.data(1, "ok").endStream());
  // The connection continues with ordinary streams after the upgraded one.
  peer.send(frames.headers(3).request("GET", "/next").endStream());
  assert.equal(peer.event("RequestReceived").streamId, 3);
});

Deno.test("H2Connection (server) rejects an invalid HTTP2-Settings header (RFC 7540 §3.2.1)", async (t) => {
  // RFC 7540 §3.2.1: a malformed header value cannot be applied.
  const cases: [string, string][] = [
    ["not base64url", "!!!"],
    ["a length that is not a multiple of 6", b64url(new Uint8Array([0, 4, 0, 0]))],
    [
      "an invalid value (ENABLE_PUSH = 2)",
      b64url(frames.settings().enablePush(2).toBytes().subarray(9)),
    ],
  ];
  for (const [name, header] of cases) {
    await t.step(name, () => {
      const peer = Peer.server();
      assert.throws(() => peer.conn.initiateUpgradeConnection(header), Error);
    });
  }
});

Deno.test("H2Connection (server) after h2c upgrade still requires the client preface and resets DATA on stream 1 (RFC 7540 §3.2, RFC 9113 §3.4, §5.1)", async (t) => {
  // RFC 7540 §3.2: after the 101 "the client MUST send a connection preface"; stream 1 is half-closed (remote) on the server.
  const header = b64url(frames.settings().toBytes().subarray(9));
  await t.step("no preface → PROTOCOL_ERROR", () => {
    const peer = Peer.server();
    peer.conn.initiateUpgradeConnection(header);
    peer.read();
    peer.trySend(frames.settings(), frames.settings(), frames.settings());
    const err = peer.error as { errorCode?: number } | undefined;
    assert.equal(err?.errorCode, 0x1);
  });
  await t.step("DATA on the upgraded stream → stream STREAM_CLOSED", () => {
    const peer = Peer.server();
    peer.conn.initiateUpgradeConnection(header);
    peer.read();
    peer.send(frames.preface(), frames.settings());
    peer.read();
    peer.trySend(frames.data(1, "late body"));
    peer.expectStreamError(1, "STREAM_CLOSED");
  });
});

Deno.test("H2Connection (client) after h2c upgrade cannot send HEADERS on stream 1 again (RFC 7540 §3.2)", () => {
  // RFC 7540 §3.2: the HTTP/1.1 request became stream 1, half-closed (local).
  const peer = Peer.client();
  peer.conn.initiateUpgradeConnection();
  peer.read();
  assert.throws(() =>
    peer.conn.sendHeaders(1, [[":method", "GET"], [":scheme", "http"], [":path", "/"], [
      ":authority",
      "a",
    ]])
  );
  peer.expectIdle();
});
