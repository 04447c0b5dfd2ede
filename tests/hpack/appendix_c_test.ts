// RFC 7541 Appendix C: the specification's examples, byte for byte.
import assert from "node:assert/strict";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { HpackEncoder } from "../../lib/hpack/encoder.ts";
import { decodeInteger, encodeInteger } from "../../lib/hpack/integer.ts";
import type { HeaderField } from "../../lib/events.ts";
import { hex, toHex } from "./_util.ts";

interface Example {
  section: string;
  wire: string;
  fields: HeaderField[];
  /** Dynamic table size after decoding (RFC's "Table size"). */
  tableSize?: number;
}

const REQUEST_1: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const REQUEST_2: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
  ["cache-control", "no-cache"],
];
const REQUEST_3: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const RESPONSE_1: HeaderField[] = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
  ["location", "https://www.example.com"],
];
const RESPONSE_2: HeaderField[] = [
  [":status", "307"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
  ["location", "https://www.example.com"],
];
const RESPONSE_3: HeaderField[] = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ["location", "https://www.example.com"],
  ["content-encoding", "gzip"],
  ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
];

const C3: Example[] = [
  {
    section: "C.3.1",
    wire: "828684410f7777772e6578616d706c652e636f6d",
    fields: REQUEST_1,
    tableSize: 57,
  },
  { section: "C.3.2", wire: "828684be58086e6f2d6361636865", fields: REQUEST_2, tableSize: 110 },
  {
    section: "C.3.3",
    wire: "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
    fields: REQUEST_3,
    tableSize: 164,
  },
];
const C4: Example[] = [
  {
    section: "C.4.1",
    wire: "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    fields: REQUEST_1,
    tableSize: 57,
  },
  { section: "C.4.2", wire: "828684be5886a8eb10649cbf", fields: REQUEST_2, tableSize: 110 },
  {
    section: "C.4.3",
    wire: "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
    fields: REQUEST_3,
    tableSize: 164,
  },
];
const C5: Example[] = [
  {
    section: "C.5.1",
    wire: "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a32312047" +
      "4d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
    fields: RESPONSE_1,
    tableSize: 222,
  },
  { section: "C.5.2", wire: "4803333037c1c0bf", fields: RESPONSE_2, tableSize: 222 },
  {
    section: "C.5.3",
    wire: "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a697077386" +
      "66f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d3336" +
      "30303b2076657273696f6e3d31",
    fields: RESPONSE_3,
    tableSize: 215,
  },
];
const C6: Example[] = [
  {
    section: "C.6.1",
    wire: "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad1718" +
      "63c78f0b97c8e9ae82ae43d3",
    fields: RESPONSE_1,
    tableSize: 222,
  },
  { section: "C.6.2", wire: "4883640effc1c0bf", fields: RESPONSE_2, tableSize: 222 },
  {
    section: "C.6.3",
    wire: "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7" +
      "b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
    fields: RESPONSE_3,
    tableSize: 215,
  },
];

/** Sum of entry sizes is not exposed; recompute it from an encoder-independent replay. */
function decodeSequence(examples: Example[], maxAllowedTableSize: number): void {
  const decoder = new HpackDecoder({ maxAllowedTableSize });
  for (const example of examples) {
    assert.deepEqual(decoder.decode(hex(example.wire)), example.fields, example.section);
  }
}

Deno.test("HpackDecoder decodes the RFC 7541 C.3 requests without Huffman coding", () => {
  // RFC 7541 §C.3: three requests sharing one decoding context.
  decodeSequence(C3, 4096);
});

Deno.test("HpackDecoder decodes the RFC 7541 C.4 requests with Huffman coding", () => {
  // RFC 7541 §C.4
  decodeSequence(C4, 4096);
});

Deno.test("HpackDecoder decodes the RFC 7541 C.5 responses with a 256-octet table and eviction", () => {
  // RFC 7541 §C.5: SETTINGS_HEADER_TABLE_SIZE is 256, so entries are evicted.
  decodeSequence(C5, 256);
});

Deno.test("HpackDecoder decodes the RFC 7541 C.6 Huffman responses with a 256-octet table", () => {
  // RFC 7541 §C.6
  decodeSequence(C6, 256);
});

Deno.test("HpackDecoder evicts exactly as RFC 7541 C.5 shows", () => {
  // RFC 7541 §C.5.2: adding ":status: 307" (42 octets) to the 222-octet table
  // evicts the oldest entry, ":status: 302", so index 65 moves on to
  // "cache-control: private" and index 66 no longer exists.
  const decoder = new HpackDecoder({ maxAllowedTableSize: 256 });
  decoder.decode(hex(C5[0]!.wire));
  assert.deepEqual(decoder.decode(hex("c1")), [[":status", "302"]]);
  assert.deepEqual(decoder.decode(hex("be")), [["location", "https://www.example.com"]]);
  decoder.decode(hex(C5[1]!.wire));
  assert.deepEqual(decoder.decode(hex("be")), [[":status", "307"]]);
  assert.deepEqual(decoder.decode(hex("c1")), [["cache-control", "private"]]);
  assert.throws(() => decoder.decode(hex("c2")), { name: "InvalidTableIndexError" });
});

