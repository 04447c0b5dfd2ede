/**
 * Header-block attacks against the engine: CONTINUATION flood (VU#421644,
 * CVE-2024-27316 family), HPACK bomb (CVE-2016-6581), HTTP/2 Bomb
 * (CVE-2026-49975), zero-length headers (CVE-2019-9516) and oversized header
 * lists (RFC 9113 §10.5.1).
 */

import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { DenialOfServiceError } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import { attack, expectGoAway, MiB, server, sid } from "./_harness.ts";
import * as w from "./_wire.ts";

function requests(events: readonly H2Event[]): Array<H2Event & { type: "RequestReceived" }> {
  return events.filter((e): e is H2Event & { type: "RequestReceived" } =>
    e.type === "RequestReceived"
  );
}

/** A GET block plus `extra` raw HPACK octets. */
function getWith(extra: readonly number[]): Uint8Array {
  return w.concat([w.block(w.GET), Uint8Array.from(extra)]);
}

/** Splits a block into HEADERS + CONTINUATION frames of at most 16384 octets. */
function headerFrames(id: number, fragment: Uint8Array, endStream = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < fragment.length || at === 0; at += 16_384) {
    const piece = fragment.subarray(at, at + 16_384);
    const last = at + 16_384 >= fragment.length;
    parts.push(
      at === 0
        ? w.headers(id, piece, { endStream, endHeaders: last })
        : w.continuation(id, piece, last),
    );
  }
  return w.concat(parts);
}

Deno.test("CONTINUATION flood: more than 8 CONTINUATION frames in one block is GOAWAY(ENHANCE_YOUR_CALM)", async (t) => {
  // RFC 9113 §6.10: a header block may be continued, but nothing bounds it; we cap frames (nghttp2: 8).
  for (const size of [0, 1, 100, 16_384]) {
    await t.step(`${size}-octet fragments`, () => {
      const conn = server();
      conn.receiveData(w.headers(1, w.block(w.GET), { endHeaders: false, endStream: true }));
      const outcome = attack(
        conn,
        1_000_000,
        () => w.continuation(1, new Uint8Array(size).fill(0x41)),
      );
      const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
      assert.ok(error instanceof DenialOfServiceError);
      assert.ok(
        ["continuation_flood", "header_block_too_large"].includes(error.detail),
        error.detail,
      );
      assert.ok(outcome.fed <= 9, `tripped after ${outcome.fed} CONTINUATIONs`);
      assert.equal(requests(outcome.events).length, 0);
      assert.ok(outcome.heapDelta < 8 * MiB, `heap grew ${outcome.heapDelta}`);
    });
  }
});

