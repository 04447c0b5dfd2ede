/**
 * HPACK throughput: our HpackEncoder/HpackDecoder against the pure-JS npm
 * package `hpack.js` (the baseline), over the vendored raw-data stories
 * (`tests/fixtures/hpack/raw-data`). Each iteration encodes (or decodes) every
 * story with a fresh context, as a connection would.
 *
 * Run: `deno bench --allow-read --allow-env bench/hpack_bench.ts` (hpack.js reads env). The corpus size is
 * printed first so MB/s and header lists/s can be read off the time/iter.
 *
 * @module
 */

import hpack from "npm:hpack.js@2";
import type { HeaderField } from "../lib/events.ts";
import { HpackDecoder } from "../lib/hpack/decoder.ts";
import { HpackEncoder } from "../lib/hpack/encoder.ts";

const dir = new URL("../tests/fixtures/hpack/raw-data/", import.meta.url);
const stories: HeaderField[][][] = [];
for (const entry of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
  if (!entry.name.endsWith(".json")) continue;
  const raw = JSON.parse(Deno.readTextFileSync(new URL(entry.name, dir))) as {
    cases: Array<{ headers: Array<Record<string, string>> }>;
  };
  stories.push(
    raw.cases.map((c) => c.headers.map((h) => Object.entries(h)[0]! as HeaderField)),
  );
}
const objectStories = stories.map((story) =>
  story.map((fields) => fields.map(([name, value]) => ({ name, value })))
);

// Wire blocks from our encoder (Huffman when shorter, 4096 table), decoded by both.
const wires = stories.map((story) => {
  const encoder = new HpackEncoder();
  return story.map((fields) => encoder.encode(fields));
});

let lists = 0;
let rawOctets = 0;
let wireOctets = 0;
for (const story of stories) {
  for (const fields of story) {
    lists++;
    for (const [name, value] of fields) rawOctets += name.length + value.length;
  }
}
for (const story of wires) for (const block of story) wireOctets += block.length;
console.log(
  `corpus: ${stories.length} stories, ${lists} header lists, ${rawOctets} header octets ` +
    `(name + value), ${wireOctets} wire octets from our encoder`,
);

// Correctness guard: hpack.js must decode our blocks to the same lists.
function hpackJsDecodeStory(blocks: Uint8Array[]): Array<Array<{ name: string; value: string }>> {
  const decompressor = hpack.decompressor.create({ table: { size: 4096 } });
  const out: Array<Array<{ name: string; value: string }>> = [];
  for (const block of blocks) {
    decompressor.write(block);
    decompressor.execute();
    const fields: Array<{ name: string; value: string }> = [];
    let field;
    while ((field = decompressor.read()) !== null) fields.push(field);
    out.push(fields);
  }
  return out;
}
{
  const check = hpackJsDecodeStory(wires[3]!);
  if (
    JSON.stringify(check.map((l) => l.map((f) => [f.name, f.value]))) !== JSON.stringify(stories[3])
  ) {
    throw new Error("hpack.js disagrees with our encoder");
  }
}

let sink = 0;

Deno.bench({
  name: "hpack.js encode",
  group: "encode",
  baseline: true,
  fn() {
    for (const story of objectStories) {
      const compressor = hpack.compressor.create({ table: { size: 4096 } });
      for (const fields of story) {
        compressor.write(fields);
        sink += compressor.read().length;
      }
    }
  },
});

Deno.bench({
  name: "HpackEncoder encode",
  group: "encode",
  fn() {
    for (const story of stories) {
      const encoder = new HpackEncoder();
      for (const fields of story) sink += encoder.encode(fields).length;
    }
  },
});

Deno.bench({
  name: "hpack.js decode",
  group: "decode",
  baseline: true,
  fn() {
    for (const blocks of wires) sink += hpackJsDecodeStory(blocks).length;
  },
});

Deno.bench({
  name: "HpackDecoder decode",
  group: "decode",
  fn() {
    for (const blocks of wires) {
      const decoder = new HpackDecoder();
      for (const block of blocks) sink += decoder.decode(block).length;
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
