// RFC 9113 §3.4: the HTTP/2 connection preface, for both roles.
import assert from "node:assert/strict";
import { H2Error } from "../../lib/errors.ts";
import { bytes, frames } from "../_helpers/frames.ts";
import { Peer } from "../_helpers/peer.ts";

function assertPrefaceError(peer: Peer): void {
  // RFC 9113 §3.4: "MUST treat an invalid connection preface as a connection
  // error of type PROTOCOL_ERROR. A GOAWAY frame MAY be omitted in this case".
  const err = peer.error;
  assert.ok(
    err instanceof H2Error,
    `expected an H2Error, got ${String(err)} / events ${peer.eventTypes()}`,
  );
  assert.equal(err.errorCode, 0x1);
  assert.equal(err.streamId, undefined);
  const goaways = peer.read().filter((f) => f.type === "GOAWAY");
  for (const g of goaways) assert.equal(g.errorCode, "PROTOCOL_ERROR");
}

Deno.test("H2Connection (server) queues only its SETTINGS frame on initiateConnection, as RFC 9113 §3.4 requires", () => {
  // RFC 9113 §3.4: the server preface is a (possibly empty) SETTINGS frame, first.
  const peer = Peer.server();
  peer.conn.initiateConnection();
  const out = peer.read();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.type, "SETTINGS");
  assert.deepEqual(out[0]!.flags, []);
  const settings = new Map(out[0]!.settings as [string, number][]);
  // RFC 9113 §6.5.2: a server never advertises ENABLE_PUSH=1; our limits are advertised.
  assert.notEqual(settings.get("ENABLE_PUSH"), 1);
  assert.equal(settings.get("MAX_CONCURRENT_STREAMS"), 100);
  assert.equal(settings.get("MAX_HEADER_LIST_SIZE"), 65_536);
});

Deno.test("H2Connection (client) queues the 24-octet preface then SETTINGS on initiateConnection (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4: the client preface is the magic string followed by SETTINGS.
  const peer = Peer.client();
  peer.conn.initiateConnection();
  const raw = peer.conn.dataToSend();
  assert.equal(new TextDecoder().decode(raw.subarray(0, 24)), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(raw[24 + 3], 0x4, "the frame after the preface is SETTINGS");
  assert.equal(raw[24 + 4], 0x0, "without ACK");
});

Deno.test("H2Connection (server) accepts the client preface and SETTINGS split at every offset (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4 + §4.1: TCP may split the preface anywhere.
  const wire = bytes(frames.preface(), frames.settings().initialWindowSize(1000));
  for (let at = 0; at <= wire.length; at++) {
    const peer = Peer.server();
    peer.conn.initiateConnection();
    peer.read();
    const events = peer.sendSplit(wire, [at]);
    assert.deepEqual(events.map((e) => e.type), ["RemoteSettingsChanged"], `split at ${at}`);
    peer.expect(frames.settingsAck());
  }
});

Deno.test("H2Connection (server) accepts the preface one octet at a time (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4
  const peer = Peer.server();
  peer.conn.initiateConnection();
  peer.read();
  const wire = bytes(frames.preface(), frames.settings(), frames.ping("12345678"));
  const types: string[] = [];
  for (let i = 0; i < wire.length; i++) {
    types.push(...peer.send(wire.subarray(i, i + 1)).map((e) => e.type));
  }
  assert.deepEqual(types, ["RemoteSettingsChanged", "PingReceived"]);
  peer.expect(frames.settingsAck(), frames.ping("12345678").ack());
});

Deno.test("H2Connection (client) accepts the server SETTINGS split at every offset (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4
  const wire = bytes(frames.settings().maxConcurrentStreams(7), frames.settingsAck());
  for (let at = 0; at <= wire.length; at++) {
    const peer = Peer.client();
    peer.conn.initiateConnection();
    peer.read();
    const events = peer.sendSplit(wire, [at]);
    assert.deepEqual(events.map((e) => e.type), ["RemoteSettingsChanged", "SettingsAcknowledged"]);
    peer.expect(frames.settingsAck());
  }
});

