// RFC 7541 §4.2, §6 and §7.1: HpackEncoder's representation choices.
import assert from "node:assert/strict";
import type { HeaderField } from "../../lib/events.ts";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { HpackEncoder } from "../../lib/hpack/encoder.ts";
import { toHex } from "./_util.ts";

/** The representation type of a block's first octet (RFC 7541 §6). */
function kind(octet: number): string {
  if (octet & 0x80) return "indexed";
  if (octet & 0x40) return "incremental";
  if (octet & 0x20) return "size-update";
  if (octet & 0x10) return "never-indexed";
  return "without-indexing";
}

Deno.test("HpackEncoder sends sensitive fields never-indexed, every time", async (t) => {
  // RFC 7541 §6.2.3, §7.1.3: never-indexed literals are not added to the table.
  const cases: Array<{ name: string; field: HeaderField; sensitive?: string[] }> = [
    { name: "authorization by default", field: ["authorization", "Bearer abcdef"] },
    { name: "proxy-authorization by default", field: ["proxy-authorization", "Basic xyz"] },
    { name: "a short cookie (< 20 octets)", field: ["cookie", "sid=123456"] },
    { name: "a name in the sensitive option", field: ["x-api-key", "k"], sensitive: ["x-api-key"] },
    {
      name: "a static full match in the sensitive option",
      field: [":method", "GET"],
      sensitive: [":method"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const encoder = new HpackEncoder();
      const decoder = new HpackDecoder();
      const options = c.sensitive === undefined ? {} : { sensitive: c.sensitive };
      const first = encoder.encode([c.field], options);
      const second = encoder.encode([c.field], options);
      assert.equal(kind(first[0]!), "never-indexed");
      assert.deepEqual(second, first); // nothing was indexed
      assert.deepEqual(decoder.decode(first), [c.field]);
      assert.deepEqual(decoder.lastSensitiveHeaders, [c.field[0]]);
    });
  }
});

Deno.test("HpackEncoder indexes a cookie of 20 octets or more", () => {
  // RFC 7541 §7.1.3: only short cookies are easy to guess.
  const encoder = new HpackEncoder();
  const field: HeaderField = ["cookie", "session=0123456789ab"];
  assert.equal(kind(encoder.encode([field])[0]!), "incremental");
  assert.equal(toHex(encoder.encode([field])), "be");
});

