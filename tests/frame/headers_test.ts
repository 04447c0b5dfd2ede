import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { assertRoundTrip, combinations, decodeAll, raw } from "./_raw.ts";

Deno.test("HEADERS round-trips for every flag combination", () => {
  // RFC 9113 §6.2: END_STREAM, END_HEADERS, PADDED, PRIORITY (E bit, dependency, weight).
  for (
    const c of combinations({
      endStream: [false, true],
      endHeaders: [false, true],
      padLength: [undefined, 0, 255],
      priority: [
        undefined,
        { dependsOn: 0, weight: 1, exclusive: false },
        { dependsOn: 2 ** 31 - 1, weight: 256, exclusive: true },
        { dependsOn: 3, weight: 16, exclusive: true },
      ],
      size: [0, 1, 300],
    })
  ) {
    assertRoundTrip({
      type: FrameType.HEADERS,
      streamId: 3,
      fragment: new Uint8Array(c.size).map((_, i) => i),
      endStream: c.endStream,
      endHeaders: c.endHeaders,
      padLength: c.padLength,
      priority: c.priority,
    });
  }
});

Deno.test("HEADERS parses hand-built priority fields with the E bit masked off the dependency", () => {
  // RFC 9113 §6.2: Pad Length? | E | Stream Dependency (31) | Weight (8) | fragment | Padding.
  const frames = decodeAll(
    raw(FrameType.HEADERS, 0x20 | 0x08 | 0x04, 1, [1, 0xff, 0xff, 0xff, 0xff, 0, 0x82, 0]),
  );
  assert.deepEqual(frames, [{
    type: FrameType.HEADERS,
    streamId: 1,
    fragment: new Uint8Array([0x82]),
    endStream: false,
    endHeaders: true,
    padLength: 1,
    priority: { dependsOn: 2 ** 31 - 1, weight: 1, exclusive: true },
  }]);
});

Deno.test("HEADERS depending on its own stream is left for the connection to reject", () => {
  // RFC 7540 §5.3.1 via RFC 9113 §5.3.2: the connection must still HPACK-decode the block, so
  // the decoder passes it on.
  const frames = decodeAll(raw(FrameType.HEADERS, 0x24, 7, [0, 0, 0, 7, 15, 0x82]));
  assert.equal(frames.length, 1);
  assert.ok(frames[0]?.type === FrameType.HEADERS);
  assert.equal(frames[0].priority?.dependsOn, 7);
});
