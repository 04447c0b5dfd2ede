// Denial-of-service budgets (reference/http2-attacks.md, API.md §5 "Beyond h2"):
// each known attack hits a budget with a clear outcome (GOAWAY ENHANCE_YOUR_CALM
// or a refused/reset stream) and bounded memory.
import assert from "node:assert/strict";
import { bytes, frames, hpack, repeat } from "../_helpers/frames.ts";
import { type Peer, ready, request } from "../_helpers/peer.ts";

function expectCalm(peer: Peer): void {
  // RFC 9113 §7: ENHANCE_YOUR_CALM "The endpoint detected that its peer is exhibiting a behavior that might be generating excessive load."
  peer.expectConnectionError("ENHANCE_YOUR_CALM");
}

Deno.test("H2Connection answers Rapid Reset (CVE-2023-44487) with GOAWAY(ENHANCE_YOUR_CALM) after the reset burst", async (t) => {
  // RFC 9113 §6.4 + reference/http2-attacks.md row 6: received RST_STREAM budget (burst 1000 by default)
  await t.step("default burst of 1000", () => {
    const peer = ready("server");
    for (let i = 0; i < 1000; i++) {
      const id = 2 * i + 1;
      peer.send(frames.headers(id).request("GET", "/").endStream(), frames.rstStream(id).cancel());
      peer.read();
    }
    peer.trySend(
      frames.headers(2001).request("GET", "/").endStream(),
      frames.rstStream(2001).cancel(),
    );
    expectCalm(peer);
  });
  await t.step("limits.resetBurst = 10", () => {
    const peer = ready("server", { conn: { limits: { resetBurst: 10 } } });
    for (let id = 1; id <= 19; id += 2) {
      peer.send(frames.headers(id).request("GET", "/"), frames.rstStream(id).cancel());
    }
    peer.read();
    peer.trySend(frames.headers(21).request("GET", "/"), frames.rstStream(21).cancel());
    expectCalm(peer);
  });
});

Deno.test("H2Connection refills the reset budget from the injected clock (token bucket, reference/http2-attacks.md row 6)", () => {
  // API brief: `now` drives rate budgets; without it they are plain counts.
  let now = 0;
  const peer = ready("server", {
    conn: { limits: { resetBurst: 10, resetRatePerSecond: 5 }, now: () => now },
  });
  let id = 1;
  const reset = () => {
    peer.trySend(frames.headers(id).request("GET", "/"), frames.rstStream(id).cancel());
    id += 2;
    return peer.error;
  };
  for (let i = 0; i < 10; i++) assert.equal(reset(), undefined, `reset ${i}`);
  now += 1000;
  for (let i = 0; i < 5; i++) assert.equal(reset(), undefined, `refilled reset ${i}`);
  peer.read();
  reset();
  expectCalm(peer);
});

Deno.test("H2Connection counts resets it is provoked into (MadeYouReset, CVE-2025-8671) against the glitch budget", () => {
  // reference/http2-attacks.md row 7: server-generated stream errors are glitches → GOAWAY(ENHANCE_YOUR_CALM)
  const peer = ready("server", { conn: { limits: { glitchBurst: 10 } } });
  for (let id = 1; id <= 19; id += 2) {
    peer.send(frames.headers(id).request("GET", "/").endStream(), frames.windowUpdate(id, 0));
  }
  const out = peer.read();
  assert.equal(
    out.filter((f) => f.type === "RST_STREAM").length,
    10,
    "each WINDOW_UPDATE 0 reset its stream (§6.9)",
  );
  peer.trySend(frames.headers(21).request("GET", "/").endStream(), frames.windowUpdate(21, 0));
  expectCalm(peer);
});

Deno.test("H2Connection answers an empty DATA flood (CVE-2019-9518) with GOAWAY(ENHANCE_YOUR_CALM)", () => {
  // reference/http2-attacks.md row 7: empty DATA without END_STREAM is a glitch.
  const peer = ready("server", { conn: { limits: { glitchBurst: 10 } } });
  peer.openStream(1);
  for (let i = 0; i < 10; i++) peer.send(frames.data(1, ""));
  peer.trySend(frames.data(1, ""));
  expectCalm(peer);
});

