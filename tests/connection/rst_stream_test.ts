// RFC 9113 §6.4: RST_STREAM, both roles.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { Peer, ready } from "../_helpers/peer.ts";

Deno.test("H2Connection reports a received RST_STREAM as StreamReset with remoteReset true (RFC 9113 §6.4)", async (t) => {
  // RFC 9113 §6.4: RST_STREAM terminates the stream; its code is surfaced as an event, never thrown.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.send(frames.rstStream(1).cancel());
      const ev = peer.event("StreamReset");
      assert.deepEqual([ev.streamId, ev.errorCode, ev.remoteReset], [1, 0x8, true]);
      peer.expectIdle(); // §5.4.2: never answer RST_STREAM with RST_STREAM
      assert.throws(() => peer.conn.sendData(1, new Uint8Array(1)));
    });
  }
});

Deno.test("H2Connection keeps unknown RST_STREAM error codes as numbers (RFC 9113 §7)", () => {
  // RFC 9113 §7: "Unknown or unsupported error codes MUST NOT trigger any special behavior."
  const peer = ready("server");
  peer.openStream(1);
  peer.send(frames.rstStream(1).code(0xabcd));
  assert.equal(peer.event("StreamReset").errorCode, 0xabcd);
  assert.equal(peer.conn.isClosed, false);
});

Deno.test("H2Connection.resetStream sends RST_STREAM and closes the stream (RFC 9113 §6.4)", async (t) => {
  // RFC 9113 §6.4, §5.1: sending RST_STREAM moves the stream to closed.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.conn.resetStream(1, 0x8);
      peer.expectRstStream(1, "CANCEL");
      assert.throws(() => peer.conn.sendData(1, new Uint8Array(1)));
      assert.throws(() => peer.conn.resetStream(1));
      peer.expectIdle();
      // §5.1 closed: a RST_STREAM crossing ours is ignored.
      peer.send(frames.rstStream(1).cancel());
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection.resetStream defaults to NO_ERROR as python h2 does", () => {
  // RFC 9113 §6.4; python h2 reset_stream(error_code=0)
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.resetStream(1);
  peer.expectRstStream(1, "NO_ERROR");
});

Deno.test("H2Connection rejects malformed RST_STREAM frames (RFC 9113 §6.4)", async (t) => {
  // RFC 9113 §6.4: stream 0 → PROTOCOL_ERROR; length ≠ 4 → FRAME_SIZE_ERROR; idle stream → PROTOCOL_ERROR.
  const cases: [string, () => Uint8Array, string][] = [
    ["RST_STREAM on stream 0", () => frames.rstStream(0).cancel().toBytes(), "PROTOCOL_ERROR"],
    [
      "RST_STREAM of 3 octets",
      () => frames.rstStream(1).rawPayload(0, 0, 8).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
    [
      "RST_STREAM of 5 octets",
      () => frames.rstStream(1).rawPayload(0, 0, 0, 8, 0).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
    ["RST_STREAM on idle stream 5", () => frames.rstStream(5).cancel().toBytes(), "PROTOCOL_ERROR"],
  ];
  for (const role of Peer.both()) {
    for (const [name, make, code] of cases) {
      await t.step(`${role}: ${name} → ${code}`, () => {
        const peer = ready(role);
        peer.openStream(1);
        peer.trySend(make());
        peer.expectConnectionError(code as "PROTOCOL_ERROR");
      });
    }
  }
});
