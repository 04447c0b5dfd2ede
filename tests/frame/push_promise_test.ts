import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, combinations, decodeAll, raw, u32 } from "./_raw.ts";

Deno.test("PUSH_PROMISE round-trips for every flag combination", () => {
  // RFC 9113 §6.6: END_HEADERS, PADDED; R bit + Promised Stream ID (31).
  for (
    const c of combinations({
      endHeaders: [false, true],
      padLength: [undefined, 0, 255],
      promisedStreamId: [2, 2 ** 31 - 2],
      size: [0, 1, 500],
    })
  ) {
    assertRoundTrip({
      type: FrameType.PUSH_PROMISE,
      streamId: 1,
      promisedStreamId: c.promisedStreamId,
      fragment: new Uint8Array(c.size).fill(0x83),
      endHeaders: c.endHeaders,
      padLength: c.padLength,
    });
  }
});

Deno.test("PUSH_PROMISE masks the reserved bit of the promised stream id", () => {
  // RFC 9113 §6.6: a reserved bit precedes the Promised Stream ID (§4.1: ignored on receipt).
  const frames = decodeAll(raw(FrameType.PUSH_PROMISE, 0x0c, 1, [1, ...u32(0x8000_0004), 0x82, 0]));
  assert.deepEqual(frames, [{
    type: FrameType.PUSH_PROMISE,
    streamId: 1,
    promisedStreamId: 4,
    fragment: new Uint8Array([0x82]),
    endHeaders: true,
    padLength: 1,
  }]);
});