Deno.test("H2Connection allows the default 1000 empty DATA frames, then calls the peer to calm down", () => {
  // reference/http2-attacks.md: glitch burst 1000 (nghttp2 1.67 default)
  const peer = ready("server");
  peer.openStream(1);
  peer.send(Array.from({ length: 1000 }, () => frames.data(1, "")));
  peer.trySend(frames.data(1, ""));
  expectCalm(peer);
});

Deno.test("H2Connection answers a PING flood that never reads its output with GOAWAY(ENHANCE_YOUR_CALM) (CVE-2019-9512)", async (t) => {
  // reference/http2-attacks.md row 8: at most 1000 queued ACKs since the output was last drained.
  await t.step("1000 queued ACKs are fine, the 1001st is not", () => {
    const peer = ready("server");
    peer.send(Array.from({ length: 1000 }, () => frames.ping()));
    assert.equal(peer.conn.outboundBufferSize, 1000 * 17, "1000 PING ACKs of 17 octets queued");
    peer.trySend(frames.ping());
    expectCalm(peer);
  });
  await t.step("a peer that reads its ACKs is never cut off", () => {
    const peer = ready("server");
    for (let round = 0; round < 5; round++) {
      peer.send(Array.from({ length: 600 }, () => frames.ping()));
      assert.equal(peer.read().length, 600);
    }
  });
  await t.step("limits.maxQueuedControlFrames bounds all queued control frames", () => {
    const peer = ready("server", { conn: { limits: { maxQueuedControlFrames: 20 } } });
    peer.send(Array.from({ length: 20 }, () => frames.ping()));
    peer.trySend(frames.ping());
    expectCalm(peer);
  });
});

Deno.test("H2Connection answers a SETTINGS flood that never reads its output with GOAWAY(ENHANCE_YOUR_CALM) (CVE-2019-9515)", () => {
  // reference/http2-attacks.md row 8: SETTINGS ACKs share the queued-ACK budget.
  const peer = ready("server");
  peer.send(Array.from({ length: 1000 }, () => frames.settings()));
  peer.trySend(frames.settings());
  expectCalm(peer);
});

Deno.test("H2Connection rejects SETTINGS frames with more than 32 entries with GOAWAY(ENHANCE_YOUR_CALM) (CVE-2020-11080)", async (t) => {
  // reference/http2-attacks.md row 9: nghttp2 max_settings 32
  await t.step("32 entries are accepted", () => {
    const peer = ready("server");
    const s = frames.settings();
    for (let i = 0; i < 32; i++) s.set(0x100 + i, i);
    peer.send(s);
    peer.expect(frames.settingsAck());
  });
  await t.step("33 entries are not", () => {
    const peer = ready("server");
    const s = frames.settings();
    for (let i = 0; i < 33; i++) s.set(0x100 + i, i);
    peer.trySend(s);
    expectCalm(peer);
  });
});

Deno.test("H2Connection caps CONTINUATION frames per header block (CONTINUATION flood, VU#421644)", async (t) => {
  // reference/http2-attacks.md row 4: 8 CONTINUATION frames per block, zero-length ones included.
  const block = hpack.encode(request());
  await t.step("HEADERS + 8 CONTINUATION frames are accepted", () => {
    const peer = ready("server");
    const parts = [
      frames.headers(1).block(block.subarray(0, 2)).noEndHeaders().endStream().toBytes(),
    ];
    for (let i = 0; i < 7; i++) {
      parts.push(frames.continuation(1, block.subarray(2 + i, 3 + i)).toBytes());
    }
    parts.push(frames.continuation(1, block.subarray(9)).endHeaders().toBytes());
    peer.send(parts);
    assert.equal(peer.event("RequestReceived").streamId, 1);
  });
  await t.step("the 9th CONTINUATION (empty ones too) is rejected before END_HEADERS", () => {
    const peer = ready("server");
    peer.send(frames.headers(1).block(block).noEndHeaders());
    for (let i = 0; i < 8; i++) peer.send(frames.continuation(1, new Uint8Array()));
    peer.trySend(frames.continuation(1, new Uint8Array()));
    expectCalm(peer);
  });
  await t.step("limits.maxHeaderBlockBytes caps the buffered fragments", () => {
    const peer = ready("server", { conn: { limits: { maxHeaderBlockBytes: 1000 } } });
    peer.send(frames.headers(1).block(repeat(0, 600)).noEndHeaders());
    peer.trySend(frames.continuation(1, repeat(0, 600)));
    expectCalm(peer);
  });
});

