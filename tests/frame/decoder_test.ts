import assert from "node:assert/strict";
import { FrameType, SettingCode } from "../../lib/constants.ts";
import { ErrorCode, FrameTooLargeError, H2Error } from "../../lib/errors.ts";
import { FrameDecoder } from "../../lib/frame/decoder.ts";
import { ascii, concat, decodeAll, raw, u16, u32 } from "./_raw.ts";

const T = FrameType;
const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 };
const PING = raw(T.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]);
const setting = (id: number, value: number) => raw(T.SETTINGS, 0, 0, [...u16(id), ...u32(value)]);

/** A stream of many frame types, built by hand from RFC 9113 §4.1/§6. */
function sampleStream(): Uint8Array {
  const body = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
  return concat(
    raw(T.SETTINGS, 0, 0, [
      ...u16(SettingCode.INITIAL_WINDOW_SIZE),
      ...u32(1 << 20),
      0,
      0x99,
      0,
      0,
      0,
      7,
    ]),
    raw(T.SETTINGS, F.ACK, 0),
    raw(T.WINDOW_UPDATE, 0, 0, u32(0x8000_0000 + 65_535)), // R bit set: masked
    raw(T.HEADERS, F.PRIORITY | F.PADDED, 1, [2, 0x80, 0, 0, 3, 15, 0x82, 0x84, 0, 0]),
    raw(T.CONTINUATION, F.END_HEADERS, 1, [0x86, 0x41]),
    raw(T.DATA, F.PADDED, 1, [4, ...body.subarray(0, 1000), 0, 0, 0, 0]),
    raw(T.DATA, F.END_STREAM, 1, body),
    raw(T.PRIORITY, 0, 3, [0, 0, 0, 1, 255]),
    raw(0x0b, 0xff, 5, [9, 9, 9]),
    raw(T.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)),
    raw(T.PUSH_PROMISE, F.END_HEADERS, 1, [...u32(2), 0x82]),
    PING,
    raw(T.ALTSVC, 0, 0, [...u16(11), ...ascii("example.com"), ...ascii('h2=":443"')]),
    raw(T.ORIGIN, 0, 0, [...u16(3), ...ascii("a.b"), ...u16(0)]),
    raw(T.PRIORITY_UPDATE, 0, 0, [...u32(5), ...ascii("u=1, i")]),
    raw(T.GOAWAY, 0, 0, [...u32(7), ...u32(0), ...ascii("bye")]),
    raw(T.DATA, 0, 0x7fff_ffff, []),
  );
}

Deno.test("FrameDecoder decodes a mixed stream into typed frames with reserved bits masked", () => {
  // RFC 9113 §4.1, §6: every frame type, flags as booleans, R/E bits masked.
  const frames = decodeAll(sampleStream());
  assert.equal(frames.length, 17);
  assert.deepEqual(frames[0], {
    type: T.SETTINGS,
    streamId: 0,
    ack: false,
    settings: [[4, 1 << 20], [0x99, 7]],
  });
  assert.deepEqual(frames[2], { type: T.WINDOW_UPDATE, streamId: 0, increment: 65_535 });
  assert.deepEqual(frames[3], {
    type: T.HEADERS,
    streamId: 1,
    fragment: new Uint8Array([0x82, 0x84]),
    endStream: false,
    endHeaders: false,
    padLength: 2,
    priority: { dependsOn: 3, weight: 16, exclusive: true },
  });
  assert.deepEqual(frames[8], {
    type: "unknown",
    frameType: 0x0b,
    streamId: 5,
    flags: 0xff,
    payload: new Uint8Array([9, 9, 9]),
  });
  assert.deepEqual(frames[12], {
    type: T.ALTSVC,
    streamId: 0,
    origin: "example.com",
    fieldValue: 'h2=":443"',
  });
  assert.deepEqual(frames[13], { type: T.ORIGIN, streamId: 0, origins: ["a.b", ""] });
  assert.deepEqual(frames[16], {
    type: T.DATA,
    streamId: 0x7fff_ffff,
    data: new Uint8Array(0),
    endStream: false,
    padLength: undefined,
  });
});

Deno.test("FrameDecoder gives identical frames when fed one byte at a time", () => {
  // RFC 9113 §4: frames are delimited by the length field, whatever the transport split.
  const bytes = sampleStream();
  const whole = decodeAll(bytes);
  assert.deepEqual(decodeAll(bytes, { chunkSizes: [1] }), whole);
  assert.deepEqual(decodeAll(bytes, { chunkSizes: [7, 1, 13, 1000, 2, 9] }), whole);
});

