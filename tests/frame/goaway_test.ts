import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, decodeAll, raw, u32 } from "./_raw.ts";

Deno.test("GOAWAY round-trips with and without debug data", () => {
  // RFC 9113 §6.8: R | Last-Stream-ID (31) | Error Code (32) | Additional Debug Data.
  for (const debugData of [new Uint8Array(), new Uint8Array([1, 2, 3]), new Uint8Array(16_000)]) {
    for (const lastStreamId of [0, 1, 2 ** 31 - 1]) {
      assertRoundTrip({
        type: FrameType.GOAWAY,
        streamId: 0,
        lastStreamId,
        errorCode: 0xb,
        debugData,
      });
    }
  }
});

Deno.test("GOAWAY masks the reserved bit of Last-Stream-ID", () => {
  // RFC 9113 §6.8: R is reserved.
  const frames = decodeAll(raw(FrameType.GOAWAY, 0, 0, [...u32(0x8000_0005), ...u32(2), 0x21]));
  assert.deepEqual(frames, [{
    type: FrameType.GOAWAY,
    streamId: 0,
    lastStreamId: 5,
    errorCode: 2,
    debugData: new Uint8Array([0x21]),
  }]);
});