Deno.test("H2Connection bounds an HPACK bomb (CVE-2016-6581) without materialising it", async (t) => {
  // RFC 9113 §10.5.1, reference/http2-attacks.md row 2: over MAX_HEADER_LIST_SIZE → reset; far over (4×) → GOAWAY(ENHANCE_YOUR_CALM).
  const big = "a".repeat(4000);
  const bomb = (refs: number) =>
    bytes(
      hpack.encode(request()),
      hpack.literalIndexed("x-bomb", big),
      Array.from({ length: refs }, () => hpack.indexed(62)),
    );
  await t.step("just over the limit: stream reset, table kept in sync", () => {
    const peer = ready("server");
    peer.trySend(frames.headers(1).block(bomb(17)).endStream()); // ≈ 18 × 4038 = 72,684 > 65,536
    assert.ok(!peer.eventTypes().includes("RequestReceived"));
    const out = peer.read();
    assert.equal(peer.error, undefined, "a modest excess is a stream error (§10.5.1)");
    assert.deepEqual(out.filter((f) => f.type === "RST_STREAM").map((f) => f.stream), [1]);
    peer.send(frames.headers(3).block(hpack.encode(request()), hpack.indexed(62)).endStream());
    assert.deepEqual(peer.event("RequestReceived").headers.at(-1), ["x-bomb", big]);
  });
  await t.step("far over the limit: GOAWAY(ENHANCE_YOUR_CALM)", () => {
    const peer = ready("server");
    peer.trySend(frames.headers(1).block(bomb(3000)).endStream()); // ≈ 12 MB decoded from ~7 KB
    expectCalm(peer);
  });
});

Deno.test("H2Connection caps the number of header fields at 128 (HTTP/2 Bomb, CVE-2026-49975)", async (t) => {
  // reference/http2-attacks.md row 3: a field-count cap of 128.
  const fields = (n: number) =>
    bytes(
      hpack.encode(request()),
      hpack.literalIndexed("x", ""),
      Array.from({ length: n - 5 }, () => hpack.indexed(62)),
    );
  await t.step("128 fields are delivered", () => {
    const peer = ready("server");
    peer.send(frames.headers(1).block(fields(128)).endStream());
    assert.equal(peer.event("RequestReceived").headers.length, 128);
  });
  await t.step("129 fields are not", () => {
    const peer = ready("server");
    peer.trySend(frames.headers(1).block(fields(129)).endStream());
    assert.ok(!peer.eventTypes().includes("RequestReceived"));
    if (peer.error !== undefined) {
      expectCalm(peer);
    } else {
      const out = peer.read();
      assert.deepEqual(
        out.filter((f) => f.type === "RST_STREAM").map((f) => f.stream),
        [1],
        JSON.stringify(out),
      );
    }
  });
});

