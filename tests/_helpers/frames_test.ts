// Self-tests of the frame DSL and the independent parser: the helpers must be
// right on their own, since they judge the engine.
import assert from "node:assert/strict";
import { BlockDecoder, describeFrames, parseFrames } from "./decode.ts";
import { bytes, frames, hpack } from "./frames.ts";

Deno.test("frames.data serialises a padded END_STREAM DATA frame per RFC 9113 §6.1", () => {
  // RFC 9113 §6.1: Pad Length (8) | Data | Padding; length = 1 + 2 + 4.
  assert.deepEqual(
    frames.data(1, "hi").padded(4).endStream().toBytes(),
    bytes(0, 0, 7, 0x0, 0x09, 0, 0, 0, 1, 4, "hi", 0, 0, 0, 0),
  );
});

Deno.test("frames.settings serialises entries as 16-bit id and 32-bit value per RFC 9113 §6.5.1", () => {
  assert.deepEqual(
    frames.settings().initialWindowSize(0).maxFrameSize(16_385).toBytes(),
    bytes(0, 0, 12, 0x4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 5, 0, 0, 0x40, 1),
  );
  assert.deepEqual(frames.settingsAck().toBytes(), bytes(0, 0, 0, 4, 1, 0, 0, 0, 0));
});

Deno.test("frames.headers with priority and padding lays out fields per RFC 9113 §6.2", () => {
  const f = frames.headers(3).fields([["a", "b"]]).padded(2).priority({
    dependsOn: 1,
    weight: 256,
    exclusive: true,
  }).endStream().toBytes();
  // flags: END_STREAM|END_HEADERS|PADDED|PRIORITY = 0x2d
  assert.deepEqual(
    f,
    bytes(0, 0, 1 + 5 + 5 + 2, 1, 0x2d, 0, 0, 0, 3, 2, 0x80, 0, 0, 1, 255, 0, 1, "a", 1, "b", 0, 0),
  );
});

Deno.test("frames.goAway, rstStream, windowUpdate, ping and priority have the fixed RFC 9113 §6 layouts", () => {
  assert.deepEqual(
    frames.goAway(5).flowControlError().debug("x").toBytes(),
    bytes(0, 0, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, "x"),
  );
  assert.deepEqual(
    frames.rstStream(1).cancel().toBytes(),
    bytes(0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8),
  );
  assert.deepEqual(
    frames.windowUpdate(0, 100).toBytes(),
    bytes(0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 100),
  );
  assert.deepEqual(
    frames.ping("abcdefgh").ack().toBytes(),
    bytes(0, 0, 8, 6, 1, 0, 0, 0, 0, "abcdefgh"),
  );
  assert.deepEqual(
    frames.priority(3, { dependsOn: 1, weight: 16 }).toBytes(),
    bytes(0, 0, 5, 2, 0, 0, 0, 0, 3, 0, 0, 0, 1, 15),
  );
  assert.deepEqual(frames.data(1).length(99).toBytes().subarray(0, 3), bytes(0, 0, 99));
});

Deno.test("hpack helper output decodes with an independent decoder (RFC 7541 §6.2.2, §5.1 integers)", () => {
  const long = "v".repeat(300); // length needs a multi-octet integer
  const block = bytes(
    hpack.encode([[":method", "GET"], ["x-long", long]]),
    hpack.literalIndexed("k", "v"),
    hpack.indexed(62),
  );
  const { fields } = new BlockDecoder().decode(block);
  assert.deepEqual(fields, [[":method", "GET"], ["x-long", long], ["k", "v"], ["k", "v"]]);
  assert.deepEqual(hpack.indexed(2), bytes(0x82));
  assert.deepEqual(hpack.sizeUpdate(4096), bytes(0x3f, 0xe1, 0x1f));
});

Deno.test("describeFrames joins HEADERS and CONTINUATION into one decoded block", () => {
  const block = hpack.encode([[":status", "200"], ["a", "b"]]);
  const wire = bytes(
    frames.headers(1).block(block.subarray(0, 3)).noEndHeaders(),
    frames.continuation(1, block.subarray(3)).endHeaders(),
    frames.settings().set(0x99, 7),
  );
  assert.deepEqual(describeFrames(parseFrames(wire), new BlockDecoder()), [
    { type: "HEADERS", stream: 1, flags: [], headers: [[":status", "200"], ["a", "b"]] },
    { type: "CONTINUATION", stream: 1, flags: ["END_HEADERS"], fragmentLength: block.length - 3 },
    { type: "SETTINGS", stream: 0, flags: [], settings: [["0x99", 7]] },
  ]);
});

Deno.test("the test HPACK decoder decodes RFC 7541 Appendix C.4 (Huffman) requests with the dynamic table", () => {
  const hexBytes = (h: string) =>
    new Uint8Array(h.replace(/\s/g, "").match(/../g)!.map((x) => parseInt(x, 16)));
  const d = new BlockDecoder();
  assert.deepEqual(d.decode(hexBytes("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).fields, [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ]);
  assert.deepEqual(d.decode(hexBytes("8286 84be 5886 a8eb 1064 9cbf")).fields, [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ]);
  assert.throws(() => new BlockDecoder().decode(hexBytes("41 81 00")), /padding|EOS|Huffman/);
});
