import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { FrameWriter } from "../../lib/frame/encoder.ts";
import { ascii, assertRoundTrip, combinations, decodeAll, raw } from "./_raw.ts";

Deno.test("DATA round-trips for every flag combination, padding 0 to 255 included", () => {
  // RFC 9113 §6.1: END_STREAM (0x01), PADDED (0x08) with Pad Length and zero padding.
  for (
    const c of combinations({
      endStream: [false, true],
      padLength: [undefined, 0, 1, 254, 255],
      size: [0, 1, 1000, 16_384 - 256],
      streamId: [1, 2 ** 31 - 1],
    })
  ) {
    assertRoundTrip({
      type: FrameType.DATA,
      streamId: c.streamId,
      data: new Uint8Array(c.size).map((_, i) => i ^ 0x5a),
      endStream: c.endStream,
      padLength: c.padLength,
    });
  }
});

Deno.test("DATA parses hand-built padded bytes and strips the padding", () => {
  // RFC 9113 §6.1: Pad Length (8) | Data | Padding.
  const frames = decodeAll(raw(FrameType.DATA, 0x08 | 0x01, 5, [3, ...ascii("abc"), 0, 0, 0]));
  assert.deepEqual(frames, [{
    type: FrameType.DATA,
    streamId: 5,
    data: new Uint8Array(ascii("abc")),
    endStream: true,
    padLength: 3,
  }]);
});

Deno.test("FrameWriter.data writes zero padding even into a reused buffer", () => {
  // RFC 9113 §6.1: "Padding octets MUST be set to zero when sending."
  const w = new FrameWriter();
  w.data(1, new Uint8Array(3000).fill(0xff));
  w.clear();
  w.data(1, new Uint8Array([7]), { padLength: 200 });
  const bytes = w.take();
  assert.equal(bytes.length, 9 + 1 + 1 + 200);
  assert.ok(bytes.subarray(11).every((b) => b === 0));
});

Deno.test("FrameWriter.data copies the payload at the time of the call", () => {
  // API contract: the caller may reuse its array after data() returns.
  const w = new FrameWriter();
  const payload = new Uint8Array([1, 2, 3]);
  w.data(1, payload);
  payload.fill(9);
  assert.deepEqual(w.take(), raw(FrameType.DATA, 0, 1, [1, 2, 3]));
});
