/**
 * The same budgets protect the client role from a hostile server: ping and
 * settings floods, CONTINUATION floods and HPACK bombs in responses, and a
 * PUSH_PROMISE flood that would otherwise reserve unbounded streams.
 */

import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { DenialOfServiceError } from "../../lib/errors.ts";
import { attack, expectGoAway, MiB } from "./_harness.ts";
import * as w from "./_wire.ts";

/** A client that sent `GET /` on stream 1 and read the server's SETTINGS and ACK. */
function client(): H2Connection {
  const conn = new H2Connection({ clientSide: true });
  conn.initiateConnection();
  conn.sendHeaders(1, w.GET, { endStream: true });
  conn.receiveData(w.concat([w.settings(), w.settingsAck()]));
  conn.dataToSend();
  return conn;
}

Deno.test("A client caps unread PING and SETTINGS ACKs at 1000 (CVE-2019-9512, CVE-2019-9515)", async (t) => {
  // RFC 9113 §6.7, §6.5.3: the ACK obligations are the same for a client.
  for (
    const [name, unit] of [["PING", (i: number) => w.ping(i)], [
      "SETTINGS",
      () => w.settings(),
    ]] as const
  ) {
    await t.step(name, () => {
      const outcome = attack(client(), 100_000, unit);
      const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      assert.ok(error instanceof DenialOfServiceError);
      assert.equal(error.detail, "ack_flood");
      assert.ok(outcome.fed >= 1_000 && outcome.fed <= 1_001, `tripped after ${outcome.fed}`);
      assert.ok(outcome.maxOutbound <= 1_000 * 17 + 512, `output grew to ${outcome.maxOutbound}`);
    });
  }
});

Deno.test("A client stops a CONTINUATION flood on a response after 8 frames", () => {
  // RFC 9113 §6.10; nghttp2's max_continuations applies to both roles.
  const conn = client();
  conn.receiveData(w.headers(1, w.block(w.OK), { endHeaders: false }));
  const outcome = attack(conn, 1_000_000, () => w.continuation(1, new Uint8Array(100).fill(0x41)));
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.equal(error.detail, "continuation_flood");
  assert.ok(outcome.fed <= 9, `tripped after ${outcome.fed}`);
});

Deno.test("A client stops an HPACK bomb in a response while decoding (CVE-2016-6581)", () => {
  // RFC 9113 §10.5.1: the client enforces its advertised MAX_HEADER_LIST_SIZE too.
  const conn = client();
  const bomb = [...w.literalIndexed("x-bomb", "a".repeat(4_000))];
  for (let i = 0; i < 4_000; i++) bomb.push(...w.indexed(62));
  const block = w.concat([w.block(w.OK), Uint8Array.from(bomb)]);
  const outcome = attack(conn, 1, () => w.headers(1, block, { endStream: true }));
  assert.equal(outcome.events.filter((e) => e.type === "ResponseReceived").length, 0);
  assert.ok(outcome.error !== undefined, "no connection error");
  const code = outcome.error.errorCode;
  assert.ok(code === w.E.ENHANCE_YOUR_CALM || code === w.E.COMPRESSION_ERROR, `code ${code}`);
  expectGoAway(outcome, code);
  assert.ok(outcome.heapDelta < 8 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("A PUSH_PROMISE flood reserves at most MAX_CONCURRENT_STREAMS streams, then GOAWAY(ENHANCE_YOUR_CALM)", () => {
  // RFC 9113 §5.1.2 counts only open streams, so reserved ones need their own bound (nghttp2:
  // max_reserved_remote_streams); the excess is refused and each refusal is a glitch.
  const conn = client();
  const block = w.block(w.GET);
  const outcome = attack(conn, 100_000, (i) => w.pushPromise(1, 2 * i + 2, block), {
    drainEvery: 100,
  });
  const pushed = outcome.events.filter((e) => e.type === "PushedStreamReceived").length;
  assert.ok(pushed <= 100, `${pushed} pushed streams reserved`);
  const resets = w.resets(outcome.frames);
  assert.ok(resets.length > 0, "excess promises were not refused");
  for (const [id, code] of resets) {
    assert.ok(code === w.E.REFUSED_STREAM || code === w.E.CANCEL, `stream ${id} code ${code}`);
  }
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.equal(error.detail, "too_many_glitches");
  assert.ok(outcome.fed <= 1_200, `tripped after ${outcome.fed}`);
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
});
