// RFC 7541 §5.2 and Appendix B: the Huffman code.
import assert from "node:assert/strict";
import { HpackDecodingError } from "../../lib/errors.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "../../lib/hpack/_huffman_table.ts";
import {
  bytesToByteString,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
} from "../../lib/hpack/huffman.ts";
import { parseHuffmanTable } from "./_gen_huffman_table.ts";
import { exists, SHARED } from "./_stories.ts";
import { hex, mulberry32, toHex } from "./_util.ts";

/** A slow, obviously correct bit-string encoder to check the fast one. */
function referenceEncode(value: string): string {
  let bits = "";
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    bits += HUFFMAN_CODES[c]!.toString(2).padStart(HUFFMAN_LENGTHS[c]!, "0");
  }
  bits += "1".repeat((8 - (bits.length % 8)) % 8);
  let out = "";
  for (let i = 0; i < bits.length; i += 8) {
    out += parseInt(bits.slice(i, i + 8), 2).toString(16).padStart(2, "0");
  }
  return out;
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

Deno.test("huffmanEncode and huffmanDecode round-trip each of the 256 byte values", () => {
  // RFC 7541 Appendix B: every octet has a code.
  for (let c = 0; c < 256; c++) {
    const value = String.fromCharCode(c);
    const coded = huffmanEncode(value);
    assert.equal(toHex(coded), referenceEncode(value), `symbol ${c}`);
    assert.equal(huffmanDecode(coded), value, `symbol ${c}`);
    // Also inside longer strings, at every bit alignment.
    for (const prefix of ["", "a", "ab", "abc", "0", "\xff"]) {
      const longer = prefix + value + "z" + value;
      assert.equal(huffmanDecode(huffmanEncode(longer)), longer);
    }
  }
  const coded = huffmanEncode(ALL_BYTES);
  assert.equal(toHex(coded), referenceEncode(ALL_BYTES));
  assert.equal(huffmanDecode(coded), ALL_BYTES);
  assert.equal(huffmanEncodedLength(ALL_BYTES), coded.length);
});

Deno.test("huffmanEncode matches a bit-string reference on seeded random strings", () => {
  // RFC 7541 §5.2: codes are packed MSB first and padded with EOS's high bits.
  const random = mulberry32(7541);
  for (let n = 0; n < 2000; n++) {
    const length = Math.floor(random() * 40);
    let value = "";
    for (let i = 0; i < length; i++) {
      value += String.fromCharCode(
        random() < 0.7 ? 32 + Math.floor(random() * 95) : Math.floor(random() * 256),
      );
    }
    const coded = huffmanEncode(value);
    assert.equal(toHex(coded), referenceEncode(value));
    assert.equal(huffmanDecode(coded), value);
  }
});

Deno.test("huffmanDecode decodes the empty string and a slice of a larger buffer", () => {
  // RFC 7541 §5.2: a zero-length Huffman string is valid.
  assert.equal(huffmanDecode(new Uint8Array(0)), "");
  const block = hex("00 f1e3c2e5f23a6ba0ab90f4ff 00");
  assert.equal(huffmanDecode(block, 1, 13), "www.example.com");
});

Deno.test("huffmanDecode rejects EOS and invalid padding", async (t) => {
  // RFC 7541 §5.2: EOS in a string, padding longer than 7 bits, and padding
  // other than the EOS prefix are decoding errors.
  const cases: Array<[name: string, wire: string, detail: string]> = [
    ["EOS alone (30 ones) plus 2 padding bits", "ffffffff", "huffman_eos"],
    ["EOS after a symbol", "1f ff ff ff ff", "huffman_eos"], // 'a' 00011 + 111 then EOS bits
    ["8 bits of padding", "ff", "huffman_padding"],
    ["a symbol then 11 bits of padding", "1f ff", "huffman_padding"],
    ["padding of zeros", "18", "huffman_padding"], // 'a' then 000
    ["padding mixing ones and zeros", "1d", "huffman_padding"], // 'a' then 101
    ["an incomplete long code", "fe", "huffman_padding"], // 1111111 0: a prefix, not all ones
  ];
  for (const [name, wire, detail] of cases) {
    await t.step(name, () => {
      assert.throws(() => huffmanDecode(hex(wire)), (error: unknown) => {
        assert.ok(error instanceof HpackDecodingError, String(error));
        assert.equal(error.detail, detail);
        return true;
      });
    });
  }
});

Deno.test("huffmanDecode accepts padding of 1 to 7 one-bits", () => {
  // RFC 7541 §5.2: padding "corresponding to the most significant bits of the
  // code for the EOS symbol" and at most 7 bits long.
  assert.equal(huffmanDecode(hex("1f")), "a"); // 00011 + 111
  assert.equal(huffmanDecode(hex("b9")), ":"); // 1011100 + 1
  // k × "a" (5 bits each) needs (8 - 5k mod 8) mod 8 padding bits: 0–7 for k = 1..8.
  const seen = new Set<number>();
  for (let k = 1; k <= 8; k++) {
    const value = "a".repeat(k);
    const coded = hex(referenceEncode(value));
    seen.add(coded.length * 8 - 5 * k);
    assert.equal(huffmanDecode(coded), value);
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("huffmanEncodedLength and huffmanEncode reject chars above 255 with TypeError", () => {
  // Strings are byte strings: char codes 0–255 only.
  assert.throws(() => huffmanEncodedLength("caf\u00e9\u0100"), TypeError);
  assert.throws(() => huffmanEncode("\u{1f600}"), TypeError);
});

Deno.test("bytesToByteString maps each octet to the char with the same code", () => {
  // Unlike WHATWG latin1 (windows-1252), 0x80–0x9f map to themselves.
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 256);
  const value = bytesToByteString(bytes);
  assert.equal(value.length, 10_000);
  for (let i = 0; i < value.length; i++) assert.equal(value.charCodeAt(i), i % 256);
  assert.equal(bytesToByteString(bytes, 0x80, 0x83), "\x80\x81\x82");
  assert.equal(bytesToByteString(bytes, 5, 5), "");
});

Deno.test({
  name: "The generated Huffman table equals RFC 7541 Appendix B",
  ignore: !exists(`${SHARED}spec`),
  fn() {
    // RFC 7541 Appendix B, re-parsed from the RFC text when it is available.
    const text = Deno.readTextFileSync(`${SHARED}spec/rfc7541-hpack.txt`);
    const { codes, lengths } = parseHuffmanTable(text);
    assert.deepEqual(Array.from(HUFFMAN_CODES), codes);
    assert.deepEqual(Array.from(HUFFMAN_LENGTHS), lengths);
  },
});

Deno.test("The Huffman table is a complete prefix code with EOS as 30 one-bits", () => {
  // RFC 7541 Appendix B: Kraft sum of a complete code is exactly 1.
  let kraft = 0;
  for (let s = 0; s <= 256; s++) kraft += 2 ** -HUFFMAN_LENGTHS[s]!;
  assert.equal(kraft, 1);
  assert.equal(HUFFMAN_CODES[256], 0x3fffffff);
  assert.equal(HUFFMAN_LENGTHS[256], 30);
});
