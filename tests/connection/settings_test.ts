// RFC 9113 §6.5: SETTINGS exchange, validation and application, both roles.
import assert from "node:assert/strict";
import { bytes, frames, hpack, S } from "../_helpers/frames.ts";
import { Peer, ready } from "../_helpers/peer.ts";
import { Settings } from "../../lib/settings.ts";

Deno.test("H2Connection acknowledges a peer SETTINGS frame and reports RemoteSettingsChanged (RFC 9113 §6.5.3)", async (t) => {
  // RFC 9113 §6.5.3: "Upon receiving ... the recipient MUST immediately emit a SETTINGS frame with the ACK flag"
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.settings().maxConcurrentStreams(5).initialWindowSize(1000));
      const ev = peer.event("RemoteSettingsChanged");
      const mcs = ev.changedSettings.get(S.MAX_CONCURRENT_STREAMS);
      assert.equal(mcs?.newValue, 5);
      assert.equal(mcs?.setting, S.MAX_CONCURRENT_STREAMS);
      const iws = ev.changedSettings.get(S.INITIAL_WINDOW_SIZE);
      assert.equal(iws?.originalValue, 65_535);
      assert.equal(iws?.newValue, 1000);
      peer.expect(frames.settingsAck());
    });
  }
});

Deno.test("H2Connection acknowledges several SETTINGS frames in one chunk, one ACK each (RFC 9113 §6.5.3)", () => {
  // RFC 9113 §6.5.3
  const peer = ready("server");
  peer.send(
    frames.settings().maxConcurrentStreams(5),
    frames.settings(),
    frames.settings().set(0x99, 1),
  );
  assert.equal(peer.eventsOf("RemoteSettingsChanged").length, 3);
  peer.expect(frames.settingsAck(), frames.settingsAck(), frames.settingsAck());
});

Deno.test("H2Connection ignores unknown setting identifiers but still acknowledges (RFC 9113 §6.5.2)", async (t) => {
  // RFC 9113 §6.5.2: "An endpoint that receives a SETTINGS frame with any unknown or unsupported identifier MUST ignore that setting."
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.settings().set(0x99, 0xffff_ffff).set(0x7, 12));
      peer.expect(frames.settingsAck());
      assert.equal(peer.conn.isClosed, false);
      peer.send(frames.ping("abcdefgh"));
      peer.expect(frames.ping("abcdefgh").ack());
    });
  }
});

Deno.test("H2Connection rejects invalid SETTINGS values with the RFC 9113 §6.5.2 error code", async (t) => {
  // RFC 9113 §6.5.2 value ranges, §6.5 frame layout.
  const cases: [string, () => Uint8Array, string, ("server" | "client")[]][] = [
    ["ENABLE_PUSH = 2", () => frames.settings().enablePush(2).toBytes(), "PROTOCOL_ERROR", [
      "server",
      "client",
    ]],
    [
      "ENABLE_PUSH = 1 sent by a server",
      () => frames.settings().enablePush(1).toBytes(),
      "PROTOCOL_ERROR",
      ["client"],
    ],
    [
      "INITIAL_WINDOW_SIZE = 2^31",
      () => frames.settings().initialWindowSize(2 ** 31).toBytes(),
      "FLOW_CONTROL_ERROR",
      ["server", "client"],
    ],
    [
      "MAX_FRAME_SIZE = 16383",
      () => frames.settings().maxFrameSize(16_383).toBytes(),
      "PROTOCOL_ERROR",
      ["server", "client"],
    ],
    [
      "MAX_FRAME_SIZE = 2^24",
      () => frames.settings().maxFrameSize(2 ** 24).toBytes(),
      "PROTOCOL_ERROR",
      ["server", "client"],
    ],
    [
      "ENABLE_CONNECT_PROTOCOL = 2",
      () => frames.settings().enableConnectProtocol(2).toBytes(),
      "PROTOCOL_ERROR",
      ["server", "client"],
    ],
    [
      "NO_RFC7540_PRIORITIES = 2",
      () => frames.settings().noRfc7540Priorities(2).toBytes(),
      "PROTOCOL_ERROR",
      ["server", "client"],
    ],
    [
      "SETTINGS on stream 1",
      () => frames.settings().onStream(1).toBytes(),
      "PROTOCOL_ERROR",
      ["server", "client"],
    ],
    [
      "a length that is not a multiple of 6",
      () => frames.settings().rawPayload(0, 3, 0, 0, 0).toBytes(),
      "FRAME_SIZE_ERROR",
      ["server", "client"],
    ],
    [
      "an ACK with a payload",
      () => frames.settingsAck().rawPayload(0, 3, 0, 0, 0, 1).toBytes(),
      "FRAME_SIZE_ERROR",
      ["server", "client"],
    ],
  ];
  for (const [name, make, code, roles] of cases) {
    for (const role of roles) {
      await t.step(`${role}: ${name} → connection ${code}`, () => {
        const peer = ready(role);
        peer.trySend(make());
        peer.expectConnectionError(code as "PROTOCOL_ERROR");
      });
    }
  }
});