Deno.test("FrameDecoder gives identical frames at every split point of a small stream", () => {
  // RFC 9113 §4: resumable at any split.
  const bytes = concat(
    raw(T.HEADERS, F.END_HEADERS | F.PADDED, 1, [1, 0x82, 0]),
    raw(T.DATA, F.END_STREAM, 1, ascii("hello")),
    PING,
    raw(T.SETTINGS, F.ACK, 0),
  );
  const whole = decodeAll(bytes);
  assert.equal(whole.length, 4);
  for (let a = 1; a < bytes.length; a++) {
    assert.deepEqual(decodeAll(bytes, { chunkSizes: [a, bytes.length] }), whole, `split at ${a}`);
    for (let b = a + 1; b < bytes.length; b++) {
      assert.deepEqual(
        decodeAll(bytes, { chunkSizes: [a, b - a, bytes.length] }),
        whole,
        `split at ${a} and ${b}`,
      );
    }
  }
});

Deno.test("FrameDecoder returns payload views of the pushed chunk without copying", () => {
  // RFC 9113 §6.1: DATA payload; performance contract: views, not copies.
  const chunk = raw(T.DATA, 0, 1, [1, 2, 3]);
  const decoder = new FrameDecoder();
  decoder.push(chunk);
  const frame = decoder.next();
  assert.ok(frame?.type === T.DATA);
  assert.equal(frame.data.buffer, chunk.buffer);
  assert.equal(frame.data.byteOffset, 9);
});

Deno.test("FrameDecoder keeps views of a frame completed from its buffer valid during the same push", () => {
  // RFC 9113 §4: a frame split across pushes is buffered; views must survive the next stash.
  const a = raw(T.DATA, 0, 1, new Uint8Array(100).fill(0xaa));
  const b = raw(T.DATA, 0, 3, new Uint8Array(50).fill(0xbb));
  const c = raw(T.DATA, 0, 5, new Uint8Array(200).fill(0xcc));
  const decoder = new FrameDecoder();
  decoder.push(a.slice(0, 40));
  assert.equal(decoder.next(), undefined);
  decoder.push(concat(a.subarray(40), b, c.subarray(0, 150)));
  const first = decoder.next();
  const second = decoder.next();
  assert.equal(decoder.next(), undefined); // stashes 150 octets of c
  assert.ok(first?.type === T.DATA && second?.type === T.DATA);
  assert.deepEqual(first.data, new Uint8Array(100).fill(0xaa));
  assert.deepEqual(second.data, new Uint8Array(50).fill(0xbb));
  decoder.push(c.subarray(150));
  const third = decoder.next();
  assert.ok(third?.type === T.DATA);
  assert.deepEqual(third.data, new Uint8Array(200).fill(0xcc));
  assert.equal(decoder.bufferedLength, 0);
});

Deno.test("FrameDecoder keeps views of split frames valid after any number of later pushes", () => {
  // RFC 9113 §4: frames split across pushes are reassembled; callers may keep what they got.
  const frames = Array.from(
    { length: 20 },
    (_, i) => raw(T.DATA, 0, 2 * i + 1, new Uint8Array(97).fill(i)),
  );
  const bytes = concat(...frames);
  const decoder = new FrameDecoder();
  const seen: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 33) {
    decoder.push(bytes.subarray(at, at + 33));
    for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
      if (frame.type === T.DATA) seen.push(frame.data);
    }
  }
  assert.equal(seen.length, 20);
  seen.forEach((data, i) => assert.deepEqual(data, new Uint8Array(97).fill(i)));
});

Deno.test("FrameDecoder rejects control frames of an impossible length from the 9-octet header alone", async (t) => {
  // RFC 9113 §6.4, §6.5, §6.7, §6.8, §6.9: these lengths are FRAME_SIZE_ERRORs whatever the payload,
  // so the decoder must not wait for a payload that may never come (h2spec http2/6.5/3).
  const cases: Array<[string, number, number, number, number, string]> = [
    ["SETTINGS of 9 octets", T.SETTINGS, 0, 0, 9, "settings_bad_length"],
    ["SETTINGS ACK of 6 octets", T.SETTINGS, 1, 0, 6, "settings_ack_with_payload"],
    ["PING of 9 octets", T.PING, 0, 0, 9, "ping_bad_length"],
    ["PING of 7 octets", T.PING, 0, 0, 7, "ping_bad_length"],
    ["GOAWAY of 7 octets", T.GOAWAY, 0, 0, 7, "goaway_too_short"],
    ["RST_STREAM of 5 octets", T.RST_STREAM, 0, 1, 5, "rst_stream_bad_length"],
    ["WINDOW_UPDATE of 16000 octets", T.WINDOW_UPDATE, 0, 1, 16_000, "window_update_bad_length"],
  ];
  for (const [name, type, flags, streamId, length, detail] of cases) {
    await t.step(name, () => {
      const header = new Uint8Array([
        length >> 16,
        (length >> 8) & 0xff,
        length & 0xff,
        type,
        flags,
        0,
        0,
        0,
        streamId,
      ]);
      for (const split of [9, 1]) {
        const decoder = new FrameDecoder();
        for (let at = 0; at < header.length; at += split) {
          decoder.push(header.subarray(at, at + split));
          if (at + split < header.length) assert.equal(decoder.next(), undefined);
        }
        assert.throws(
          () => decoder.next(),
          (e) =>
            e instanceof H2Error && e.errorCode === ErrorCode.FRAME_SIZE_ERROR &&
            e.detail === detail && e.streamId === undefined,
        );
      }
    });
  }
});

