import assert from "node:assert/strict";
import { readFrameHeader, writeFrameHeader } from "../../lib/frame/header.ts";

Deno.test("readFrameHeader and writeFrameHeader agree on the §4.1 layout", () => {
  // RFC 9113 §4.1: Length (24) | Type (8) | Flags (8) | R (1) | Stream Identifier (31).
  const out = new Uint8Array(11);
  writeFrameHeader(out, 2, 2 ** 24 - 1, 0xfe, 0xa5, 2 ** 31 - 1);
  assert.deepEqual([...out], [0, 0, 0xff, 0xff, 0xff, 0xfe, 0xa5, 0x7f, 0xff, 0xff, 0xff]);
  assert.deepEqual(readFrameHeader(out, 2), {
    length: 2 ** 24 - 1,
    type: 0xfe,
    flags: 0xa5,
    streamId: 2 ** 31 - 1,
  });
});

Deno.test("readFrameHeader ignores the reserved R bit", () => {
  // RFC 9113 §4.1: the R bit "MUST be ignored when receiving".
  const header = readFrameHeader(new Uint8Array([0, 0, 0, 0, 0, 0x80, 0, 0, 1]));
  assert.equal(header.streamId, 1);
});

Deno.test("readFrameHeader refuses fewer than 9 octets", () => {
  // RFC 9113 §4.1: the header is 9 octets.
  assert.throws(() => readFrameHeader(new Uint8Array(8)), RangeError);
  assert.throws(() => readFrameHeader(new Uint8Array(9), 1), RangeError);
});
