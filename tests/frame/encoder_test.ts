import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { encodeFrame, FrameWriter } from "../../lib/frame/encoder.ts";
import type { HeadersFrame } from "../../lib/frame/types.ts";
import { ascii, concat, decodeAll, raw, u16, u32 } from "./_raw.ts";

const T = FrameType;

Deno.test("FrameWriter writes the exact octets RFC 9113 §4.1 and §6 define", () => {
  // RFC 9113 §4.1 header layout; §6.x payload layouts, compared with hand-built frames.
  const w = new FrameWriter();
  w.settings([[1, 4096], [4, 2 ** 31 - 1]]);
  w.settingsAck();
  w.windowUpdate(0, 2 ** 31 - 1);
  w.rstStream(3, ErrorCode.CANCEL);
  w.priority(5, { dependsOn: 3, weight: 256, exclusive: true });
  w.ping(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { ack: true });
  w.goAway(7, ErrorCode.PROTOCOL_ERROR, new Uint8Array([0x61]));
  w.data(1, new Uint8Array([9, 8]), { endStream: true, padLength: 2 });
  w.headers(1, new Uint8Array([0x82]), { maxFrameSize: 16_384, endStream: true });
  w.pushPromise(1, 2, new Uint8Array([0x83]), { maxFrameSize: 16_384 });
  w.altSvc(0, "a.com", 'h2=":443"');
  w.origin(["https://a.com", ""]);
  w.priorityUpdate(9, "u=2");
  w.unknown(0xee, 0x7fff_ffff, 0x81, new Uint8Array([1]));
  const expected = concat(
    raw(T.SETTINGS, 0, 0, [...u16(1), ...u32(4096), ...u16(4), ...u32(2 ** 31 - 1)]),
    raw(T.SETTINGS, 1, 0),
    raw(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)),
    raw(T.RST_STREAM, 0, 3, u32(8)),
    raw(T.PRIORITY, 0, 5, [0x80, 0, 0, 3, 255]),
    raw(T.PING, 1, 0, [1, 2, 3, 4, 5, 6, 7, 8]),
    raw(T.GOAWAY, 0, 0, [...u32(7), ...u32(1), 0x61]),
    raw(T.DATA, 0x1 | 0x8, 1, [2, 9, 8, 0, 0]),
    raw(T.HEADERS, 0x1 | 0x4, 1, [0x82]),
    raw(T.PUSH_PROMISE, 0x4, 1, [...u32(2), 0x83]),
    raw(T.ALTSVC, 0, 0, [...u16(5), ...ascii("a.com"), ...ascii('h2=":443"')]),
    raw(T.ORIGIN, 0, 0, [...u16(13), ...ascii("https://a.com"), ...u16(0)]),
    raw(T.PRIORITY_UPDATE, 0, 0, [...u32(9), ...ascii("u=2")]),
    raw(0xee, 0x81, 0x7fff_ffff, [1]),
  );
  assert.equal(w.pendingLength, expected.length);
  assert.deepEqual(w.take(), expected);
  assert.equal(w.pendingLength, 0);
  assert.deepEqual(w.take(), new Uint8Array());
});

Deno.test("FrameWriter.take hands out bytes that later writes never overwrite", () => {
  // API contract: take() returns caller-owned bytes (Uint8Array<ArrayBuffer>).
  const w = new FrameWriter();
  const seen: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < 200; i++) {
    const payload = new Uint8Array(1 + ((i * 997) % 20_000)).fill(i & 0xff);
    w.data(1 + 2 * i, payload, { endStream: i % 2 === 0 });
    w.ping(new Uint8Array(8).fill(i & 0xff));
    const out = w.take(i % 3 === 0 ? undefined : 5_000 + i);
    seen.push([out, out.slice()]);
    if (i % 5 === 0) w.clear();
  }
  for (const [view, copy] of seen) assert.deepEqual(view, copy);
});

Deno.test("FrameWriter.take(amount) drains in order and concatenates to the same stream", () => {
  // API contract: take(amount) drains up to amount octets.
  const whole = new FrameWriter();
  const parts = new FrameWriter();
  for (const w of [whole, parts]) {
    w.data(1, new Uint8Array(40_000).map((_, i) => i), {});
    w.settingsAck();
    w.data(3, new Uint8Array(10).fill(3), { padLength: 255 });
  }
  const expected = whole.take();
  const chunks: Uint8Array[] = [];
  for (const n of [0, 1, 9, 5000, 3, 100_000]) {
    const part = parts.take(n);
    assert.ok(part.length <= n);
    chunks.push(part);
  }
  assert.equal(parts.pendingLength, 0);
  assert.deepEqual(concat(...chunks), expected);
  assert.ok(expected.buffer instanceof ArrayBuffer);
});

