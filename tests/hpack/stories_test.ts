// RFC 7541 §3, §4, §6: the hpack-test-case stories — other encoders' blocks
// decode to the expected lists, and our blocks decode back to their input.
import assert from "node:assert/strict";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { HpackEncoder } from "../../lib/hpack/encoder.ts";
import { hex } from "./_util.ts";
import {
  exists,
  FIXTURES,
  readStory,
  type Story,
  storyDirectories,
  storyFiles,
  UPSTREAM,
} from "./_stories.ts";

/** Decodes every case of a story in one context, honouring header_table_size. */
function checkDecode(story: Story): void {
  const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
  for (const c of story.cases) {
    if (c.headerTableSize !== undefined) decoder.maxAllowedTableSize = c.headerTableSize;
    const fields = decoder.decode(hex(c.wire!));
    assert.deepEqual(fields, c.fields, `${story.path} case ${c.seqno}`);
  }
}

const TABLE_SIZES = [0, 256, 4096, 65_536];

/** Encodes a story with our encoder and decodes it back with a fresh decoder. */
function checkRoundTrip(story: Story, headerTableSize: number, huffman: boolean): number {
  const encoder = new HpackEncoder({ headerTableSize, huffman });
  const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
  // As after the SETTINGS_HEADER_TABLE_SIZE exchange: lowering it obliges
  // our encoder's first block to start with a size update (RFC 7541 §4.2).
  decoder.maxAllowedTableSize = headerTableSize;
  let octets = 0;
  for (const c of story.cases) {
    const block = encoder.encode(c.fields);
    octets += block.length;
    assert.deepEqual(
      decoder.decode(block),
      c.fields,
      `${story.path} case ${c.seqno} (table ${headerTableSize}, huffman ${huffman})`,
    );
  }
  assert.equal(decoder.headerTableSize, headerTableSize);
  return octets;
}

for (const dir of storyDirectories(FIXTURES)) {
  if (dir === "raw-data") continue;
  Deno.test(`HpackDecoder decodes every vendored ${dir} story`, async (t) => {
    // RFC 7541 §3.2: each story's cases share one decoding context.
    for (const path of storyFiles(new URL(`${dir}/`, FIXTURES))) {
      await t.step(path.slice(path.lastIndexOf("/") + 1), () => checkDecode(readStory(path)));
    }
  });
}

Deno.test("HpackDecoder honours header_table_size changes in nghttp2-change-table-size", () => {
  // RFC 7541 §4.2: the story lowers SETTINGS_HEADER_TABLE_SIZE to 1365; its
  // next block must start with a size update, as nghttp2's does.
  const story = readStory(new URL("nghttp2-change-table-size/story_00.json", FIXTURES));
  const decoder = new HpackDecoder();
  decoder.decode(hex(story.cases[0]!.wire!));
  decoder.maxAllowedTableSize = story.cases[1]!.headerTableSize!;
  assert.equal(story.cases[1]!.headerTableSize, 1365);
  decoder.decode(hex(story.cases[1]!.wire!));
  assert.equal(decoder.headerTableSize, 1365);
  // Without the leading update (0x3f 0xb6 0x0a) the same block is rejected.
  const replay = new HpackDecoder();
  replay.decode(hex(story.cases[0]!.wire!));
  replay.maxAllowedTableSize = 1365;
  assert.throws(() => replay.decode(hex(story.cases[1]!.wire!.slice(6))), {
    name: "InvalidTableSizeError",
  });
});

Deno.test("HpackEncoder output for every vendored raw-data story decodes back", async (t) => {
  // RFC 7541 §2.2: the encoder's and decoder's tables must stay in step across
  // a story, for any table size and with or without Huffman coding.
  for (const path of storyFiles(new URL("raw-data/", FIXTURES))) {
    const story = readStory(path);
    await t.step(path.slice(path.lastIndexOf("/") + 1), () => {
      for (const size of TABLE_SIZES) {
        for (const huffman of [true, false]) checkRoundTrip(story, size, huffman);
      }
    });
  }
});

Deno.test("HpackEncoder compresses a raw-data story better with a table and Huffman", () => {
  // RFC 7541 §2.3.2, §5.2: indexing and Huffman coding both shrink the output.
  const story = readStory(new URL("raw-data/story_20.json", FIXTURES));
  const plain = checkRoundTrip(story, 0, false);
  const huffmanOnly = checkRoundTrip(story, 0, true);
  const indexed = checkRoundTrip(story, 4096, true);
  assert.ok(huffmanOnly < plain, `${huffmanOnly} < ${plain}`);
  assert.ok(indexed < huffmanOnly / 2, `${indexed} < ${huffmanOnly} / 2`);
});

Deno.test({
  name: "HpackDecoder and HpackEncoder handle every upstream hpack-test-case story",
  ignore: !exists(UPSTREAM),
  fn: async (t) => {
    // RFC 7541: the full upstream set, when /work/shared/hpack-test-case exists.
    for (const dir of storyDirectories(UPSTREAM)) {
      await t.step(dir, () => {
        for (const path of storyFiles(`${UPSTREAM}${dir}/`)) {
          const story = readStory(path);
          if (dir === "raw-data") {
            for (const size of TABLE_SIZES) {
              for (const huffman of [true, false]) checkRoundTrip(story, size, huffman);
            }
          } else {
            checkDecode(story);
          }
        }
      });
    }
  },
});
