import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { ascii, assertRoundTrip, decodeAll, raw, u32 } from "./_raw.ts";

Deno.test("PRIORITY_UPDATE round-trips field values", () => {
  // RFC 9218 §7.1: R | Prioritized Stream ID (31) | Priority Field Value.
  for (const fieldValue of ["", "u=0", "u=7, i", "i=?0"]) {
    for (const prioritizedStreamId of [1, 2 ** 31 - 1]) {
      assertRoundTrip({
        type: FrameType.PRIORITY_UPDATE,
        streamId: 0,
        prioritizedStreamId,
        fieldValue,
      });
    }
  }
});

Deno.test("PRIORITY_UPDATE masks the reserved bit of the prioritized stream id", () => {
  // RFC 9218 §7.1: R is reserved.
  const frames = decodeAll(
    raw(FrameType.PRIORITY_UPDATE, 0, 0, [...u32(0x8000_0003), ...ascii("u=1")]),
  );
  assert.deepEqual(frames, [{
    type: FrameType.PRIORITY_UPDATE,
    streamId: 0,
    prioritizedStreamId: 3,
    fieldValue: "u=1",
  }]);
});