Deno.test("CONTINUATION flood: a block over maxHeaderBlockBytes is cut off as the bytes arrive", () => {
  // RFC 9113 §10.5.1: the block is bounded in octets (2 × MAX_HEADER_LIST_SIZE) before it is decoded.
  const conn = server({ limits: { maxContinuationFrames: 1_000_000 } });
  conn.receiveData(w.headers(1, new Uint8Array(16_384).fill(0x41), { endHeaders: false }));
  const outcome = attack(
    conn,
    1_000_000,
    () => w.continuation(1, new Uint8Array(16_384).fill(0x41)),
  );
  const error = expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
  assert.equal(error.detail, "header_block_too_large");
  // 131072 octets = 8 frames of 16384: the 8th CONTINUATION (9th frame) crosses the budget.
  assert.ok(outcome.fed <= 8, `tripped after ${outcome.fed} × 16 KiB`);
  assert.ok(outcome.heapDelta < 8 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("HPACK bomb (CVE-2016-6581): a 4 KB entry referenced 4000 times is stopped while decoding", () => {
  // RFC 9113 §10.5.1, RFC 7541 §4.1: 8 KB on the wire would decode to 16 MB; the list size is enforced as we go.
  const conn = server();
  const bomb = [...w.literalIndexed("x-bomb", "a".repeat(4_000))];
  for (let i = 0; i < 4_000; i++) bomb.push(...w.indexed(62));
  const started = performance.now();
  const outcome = attack(conn, 1, () => w.headers(1, getWith(bomb), { endStream: true }));
  const ms = performance.now() - started;
  assert.equal(requests(outcome.events).length, 0, "the bomb was delivered as a request");
  // 16 MB is far beyond 4 × 64 KiB: a connection error, ENHANCE_YOUR_CALM (or COMPRESSION_ERROR).
  assert.ok(outcome.error !== undefined, "no connection error");
  const code = outcome.error.errorCode;
  assert.ok(code === w.E.ENHANCE_YOUR_CALM || code === w.E.COMPRESSION_ERROR, `code ${code}`);
  expectGoAway(outcome, code);
  assert.equal(outcome.error.detail, "header_list_way_too_large");
  assert.ok(outcome.heapDelta < 8 * MiB, `heap grew ${outcome.heapDelta}`);
  assert.ok(ms < 1_000, `took ${ms} ms`);
});

Deno.test("A header list just over MAX_HEADER_LIST_SIZE is a stream error and the HPACK table stays in sync", () => {
  // RFC 9113 §10.5.1: "a server that receives a larger header block than it is willing to handle can send
  // an HTTP 431 ... A client can discard responses that it cannot process", but the block must be decoded.
  const conn = server();
  const over = [...w.literalIndexed("x-big", "b".repeat(4_000))];
  for (let i = 0; i < 20; i++) over.push(...w.indexed(62)); // 21 × 4037 ≈ 85 KB > 64 KiB, < 4×
  const first = attack(conn, 1, () => w.headers(1, getWith(over), { endStream: true }));
  assert.equal(first.error, undefined, `connection error ${first.error?.detail}`);
  assert.equal(requests(first.events).length, 0);
  const resets = w.resets(first.frames);
  assert.equal(resets.length, 1);
  assert.equal(resets[0]![0], 1);
  // The entry added by the rejected block is usable: the decoder kept the table in sync.
  const next = attack(conn, 1, () => w.headers(3, getWith(w.indexed(62)), { endStream: true }));
  assert.equal(next.error, undefined);
  const [request] = requests(next.events);
  assert.ok(request, "follow-up request not delivered");
  assert.deepEqual(request.headers.at(-1), ["x-big", "b".repeat(4_000)]);
});

Deno.test("HTTP/2 Bomb (CVE-2026-49975): 1900 references per request on streams pinned by a zero window", () => {
  // RFC 9113 §6.5.2, §10.5.1: each request stays under 64 KiB but costs 1900 fields; the field cap refuses it.
  const conn = server();
  // Pin the streams: the peer gives us no window to answer with a body.
  conn.receiveData(w.settings([[4, 0]]));
  // One tiny dynamic-table entry ("a", "") …
  const seed = attack(
    conn,
    1,
    () => w.headers(1, getWith(w.literalIndexed("a", "")), { endStream: true }),
  );
  assert.equal(requests(seed.events).length, 1);
  // … referenced 1900 times per request (list size 1900 × 33 + GET ≈ 62.9 KB < 65536).
  const refs: number[] = [];
  for (let i = 0; i < 1_900; i++) refs.push(...w.indexed(62));
  const block = getWith(refs);
  const STREAMS = 600;
  const outcome = attack(conn, STREAMS, (i) => w.headers(sid(i + 1), block, { endStream: true }));
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  assert.equal(requests(outcome.events).length, 0, "a bomb request was delivered");
  const resets = w.resets(outcome.frames);
  assert.equal(resets.length, STREAMS);
  for (const [id, code] of resets) assert.equal(code, w.E.ENHANCE_YOUR_CALM, `stream ${id}`);
  assert.ok(conn.openInboundStreams <= 1);
  // Naively, 600 × 1904 retained fields are > 40 MB of arrays.
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
  // A request with 120 fields (under the 128 cap) is still served.
  const fine: number[] = [];
  for (let i = 0; i < 116; i++) fine.push(...w.indexed(62));
  const ok = attack(conn, 1, () => w.headers(sid(STREAMS + 1), getWith(fine), { endStream: true }));
  assert.equal(requests(ok.events).length, 1);
  assert.equal(requests(ok.events)[0]!.headers.length, 120);
});

Deno.test("Zero-length headers (CVE-2019-9516): empty fields are refused and each costs 32 octets", async (t) => {
  // RFC 9113 §8.2.1: an empty name is malformed; RFC 9113 §6.5.2: every field counts name + value + 32.
  await t.step("4000 empty names and values", () => {
    const conn = server();
    const empties: number[] = [];
    for (let i = 0; i < 4_000; i++) empties.push(...w.literal("", ""));
    const outcome = attack(conn, 1, () => w.headers(1, getWith(empties), { endStream: true }));
    assert.equal(requests(outcome.events).length, 0);
    const reset = w.resets(outcome.frames)[0];
    const goaway = w.goAways(outcome.frames)[0];
    assert.ok(reset !== undefined || goaway !== undefined, "neither RST_STREAM nor GOAWAY");
    const code = reset?.[1] ?? goaway!.errorCode;
    assert.ok(code === w.E.ENHANCE_YOUR_CALM || code === w.E.PROTOCOL_ERROR, `code ${code}`);
  });
  await t.step(
    "empty values: 2000 × ('a', '') exceeds 64 KiB by overhead alone, 1900 does not",
    () => {
      const conn = server({ limits: { maxHeaderFields: 100_000 } });
      const fields = (n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push(...w.literal("a", ""));
        return out;
      };
      const over = attack(conn, 1, () => w.headers(1, getWith(fields(2_000)), { endStream: true }));
      assert.equal(over.error, undefined, `connection error ${over.error?.detail}`);
      assert.equal(requests(over.events).length, 0);
      assert.equal(w.resets(over.frames)[0]?.[0], 1);
      const under = attack(
        conn,
        1,
        () => w.headers(3, getWith(fields(1_900)), { endStream: true }),
      );
      assert.equal(requests(under.events).length, 1);
      assert.equal(requests(under.events)[0]!.headers.length, 1_904);
    },
  );
  await t.step("a flood of empty-field requests on many streams stays bounded", () => {
    const conn = server();
    const empties: number[] = [];
    for (let i = 0; i < 2_000; i++) empties.push(...w.literal("", ""));
    const block = getWith(empties);
    const outcome = attack(conn, 5_000, (i) => w.headers(sid(i), block, { endStream: true }));
    assert.equal(requests(outcome.events).length, 0);
    // Each refusal is a reset we generate: the glitch budget ends it.
    expectGoAway(outcome, w.E.ENHANCE_YOUR_CALM);
    assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
  });
});

Deno.test("Oversized header list: a 70 KB literal list is refused with RST_STREAM, the connection lives", () => {
  // RFC 9113 §10.5.1: MAX_HEADER_LIST_SIZE is advisory; over it, a stream error (431-style) is allowed.
  const conn = server();
  const big: Array<readonly [string, string]> = [...w.GET];
  for (let i = 0; i < 5; i++) big.push([`x-${i}`, "v".repeat(14_000)]);
  const outcome = attack(conn, 1, () => headerFrames(1, w.block(big)));
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  assert.equal(requests(outcome.events).length, 0);
  assert.equal(w.resets(outcome.frames)[0]?.[0], 1);
  const next = attack(conn, 1, () => w.request(3, true));
  assert.equal(requests(next.events).length, 1);
});

Deno.test("The advertised SETTINGS carry MAX_HEADER_LIST_SIZE 65536 and MAX_CONCURRENT_STREAMS 100", () => {
  // RFC 9113 §6.5.2: the limits we enforce are the ones we announce.
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  const [first] = w.parseFrames(conn.dataToSend());
  assert.equal(first?.type, w.T.SETTINGS);
  const view = new DataView(first.payload.buffer, first.payload.byteOffset, first.payload.length);
  const entries = new Map<number, number>();
  for (let at = 0; at < first.payload.length; at += 6) {
    entries.set(view.getUint16(at), view.getUint32(at + 2));
  }
  assert.equal(entries.get(6), 65_536);
  assert.equal(entries.get(3), 100);
});
