// RFC 9113 §4.3: a field block that cannot be decompressed is a connection error of type COMPRESSION_ERROR.
import assert from "node:assert/strict";
import { bytes, frames, hpack } from "../_helpers/frames.ts";
import { Peer, ready } from "../_helpers/peer.ts";

const CASES: [string, () => Uint8Array][] = [
  ["index 0", () => bytes(0x80)],
  ["an index past the static table with an empty dynamic table", () => hpack.indexed(70)],
  ["a literal name index past the tables", () => bytes(0x0f, 0x30, 0x01, 0x61)],
  ["a truncated string", () => bytes(0x00, 0x05, "ab")],
  ["a truncated integer", () => bytes(0xff)],
  [
    "an integer longer than any table could need",
    () => bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
  ],
  ["a size update above SETTINGS_HEADER_TABLE_SIZE", () => hpack.sizeUpdate(4097)],
  ["a size update after a field", () => bytes(hpack.literal("x", "y"), hpack.sizeUpdate(0))],
  ["Huffman padding that is not all ones", () => bytes(0x00, 0x81, 0x00, 0x01, 0x61)],
  ["Huffman padding longer than 7 bits", () => bytes(0x00, 0x82, 0x1f, 0xff, 0x01, 0x61)],
  ["a Huffman EOS symbol", () => bytes(0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61)],
];

Deno.test("H2Connection rejects undecodable header blocks with COMPRESSION_ERROR (RFC 9113 §4.3, RFC 7541)", async (t) => {
  // RFC 9113 §4.3: "A decoding error in a field block MUST be treated as a connection error (Section 5.4.1) of type COMPRESSION_ERROR."
  for (const role of Peer.both()) {
    for (const [name, block] of CASES) {
      await t.step(`${role}: ${name}`, () => {
        const peer = ready(role);
        if (role === "client") peer.openStream(1, { endStream: true });
        peer.trySend(frames.headers(1).block(block()).endStream());
        peer.expectConnectionError("COMPRESSION_ERROR");
      });
    }
  }
});

Deno.test("H2Connection rejects an undecodable PUSH_PROMISE block with COMPRESSION_ERROR (RFC 9113 §4.3)", () => {
  // RFC 9113 §4.3
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.trySend(frames.pushPromise(1, 2).block(bytes(0x80)));
  peer.expectConnectionError("COMPRESSION_ERROR");
});

Deno.test("H2Connection decodes a bad block split over CONTINUATION only at END_HEADERS, then fails with COMPRESSION_ERROR (RFC 9113 §4.3)", () => {
  // RFC 9113 §4.3: the field block is decoded as a whole.
  const peer = ready("server");
  peer.send(frames.headers(1).block(bytes(0x00, 0x05, "ab")).noEndHeaders().endStream());
  peer.trySend(frames.continuation(1, bytes()).endHeaders());
  peer.expectConnectionError("COMPRESSION_ERROR");
});

Deno.test("H2Connection rejects an HPACK string length of 2^28 at once, without allocating it (RFC 7541 §5.2, RFC 9113 §4.3)", () => {
  // RFC 7541 §5.2: the length prefix is an integer; a length past the block is a decoding error.
  const peer = ready("server");
  peer.trySend(
    frames.headers(1).block(bytes(0x00, 0x7f, 0x81, 0xff, 0xff, 0x7f, "abc")).endStream(),
  );
  peer.expectConnectionError("COMPRESSION_ERROR");
});

Deno.test("H2Connection evicts the oldest dynamic entries and rejects references to them (RFC 7541 §4.4, §2.3.3)", async (t) => {
  // RFC 7541 §4.4: entries are evicted from the end until the new one fits; an entry larger than the table empties it.
  const entry = (i: number) => hpack.literalIndexed(`x-e${i}`, String(i).repeat(960)); // 32 + 5 + 960 = 997 octets
  const req = hpack.encode([[":method", "GET"], [":scheme", "https"], [":path", "/"], [
    ":authority",
    "a",
  ]]);
  await t.step("the 4 newest of 5 entries stay addressable", () => {
    const peer = ready("server");
    peer.send(
      frames.headers(1).block(req, entry(1), entry(2), entry(3), entry(4), entry(5)).endStream(),
    );
    peer.send(frames.headers(3).block(req, hpack.indexed(62), hpack.indexed(65)).endStream());
    const h = peer.event("RequestReceived").headers;
    assert.deepEqual(h.slice(-2).map(([n]) => n), ["x-e5", "x-e2"]);
  });
  await t.step("the evicted 5th-newest is gone", () => {
    const peer = ready("server");
    peer.send(
      frames.headers(1).block(req, entry(1), entry(2), entry(3), entry(4), entry(5)).endStream(),
    );
    peer.trySend(frames.headers(3).block(req, hpack.indexed(66)).endStream());
    peer.expectConnectionError("COMPRESSION_ERROR");
  });
  await t.step("an entry larger than the table empties it", () => {
    const peer = ready("server");
    peer.send(
      frames.headers(1).block(req, entry(1), hpack.literalIndexed("x-huge", "h".repeat(5000)))
        .endStream(),
    );
    peer.trySend(frames.headers(3).block(req, hpack.indexed(62)).endStream());
    peer.expectConnectionError("COMPRESSION_ERROR");
  });
});