Deno.test("FrameDecoder reports bufferedLength of pushed but unreturned octets", () => {
  // RFC 9113 §4.1: a frame needs its 9-octet header and `length` payload octets.
  const decoder = new FrameDecoder();
  assert.equal(decoder.bufferedLength, 0);
  decoder.push(PING.subarray(0, 4));
  assert.equal(decoder.bufferedLength, 4);
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.bufferedLength, 4);
  decoder.push(PING.subarray(4, 12));
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.bufferedLength, 12);
  decoder.push(concat(PING.subarray(12), PING));
  assert.equal(decoder.bufferedLength, 34);
  assert.equal(decoder.next()?.type, T.PING);
  assert.equal(decoder.bufferedLength, 17);
  assert.equal(decoder.next()?.type, T.PING);
  assert.equal(decoder.bufferedLength, 0);
});

Deno.test("FrameDecoder keeps undrained input when push is called before next returns undefined", () => {
  // Robustness: the contract asks callers to drain, but nothing is lost if they do not.
  const decoder = new FrameDecoder();
  decoder.push(concat(PING, PING));
  assert.equal(decoder.next()?.type, T.PING);
  decoder.push(PING.subarray(0, 3));
  assert.equal(decoder.next()?.type, T.PING);
  assert.equal(decoder.next(), undefined);
  decoder.push(PING.subarray(3));
  assert.equal(decoder.next()?.type, T.PING);
});

Deno.test("FrameDecoder throws FrameTooLargeError after exactly 9 octets of an oversized header", () => {
  // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds
  // the size defined in SETTINGS_MAX_FRAME_SIZE"; we reject before buffering the payload.
  const header = raw(T.DATA, 0, 1, [], 16_385);
  const decoder = new FrameDecoder();
  for (let i = 0; i < 8; i++) {
    decoder.push(header.subarray(i, i + 1));
    assert.equal(decoder.next(), undefined, `after ${i + 1} octets`);
  }
  decoder.push(header.subarray(8, 9));
  const isTooLarge = (e: unknown) =>
    e instanceof FrameTooLargeError && e.errorCode === ErrorCode.FRAME_SIZE_ERROR &&
    e.streamId === undefined && e.detail === "frame_too_large";
  assert.throws(() => decoder.next(), isTooLarge);
  // A connection error: the decoder stays failed.
  decoder.push(PING);
  assert.throws(() => decoder.next(), isTooLarge);

  const whole = new FrameDecoder();
  whole.push(header);
  assert.throws(() => whole.next(), isTooLarge);
});

Deno.test("FrameDecoder accepts frames up to maxFrameSize and follows changes to it", () => {
  // RFC 9113 §6.5.2 SETTINGS_MAX_FRAME_SIZE bounds the frames we accept.
  const max = raw(T.DATA, 0, 1, new Uint8Array(16_384));
  assert.equal(decodeAll(max).length, 1);
  const bigger = raw(T.DATA, 0, 1, new Uint8Array(20_000));
  assert.throws(() => decodeAll(bigger), FrameTooLargeError);
  assert.equal(decodeAll(bigger, { maxFrameSize: 20_000 }).length, 1);
  assert.equal(decodeAll(bigger, { maxFrameSize: 20_000, chunkSizes: [1000] }).length, 1);
  const decoder = new FrameDecoder();
  decoder.maxFrameSize = 2 ** 24 - 1;
  assert.equal(decoder.maxFrameSize, 2 ** 24 - 1);
  decoder.push(bigger);
  assert.equal(decoder.next()?.type, T.DATA);
  for (const bad of [16_383, 2 ** 24, 1.5, NaN]) {
    assert.throws(() => (decoder.maxFrameSize = bad), RangeError);
    assert.throws(() => new FrameDecoder({ maxFrameSize: bad }), RangeError);
  }
});

