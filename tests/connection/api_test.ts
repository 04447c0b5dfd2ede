// API.md §1 surface details with RFC consequences: output draining, never-indexed
// fields (RFC 7541 §6.2.3), related events, endStream, settings validation,
// stream id exhaustion (RFC 9113 §5.1.1).
import assert from "node:assert/strict";
import { bytes, frames, hpack, S } from "../_helpers/frames.ts";
import { Peer, ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection.dataToSend(amount) drains at most amount octets and keeps the rest in order", async (t) => {
  // API.md §1: dataToSend(amount?) drains up to amount; outboundBufferSize counts what is pending.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.conn.ping(bytes("abcdefgh"));
      peer.conn.ping(bytes("ijklmnop"));
      assert.equal(peer.conn.outboundBufferSize, 34);
      const a = peer.conn.dataToSend(5);
      assert.equal(a.length, 5);
      assert.equal(peer.conn.outboundBufferSize, 29);
      const b = peer.conn.dataToSend(20);
      const c = peer.conn.dataToSend();
      assert.equal(b.length + c.length, 29);
      assert.deepEqual(bytes(a, b, c), bytes(frames.ping("abcdefgh"), frames.ping("ijklmnop")));
      assert.equal(peer.conn.outboundBufferSize, 0);
      assert.equal(peer.conn.dataToSend().length, 0);
    });
  }
});

Deno.test("H2Connection (client) drains the preface partially too (RFC 9113 §3.4)", () => {
  // RFC 9113 §3.4: the preface bytes come first whatever the read sizes.
  const peer = Peer.client();
  peer.conn.initiateConnection();
  const parts: Uint8Array[] = [];
  for (;;) {
    const chunk = peer.conn.dataToSend(7);
    if (chunk.length === 0) break;
    assert.ok(chunk.length <= 7);
    parts.push(chunk);
  }
  const all = bytes(parts);
  assert.equal(new TextDecoder().decode(all.subarray(0, 24)), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(all[24 + 3], 0x4);
});

Deno.test("H2Connection.clearOutboundDataBuffer discards what is queued", () => {
  // python h2 clear_outbound_data_buffer()
  const peer = ready("server");
  peer.conn.ping(bytes("abcdefgh"));
  peer.conn.clearOutboundDataBuffer();
  assert.equal(peer.conn.outboundBufferSize, 0);
  peer.expectIdle();
});

Deno.test("H2Connection sends sensitive fields as never-indexed literals and reports received ones (RFC 7541 §6.2.3)", async (t) => {
  // RFC 7541 §6.2.3: "Literal Header Field Never Indexed"; API.md: `sensitive` option, `sensitiveHeaders` on events.
  await t.step("outbound: the sensitive option and the authorization default", () => {
    const peer = ready("client");
    peer.conn.sendHeaders(
      1,
      request("GET", "/", [["x-secret", "s3cr3t"], ["authorization", "Basic x"], ["x-plain", "p"]]),
      {
        endStream: true,
        sensitive: ["x-secret"],
      },
    );
    const [h] = peer.read();
    const never = (h!.neverIndexed as string[] | undefined) ?? [];
    assert.ok(never.includes("x-secret"), `never-indexed: ${never}`);
    assert.ok(never.includes("authorization"), `never-indexed: ${never}`);
    assert.ok(!never.includes("x-plain"));
  });
  await t.step("inbound: sensitiveHeaders names the never-indexed fields", () => {
    const peer = ready("server");
    peer.send(
      frames.headers(1).block(hpack.encode(request()), hpack.neverIndexed("x-token", "t"))
        .endStream(),
    );
    const ev = peer.event("RequestReceived");
    assert.deepEqual(ev.sensitiveHeaders, ["x-token"]);
    assert.deepEqual(ev.headers.at(-1), ["x-token", "t"]);
  });
});

Deno.test("H2Connection links related events: the StreamEnded of a frame is the one in the event list", () => {
  // python h2 related events: RequestReceived.stream_ended / DataReceived.stream_ended
  const peer = ready("server");
  peer.send(frames.headers(1).request("GET", "/").endStream());
  const req = peer.event("RequestReceived");
  assert.equal(req.streamEnded, peer.event("StreamEnded"));
  peer.send(frames.headers(3).request("POST", "/"), frames.data(3, "x").endStream());
  assert.equal(peer.event("RequestReceived").streamEnded, undefined);
  assert.equal(peer.event("DataReceived").streamEnded, peer.event("StreamEnded"));
});

Deno.test("H2Connection.endStream sends an empty DATA frame with END_STREAM (RFC 9113 §6.1)", async (t) => {
  // RFC 9113 §6.1: END_STREAM on DATA half-closes the stream.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.conn.endStream(1);
      peer.expect(frames.data(1).endStream());
      assert.throws(() => peer.conn.sendData(1, bytes("late")));
    });
  }
});