Deno.test("H2Connection accepts the boundary SETTINGS values of RFC 9113 §6.5.2", async (t) => {
  // RFC 9113 §6.5.2: inclusive bounds are valid.
  const cases: [string, () => Uint8Array][] = [
    ["MAX_FRAME_SIZE = 16384", () => frames.settings().maxFrameSize(16_384).toBytes()],
    ["MAX_FRAME_SIZE = 2^24-1", () => frames.settings().maxFrameSize(2 ** 24 - 1).toBytes()],
    [
      "INITIAL_WINDOW_SIZE = 2^31-1",
      () => frames.settings().initialWindowSize(2 ** 31 - 1).toBytes(),
    ],
    ["INITIAL_WINDOW_SIZE = 0", () => frames.settings().initialWindowSize(0).toBytes()],
    ["MAX_CONCURRENT_STREAMS = 0", () => frames.settings().maxConcurrentStreams(0).toBytes()],
    ["HEADER_TABLE_SIZE = 2^32-1", () => frames.settings().headerTableSize(2 ** 32 - 1).toBytes()],
    ["ENABLE_CONNECT_PROTOCOL = 1", () => frames.settings().enableConnectProtocol(1).toBytes()],
    ["NO_RFC7540_PRIORITIES = 1", () => frames.settings().noRfc7540Priorities(1).toBytes()],
  ];
  for (const role of Peer.both()) {
    for (const [name, make] of cases) {
      await t.step(`${role}: ${name}`, () => {
        const peer = ready(role);
        peer.send(make());
        peer.expect(frames.settingsAck());
      });
    }
  }
});

Deno.test("H2Connection keeps its old local SETTINGS in force until the peer acknowledges new ones (RFC 9113 §6.5.3)", () => {
  // RFC 9113 §6.5.3: values take effect for the sender when the ACK arrives.
  const peer = ready("server");
  assert.equal(peer.conn.maxInboundFrameSize, 16_384);
  peer.conn.updateSettings({ [S.MAX_FRAME_SIZE]: 32_768 });
  const out = peer.read();
  assert.deepEqual(out.map((f) => [f.type, f.flags, f.settings]), [["SETTINGS", [], [[
    "MAX_FRAME_SIZE",
    32_768,
  ]]]]);
  assert.equal(peer.conn.maxInboundFrameSize, 16_384, "not yet acknowledged");
  peer.send(frames.settingsAck());
  const ack = peer.event("SettingsAcknowledged");
  assert.equal(ack.changedSettings.get(S.MAX_FRAME_SIZE)?.newValue, 32_768);
  assert.equal(peer.conn.maxInboundFrameSize, 32_768);
  // A 20000-octet DATA frame is now acceptable on an open stream.
  peer.openStream(1);
  peer.send(frames.data(1, 20_000));
  assert.equal(peer.event("DataReceived").data.length, 20_000);
});

Deno.test("H2Connection rejects a frame above the unacknowledged new MAX_FRAME_SIZE with FRAME_SIZE_ERROR (RFC 9113 §4.2)", () => {
  // RFC 9113 §4.2: the limit in force is the acknowledged one.
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.updateSettings({ [S.MAX_FRAME_SIZE]: 32_768 });
  peer.read();
  peer.trySend(frames.data(1, 20_000));
  peer.expectConnectionError("FRAME_SIZE_ERROR");
});

Deno.test("H2Connection applies the peer's MAX_FRAME_SIZE to what it sends (RFC 9113 §4.2, §6.5.2)", async (t) => {
  // RFC 9113 §4.2: "An endpoint MUST NOT send a frame with a length that exceeds the size defined in SETTINGS_MAX_FRAME_SIZE"
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      assert.equal(peer.conn.maxOutboundFrameSize, 16_384);
      assert.throws(
        () => peer.conn.sendData(1, new Uint8Array(16_385)),
        (e: Error) => e.name === "FrameTooLargeError",
      );
      peer.send(frames.settings().maxFrameSize(20_000));
      peer.expect(frames.settingsAck());
      assert.equal(peer.conn.maxOutboundFrameSize, 20_000);
      peer.conn.sendData(1, new Uint8Array(20_000).fill(0x61));
      const out = peer.read();
      assert.deepEqual(out.map((f) => [f.type, f.data]), [["DATA", "<20000 octets>"]]);
    });
  }
});