Deno.test("HpackEncoder reproduces RFC 7541 C.3 byte for byte without Huffman coding", () => {
  // RFC 7541 §C.3
  const encoder = new HpackEncoder({ huffman: false });
  for (const example of C3) {
    assert.equal(toHex(encoder.encode(example.fields)), example.wire, example.section);
  }
});

Deno.test("HpackEncoder reproduces RFC 7541 C.4 byte for byte with Huffman coding", () => {
  // RFC 7541 §C.4
  const encoder = new HpackEncoder();
  for (const example of C4) {
    assert.equal(toHex(encoder.encode(example.fields)), example.wire, example.section);
  }
});

Deno.test("HpackEncoder output for the RFC 7541 C.5/C.6 responses round-trips with a 256-octet table", () => {
  // RFC 7541 §C.5, §C.6: our policy sends location and set-cookie without
  // indexing (nghttp2's choice), so the bytes differ from the RFC's but must
  // decode to the same lists through a decoder limited to 256 octets.
  for (const huffman of [false, true]) {
    const encoder = new HpackEncoder({ headerTableSize: 256, huffman });
    const decoder = new HpackDecoder({ maxAllowedTableSize: 256 });
    for (const example of huffman ? C6 : C5) {
      const block = encoder.encode(example.fields);
      assert.deepEqual(decoder.decode(block), example.fields, example.section);
    }
    assert.equal(decoder.headerTableSize, 256);
  }
});

Deno.test("HpackEncoder's first C.5 response matches the RFC after its table size update", () => {
  // RFC 7541 §C.5.1 apart from the location field (sent without indexing, §6.2.2)
  // and the leading size update to 256 (§6.3: 0x3f 0xe1 0x01).
  const encoder = new HpackEncoder({ headerTableSize: 256, huffman: false });
  const wire = toHex(encoder.encode(RESPONSE_1));
  assert.equal(
    wire,
    "3fe101" + C5[0]!.wire.replace("6e1768747470", "0f1f1768747470"),
  );
});

const LITERALS: Array<
  { section: string; wire: string; field: HeaderField; sensitive: boolean; tableSize: number }
> = [
  {
    section: "C.2.1",
    wire: "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
    field: ["custom-key", "custom-header"],
    sensitive: false,
    tableSize: 1,
  },
  {
    section: "C.2.2",
    wire: "040c2f73616d706c652f70617468",
    field: [":path", "/sample/path"],
    sensitive: false,
    tableSize: 0,
  },
  {
    section: "C.2.3",
    wire: "100870617373776f726406736563726574",
    field: ["password", "secret"],
    sensitive: true,
    tableSize: 0,
  },
  { section: "C.2.4", wire: "82", field: [":method", "GET"], sensitive: false, tableSize: 0 },
];

Deno.test("HpackDecoder decodes the RFC 7541 C.2 header field representations", async (t) => {
  // RFC 7541 §C.2: one field per representation, each with a fresh context.
  for (const example of LITERALS) {
    await t.step(example.section, () => {
      const decoder = new HpackDecoder();
      assert.deepEqual(decoder.decode(hex(example.wire)), [example.field]);
      assert.deepEqual(decoder.lastSensitiveHeaders, example.sensitive ? ["password"] : []);
      // Entries added to the dynamic table are visible at index 62.
      if (example.tableSize === 1) {
        assert.deepEqual(decoder.decode(hex("be")), [example.field]);
      } else {
        assert.throws(() => decoder.decode(hex("be")), { name: "InvalidTableIndexError" });
      }
    });
  }
});

Deno.test("HpackEncoder reproduces the RFC 7541 C.2.1, C.2.3 and C.2.4 representations", () => {
  // RFC 7541 §C.2.1 (incremental indexing), §C.2.3 (never indexed), §C.2.4 (indexed).
  assert.equal(
    toHex(new HpackEncoder({ huffman: false }).encode([LITERALS[0]!.field])),
    LITERALS[0]!.wire,
  );
  assert.equal(
    toHex(
      new HpackEncoder({ huffman: false }).encode([LITERALS[2]!.field], {
        sensitive: ["password"],
      }),
    ),
    LITERALS[2]!.wire,
  );
  assert.equal(toHex(new HpackEncoder().encode([LITERALS[3]!.field])), LITERALS[3]!.wire);
});

Deno.test("encodeInteger and decodeInteger match the RFC 7541 C.1 examples", async (t) => {
  // RFC 7541 §C.1: 10 and 1337 with a 5-bit prefix, 42 with an 8-bit prefix.
  const cases: Array<[value: number, prefix: number, wire: string]> = [
    [10, 5, "0a"],
    [1337, 5, "1f9a0a"],
    [42, 8, "2a"],
  ];
  for (const [value, prefix, wire] of cases) {
    await t.step(`${value} with a ${prefix}-bit prefix is ${wire}`, () => {
      assert.equal(toHex(encodeInteger(value, prefix)), wire);
      assert.deepEqual(decodeInteger(hex(wire), 0, prefix), [value, wire.length / 2]);
    });
  }
});
