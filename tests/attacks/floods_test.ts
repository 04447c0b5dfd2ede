/**
 * Control-frame floods against the engine: ping flood (CVE-2019-9512),
 * settings flood (CVE-2019-9515, CVE-2020-11080) and empty frames flood
 * (CVE-2019-9518). A peer that does not read our replies runs into the
 * queued-ACK cap; one that floods empty frames into the glitch budget.
 */

import assert from "node:assert/strict";
import { DenialOfServiceError } from "../../lib/errors.ts";
import { attack, expectGoAway, MiB, server, sid } from "./_harness.ts";
import * as w from "./_wire.ts";

Deno.test("Ping flood (CVE-2019-9512): unread PING ACKs are capped at 1000, then GOAWAY(ENHANCE_YOUR_CALM)", () => {
  // RFC 9113 §6.7: every PING needs an ACK; a peer that never reads them must not grow our queue.
  const conn = server();
  const outcome = attack(conn, 100_000, (i) => w.ping(i));
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.ok(error instanceof DenialOfServiceError);
  assert.equal(error.detail, "ack_flood");
  assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed} PINGs`);
  const acks = outcome.frames.filter((f) => f.type === w.T.PING && f.flags === w.F.ACK);
  assert.ok(acks.length <= 1_000, `${acks.length} ACKs queued`);
  assert.ok(outcome.maxOutbound <= 1_000 * 17 + 512, `output grew to ${outcome.maxOutbound}`);
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("A peer that reads its PING ACKs is never cut off, however many it sends", () => {
  // RFC 9113 §6.7: the cap counts ACKs queued since the last drain, not PINGs over the connection's life.
  const conn = server();
  const outcome = attack(conn, 20_000, (i) => w.ping(i), { drainEvery: 500 });
  assert.equal(outcome.error, undefined, `cut off: ${outcome.error?.detail}`);
  const acks = outcome.frames.filter((f) => f.type === w.T.PING && f.flags === w.F.ACK);
  assert.equal(acks.length, 20_000);
  assert.deepEqual(acks[19_999]!.payload, w.ping(19_999).subarray(9));
});

Deno.test("Settings flood (CVE-2019-9515): unread SETTINGS ACKs share the 1000 queued-ACK cap", async (t) => {
  // RFC 9113 §6.5.3: each SETTINGS must be acknowledged; the acknowledgements are what floods.
  await t.step("empty SETTINGS frames", () => {
    const conn = server();
    const outcome = attack(conn, 100_000, () => w.settings());
    assert.equal(expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM).detail, "ack_flood");
    assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
    assert.ok(outcome.maxOutbound <= 1_000 * 9 + 512, `output grew to ${outcome.maxOutbound}`);
    assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
  });
  await t.step("SETTINGS and PING interleaved", () => {
    const conn = server();
    const outcome = attack(conn, 100_000, (i) => (i % 2 ? w.ping(i) : w.settings([[4, 65_535]])));
    assert.equal(expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM).detail, "ack_flood");
    assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
  });
  await t.step("a reading peer is never cut off", () => {
    const conn = server();
    const outcome = attack(conn, 10_000, () => w.settings([[1, 4096]]), { drainEvery: 100 });
    assert.equal(outcome.error, undefined, `cut off: ${outcome.error?.detail}`);
    assert.equal(outcome.frames.filter((f) => f.type === w.T.SETTINGS).length, 10_000);
  });
});

Deno.test("SETTINGS with more than 32 entries is GOAWAY(ENHANCE_YOUR_CALM) (CVE-2020-11080)", async (t) => {
  // RFC 9113 §6.5: duplicates are legal, but nghttp2/Node cap entries per frame at 32.
  // 2730 entries (16380 octets) is the most one default-sized frame can carry.
  for (const [count, tripped] of [[32, false], [33, true], [2_730, true]] as const) {
    await t.step(`${count} entries`, () => {
      const conn = server();
      const entries = Array.from({ length: count }, (_, i) => [i % 2 ? 1 : 4, 4096 + i] as const);
      const outcome = attack(conn, 1, () => w.settings(entries));
      if (!tripped) {
        assert.equal(outcome.error, undefined);
        assert.equal(
          outcome.frames.filter((f) => f.type === w.T.SETTINGS && f.flags === w.F.ACK).length,
          1,
        );
        return;
      }
      const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      assert.equal(error.detail, "too_many_settings");
      // Rejected as a whole: no ACK for it (§6.5.3 would make us apply it first).
      assert.equal(
        outcome.frames.filter((f) => f.type === w.T.SETTINGS && f.flags === w.F.ACK).length,
        0,
      );
    });
  }
});

Deno.test("Empty frames flood (CVE-2019-9518): zero-length frames without END_STREAM hit a budget", async (t) => {
  // RFC 9113 §6.1, §6.10: an empty DATA or CONTINUATION carries nothing; endless ones are abuse.
  await t.step("empty DATA frames on an open stream", () => {
    const conn = server();
    conn.receiveData(w.request(1, false));
    const outcome = attack(conn, 100_000, () => w.data(1, 0));
    const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
    assert.equal(error.detail, "too_many_glitches");
    assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
    assert.ok(outcome.maxOutbound < 512, `output grew to ${outcome.maxOutbound}`);
    assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
  });
  await t.step("empty DATA frames on a stream we reset after a complete response", () => {
    // RFC 9113 §8.1: a server that answered before the request ended may RST_STREAM(NO_ERROR) it, as
    // server.ts does; the frames the peer keeps sending there are ignored (§5.1) but still glitches.
    const conn = server();
    conn.receiveData(w.request(1, false));
    conn.sendHeaders(1, [[":status", "200"]]);
    conn.sendData(1, new Uint8Array(5), { endStream: true });
    conn.resetStream(1, w.E.NO_ERROR);
    const outcome = attack(conn, 100_000, () => w.data(1, 0), { drainEvery: 100 });
    const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
    assert.equal(error.detail, "too_many_glitches");
    assert.ok(outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
  });
  await t.step("empty CONTINUATION frames after HEADERS without END_HEADERS", () => {
    const conn = server();
    conn.receiveData(w.headers(1, w.block(w.GET), { endHeaders: false, endStream: true }));
    const outcome = attack(conn, 100_000, () => w.continuation(1, new Uint8Array(0)));
    const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
    assert.equal(error.detail, "continuation_flood");
    assert.ok(outcome.fed <= 9, `tripped after ${outcome.fed} CONTINUATIONs`);
  });
  await t.step("empty HEADERS frames on fresh streams (each a malformed request)", () => {
    const conn = server();
    const outcome = attack(
      conn,
      100_000,
      (i) => w.headers(sid(i), new Uint8Array(0), { endStream: true }),
    );
    assert.deepEqual(w.resets(outcome.frames)[0], [1, w.E.PROTOCOL_ERROR]);
    expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
    assert.ok(outcome.fed <= 1_025, `tripped after ${outcome.fed}`);
  });
  await t.step("a DATA frame with only END_STREAM is not a glitch", () => {
    const conn = server();
    const outcome = attack(
      conn,
      3_000,
      (i) => w.concat([w.request(sid(i), false), w.data(sid(i), 0, true)]),
      {
        drainEvery: 100,
        onEvents: (events, i) => {
          for (const e of events) {
            if (e.type === "StreamEnded") {
              conn.sendHeaders(sid(i), [[":status", "204"]], { endStream: true });
            }
          }
        },
      },
    );
    assert.equal(outcome.error, undefined, `cut off: ${outcome.error?.detail}`);
  });
});
