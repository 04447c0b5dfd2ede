// RFC 7541 §3, §4, §6 and RFC 9113 §10.5.1: HpackDecoder's checks and limits.
import assert from "node:assert/strict";
import {
  ErrorCode,
  HpackDecodingError,
  HpackError,
  InvalidTableIndexError,
  InvalidTableSizeError,
  OversizedHeaderListError,
} from "../../lib/errors.ts";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { hex } from "./_util.ts";

/** Builds a literal-with-incremental-indexing field with a new name, no Huffman. */
function literal(name: string, value: string, type = 0x40): number[] {
  return [type, ...str(name), ...str(value)];
}

/** A raw string literal (§5.2, H = 0) with its length as a 7-bit-prefix integer. */
function str(value: string): number[] {
  const bytes = Array.from(value, (c) => c.charCodeAt(0));
  return [...integer(bytes.length, 7, 0), ...bytes];
}

/** Independent §5.1 integer writer for building test blocks. */
function integer(value: number, prefix: number, flags: number): number[] {
  const max = 2 ** prefix - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

interface Rejection {
  name: string;
  wire: string;
  error: typeof HpackError;
  detail: string;
  setup?: (decoder: HpackDecoder) => void;
}

const REJECTIONS: Rejection[] = [
  // §6.1: "The index value of 0 is not used."
  {
    name: "indexed field with index 0",
    wire: "80",
    error: InvalidTableIndexError,
    detail: "index_zero",
  },
  // §2.3.3: "Indices strictly greater than the sum of the lengths of both tables MUST be treated as a decoding error."
  {
    name: "index 62 with an empty dynamic table",
    wire: "be",
    error: InvalidTableIndexError,
    detail: "index_out_of_range",
  },
  {
    name: "huge index",
    wire: "ff 80 80 80 80 07",
    error: InvalidTableIndexError,
    detail: "index_out_of_range",
  },
  {
    name: "literal whose name index is past the tables",
    wire: "7e 01 61",
    error: InvalidTableIndexError,
    detail: "index_out_of_range",
  },
  {
    name: "never-indexed literal whose name index is past the tables",
    wire: "1f 2f 01 61",
    error: InvalidTableIndexError,
    detail: "index_out_of_range",
  },
  // §5.2: a string literal longer than the block is truncated input.
  {
    name: "truncated string value",
    wire: "41 0f 77 77 77",
    error: HpackDecodingError,
    detail: "string_truncated",
  },
  {
    name: "missing string value",
    wire: "40 01 61",
    error: HpackDecodingError,
    detail: "string_truncated",
  },
  {
    name: "missing name string",
    wire: "40",
    error: HpackDecodingError,
    detail: "string_truncated",
  },
  {
    name: "string length of 2^31-1 in a 6-octet block",
    wire: "40 7f 80 ff ff ff 07",
    error: HpackDecodingError,
    detail: "string_truncated",
  },
  // §5.1: integers.
  {
    name: "truncated index integer",
    wire: "ff",
    error: HpackDecodingError,
    detail: "integer_truncated",
  },
  {
    name: "truncated string length",
    wire: "40 7f 80",
    error: HpackDecodingError,
    detail: "integer_truncated",
  },
  {
    name: "integer with six continuation octets",
    wire: "ff 80 80 80 80 80 01",
    error: HpackDecodingError,
    detail: "integer_overflow",
  },
  {
    name: "integer above 2^31-1",
    wire: "3f ff ff ff ff 0f",
    error: HpackDecodingError,
    detail: "integer_overflow",
  },
  // §5.2: Huffman errors.
  {
    name: "Huffman value containing EOS",
    wire: "41 84 ff ff ff ff",
    error: HpackDecodingError,
    detail: "huffman_eos",
  },
  {
    name: "Huffman value with 8 padding bits",
    wire: "41 81 ff",
    error: HpackDecodingError,
    detail: "huffman_padding",
  },
  // §4.2: "This dynamic table size update MUST occur at the beginning of the first header block".
  {
    name: "size update after a field",
    wire: "82 20",
    error: HpackDecodingError,
    detail: "size_update_not_at_start",
  },
  {
    name: "size update after a literal",
    wire: "40 01 61 01 62 3f e1 1f",
    error: HpackDecodingError,
    detail: "size_update_not_at_start",
  },
  // §6.3: "The new maximum size MUST be lower than or equal to the limit".
  {
    name: "size update to 4097 above 4096",
    wire: "3f e2 1f",
    error: InvalidTableSizeError,
    detail: "table_size_too_large",
  },
  {
    name: "second size update above the maximum",
    wire: "20 3f e2 1f",
    error: InvalidTableSizeError,
    detail: "table_size_too_large",
  },
  {
    name: "missing size update after maxAllowedTableSize was lowered",
    wire: "82",
    error: InvalidTableSizeError,
    detail: "table_size_update_missing",
    setup: (decoder) => decoder.maxAllowedTableSize = 100,
  },
  {
    name: "empty block after maxAllowedTableSize was lowered",
    wire: "",
    error: InvalidTableSizeError,
    detail: "table_size_update_missing",
    setup: (decoder) => decoder.maxAllowedTableSize = 100,
  },
  {
    name: "size update to 101 above a lowered maximum of 100",
    wire: "3f 46 82",
    error: InvalidTableSizeError,
    detail: "table_size_too_large",
    setup: (decoder) => decoder.maxAllowedTableSize = 100,
  },
  {
    name: "update to the final size only after lowering to 100 then raising to 4096",
    wire: "3f e1 1f 82",
    error: InvalidTableSizeError,
    detail: "table_size_update_missing",
    setup: (decoder) => {
      decoder.maxAllowedTableSize = 100;
      decoder.maxAllowedTableSize = 4096;
    },
  },
];

Deno.test("HpackDecoder rejects malformed blocks with the expected error class", async (t) => {
  // RFC 7541 §2.3.3, §4.2, §5.1, §5.2, §6.1, §6.3; RFC 9113 §4.3: COMPRESSION_ERROR.
  for (const rejection of REJECTIONS) {
    await t.step(rejection.name, () => {
      const decoder = new HpackDecoder();
      rejection.setup?.(decoder);
      assert.throws(() => decoder.decode(hex(rejection.wire)), (error: unknown) => {
        assert.ok(error instanceof HpackError, String(error));
        assert.equal(error.constructor, rejection.error, String(error));
        assert.equal(error.detail, rejection.detail);
        assert.equal(error.errorCode, ErrorCode.COMPRESSION_ERROR);
        assert.equal(error.streamId, undefined); // connection error
        return true;
      });
    });
  }
});

Deno.test("HpackDecoder accepts several size updates at the start of a block", () => {
  // RFC 7541 §4.2: the smallest size then the final one may both be signalled.
  const decoder = new HpackDecoder();
  assert.deepEqual(decoder.decode(Uint8Array.from(literal("a", "b"))), [["a", "b"]]);
  decoder.maxAllowedTableSize = 0;
  decoder.maxAllowedTableSize = 2048;
  // 0x20 = update to 0 (evicts everything), then 2048, then index 2.
  assert.deepEqual(decoder.decode(hex("20 3f e1 0f 82")), [[":method", "GET"]]);
  assert.equal(decoder.headerTableSize, 2048);
  assert.throws(() => decoder.decode(hex("be")), InvalidTableIndexError);
  // The obligation is met: later blocks need no update.
  assert.deepEqual(decoder.decode(hex("82")), [[":method", "GET"]]);
});

Deno.test("HpackDecoder needs no size update when maxAllowedTableSize is raised", () => {
  // RFC 7541 §4.2: raising the limit does not oblige the peer to change its table.
  const decoder = new HpackDecoder();
  decoder.maxAllowedTableSize = 8192;
  assert.deepEqual(decoder.decode(hex("82")), [[":method", "GET"]]);
  assert.equal(decoder.headerTableSize, 4096);
  assert.deepEqual(decoder.decode(hex("3f e1 3f 82")), [[":method", "GET"]]);
  assert.equal(decoder.headerTableSize, 8192);
});

Deno.test("HpackDecoder accepts a size update to exactly the lowered maximum", () => {
  // RFC 7541 §6.3: "lower than or equal to the limit".
  const decoder = new HpackDecoder();
  decoder.maxAllowedTableSize = 100;
  assert.deepEqual(decoder.decode(hex("3f 45 82")), [[":method", "GET"]]);
  assert.equal(decoder.headerTableSize, 100);
});

Deno.test("HpackDecoder size update to 0 empties the dynamic table", () => {
  // RFC 7541 §4.3: reducing the maximum size evicts entries.
  const decoder = new HpackDecoder();
  decoder.decode(Uint8Array.from(literal("x-a", "1")));
  assert.deepEqual(decoder.decode(hex("be")), [["x-a", "1"]]);
  assert.deepEqual(decoder.decode(hex("20 3f e1 1f")), []);
  assert.throws(() => decoder.decode(hex("be")), InvalidTableIndexError);
});

Deno.test("HpackDecoder clears the table when an entry is larger than the table", () => {
  // RFC 7541 §4.4: "an attempt to add an entry larger than the maximum size
  // causes the table to be emptied of all existing entries".
  const decoder = new HpackDecoder({ maxAllowedTableSize: 64 });
  decoder.decode(Uint8Array.from(literal("a", "b")));
  assert.deepEqual(decoder.decode(hex("be")), [["a", "b"]]);
  const big = "v".repeat(40); // 1 + 40 + 32 = 73 > 64
  assert.deepEqual(decoder.decode(Uint8Array.from(literal("a", big))), [["a", big]]);
  assert.throws(() => decoder.decode(hex("be")), InvalidTableIndexError);
});

Deno.test("HpackDecoder reports never-indexed names in lastSensitiveHeaders", () => {
  // RFC 7541 §6.2.3: the never-indexed bit must be kept so it can be re-encoded.
  const decoder = new HpackDecoder();
  const block = [
    ...literal("password", "secret", 0x10),
    ...literal("x-plain", "1", 0x00),
    0x1f,
    0x08,
    ...str("Basic abc"), // never indexed, name = static 23 authorization
  ];
  assert.deepEqual(decoder.decode(Uint8Array.from(block)), [
    ["password", "secret"],
    ["x-plain", "1"],
    ["authorization", "Basic abc"],
  ]);
  assert.deepEqual(decoder.lastSensitiveHeaders, ["password", "authorization"]);
  // Neither form adds to the dynamic table (§6.2.2, §6.2.3).
  assert.throws(() => decoder.decode(hex("be")), InvalidTableIndexError);
  decoder.decode(hex("82"));
  assert.deepEqual(decoder.lastSensitiveHeaders, []);
});

Deno.test("HpackDecoder survives an HPACK bomb quickly and stays in sync", () => {
  // RFC 9113 §10.5.1 / CVE-2016-6581: one 4 KiB entry referenced 16,000 times
  // would expand a 16 KB block to 64 MB. It must fail fast with
  // OversizedHeaderListError without building the list, and the table must
  // still hold the entry for the next block.
  const value = "x".repeat(4000);
  const references = 16_000;
  const block = Uint8Array.from([...literal("bomb", value), ...new Array(references).fill(0xbe)]);
  const decoder = new HpackDecoder();
  const started = performance.now();
  assert.throws(() => decoder.decode(block), (error: unknown) => {
    assert.ok(error instanceof OversizedHeaderListError);
    assert.equal(error.fieldCount, references + 1);
    assert.equal(error.listSize, (references + 1) * (4 + 4000 + 32));
    assert.equal(error.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 250, `took ${elapsed} ms`);
  assert.deepEqual(decoder.decode(hex("be 82")), [["bomb", value], [":method", "GET"]]);
});

Deno.test("HpackDecoder enforces maxHeaderListSize on the 32-octet-per-field size", () => {
  // RFC 9113 §6.5.2: size = Σ (name + value + 32).
  const block = Uint8Array.from([...literal("a", "b"), ...literal("c", "d")]); // 34 + 34
  assert.equal(new HpackDecoder({ maxHeaderListSize: 68 }).decode(block).length, 2);
  const decoder = new HpackDecoder({ maxHeaderListSize: 67 });
  assert.throws(() => decoder.decode(block), { name: "OversizedHeaderListError", listSize: 68 });
  // Both literals were still added to the table (§2.2 sync).
  decoder.maxHeaderListSize = 1000;
  assert.deepEqual(decoder.decode(hex("be bf")), [["c", "d"], ["a", "b"]]);
});

Deno.test("HpackDecoder enforces maxHeaderFields and keeps decoding to the end", () => {
  // RFC 9113 §10.5.1: limit the number of fields; the block is still processed.
  const block = Uint8Array.from([0x82, 0x84, ...literal("x-1", "a"), 0x86, ...literal("x-2", "b")]);
  const decoder = new HpackDecoder({ maxHeaderFields: 4 });
  assert.equal(decoder.maxHeaderFields, 4);
  assert.throws(() => decoder.decode(block), (error: unknown) => {
    assert.ok(error instanceof OversizedHeaderListError);
    assert.equal(error.fieldCount, 5);
    return true;
  });
  assert.deepEqual(decoder.decode(hex("be bf")), [["x-2", "b"], ["x-1", "a"]]);
  decoder.maxHeaderFields = 5;
  assert.equal(decoder.decode(block).length, 5);
});

Deno.test("HpackDecoder still detects a malformed tail after the list limit is hit", () => {
  // RFC 7541 §2.2: the block must be fully valid for the context to stay in sync.
  const decoder = new HpackDecoder({ maxHeaderFields: 1 });
  assert.throws(() => decoder.decode(hex("82 82 80")), InvalidTableIndexError);
});

Deno.test("HpackDecoder decodes bytes 0x80-0xff to chars with the same codes", () => {
  // Field values are byte strings (not UTF-8, not windows-1252).
  const decoder = new HpackDecoder();
  const value = "\x80\x9f\xe9\xff";
  assert.deepEqual(decoder.decode(Uint8Array.from(literal("x-bytes", value, 0x00))), [[
    "x-bytes",
    value,
  ]]);
});

Deno.test("HpackDecoder validates its limits with RangeError", async (t) => {
  // Misuse by the caller is not an H2 error.
  const cases: Array<[string, () => unknown]> = [
    ["negative maxHeaderListSize", () => new HpackDecoder({ maxHeaderListSize: -1 })],
    ["fractional maxAllowedTableSize", () => new HpackDecoder({ maxAllowedTableSize: 1.5 })],
    ["NaN maxHeaderFields", () => new HpackDecoder({ maxHeaderFields: NaN })],
    ["negative maxAllowedTableSize via setter", () => new HpackDecoder().maxAllowedTableSize = -5],
  ];
  for (const [name, action] of cases) await t.step(name, () => assert.throws(action, RangeError));
});
