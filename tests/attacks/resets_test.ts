/**
 * Reset-driven attacks against the engine: Rapid Reset (CVE-2023-44487),
 * MadeYouReset (CVE-2025-8671) and the reset flood (CVE-2019-9514). Each
 * must hit a budget (GOAWAY ENHANCE_YOUR_CALM with a `detail` naming it) with
 * bounded output and memory.
 */

import assert from "node:assert/strict";
import { DenialOfServiceError } from "../../lib/errors.ts";
import { attack, expectGoAway, MiB, server, sid } from "./_harness.ts";
import * as w from "./_wire.ts";

Deno.test("Rapid Reset (CVE-2023-44487): HEADERS+RST_STREAM pairs hit the received-reset budget", () => {
  // RFC 9113 §6.4, §10.5: a peer resetting every stream it opens spends our reset budget.
  const conn = server();
  const outcome = attack(
    conn,
    50_000,
    (i) => w.concat([w.request(sid(i), true), w.rstStream(sid(i), w.E.CANCEL)]),
  );
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.ok(error instanceof DenialOfServiceError);
  assert.equal(error.detail, "rapid_reset");
  // Burst 1000 (nghttp2/Node default): the 1001st reset trips it.
  assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed} resets`);
  // Nothing was queued in answer to the resets; no stream stays open.
  assert.ok(outcome.maxOutbound < 512, `output grew to ${outcome.maxOutbound}`);
  assert.equal(w.resets(outcome.frames).length, 0);
  assert.ok(conn.openInboundStreams <= 1);
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("Rapid Reset budget refills at resetRatePerSecond when the engine is given a clock", () => {
  // RFC 9113 §10.5: a client that cancels 25 streams a second (under 33/s) is never punished.
  let now = 0;
  const conn = server({ now: () => now });
  const slow = attack(conn, 3_000, (i) => {
    now += 40;
    return w.concat([w.request(sid(i), true), w.rstStream(sid(i), w.E.CANCEL)]);
  });
  assert.equal(slow.error, undefined, `slow resets tripped: ${slow.error?.detail}`);
  assert.equal(slow.fed, 3_000);
  // The same connection, now resetting with the clock stopped, trips within one burst.
  const fast = attack(
    conn,
    5_000,
    (i) => w.concat([w.request(sid(3_000 + i), true), w.rstStream(sid(3_000 + i), w.E.CANCEL)]),
  );
  const error = expectGoAway(fast, w.E.ENHANCE_YOUR_CALM);
  assert.equal(error.detail, "rapid_reset");
  assert.ok(fast.fed <= 1_001, `tripped after ${fast.fed} fast resets`);
});

/** Frames that make a server reset a stream the peer just opened with a complete GET (END_STREAM). */
const PROVOCATIONS: Array<{ name: string; code: number; make: (id: number) => Uint8Array }> = [
  {
    name: "WINDOW_UPDATE with increment 0 (§6.9)",
    code: w.E.PROTOCOL_ERROR,
    make: (id) => w.windowUpdate(id, 0),
  },
  {
    name: "WINDOW_UPDATE overflowing the stream window (§6.9.1)",
    code: w.E.FLOW_CONTROL_ERROR,
    make: (id) => w.windowUpdate(id, 2 ** 31 - 1),
  },
  {
    name: "PRIORITY depending on its own stream (§5.3.1)",
    code: w.E.PROTOCOL_ERROR,
    make: (id) => w.priority(id, id),
  },
  {
    name: "PRIORITY with a 4-octet payload (§6.3)",
    code: w.E.FRAME_SIZE_ERROR,
    make: (id) => w.frame(w.T.PRIORITY, 0, id, new Uint8Array(4)),
  },
  {
    name: "DATA after END_STREAM, half-closed (remote) (§5.1)",
    code: w.E.STREAM_CLOSED,
    make: (id) => w.data(id, 1),
  },
  {
    name: "HEADERS after END_STREAM that is not a trailer block (§5.1, §8.1)",
    code: w.E.STREAM_CLOSED,
    make: (id) => w.request(id, true),
  },
];

Deno.test("MadeYouReset (CVE-2025-8671): resets the peer provokes spend the glitch budget", async (t) => {
  // RFC 9113 §5.4.2: each provocation is a stream error (RST_STREAM); repeated, a GOAWAY(ENHANCE_YOUR_CALM).
  for (const p of PROVOCATIONS) {
    await t.step(p.name, () => {
      const conn = server();
      const outcome = attack(
        conn,
        20_000,
        (i) => w.concat([w.request(sid(i), true), p.make(sid(i))]),
      );
      const resets = w.resets(outcome.frames);
      assert.ok(resets.length > 0, "no RST_STREAM before the GOAWAY");
      assert.deepEqual(
        resets[0],
        [1, p.code],
        "the first provocation is a stream error with the RFC code",
      );
      const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      assert.ok(error instanceof DenialOfServiceError);
      assert.equal(error.detail, "too_many_glitches");
      // Burst 1000 (nghttp2 glitch limiter, hyperium 1024).
      assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_025, `tripped after ${outcome.fed}`);
      assert.ok(resets.length <= 1_025);
      assert.ok(
        outcome.maxOutbound <= (resets.length + 1) * 13 + 512,
        `output ${outcome.maxOutbound}`,
      );
      assert.ok(conn.openInboundStreams <= 1);
      assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
    });
  }
});

Deno.test("Reset flood (CVE-2019-9514): malformed requests each reset, then GOAWAY(ENHANCE_YOUR_CALM)", async (t) => {
  // RFC 9113 §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR; a flood of them is abuse.
  const malformed: Array<[string, (id: number) => Uint8Array]> = [
    [
      "an uppercase field name",
      (id) => w.headers(id, w.block([...w.GET, ["X-Bad", "1"]]), { endStream: true }),
    ],
    ["a missing :path", (id) => w.headers(id, w.block(w.GET.slice(0, 2)), { endStream: true })],
    [
      "a connection-specific field",
      (id) => w.headers(id, w.block([...w.GET, ["connection", "close"]]), { endStream: true }),
    ],
  ];
  for (const [name, make] of malformed) {
    for (const drainEvery of [0, 50]) {
      await t.step(`${name}, peer ${drainEvery ? "reading" : "never reading"}`, () => {
        const conn = server();
        const outcome = attack(conn, 20_000, (i) => make(sid(i)), { drainEvery });
        const resets = w.resets(outcome.frames);
        assert.deepEqual(resets[0], [1, w.E.PROTOCOL_ERROR]);
        expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
        assert.ok(outcome.fed <= 1_025, `tripped after ${outcome.fed}`);
        assert.equal(outcome.events.filter((e) => e.type === "RequestReceived").length, 0);
        assert.ok(outcome.maxOutbound <= 1_026 * 13 + 512, `output ${outcome.maxOutbound}`);
        assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
      });
    }
  }
});
