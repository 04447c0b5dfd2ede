import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, combinations, decodeAll, raw } from "./_raw.ts";

Deno.test("CONTINUATION round-trips with and without END_HEADERS", () => {
  // RFC 9113 §6.10: END_HEADERS (0x04) is the only flag.
  for (const c of combinations({ endHeaders: [false, true], size: [0, 1, 16_384] })) {
    assertRoundTrip({
      type: FrameType.CONTINUATION,
      streamId: 9,
      fragment: new Uint8Array(c.size).fill(0x42),
      endHeaders: c.endHeaders,
    });
  }
});

Deno.test("CONTINUATION ignores flags it does not define", () => {
  // RFC 9113 §4.1: "Unused flags MUST be ignored on receipt".
  const frames = decodeAll(raw(FrameType.CONTINUATION, 0xfb, 1, [1]));
  assert.deepEqual(frames, [{
    type: FrameType.CONTINUATION,
    streamId: 1,
    fragment: new Uint8Array([1]),
    endHeaders: false,
  }]);
});