Deno.test("FrameWriter.take treats a negative or NaN amount as zero", () => {
  // API contract: take(amount) drains up to amount octets.
  const w = new FrameWriter();
  w.settingsAck();
  assert.equal(w.take(-1).length, 0);
  assert.equal(w.take(NaN).length, 0);
  assert.equal(w.take(2.9).length, 2);
  assert.equal(w.pendingLength, 7);
  assert.deepEqual(w.take(Infinity), raw(T.SETTINGS, 1, 0).subarray(2));
});

Deno.test("FrameWriter.take output goes straight into a Response body", async () => {
  // API contract: take() returns Uint8Array<ArrayBuffer> (a valid BodyInit without a cast).
  const w = new FrameWriter();
  w.data(1, new Uint8Array([1, 2, 3]), { endStream: true });
  const body: Uint8Array<ArrayBuffer> = w.take();
  const echoed = new Uint8Array(await new Response(body).arrayBuffer());
  assert.deepEqual(echoed, raw(T.DATA, 1, 1, [1, 2, 3]));
});

Deno.test("FrameWriter.clear drops queued frames", () => {
  // API contract: clear() empties the queue; later frames are written normally.
  const w = new FrameWriter();
  w.data(1, new Uint8Array(100));
  w.clear();
  assert.equal(w.pendingLength, 0);
  w.settingsAck();
  assert.deepEqual(w.take(), raw(T.SETTINGS, 1, 0));
});

Deno.test("FrameWriter rejects misuse with RangeError or TypeError and queues nothing", async (t) => {
  // STYLE: misuse by our own caller is not an H2 error.
  const cases: Array<[string, (w: FrameWriter) => void, ErrorConstructor]> = [
    ["DATA on stream 0", (w) => w.data(0, new Uint8Array(1)), RangeError],
    ["DATA on stream 2^31", (w) => w.data(2 ** 31, new Uint8Array(1)), RangeError],
    ["DATA on stream 1.5", (w) => w.data(1.5, new Uint8Array(1)), RangeError],
    ["DATA pad 256", (w) => w.data(1, new Uint8Array(1), { padLength: 256 }), RangeError],
    ["DATA pad -1", (w) => w.data(1, new Uint8Array(1), { padLength: -1 }), RangeError],
    ["DATA over 2^24-1", (w) => w.data(1, new Uint8Array(2 ** 24)), RangeError],
    [
      "HEADERS on stream 0",
      (w) => w.headers(0, new Uint8Array(1), { maxFrameSize: 16_384 }),
      RangeError,
    ],
    ["HEADERS weight 0", (w) =>
      w.headers(1, new Uint8Array(1), {
        maxFrameSize: 16_384,
        priority: { dependsOn: 0, weight: 0, exclusive: false },
      }), RangeError],
    [
      "HEADERS maxFrameSize 0",
      (w) => w.headers(1, new Uint8Array(1), { maxFrameSize: 0 }),
      RangeError,
    ],
    [
      "PRIORITY weight 257",
      (w) => w.priority(1, { dependsOn: 0, weight: 257, exclusive: false }),
      RangeError,
    ],
    [
      "PRIORITY dependency 2^31",
      (w) => w.priority(1, { dependsOn: 2 ** 31, weight: 16, exclusive: false }),
      RangeError,
    ],
    ["RST_STREAM on stream 0", (w) => w.rstStream(0, 0), RangeError],
    ["RST_STREAM code 2^32", (w) => w.rstStream(1, 2 ** 32), RangeError],
    ["SETTINGS id 2^16", (w) => w.settings([[65_536, 0]]), RangeError],
    ["SETTINGS value -1", (w) => w.settings([[1, -1]]), RangeError],
    [
      "PUSH_PROMISE promising 0",
      (w) => w.pushPromise(1, 0, new Uint8Array(), { maxFrameSize: 16_384 }),
      RangeError,
    ],
    ["PING of 7 octets", (w) => w.ping(new Uint8Array(7)), RangeError],
    ["GOAWAY last stream -1", (w) => w.goAway(-1, 0), RangeError],
    ["WINDOW_UPDATE increment 0", (w) => w.windowUpdate(1, 0), RangeError],
    ["WINDOW_UPDATE increment 2^31", (w) => w.windowUpdate(0, 2 ** 31), RangeError],
    ["ALTSVC non-byte origin", (w) => w.altSvc(0, "\u0100", ""), TypeError],
    ["ALTSVC non-byte value", (w) => w.altSvc(0, "", "€"), TypeError],
    ["ORIGIN non-byte origin", (w) => w.origin(["ok", "é\u2603"]), TypeError],
    ["PRIORITY_UPDATE for stream 0", (w) => w.priorityUpdate(0, "u=1"), RangeError],
    ["PRIORITY_UPDATE non-byte value", (w) => w.priorityUpdate(1, "\u{1F600}"), TypeError],
    ["unknown type 256", (w) => w.unknown(256, 0, 0, new Uint8Array()), RangeError],
    ["unknown flags 256", (w) => w.unknown(0xee, 0, 256, new Uint8Array()), RangeError],
  ];
  for (const [name, call, errorClass] of cases) {
    await t.step(name, () => {
      const w = new FrameWriter();
      assert.throws(() => call(w), errorClass);
      assert.equal(w.pendingLength, 0);
    });
  }
});