Deno.test("HpackEncoder sends fields that rarely repeat without indexing", async (t) => {
  // RFC 7541 §6.2.2: nghttp2's list, plus :path with a query.
  const fields: HeaderField[] = [
    [":path", "/search?q=1"],
    ["content-length", "1234"],
    ["etag", '"abc"'],
    ["if-modified-since", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["if-none-match", '"abc"'],
    ["location", "/next"],
    ["set-cookie", "a=b; Path=/"],
    ["age", "30"],
  ];
  for (const field of fields) {
    await t.step(field[0], () => {
      const encoder = new HpackEncoder();
      const first = encoder.encode([field]);
      assert.equal(kind(first[0]!), "without-indexing");
      assert.deepEqual(encoder.encode([field]), first);
      assert.deepEqual(new HpackDecoder().decode(first), [field]);
    });
  }
  const encoder = new HpackEncoder();
  encoder.encode([[":path", "/plain"]]);
  assert.equal(toHex(encoder.encode([[":path", "/plain"]])), "be");
});

Deno.test("HpackEncoder does not index entries larger than 3/4 of the table", () => {
  // RFC 7541 §4.4: such an entry would evict most of the table (nghttp2's rule).
  const encoder = new HpackEncoder({ headerTableSize: 256 });
  const small: HeaderField = ["x-small", "1"];
  encoder.encode([small]);
  const big: HeaderField = ["x-big", "v".repeat(160)]; // 5 + 160 + 32 = 197 > 192
  const block = encoder.encode([big, small]);
  assert.equal(kind(block[0]!), "without-indexing");
  assert.equal(block[block.length - 1], 0xbe); // x-small still at 62
  const fits: HeaderField = ["x-fit", "v".repeat(150)]; // 187 ≤ 192
  assert.equal(kind(encoder.encode([fits])[0]!), "incremental");
});

Deno.test("HpackEncoder refers to indexed names and full matches in both tables", () => {
  // RFC 7541 §2.3.3: static indices 1–61, dynamic from 62 (newest first).
  const encoder = new HpackEncoder({ huffman: false });
  assert.equal(toHex(encoder.encode([[":status", "200"]])), "88");
  assert.equal(toHex(encoder.encode([["x-a", "1"]])), "4003782d610131");
  assert.equal(toHex(encoder.encode([["x-a", "2"]])), "7e0132"); // name from index 62
  assert.equal(toHex(encoder.encode([["x-a", "1"], ["x-a", "2"]])), "bfbe");
  assert.equal(toHex(encoder.encode([["cache-control", "max-age=0"]])).slice(0, 2), "58");
});

Deno.test("HpackEncoder Huffman-codes only when strictly shorter", () => {
  // RFC 7541 §5.2: H = 1 marks a Huffman string; our policy picks the shorter form.
  const encoder = new HpackEncoder();
  // "x-h" codes to 19 bits = 3 octets (not shorter: raw); "aaaa" to 20 bits = 3 octets < 4.
  const block1 = encoder.encode([["x-h", "aaaa"]], { huffman: true });
  assert.equal(toHex(block1), "4003782d688318c63f");
  const binary = "\x00\x01\x02\x03";
  const block = encoder.encode([["x-bin", binary]]);
  // The value is the last string: its length octet precedes 4 raw octets.
  assert.equal(toHex(block.subarray(block.length - 5)), "0400010203");
  const raw = new HpackEncoder({ huffman: false }).encode([["x-h", "aaaa"]]);
  assert.equal(toHex(raw), "4003782d680461616161");
  const perCall = new HpackEncoder().encode([["x-h", "aaaa"]], { huffman: false });
  assert.deepEqual(perCall, raw);
});

Deno.test("HpackEncoder signals table size changes at the start of the next block", async (t) => {
  // RFC 7541 §4.2: "the smallest maximum table size that occurs in that
  // interval MUST be signaled … followed by the final maximum size."
  await t.step("lowered: one update", () => {
    const encoder = new HpackEncoder();
    encoder.encode([["x-a", "1"]]);
    encoder.headerTableSize = 0;
    const block = encoder.encode([["x-a", "1"]]);
    assert.equal(toHex(block.subarray(0, 1)), "20");
    // The old entry was evicted, and nothing fits a 0-octet table.
    assert.equal(kind(block[1]!), "without-indexing");
  });
  await t.step("lowered then raised: minimum then final", () => {
    const encoder = new HpackEncoder();
    encoder.headerTableSize = 100;
    encoder.headerTableSize = 0;
    encoder.headerTableSize = 2048;
    assert.equal(toHex(encoder.encode([[":method", "GET"]])), "203fe10f82");
    assert.equal(toHex(encoder.encode([[":method", "GET"]])), "82");
  });
  await t.step("raised only: one update", () => {
    const encoder = new HpackEncoder();
    encoder.headerTableSize = 8192;
    assert.equal(toHex(encoder.encode([])), "3fe13f");
  });
  await t.step("set to the current value: no update", () => {
    const encoder = new HpackEncoder();
    encoder.headerTableSize = 4096;
    assert.equal(toHex(encoder.encode([[":method", "GET"]])), "82");
  });
  await t.step("constructed with a non-default size: announced in the first block", () => {
    const encoder = new HpackEncoder({ headerTableSize: 256 });
    assert.equal(toHex(encoder.encode([])), "3fe101");
    assert.equal(toHex(encoder.encode([])), "");
  });
  await t.step("the decoder accepts the sequence after lowering its maximum", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    decoder.decode(encoder.encode([["x-a", "1"]]));
    decoder.maxAllowedTableSize = 50;
    encoder.headerTableSize = 50;
    assert.deepEqual(decoder.decode(encoder.encode([["x-a", "1"]])), [["x-a", "1"]]);
    assert.equal(decoder.headerTableSize, 50);
  });
});

