// RFC 7541 §5.1: prefixed integers, their edge cases and our decoding bounds.
import assert from "node:assert/strict";
import { HpackDecodingError } from "../../lib/errors.ts";
import { decodeInteger, encodeInteger, MAX_INTEGER } from "../../lib/hpack/integer.ts";
import { hex, toHex } from "./_util.ts";

Deno.test("encodeInteger and decodeInteger round-trip boundary values for every prefix", () => {
  // RFC 7541 §5.1: values below 2^N-1 fit the prefix; others continue in 7-bit groups.
  for (let prefix = 1; prefix <= 8; prefix++) {
    const max = 2 ** prefix - 1;
    const values = [0, 1, max - 1, max, max + 1, max + 127, max + 128, 2 ** 14, 2 ** 21, 2 ** 28];
    values.push(MAX_INTEGER - 1, MAX_INTEGER);
    for (const value of values) {
      if (value < 0) continue;
      const encoded = encodeInteger(value, prefix, 0xff);
      // Bits above the prefix carry the flags untouched.
      assert.equal(encoded[0]! >> prefix, 0xff >> prefix, `flags for ${value}/${prefix}`);
      assert.deepEqual(decodeInteger(encoded, 0, prefix), [value, encoded.length]);
      const expectedLength = value < max
        ? 1
        : 1 + Math.max(1, Math.ceil(Math.log2(value - max + 1) / 7));
      assert.equal(encoded.length, expectedLength, `length of ${value}/${prefix}`);
    }
  }
});

Deno.test("decodeInteger reads at an offset inside a block and returns the next offset", () => {
  // RFC 7541 §5.1
  assert.deepEqual(decodeInteger(hex("00 ff 1f 9a 0a 42"), 2, 5), [1337, 5]);
});

Deno.test("decodeInteger accepts redundant zero continuation octets within five", () => {
  // RFC 7541 §5.1 allows them; our bound is on the count of continuation octets.
  assert.deepEqual(decodeInteger(hex("1f 80 80 80 80 00"), 0, 5), [31, 6]);
  assert.deepEqual(decodeInteger(hex("1f e0 ff ff ff 07"), 0, 5), [MAX_INTEGER, 6]);
});

Deno.test("decodeInteger rejects truncated, overlong and overflowing integers", async (t) => {
  // RFC 7541 §5.1: "Integer encodings that exceed implementation limits … MUST
  // be treated as decoding errors."
  const cases: Array<[name: string, wire: string, offset: number, detail: string]> = [
    ["empty input", "", 0, "integer_truncated"],
    ["offset past the end", "0a", 1, "integer_truncated"],
    ["prefix full, no continuation", "1f", 0, "integer_truncated"],
    ["continuation bit set on the last octet", "1f 9a", 0, "integer_truncated"],
    ["six continuation octets", "1f 80 80 80 80 80 00", 0, "integer_overflow"],
    ["2^31 (one past the limit)", "1f e1 ff ff ff 07", 0, "integer_overflow"],
    ["2^35 in five octets", "1f ff ff ff ff 7f", 0, "integer_overflow"],
  ];
  for (const [name, wire, offset, detail] of cases) {
    await t.step(name, () => {
      assert.throws(() => decodeInteger(hex(wire), offset, 5), (error: unknown) => {
        assert.ok(error instanceof HpackDecodingError);
        assert.equal(error.detail, detail);
        assert.equal(error.errorCode, 0x9);
        return true;
      });
    });
  }
});

Deno.test("encodeInteger rejects values and prefixes out of range with RangeError", async (t) => {
  // RFC 7541 §5.1: N is 1–8; we encode values up to 2^32-1 (SETTINGS range).
  const cases: Array<[value: number, prefix: number]> = [[-1, 5], [1.5, 5], [2 ** 32, 5], [
    1,
    0,
  ], [1, 9]];
  for (const [value, prefix] of cases) {
    await t.step(`${value} with ${prefix} bits`, () => {
      assert.throws(() => encodeInteger(value, prefix), RangeError);
    });
  }
  assert.equal(toHex(encodeInteger(2 ** 32 - 1, 8)), "ff80feffff0f");
});