function headersFrame(fragment: Uint8Array, over: Partial<HeadersFrame> = {}): HeadersFrame {
  return {
    type: T.HEADERS,
    streamId: 1,
    fragment,
    endStream: false,
    endHeaders: true,
    padLength: undefined,
    priority: undefined,
    ...over,
  };
}

Deno.test("FrameWriter.headers splits a field block into CONTINUATION frames at maxFrameSize", async (t) => {
  // RFC 9113 §4.3 (contiguous HEADERS + CONTINUATION), §6.10 (END_HEADERS on the last).
  const max = 16_384;
  const cases: Array<[string, number, number[]]> = [
    ["an empty block", 0, [0]],
    ["a block of exactly maxFrameSize", max, [max]],
    ["a block of maxFrameSize + 1", max + 1, [max, 1]],
    ["a block of 3 × maxFrameSize", 3 * max, [max, max, max]],
  ];
  for (const [name, size, lengths] of cases) {
    await t.step(name, () => {
      const block = new Uint8Array(size).map((_, i) => i * 31);
      const w = new FrameWriter();
      w.headers(3, block, { endStream: true, maxFrameSize: max });
      const frames = decodeAll(w.take());
      assert.deepEqual(
        frames.map((f) => f.type),
        lengths.map((_, i) => (i === 0 ? T.HEADERS : T.CONTINUATION)),
      );
      const fragments = frames.map((f) => ("fragment" in f ? f.fragment : new Uint8Array()));
      assert.deepEqual(fragments.map((f) => f.length), lengths);
      assert.deepEqual(concat(...fragments), block);
      frames.forEach((f, i) => {
        assert.equal(f.streamId, 3);
        assert.equal("endHeaders" in f && f.endHeaders, i === frames.length - 1);
      });
      assert.ok(frames[0]?.type === T.HEADERS && frames[0].endStream);
      // encodeFrame splits the same way.
      assert.deepEqual(
        decodeAll(
          encodeFrame(headersFrame(block, { streamId: 3, endStream: true }), { maxFrameSize: max }),
        ),
        frames,
      );
    });
  }
  await t.step("priority fields and padding count against the first frame", () => {
    const block = new Uint8Array(max);
    const w = new FrameWriter();
    w.headers(1, block, {
      maxFrameSize: max,
      priority: { dependsOn: 0, weight: 16, exclusive: false },
      padLength: 10,
    });
    const frames = decodeAll(w.take());
    assert.deepEqual(frames.map((f) => ("fragment" in f ? f.fragment.length : -1)), [max - 16, 16]);
  });
  await t.step("PUSH_PROMISE splits after its promised stream id", () => {
    const w = new FrameWriter();
    w.pushPromise(1, 2, new Uint8Array(max), { maxFrameSize: max });
    const frames = decodeAll(w.take());
    assert.deepEqual(frames.map((f) => f.type), [T.PUSH_PROMISE, T.CONTINUATION]);
    assert.deepEqual(frames.map((f) => ("fragment" in f ? f.fragment.length : -1)), [max - 4, 4]);
  });
});

Deno.test("encodeFrame refuses a non-header frame above maxFrameSize", () => {
  // RFC 9113 §4.2: a frame must not exceed the peer's SETTINGS_MAX_FRAME_SIZE.
  const frame = {
    type: T.DATA,
    streamId: 1,
    data: new Uint8Array(16_385),
    endStream: false,
    padLength: undefined,
  } as const;
  assert.throws(() => encodeFrame(frame, { maxFrameSize: 16_384 }), RangeError);
  assert.equal(encodeFrame(frame).length, 9 + 16_385);
});