Deno.test("H2Connection refuses to let unknown and PRIORITY frames flood it (glitch budget, reference/http2-attacks.md row 7, 12)", async (t) => {
  // RFC 9113 §5.5 (unknown frames are ignored) and §5.3.2 (PRIORITY is deprecated) — but each costs a glitch.
  await t.step("unknown frames", () => {
    const peer = ready("server", { conn: { limits: { glitchBurst: 10 } } });
    for (let i = 0; i < 10; i++) peer.send(frames.unknown(0xfa, 0, "x"));
    peer.trySend(frames.unknown(0xfa, 0, "x"));
    expectCalm(peer);
  });
  await t.step("PRIORITY frames", () => {
    const peer = ready("server", { conn: { limits: { glitchBurst: 10 } } });
    for (let i = 0; i < 10; i++) peer.send(frames.priority(1, { dependsOn: 0 }));
    peer.trySend(frames.priority(1, { dependsOn: 0 }));
    expectCalm(peer);
  });
});

Deno.test("H2Connection accepts a header list of exactly MAX_HEADER_LIST_SIZE and refuses one octet more (RFC 9113 §6.5.2)", async (t) => {
  // RFC 9113 §6.5.2: size = name + value + 32 per field; the advertised 65,536 is inclusive.
  const base = request();
  const baseSize = base.reduce((n, [k, v]) => n + k.length + v.length + 32, 0);
  const make = (total: number) => {
    const value = "v".repeat(total - baseSize - 32 - "x-fill".length);
    const block = hpack.encode([...base, ["x-fill", value]]);
    const parts = [];
    for (let at = 0; at < block.length; at += 16_000) {
      const chunk = block.subarray(at, at + 16_000);
      const last = at + 16_000 >= block.length;
      if (at === 0) {
        const h = frames.headers(1).block(chunk).endStream();
        if (!last) h.noEndHeaders();
        parts.push(h.toBytes());
      } else {
        const c = frames.continuation(1, chunk);
        if (last) c.endHeaders();
        parts.push(c.toBytes());
      }
    }
    return parts;
  };
  await t.step("65,536 octets", () => {
    const peer = ready("server");
    peer.send(make(65_536));
    assert.equal(peer.event("RequestReceived").streamId, 1);
  });
  await t.step("65,537 octets", () => {
    const peer = ready("server");
    peer.trySend(make(65_537));
    assert.ok(!peer.eventTypes().includes("RequestReceived"));
    assert.equal(peer.error, undefined, "just over the limit is a stream error (§10.5.1)");
    assert.deepEqual(peer.read().filter((f) => f.type === "RST_STREAM").map((f) => f.stream), [1]);
  });
});

Deno.test("H2Connection charges frames on streams it closed to the glitch budget (CVE-2019-9518, H2Limits.glitchBurst)", async (t) => {
  // RFC 9113 §5.1 lets us ignore them, H2Limits says each one costs a glitch; otherwise a flood is free.
  const floods: [string, () => Uint8Array][] = [
    ["empty DATA", () => frames.data(1, "").toBytes()],
    ["1-octet DATA", () => frames.data(1, "x").toBytes()],
    ["WINDOW_UPDATE", () => frames.windowUpdate(1, 1).toBytes()],
  ];
  for (const [name, make] of floods) {
    await t.step(`${name} on a stream we reset`, () => {
      const peer = ready("server", { conn: { limits: { glitchBurst: 10 } } });
      peer.openStream(1);
      peer.conn.resetStream(1, 0x8);
      peer.read();
      for (let i = 0; i < 30 && peer.error === undefined; i++) {
        peer.trySend(make());
        if (peer.error === undefined) peer.read();
      }
      expectCalm(peer);
    });
  }
});

Deno.test("H2Connection's reset budget holds its burst, no more, when first spent after a long idle time", () => {
  // A token bucket starts full and refills up to its burst only (reference/http2-attacks.md row 6).
  let now = 0;
  const peer = ready("server", {
    conn: { limits: { resetBurst: 10, resetRatePerSecond: 5 }, now: () => now },
  });
  now += 3_600_000;
  let id = 1;
  const reset = () => {
    peer.trySend(frames.headers(id).request("GET", "/"), frames.rstStream(id).cancel());
    id += 2;
    return peer.error;
  };
  for (let i = 0; i < 10; i++) assert.equal(reset(), undefined, `reset ${i}`);
  peer.read();
  reset();
  expectCalm(peer);
});
