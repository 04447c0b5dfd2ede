import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, combinations, decodeAll, raw } from "./_raw.ts";

Deno.test("PRIORITY round-trips every weight edge, dependency and E bit", () => {
  // RFC 9113 §6.3: E (1) | Stream Dependency (31) | Weight (8), weight sent as weight − 1.
  for (
    const c of combinations({
      dependsOn: [0, 1, 2 ** 31 - 1],
      weight: [1, 16, 256],
      exclusive: [false, true],
    })
  ) {
    assertRoundTrip({ type: FrameType.PRIORITY, streamId: 5, priority: c });
  }
});

Deno.test("PRIORITY parses hand-built bytes", () => {
  // RFC 9113 §6.3: the weight octet is weight − 1.
  assert.deepEqual(decodeAll(raw(FrameType.PRIORITY, 0xff, 5, [0x80, 0, 0, 3, 0])), [{
    type: FrameType.PRIORITY,
    streamId: 5,
    priority: { dependsOn: 3, weight: 1, exclusive: true },
  }]);
});