Deno.test("H2Connection.updateSettings rejects values RFC 9113 §6.5.2 forbids, sending nothing", async (t) => {
  // RFC 9113 §6.5.2 value ranges apply to what we send as well.
  const cases: [string, Record<number, number>][] = [
    ["ENABLE_PUSH = 2", { [S.ENABLE_PUSH]: 2 }],
    ["INITIAL_WINDOW_SIZE = 2^31", { [S.INITIAL_WINDOW_SIZE]: 2 ** 31 }],
    ["MAX_FRAME_SIZE = 100", { [S.MAX_FRAME_SIZE]: 100 }],
    ["MAX_FRAME_SIZE = 2^24", { [S.MAX_FRAME_SIZE]: 2 ** 24 }],
  ];
  for (const [name, settings] of cases) {
    await t.step(name, () => {
      const peer = ready("server");
      assert.throws(() => peer.conn.updateSettings(settings));
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection applies a lowered local INITIAL_WINDOW_SIZE to open streams once acknowledged (RFC 9113 §6.9.2)", () => {
  // RFC 9113 §6.9.2: "a receiver MUST adjust the size of all stream flow-control windows that it maintains by the difference"
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.updateSettings({ [S.INITIAL_WINDOW_SIZE]: 10 });
  peer.read();
  assert.equal(peer.conn.remoteFlowControlWindow(1), 65_535, "not before the ACK");
  peer.send(frames.settingsAck());
  assert.equal(peer.conn.remoteFlowControlWindow(1), 10);
  peer.send(frames.data(1, 10));
  peer.trySend(frames.data(1, 1));
  if (peer.error !== undefined) peer.expectConnectionError("FLOW_CONTROL_ERROR");
  else peer.expectStreamError(1, "FLOW_CONTROL_ERROR");
});

Deno.test("H2Connection (client) runs out of stream ids after 2^31-1 (RFC 9113 §5.1.1)", () => {
  // RFC 9113 §5.1.1: "Stream identifiers cannot be reused ... a client that is unable to establish a new stream identifier can establish a new connection"
  const peer = ready("client");
  peer.conn.sendHeaders(2 ** 31 - 1, request(), { endStream: true });
  assert.equal(peer.read()[0]!.stream, 2 ** 31 - 1);
  assert.throws(
    () => peer.conn.getNextAvailableStreamId(),
    (e: Error) => e.name === "NoAvailableStreamIdError",
  );
});

Deno.test("H2Connection.acknowledgeReceivedData rejects misuse and credits only the connection for a closed stream", () => {
  // python h2 acknowledge_received_data: ValueError for bad sizes, NoSuchStreamError above the highest id.
  const peer = ready("server");
  peer.openStream(1);
  assert.throws(() => peer.conn.acknowledgeReceivedData(-1, 1), RangeError);
  assert.throws(() => peer.conn.acknowledgeReceivedData(1, 0));
  assert.throws(
    () => peer.conn.acknowledgeReceivedData(1, 99),
    (e: Error) => e.name === "NoSuchStreamError",
  );
  peer.send(frames.data(1, 16_384), frames.data(1, 16_384), frames.rstStream(1).cancel());
  peer.conn.acknowledgeReceivedData(32_768, 1);
  const out = peer.read();
  assert.deepEqual(out.map((f) => [f.type, f.stream, f.increment]), [["WINDOW_UPDATE", 0, 32_768]]);
});

Deno.test("H2Connection (server) accepts a legitimately large header block over several CONTINUATION frames (RFC 9113 §4.3)", () => {
  // RFC 9113 §4.3, §6.5.2: a 60 KB list is under the advertised 64 KiB MAX_HEADER_LIST_SIZE.
  const peer = ready("server");
  const value = "v".repeat(60_000);
  const block = frames.headers(1).request("GET", "/", [["x-big", value]]).headerBlock();
  const parts = [
    frames.headers(1).block(block.subarray(0, 16_000)).noEndHeaders().endStream().toBytes(),
  ];
  for (let at = 16_000; at < block.length; at += 16_000) {
    const end = Math.min(block.length, at + 16_000);
    const c = frames.continuation(1, block.subarray(at, end));
    if (end === block.length) c.endHeaders();
    parts.push(c.toBytes());
  }
  peer.send(parts);
  assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["x-big", value]);
});

Deno.test("H2Connection (server) accepts padded HEADERS with priority fields (RFC 9113 §6.2)", () => {
  // RFC 9113 §6.2: Pad Length, then E/Stream Dependency/Weight, then the fragment, then padding.
  const peer = ready("server");
  peer.send(
    frames.headers(1).request("GET", "/pad").padded(17).priority({ dependsOn: 0, weight: 100 })
      .endStream(),
  );
  assert.deepEqual(peer.event("RequestReceived").headers[2], [":path", "/pad"]);
});

Deno.test("H2Connection rejects sending on a stream the peer reset with StreamClosedError (RFC 9113 §5.1)", () => {
  // RFC 9113 §5.1: "An endpoint MUST NOT send frames other than PRIORITY on a closed stream."
  const peer = ready("server");
  peer.openStream(1);
  peer.send(frames.rstStream(1).cancel());
  assert.throws(
    () => peer.conn.sendHeaders(1, [[":status", "200"]]),
    (e: Error) => e.name === "StreamClosedError",
  );
  peer.expectIdle();
});

Deno.test("H2Connection refuses to send malformed messages: pseudo-headers in trailers, 1xx after the final response (RFC 9113 §8.1)", async (t) => {
  // RFC 9113 §8.1: a response is HEADERS, then DATA, then optional trailers without pseudo-header fields.
  await t.step("a pseudo-header in trailers", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.conn.sendHeaders(1, [[":status", "200"]]);
    peer.read();
    assert.throws(() =>
      peer.conn.sendHeaders(1, [[":status", "200"], ["x", "1"]], { endStream: true })
    );
    peer.expectIdle();
  });
  await t.step("1xx after the final response", () => {
    const peer = ready("server");
    peer.openStream(1, { endStream: true });
    peer.conn.sendHeaders(1, [[":status", "200"]]);
    peer.read();
    assert.throws(() => peer.conn.sendHeaders(1, [[":status", "103"]]));
    peer.expectIdle();
  });
});

Deno.test("H2Connection lets the peer use inbound window it granted with incrementFlowControlWindow (RFC 9113 §6.9)", () => {
  // RFC 9113 §6.9: WINDOW_UPDATE on stream 0 raises the connection window beyond 65,535.
  const peer = ready("server", { conn: { settings: { 4: 1_000_000 } } });
  peer.openStream(1);
  peer.conn.incrementFlowControlWindow(100_000);
  peer.expect(frames.windowUpdate(0, 100_000));
  for (let i = 0; i < 10; i++) peer.send(frames.data(1, 16_000));
  assert.equal(peer.conn.remoteFlowControlWindow(1), 165_535 - 160_000);
});

Deno.test("H2Connection decodes Huffman-coded, dynamically indexed requests (RFC 7541 Appendix C.4)", () => {
  // RFC 7541 C.4.1–C.4.3: three requests sharing a dynamic table, Huffman literals.
  const hex = (h: string) =>
    new Uint8Array(h.replace(/\s/g, "").match(/../g)!.map((x) => parseInt(x, 16)));
  const peer = ready("server");
  peer.send(frames.headers(1).block(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).endStream());
  assert.deepEqual(peer.event("RequestReceived").headers, [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ]);
  peer.send(frames.headers(3).block(hex("8286 84be 5886 a8eb 1064 9cbf")).endStream());
  assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["cache-control", "no-cache"]);
  peer.send(
    frames.headers(5).block(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"))
      .endStream(),
  );
  assert.deepEqual(peer.event("RequestReceived").headers, [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ]);
});

Deno.test("H2Connection accepts several dynamic table size updates at the start of a block (RFC 7541 §4.2)", () => {
  // RFC 7541 §4.2: "the smallest maximum table size that occurs in that interval MUST be signaled ... followed by the final"
  const peer = ready("server");
  peer.send(
    frames.headers(1).block(hpack.sizeUpdate(0), hpack.sizeUpdate(4096), hpack.encode(request()))
      .endStream(),
  );
  assert.equal(peer.event("RequestReceived").streamId, 1);
});

Deno.test("H2Connection.receiveData returns events that later calls leave alone", async (t) => {
  // API.md §1: receiveData returns the events of that call; the array is the caller's.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.ping("abcdefgh"));
      const first = peer.events;
      const copy = [...first];
      assert.equal(first.length, 1);
      peer.send(frames.ping("ijklmnop"), frames.ping("qrstuvwx"));
      assert.equal(peer.events.length, 2);
      assert.deepEqual(first, copy);
    });
  }
});

Deno.test("H2Connection splits outbound cookies only when splitOutboundCookies is set (RFC 9113 §8.2.3)", async (t) => {
  // Connections with and without header switches must not share their configuration.
  const cookieFields = (peer: ReturnType<typeof ready>) => {
    peer.conn.sendHeaders(1, request("GET", "/", [["cookie", "a=1; b=2"]]), { endStream: true });
    const [h] = peer.read();
    return (h!.headers as [string, string][]).filter(([name]) => name === "cookie");
  };
  await t.step("split", () => {
    const split = ready("client", { conn: { splitOutboundCookies: true } });
    assert.deepEqual(cookieFields(split), [["cookie", "a=1"], ["cookie", "b=2"]]);
  });
  await t.step("default (and after a split connection existed)", () => {
    assert.deepEqual(cookieFields(ready("client")), [["cookie", "a=1; b=2"]]);
  });
});