Deno.test("FrameDecoder surfaces unknown frame types opaquely", () => {
  // RFC 9113 §5.5: "Implementations MUST ignore unknown or unsupported values in all extensible
  // protocol elements" — the connection decides; the decoder never fails on them.
  for (const type of [0x0b, 0x0d, 0x0e, 0x0f, 0x11, 0x80, 0xff]) {
    const frames = decodeAll(concat(raw(type, 0xa5, 0x8000_0003, [1, 2]), raw(type, 0, 0)), {
      chunkSizes: [1],
    });
    assert.deepEqual(frames, [
      {
        type: "unknown",
        frameType: type,
        streamId: 3,
        flags: 0xa5,
        payload: new Uint8Array([1, 2]),
      },
      { type: "unknown", frameType: type, streamId: 0, flags: 0, payload: new Uint8Array() },
    ]);
  }
});

Deno.test("FrameDecoder passes malformed ALTSVC and ORIGIN frames through as opaque frames", () => {
  // RFC 7838 §4: a server "MUST ignore" ALTSVC; RFC 8336 ORIGIN is a non-critical extension and
  // RFC 9113 §5.5 lets receivers ignore what they do not use, so malformed ones are not errors.
  const cases: Array<[number, number[]]> = [
    [T.ALTSVC, [0]],
    [T.ALTSVC, [...u16(4), ...ascii("abc")]],
    [T.ORIGIN, [0]],
    [T.ORIGIN, [...u16(1), ...ascii("a"), ...u16(2), ...ascii("b")]],
  ];
  for (const [type, payload] of cases) {
    const frames = decodeAll(
      concat(raw(type, 0, 0, payload), raw(T.PING, 0, 0, new Array(8).fill(7))),
      {
        chunkSizes: [1],
      },
    );
    assert.deepEqual(frames[0], {
      type: "unknown",
      frameType: type,
      streamId: 0,
      flags: 0,
      payload: new Uint8Array(payload),
    });
    assert.equal(frames[1]?.type, T.PING);
  }
});

Deno.test("FrameDecoder accepts edge values the RFC allows", () => {
  // RFC 9113 §6.1 (all padding, no data), §6.5.2 (bounds inclusive), §6.9 (max increment).
  const frames = decodeAll(concat(
    raw(T.DATA, F.PADDED, 1, [0]),
    raw(T.DATA, F.PADDED, 1, [255, ...new Uint8Array(255)]),
    setting(SettingCode.INITIAL_WINDOW_SIZE, 2 ** 31 - 1),
    setting(SettingCode.MAX_FRAME_SIZE, 2 ** 14),
    setting(SettingCode.MAX_FRAME_SIZE, 2 ** 24 - 1),
    setting(SettingCode.ENABLE_PUSH, 0),
    setting(SettingCode.HEADER_TABLE_SIZE, 2 ** 32 - 1),
    setting(0xffff, 2 ** 32 - 1),
    raw(T.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1)),
    raw(T.HEADERS, F.PRIORITY, 1, [0, 0, 0, 1, 0]), // self-dependency: the connection checks
    raw(T.ALTSVC, 0, 1, [0, 0]),
    raw(T.ORIGIN, 0xff, 0, []),
    raw(T.PRIORITY_UPDATE, 0, 0, u32(1)),
    raw(T.GOAWAY, 0, 0, [...u32(0xffff_ffff), ...u32(0xffff_ffff)]),
  ));
  assert.deepEqual(frames.map((f) => f.type), [0, 0, 4, 4, 4, 4, 4, 4, 8, 1, 10, 12, 16, 7]);
  assert.deepEqual(frames[1], {
    type: T.DATA,
    streamId: 1,
    data: new Uint8Array(),
    endStream: false,
    padLength: 255,
  });
  assert.deepEqual(frames[7], {
    type: T.SETTINGS,
    streamId: 0,
    ack: false,
    settings: [[0xffff, 2 ** 32 - 1]],
  });
  assert.deepEqual(frames[13], {
    type: T.GOAWAY,
    streamId: 0,
    lastStreamId: 2 ** 31 - 1,
    errorCode: 2 ** 32 - 1,
    debugData: new Uint8Array(),
  });
});

Deno.test("FrameDecoder keeps frames of a drained chunk intact and joins the next split frame", () => {
  // RFC 9113 §4.1: frames split anywhere across reads. A drained chunk is let go of (an
  // idle connection must not pin its last read); its frames and the partial one stay intact.
  const decoder = new FrameDecoder();
  const ping = raw(T.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]);
  const chunk = concat(ping, ping.subarray(0, 4));
  decoder.push(chunk);
  const first = decoder.next();
  assert.equal(first?.type, T.PING);
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.bufferedLength, 4);
  assert.deepEqual(first.type === T.PING && [...first.data], [1, 2, 3, 4, 5, 6, 7, 8]);
  decoder.push(ping.subarray(4));
  const second = decoder.next();
  assert.deepEqual(second?.type === T.PING && [...second.data], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.bufferedLength, 0);
});