Deno.test("H2Connection splits an outbound header block at the peer's MAX_FRAME_SIZE into CONTINUATION frames (RFC 9113 §4.3, §6.10)", () => {
  // RFC 9113 §4.3: a field block larger than a frame continues in CONTINUATION frames.
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  const big = "x".repeat(40_000);
  peer.conn.sendHeaders(1, [[":status", "200"], ["x-big", big]], { endStream: true });
  const out = peer.read();
  assert.equal(out[0]!.type, "HEADERS");
  assert.deepEqual(out[0]!.flags, ["END_STREAM"]);
  assert.deepEqual(out[0]!.headers, [[":status", "200"], ["x-big", big]]);
  assert.ok(out.length >= 3);
  for (const f of out.slice(1, -1)) assert.deepEqual([f.type, f.flags], ["CONTINUATION", []]);
  assert.deepEqual([out.at(-1)!.type, out.at(-1)!.flags], ["CONTINUATION", ["END_HEADERS"]]);
});

Deno.test("H2Connection signals a lowered peer HEADER_TABLE_SIZE with a size update at the start of its next block (RFC 7541 §4.2, RFC 9113 §6.5.2)", async (t) => {
  // RFC 7541 §4.2: "the encoder MUST signal the change ... at the start of the first field block following the change"
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.settings().headerTableSize(0));
      peer.expect(frames.settingsAck());
      if (role === "server") {
        peer.openStream(1, { endStream: true });
        peer.conn.sendHeaders(1, [[":status", "200"], ["x-a", "b"]], { endStream: true });
      } else {
        peer.conn.sendHeaders(1, [[":method", "GET"], [":scheme", "https"], [":path", "/"], [
          ":authority",
          "a",
        ]], {
          endStream: true,
        });
      }
      const raw = peer.readRaw();
      assert.equal(raw[3], 0x1, "a HEADERS frame");
      assert.equal(raw[9], 0x20, "the block starts with a dynamic table size update to 0");
      // and nothing is inserted afterwards (RFC 7541 §4.2: the encoder may not exceed the peer's size)
      if (role === "server") {
        for (const id of [3, 5]) {
          peer.openStream(id, { endStream: true });
          peer.conn.sendHeaders(id, [[":status", "200"], ["x-a", "b"]], { endStream: true });
          const [h] = peer.read();
          assert.deepEqual(h!.headers, [[":status", "200"], ["x-a", "b"]]);
          assert.equal(peer.hpackTableSize, 0);
        }
      }
    });
  }
});

Deno.test("H2Connection requires a table size update after its lowered HEADER_TABLE_SIZE is acknowledged (RFC 7541 §4.2)", async (t) => {
  // RFC 7541 §4.2, §6.3: the next block after the reduction must start with a size update ≤ the new maximum.
  await t.step("a block without the update → COMPRESSION_ERROR", () => {
    const peer = ready("server");
    peer.conn.updateSettings({ [S.HEADER_TABLE_SIZE]: 0 });
    peer.read();
    peer.send(frames.settingsAck());
    peer.trySend(frames.headers(1).request("GET", "/").endStream());
    // literals without indexing carry no update: the decoder must complain
    peer.expectConnectionError("COMPRESSION_ERROR");
  });
  await t.step("a block starting with the update is accepted", () => {
    const peer = ready("server");
    peer.conn.updateSettings({ [S.HEADER_TABLE_SIZE]: 0 });
    peer.read();
    peer.send(frames.settingsAck());
    const block = bytes(hpack.sizeUpdate(0), frames.headers(1).request("GET", "/").headerBlock());
    peer.send(frames.headers(1).block(block).endStream());
    assert.deepEqual(peer.eventTypes(), ["RequestReceived", "StreamEnded"]);
  });
});

Deno.test("H2Connection rejects an INITIAL_WINDOW_SIZE change that overflows a stream window with FLOW_CONTROL_ERROR (RFC 9113 §6.9.2)", async (t) => {
  // RFC 9113 §6.9.2: "a change to SETTINGS_INITIAL_WINDOW_SIZE that causes any flow-control window to exceed the maximum size as a connection error of type FLOW_CONTROL_ERROR"
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.send(frames.windowUpdate(1, 2 ** 31 - 1 - 65_535));
      peer.trySend(frames.settings().initialWindowSize(65_536));
      peer.expectConnectionError("FLOW_CONTROL_ERROR");
    });
  }
});

Deno.test("H2Connection keeps its HPACK encoder table at 4096 octets even when the peer allows more (RFC 7541 §4.2)", () => {
  // RFC 7541 §4.2: the encoder may use any size up to the peer's limit; reference/http2-attacks.md row 14 caps it at 4096.
  const peer = ready("server", { settings: frames.settings().headerTableSize(1 << 20) });
  peer.setHeaderTableSize(1 << 20);
  for (let i = 0; i < 20; i++) {
    const id = 2 * i + 1;
    peer.openStream(id, { endStream: true });
    peer.conn.sendHeaders(id, [[":status", "200"], [`x-h${i}`, String(i).repeat(900)]], {
      endStream: true,
    });
    const [h] = peer.read();
    assert.deepEqual(h!.headers, [[":status", "200"], [`x-h${i}`, String(i).repeat(900)]]);
    assert.ok(peer.hpackTableSize <= 4096, `dynamic table at ${peer.hpackTableSize} octets`);
  }
});