Deno.test("H2Connection (server) rejects an invalid client preface with PROTOCOL_ERROR (RFC 9113 §3.4)", async (t) => {
  // RFC 9113 §3.4: "invalid connection preface ... connection error of type PROTOCOL_ERROR"
  const good = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  const cases: [string, Uint8Array][] = [
    ["an HTTP/1.1 request line", bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["a wrong magic in the middle", bytes("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")],
    ["HTTP/2.1 in the magic", bytes("PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n")],
    ["a SETTINGS frame without the magic", frames.settings().toBytes().slice()],
    ["the last magic octet flipped", bytes(good.slice(0, 23), "X")],
  ];
  for (const [name, data] of cases) {
    await t.step(name, () => {
      const peer = Peer.server();
      peer.conn.initiateConnection();
      peer.read();
      // pad to at least a full preface plus a SETTINGS frame, so the engine has enough to decide
      peer.trySend(bytes(data, frames.settings(), frames.settings()));
      assertPrefaceError(peer);
    });
  }
});

const NOT_SETTINGS: [string, () => Uint8Array][] = [
  ["PING", () => frames.ping().toBytes()],
  ["WINDOW_UPDATE on stream 0", () => frames.windowUpdate(0, 10).toBytes()],
  ["PRIORITY", () => frames.priority(1, { dependsOn: 0 }).toBytes()],
  ["GOAWAY", () => frames.goAway(0).toBytes()],
];

Deno.test("H2Connection (server) requires SETTINGS as the first frame after the client preface (RFC 9113 §3.4)", async (t) => {
  // RFC 9113 §3.4: "This sequence MUST be followed by a SETTINGS frame"
  for (
    const [name, make] of [
      ...NOT_SETTINGS,
      ["HEADERS", () => frames.headers(1).request("GET", "/").endStream().toBytes()] as [
        string,
        () => Uint8Array,
      ],
    ]
  ) {
    await t.step(`${name} first → connection PROTOCOL_ERROR`, () => {
      const peer = Peer.server();
      peer.conn.initiateConnection();
      peer.read();
      peer.trySend(frames.preface(), make(), frames.settings());
      peer.expectConnectionError("PROTOCOL_ERROR");
    });
  }
});

Deno.test("H2Connection (client) requires SETTINGS as the server's first frame (RFC 9113 §3.4)", async (t) => {
  // RFC 9113 §3.4: the server preface "MUST be the first frame the server sends"
  for (const [name, make] of NOT_SETTINGS) {
    await t.step(`${name} first → connection PROTOCOL_ERROR`, () => {
      const peer = Peer.client();
      peer.conn.initiateConnection();
      peer.read();
      peer.trySend(make(), frames.settings());
      peer.expectConnectionError("PROTOCOL_ERROR");
    });
  }
});

Deno.test("H2Connection completes the SETTINGS exchange for both roles and stays quiet afterwards (RFC 9113 §3.4, §6.5.3)", async (t) => {
  // RFC 9113 §6.5.3: each SETTINGS is acknowledged; nothing else is required.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = new Peer(role);
      peer.handshake(frames.settings().maxConcurrentStreams(10));
      assert.equal(peer.conn.isClosed, false);
    });
  }
});

Deno.test("H2Connection (server) reports nothing until the preface is complete (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4
  const peer = Peer.server();
  peer.conn.initiateConnection();
  peer.read();
  assert.deepEqual(peer.send(bytes("PRI * HTTP/2.0\r\n")), []);
  peer.expectIdle();
  assert.deepEqual(peer.send(bytes("\r\nSM\r\n\r\n")), []);
  peer.expectIdle();
  assert.deepEqual(peer.send(frames.settings()).map((e) => e.type), ["RemoteSettingsChanged"]);
  peer.expect(frames.settingsAck());
});
