import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, decodeAll, raw, u32 } from "./_raw.ts";

Deno.test("WINDOW_UPDATE round-trips on the connection and on streams", () => {
  // RFC 9113 §6.9: R | Window Size Increment (31), 1..2^31-1.
  for (const streamId of [0, 1, 2 ** 31 - 1]) {
    for (const increment of [1, 65_535, 2 ** 31 - 1]) {
      assertRoundTrip({ type: FrameType.WINDOW_UPDATE, streamId, increment });
    }
  }
});

Deno.test("WINDOW_UPDATE masks the reserved bit of the increment", () => {
  // RFC 9113 §6.9: R is reserved.
  assert.deepEqual(decodeAll(raw(FrameType.WINDOW_UPDATE, 0, 1, u32(0xffff_ffff))), [{
    type: FrameType.WINDOW_UPDATE,
    streamId: 1,
    increment: 2 ** 31 - 1,
  }]);
});
