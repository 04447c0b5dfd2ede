import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { ascii, assertRoundTrip, decodeAll, raw, u16 } from "./_raw.ts";

Deno.test("ORIGIN round-trips zero, one and many origins", () => {
  // RFC 8336 §2: a sequence of Origin-Len (16) | ASCII-Origin.
  for (
    const origins of [[], ["https://a.example"], [
      "https://a.example",
      "",
      "https://b.example:8443",
    ]]
  ) {
    assertRoundTrip({ type: FrameType.ORIGIN, streamId: 0, origins });
  }
});

Deno.test("ORIGIN ignores its flags", () => {
  // RFC 8336 §2: "The ORIGIN frame does not define any flags".
  const frames = decodeAll(raw(FrameType.ORIGIN, 0xff, 0, [...u16(1), ...ascii("x")]));
  assert.deepEqual(frames, [{ type: FrameType.ORIGIN, streamId: 0, origins: ["x"] }]);
});
