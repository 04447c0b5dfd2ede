/**
 * Stream, window and frame-size abuse against the engine: the PRIORITY
 * resource loop (CVE-2019-9513), stream-id exhaustion and jumps, excess
 * concurrent streams, WINDOW_UPDATE overflow, huge SETTINGS_INITIAL_WINDOW_SIZE
 * changes and frame headers announcing more than SETTINGS_MAX_FRAME_SIZE.
 */

import assert from "node:assert/strict";
import { attack, expectGoAway, MiB, server, sid } from "./_harness.ts";
import * as w from "./_wire.ts";

Deno.test("PRIORITY resource loop (CVE-2019-9513): reshuffling idle streams spends the glitch budget", () => {
  // RFC 9113 §5.3.2: PRIORITY is deprecated; it may reference idle streams but must not build state.
  const conn = server();
  const outcome = attack(
    conn,
    100_000,
    (i) => w.priority(sid(i + 1), sid(i), 1 + (i % 256), i % 2 === 0),
  );
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.equal(error.detail, "too_many_glitches");
  assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
  assert.equal(conn.openInboundStreams, 0);
  assert.ok(outcome.maxOutbound < 512, `output grew to ${outcome.maxOutbound}`);
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("A PRIORITY frame on an idle stream does not open it or burn lower stream ids", () => {
  // RFC 9113 §5.1: PRIORITY may be sent on an idle stream; only HEADERS opens it (§5.1.1).
  const conn = server();
  const outcome = attack(conn, 2, (i) => (i === 0 ? w.priority(101, 0) : w.request(1, true)));
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  assert.equal(outcome.events.filter((e) => e.type === "RequestReceived").length, 1);
});

Deno.test("Stream-id jump to 2^31-1 costs no per-id state; any lower new id is then GOAWAY(PROTOCOL_ERROR)", () => {
  // RFC 9113 §5.1.1: "The identifier of a newly established stream MUST be numerically greater than all
  // streams that the initiating endpoint has opened or reserved."
  const conn = server();
  const jump = attack(conn, 1, () => w.request(2 ** 31 - 1, true));
  assert.equal(jump.error, undefined);
  assert.equal(jump.events.filter((e) => e.type === "RequestReceived").length, 1);
  assert.equal(conn.highestInboundStreamId, 2 ** 31 - 1);
  assert.ok(jump.heapDelta < 4 * MiB, `heap grew ${jump.heapDelta}`);
  const lower = attack(conn, 1, () => w.request(3, true));
  expectGoAway(lower, w.E.PROTOCOL_ERROR);
});

Deno.test("Streams over MAX_CONCURRENT_STREAMS are refused with RST_STREAM(REFUSED_STREAM)", () => {
  // RFC 9113 §5.1.2: "An endpoint that receives a HEADERS frame that causes its advertised concurrent
  // stream limit to be exceeded MUST treat this as a stream error of type PROTOCOL_ERROR or REFUSED_STREAM."
  const conn = server();
  const outcome = attack(conn, 150, (i) => w.request(sid(i), false));
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  assert.equal(outcome.events.filter((e) => e.type === "RequestReceived").length, 100);
  const resets = w.resets(outcome.frames);
  assert.equal(resets.length, 50);
  for (const [, code] of resets) assert.equal(code, w.E.REFUSED_STREAM);
  assert.equal(conn.openInboundStreams, 100);
});

Deno.test("WINDOW_UPDATE overflow: connection window is GOAWAY, stream window is RST_STREAM (FLOW_CONTROL_ERROR)", async (t) => {
  // RFC 9113 §6.9.1: "A sender MUST NOT allow a flow-control window to exceed 2^31-1 octets."
  await t.step("connection window 65535 + (2^31-1)", () => {
    const conn = server();
    expectGoAway(attack(conn, 1, () => w.windowUpdate(0, 2 ** 31 - 1)), w.E.FLOW_CONTROL_ERROR);
  });
  await t.step("connection window filled exactly to 2^31-1, then +1", () => {
    const conn = server();
    const exact = attack(conn, 1, () => w.windowUpdate(0, 2 ** 31 - 1 - 65_535));
    assert.equal(exact.error, undefined);
    assert.equal(conn.outboundFlowControlWindow, 2 ** 31 - 1);
    expectGoAway(attack(conn, 1, () => w.windowUpdate(0, 1)), w.E.FLOW_CONTROL_ERROR);
  });
  await t.step("stream window overflow resets only that stream", () => {
    const conn = server();
    conn.receiveData(w.request(1, false));
    const outcome = attack(conn, 1, () => w.windowUpdate(1, 2 ** 31 - 1));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(w.resets(outcome.frames), [[1, w.E.FLOW_CONTROL_ERROR]]);
    const next = attack(conn, 1, () => w.request(3, true));
    assert.equal(next.events.filter((e) => e.type === "RequestReceived").length, 1);
  });
  await t.step("the reserved bit of the increment is ignored", () => {
    // RFC 9113 §6.9: "The meaning of this bit is undefined, and the bit MUST be ignored when receiving."
    const conn = server();
    const outcome = attack(conn, 1, () => w.windowUpdate(0, 0x8000_0001));
    assert.equal(outcome.error, undefined);
    assert.equal(conn.outboundFlowControlWindow, 65_536);
  });
});

Deno.test("SETTINGS_INITIAL_WINDOW_SIZE abuse: no overflow, exact windows, FLOW_CONTROL_ERROR past 2^31-1", async (t) => {
  // RFC 9113 §6.9.2: a change applies to all open streams and may make windows negative.
  await t.step("2^31 is out of range", () => {
    const conn = server();
    expectGoAway(attack(conn, 1, () => w.settings([[4, 2 ** 31]])), w.E.FLOW_CONTROL_ERROR);
  });
  await t.step("a change that pushes an open stream's window past 2^31-1", () => {
    // §6.9.2: "An endpoint MUST treat a change to SETTINGS_INITIAL_WINDOW_SIZE that causes any
    // flow-control window to exceed the maximum size as a connection error of type FLOW_CONTROL_ERROR."
    const conn = server();
    conn.receiveData(w.concat([
      w.windowUpdate(0, 2 ** 31 - 1 - 65_535),
      w.request(1, false),
      w.windowUpdate(1, 2 ** 31 - 1 - 65_535),
    ]));
    // localFlowControlWindow is what we may send (python h2's naming): min(connection, stream).
    assert.equal(conn.localFlowControlWindow(1), 2 ** 31 - 1);
    expectGoAway(attack(conn, 1, () => w.settings([[4, 65_536]])), w.E.FLOW_CONTROL_ERROR);
  });
  await t.step("1000 swings between 0 and 2^31-1 on 50 open streams keep windows exact", () => {
    const conn = server();
    conn.receiveData(w.windowUpdate(0, 2 ** 31 - 1 - 65_535));
    for (let i = 0; i < 50; i++) conn.receiveData(w.request(sid(i), false));
    const outcome = attack(conn, 1_001, (i) => w.settings([[4, i % 2 ? 0 : 2 ** 31 - 1]]), {
      drainEvery: 100,
    });
    assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
    for (let i = 0; i < 50; i++) assert.equal(conn.localFlowControlWindow(sid(i)), 2 ** 31 - 1);
    conn.receiveData(w.settings([[4, 0]]));
    assert.equal(conn.localFlowControlWindow(1), 0);
    conn.receiveData(w.windowUpdate(1, 10));
    assert.equal(conn.localFlowControlWindow(1), 10);
    assert.equal(conn.outboundFlowControlWindow, 2 ** 31 - 1);
  });
});

Deno.test("Oversized frame header: rejected on its 9 octets, before any payload is buffered", async (t) => {
  // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the size
  // defined in SETTINGS_MAX_FRAME_SIZE"; a frame that could alter connection state is a connection error.
  for (
    const [name, type, streamId] of [
      ["DATA", w.T.DATA, 1],
      ["HEADERS", w.T.HEADERS, 1],
      ["SETTINGS", w.T.SETTINGS, 0],
      ["unknown type 0xfa", 0xfa, 0],
    ] as const
  ) {
    for (const length of [16_385, 2 ** 24 - 1]) {
      await t.step(`${name} announcing ${length} octets`, () => {
        const conn = server();
        if (type === w.T.DATA) conn.receiveData(w.request(1, false));
        // Header alone, then 64 KiB chunks of payload: the error must come with the header.
        const header = w.frame(type, 0, streamId, new Uint8Array(0), length);
        const chunk = new Uint8Array(65_536);
        const outcome = attack(conn, 256, (i) => (i === 0 ? header : chunk));
        const error = expectGoAway(outcome, w.E.FRAME_SIZE_ERROR);
        assert.equal(outcome.fed, 1, "the payload was read before the length was checked");
        assert.ok(error.streamId === undefined);
        assert.ok(outcome.heapDelta < 4 * MiB, `heap grew ${outcome.heapDelta}`);
      });
    }
  }
});

Deno.test("A stream flood during graceful shutdown is refused and bounded; the in-flight stream completes", async (t) => {
  // RFC 9113 §6.8: after GOAWAY(2^31-1) + PING, the final GOAWAY names the last stream processed;
  // streams above it are never processed, and what runs below it finishes.
  await t.step(
    "before the PING ACK: new streams up to the limit, then refusals, then the glitch budget",
    () => {
      const conn = server();
      conn.receiveData(w.request(1, false));
      conn.startGracefulShutdown();
      const [first] = w.goAways(w.parseFrames(conn.dataToSend()));
      assert.deepEqual(first, { lastStreamId: 2 ** 31 - 1, errorCode: w.E.NO_ERROR, debug: "" });
      const outcome = attack(conn, 20_000, (i) => w.request(sid(i + 1), true), { drainEvery: 100 });
      assert.ok(conn.openInboundStreams <= 100);
      for (const [, code] of w.resets(outcome.frames)) assert.equal(code, w.E.REFUSED_STREAM);
      expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
    },
  );
  await t.step(
    "after the final GOAWAY: new streams are not processed, stream 1 still completes",
    () => {
      const conn = server();
      conn.receiveData(w.request(1, false));
      conn.startGracefulShutdown();
      const ping = w.parseFrames(conn.dataToSend()).find((f) => f.type === w.T.PING)!;
      conn.receiveData(w.frame(w.T.PING, w.F.ACK, 0, ping.payload));
      const [last] = w.goAways(w.parseFrames(conn.dataToSend()));
      assert.equal(last?.lastStreamId, 1);
      const outcome = attack(conn, 20_000, (i) => w.request(sid(i + 1), true), { drainEvery: 100 });
      assert.equal(outcome.events.filter((e) => e.type === "RequestReceived").length, 0);
      assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
      if (outcome.error === undefined) {
        const done = conn.receiveData(w.data(1, 5, true));
        assert.ok(done.some((e) => e.type === "StreamEnded" && e.streamId === 1));
        conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
        assert.ok(conn.isClosed, "not closed once the last stream finished after the final GOAWAY");
      } else {
        expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      }
    },
  );
});