Deno.test("H2Connection (client) opens no stream when the server allows none (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: SETTINGS_MAX_CONCURRENT_STREAMS = 0 is legal and blocks new streams.
  const peer = ready("client", { settings: frames.settings().maxConcurrentStreams(0) });
  assert.throws(
    () =>
      peer.conn.sendHeaders(1, [[":method", "GET"], [":scheme", "https"], [":path", "/"], [
        ":authority",
        "a",
      ]]),
    (e: Error) => e.name === "TooManyStreamsError",
  );
  peer.expectIdle();
});

Deno.test("H2Connection signals both the minimum and the final table size when the peer lowers then raises HEADER_TABLE_SIZE (RFC 7541 §4.2)", () => {
  // RFC 7541 §4.2: "the smallest maximum table size that occurs in that interval MUST be signaled ... The final maximum size is always signaled"
  const peer = ready("server");
  peer.send(frames.settings().headerTableSize(0), frames.settings().headerTableSize(4096));
  peer.read();
  peer.openStream(1, { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  const raw = peer.readRaw();
  assert.deepEqual([...raw.subarray(9, 13)], [0x20, 0x3f, 0xe1, 0x1f], "size update 0, then 4096");
});

Deno.test("H2Connection applies queued local SETTINGS one ACK at a time, in order (RFC 9113 §6.5.3)", () => {
  // RFC 9113 §6.5.3: each SETTINGS frame is acknowledged separately, in the order received.
  const peer = ready("server");
  peer.conn.updateSettings({ [S.MAX_FRAME_SIZE]: 20_000 });
  peer.conn.updateSettings({ [S.MAX_FRAME_SIZE]: 30_000 });
  assert.equal(peer.read().length, 2);
  peer.send(frames.settingsAck());
  assert.equal(peer.conn.maxInboundFrameSize, 20_000);
  peer.send(frames.settingsAck());
  assert.equal(peer.conn.maxInboundFrameSize, 30_000);
});

Deno.test("H2Connection lets the peer use a larger HPACK table once its raised HEADER_TABLE_SIZE is acknowledged (RFC 7541 §4.2, §6.3)", () => {
  // RFC 7541 §6.3: a size update up to the acknowledged SETTINGS_HEADER_TABLE_SIZE is legal.
  const peer = ready("server");
  peer.conn.updateSettings({ [S.HEADER_TABLE_SIZE]: 8192 });
  peer.read();
  peer.send(frames.settingsAck());
  peer.send(
    frames.headers(1).block(
      hpack.sizeUpdate(8192),
      hpack.encode([
        [":method", "GET"],
        [":scheme", "https"],
        [":path", "/"],
        [":authority", "a"],
      ]),
    ).endStream(),
  );
  assert.equal(peer.event("RequestReceived").streamId, 1);
});

Deno.test("H2Connection applies duplicate setting ids in one frame in order, the last winning (RFC 9113 §6.5.3)", () => {
  // RFC 9113 §6.5.3: "The values in the SETTINGS frame MUST be processed in the order they appear"
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  peer.send(frames.settings().initialWindowSize(100).initialWindowSize(200));
  peer.expect(frames.settingsAck());
  peer.conn.sendHeaders(1, [[":status", "200"]]);
  assert.equal(peer.conn.localFlowControlWindow(1), 200);
});

Deno.test("Settings objects share no values: applying to one leaves the RFC defaults of another (RFC 9113 §6.5.2)", () => {
  // Every Settings starts from the same RFC defaults; none may see another's changes.
  const a = new Settings();
  const b = new Settings();
  const defaults = [...b.entries()];
  a.apply([[S.INITIAL_WINDOW_SIZE, 1_000], [S.MAX_CONCURRENT_STREAMS, 7]]);
  assert.equal(a.initialWindowSize, 1_000);
  assert.equal(a.maxConcurrentStreams, 7);
  assert.equal(b.initialWindowSize, 65_535);
  assert.equal(b.maxConcurrentStreams, Infinity);
  assert.deepEqual([...b.entries()], defaults);
  assert.deepEqual([...new Settings().entries()], defaults);
  assert.equal(new Settings([[S.MAX_FRAME_SIZE, 20_000]]).maxFrameSize, 20_000);
  assert.equal(new Settings().maxFrameSize, 16_384);
});
