import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { FrameWriter } from "../../lib/frame/encoder.ts";
import { assertRoundTrip, decodeAll, raw } from "./_raw.ts";

Deno.test("PING round-trips with and without ACK", () => {
  // RFC 9113 §6.7: 8 octets of opaque data; ACK (0x01).
  for (const ack of [false, true]) {
    assertRoundTrip({
      type: FrameType.PING,
      streamId: 0,
      ack,
      data: new Uint8Array([0, 1, 2, 3, 252, 253, 254, 255]),
    });
  }
});

Deno.test("PING parses hand-built bytes and ignores undefined flags", () => {
  // RFC 9113 §4.1: undefined flags are ignored.
  assert.deepEqual(decodeAll(raw(FrameType.PING, 0xfe, 0, [8, 7, 6, 5, 4, 3, 2, 1])), [{
    type: FrameType.PING,
    streamId: 0,
    ack: false,
    data: new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]),
  }]);
});

Deno.test("FrameWriter.ping writes small frames without growing its output", () => {
  // Performance contract: control frames do not allocate per frame; output is caller-owned.
  const w = new FrameWriter();
  const outputs: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    w.ping(new Uint8Array(8).fill(i & 0xff), { ack: true });
    outputs.push(w.take());
  }
  outputs.forEach((out, i) =>
    assert.deepEqual(out, raw(FrameType.PING, 1, 0, new Uint8Array(8).fill(i & 0xff)))
  );
});
