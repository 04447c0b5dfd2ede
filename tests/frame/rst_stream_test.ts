import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { assertRoundTrip, decodeAll, raw, u32 } from "./_raw.ts";

Deno.test("RST_STREAM round-trips known and unknown error codes", () => {
  // RFC 9113 §6.4, §7: "Unknown or unsupported error codes MUST NOT trigger any special behavior".
  for (const errorCode of [0, ErrorCode.CANCEL, ErrorCode.HTTP_1_1_REQUIRED, 0xff, 2 ** 32 - 1]) {
    assertRoundTrip({ type: FrameType.RST_STREAM, streamId: 1, errorCode });
  }
});

Deno.test("RST_STREAM parses hand-built bytes", () => {
  // RFC 9113 §6.4: Error Code (32).
  assert.deepEqual(decodeAll(raw(FrameType.RST_STREAM, 0, 3, u32(0xdead_beef))), [{
    type: FrameType.RST_STREAM,
    streamId: 3,
    errorCode: 0xdead_beef,
  }]);
});