Deno.test("HpackEncoder rejects non-byte strings with TypeError and stays in sync", async (t) => {
  // Field names and values are byte strings (char codes 0–255). A failed call
  // may already have indexed earlier fields, but its block is never sent: the
  // next block starts with a size update to 0 so both tables restart empty (§4.2).
  const bad: HeaderField[][] = [
    [["x-new", "1"], ["x-b", "caf\u0100"]],
    [["x-new", "2"], ["x-\u4e2d", "2"]],
    [["x-new", "3"], ["x-c", "\u{1f600}"]],
    [["x-new", "4"], ["x-d", 5 as unknown as string]],
  ];
  for (const fields of bad) {
    await t.step(JSON.stringify(fields), () => {
      const encoder = new HpackEncoder();
      const decoder = new HpackDecoder();
      assert.deepEqual(decoder.decode(encoder.encode([["x-a", "1"]])), [["x-a", "1"]]);
      assert.throws(() => encoder.encode(fields), TypeError);
      const block = encoder.encode([["x-new", "1"], ["x-a", "1"], ["x-new", "1"]]);
      assert.equal(toHex(block.subarray(0, 4)), "203fe11f");
      assert.deepEqual(decoder.decode(block), [["x-new", "1"], ["x-a", "1"], ["x-new", "1"]]);
      assert.deepEqual(decoder.decode(encoder.encode([["x-a", "1"]])), [["x-a", "1"]]);
    });
  }
  assert.throws(() => new HpackEncoder().headerTableSize = -1, RangeError);
  assert.throws(() => new HpackEncoder({ headerTableSize: 1.5 }), RangeError);
});

Deno.test("HpackEncoder returns blocks the caller owns and accepts any iterable", () => {
  // The encoder reuses its output buffer internally; results must not alias it.
  const encoder = new HpackEncoder();
  const first = encoder.encode([["x-a", "1"]]);
  const copy = first.slice();
  function* fields(): Generator<HeaderField> {
    yield ["x-b", "2"];
    yield ["x-a", "1"];
  }
  const second = encoder.encode(fields());
  assert.deepEqual(first, copy);
  assert.deepEqual(new HpackDecoder().decode(Uint8Array.from([...first, ...second])), [
    ["x-a", "1"],
    ["x-b", "2"],
    ["x-a", "1"],
  ]);
});

Deno.test("HpackEncoder grows its buffer for large header lists", () => {
  // RFC 7541 §5.2: long strings use multi-octet length prefixes.
  const encoder = new HpackEncoder();
  const fields: HeaderField[] = [];
  for (let i = 0; i < 200; i++) fields.push([`x-header-${i}`, "v".repeat(i * 10)]);
  fields.push(["x-huge", "\xff".repeat(100_000)]);
  const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
  assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
  assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
});

Deno.test("HpackEncoder round-trips when its table is first used after size changes", async (t) => {
  // The lookup maps and the table's ring are created with the first indexed field; size
  // updates before that must still be signalled and applied (RFC 7541 §4.2, §6.3).
  const lists: HeaderField[][] = [
    [[":method", "GET"], ["x-a", "1".repeat(40)]],
    [["x-b", "2".repeat(40)], ["x-a", "1".repeat(40)]],
    [["x-c", "3".repeat(40)], ["x-b", "2".repeat(40)], ["x-a", "1".repeat(40)]],
  ];
  for (const sizes of [[0], [0, 200], [100, 0, 150], [8192, 120]]) {
    await t.step(`sizes ${sizes.join(" → ")} before the first field`, () => {
      const encoder = new HpackEncoder();
      const decoder = new HpackDecoder({ maxAllowedTableSize: 8192 });
      for (const size of sizes) encoder.headerTableSize = size;
      for (let round = 0; round < 3; round++) {
        for (const list of lists) assert.deepEqual(decoder.decode(encoder.encode(list)), list);
      }
      assert.equal(decoder.headerTableSize, sizes.at(-1));
    });
  }
});

Deno.test("HpackEncoder blocks of interleaved encoders stay intact", () => {
  // Encoders share one output buffer: `encode` hands out copies, so one encoder's block
  // survives another's, even one large enough to grow the buffer.
  const a = new HpackEncoder();
  const b = new HpackEncoder();
  const decodeA = new HpackDecoder();
  const decodeB = new HpackDecoder({ maxHeaderListSize: Infinity });
  const listA: HeaderField[] = [[":status", "200"], ["x-a", "from a"]];
  const listB: HeaderField[] = [["x-b", "b".repeat(50_000)], ["x-b2", "from b"]];
  const blockA = a.encode(listA);
  const copyA = blockA.slice();
  const blockB = b.encode(listB);
  assert.deepEqual(blockA, copyA);
  const viewA = a.encodeView(listA);
  assert.deepEqual(decodeA.decode(blockA), listA);
  assert.deepEqual(decodeA.decode(viewA), listA);
  assert.deepEqual(decodeB.decode(blockB), listB);
  assert.deepEqual(decodeB.decode(b.encode(listB)), listB);
});
