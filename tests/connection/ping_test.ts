// RFC 9113 §6.7: PING, both roles.
import assert from "node:assert/strict";
import { bytes, frames } from "../_helpers/frames.ts";
import { Peer, ready } from "../_helpers/peer.ts";

Deno.test("H2Connection answers PING with PING ACK carrying the same payload (RFC 9113 §6.7)", async (t) => {
  // RFC 9113 §6.7: "Receivers of a PING frame that does not include an ACK flag MUST send a PING frame with the ACK flag set in response, with an identical frame payload."
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.ping(bytes(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff)));
      assert.deepEqual(
        peer.event("PingReceived").pingData,
        bytes(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff),
      );
      peer.expect(frames.ping(bytes(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff)).ack());
    });
  }
});

Deno.test("H2Connection ignores unknown PING flags and still answers (RFC 9113 §4.1)", () => {
  // RFC 9113 §4.1: "Unused flags ... MUST be ignored on receipt"
  const peer = ready("server");
  peer.send(frames.ping("abcdefgh").flags(0xfe));
  peer.expect(frames.ping("abcdefgh").ack());
});

Deno.test("H2Connection sends PING from ping() and reports the ACK as PingAckReceived (RFC 9113 §6.7)", async (t) => {
  // RFC 9113 §6.7
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.conn.ping(bytes("12345678"));
      peer.expect(frames.ping("12345678"));
      peer.send(frames.ping("12345678").ack());
      assert.deepEqual(peer.event("PingAckReceived").pingData, bytes("12345678"));
      peer.expectIdle(); // an ACK is never answered
    });
  }
});

Deno.test("H2Connection.ping rejects opaque data that is not 8 octets (RFC 9113 §6.7)", () => {
  // RFC 9113 §6.7: "PING frames MUST contain 8 octets of opaque data"
  const peer = ready("client");
  for (const n of [0, 7, 9]) {
    assert.throws(
      () => peer.conn.ping(new Uint8Array(n)),
      (e) => e instanceof TypeError || e instanceof RangeError,
    );
  }
  peer.expectIdle();
});

Deno.test("H2Connection rejects malformed PING frames as connection errors (RFC 9113 §6.7)", async (t) => {
  // RFC 9113 §6.7
  const cases: [string, () => Uint8Array, string][] = [
    ["PING on stream 1", () => frames.ping().onStream(1).toBytes(), "PROTOCOL_ERROR"],
    [
      "PING of 7 octets",
      () => frames.ping().rawPayload(1, 2, 3, 4, 5, 6, 7).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
    [
      "PING of 9 octets",
      () => frames.ping().rawPayload(1, 2, 3, 4, 5, 6, 7, 8, 9).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
    ["PING ACK of 0 octets", () => frames.ping().ack().rawPayload().toBytes(), "FRAME_SIZE_ERROR"],
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
