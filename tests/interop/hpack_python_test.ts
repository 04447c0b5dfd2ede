// RFC 7541: interoperability with python-hyper `hpack` (outside truth).
// Our encoder's blocks for every vendored raw-data story (several table sizes,
// Huffman on and off) must decode in python to the same lists, and python's
// blocks must decode in ours. Run: deno test --allow-all tests/interop/hpack_python_test.ts
import assert from "node:assert/strict";
import type { HeaderField } from "../../lib/events.ts";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { HpackEncoder } from "../../lib/hpack/encoder.ts";
import { FIXTURES, readStory, type Story, storyFiles } from "../hpack/_stories.ts";
import { hex, toHex } from "../hpack/_util.ts";

const PYTHON = "/usr/bin/python3";
const PEER = new URL("./py/hpack_peer.py", import.meta.url).pathname;
const TABLE_SIZES = [0, 256, 4096, 65_536];

interface DecodeResult {
  lists?: Array<Array<[string, string, boolean]>>;
  error?: string;
  decoded?: number;
}
interface EncodeResult {
  blocks: string[];
}

async function runPeer(jobs: unknown[]): Promise<{ hpack: string; results: unknown[] }> {
  try {
    await Deno.stat(PYTHON);
  } catch {
    throw new Error(
      `${PYTHON} is missing: install python3 with the "hpack" module (apt install python3-hpack)`,
    );
  }
  const child = new Deno.Command(PYTHON, {
    args: [PEER],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(jobs)));
  await writer.close();
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (stderr.includes("No module named 'hpack'")) {
    throw new Error(`${PYTHON} has no "hpack" module: install it (apt install python3-hpack)`);
  }
  if (!output.success) throw new Error(`Python peer failed (exit ${output.code}):\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const stories: Story[] = storyFiles(new URL("raw-data/", FIXTURES)).map(readStory);

Deno.test("python hpack decodes every raw-data story our HpackEncoder encodes", async () => {
  // RFC 7541 §2.2, §4.2, §6: table sizes 0, 256, 4096, 65536, Huffman on and off.
  const jobs: Array<{ op: "decode"; tableSize: number; blocks: string[] }> = [];
  const labels: string[] = [];
  for (const story of stories) {
    for (const tableSize of TABLE_SIZES) {
      for (const huffman of [true, false]) {
        const encoder = new HpackEncoder({ headerTableSize: tableSize, huffman });
        jobs.push({
          op: "decode",
          tableSize,
          blocks: story.cases.map((c) => toHex(encoder.encode(c.fields))),
        });
        labels.push(
          `${
            story.path.slice(story.path.lastIndexOf("/") + 1)
          } table=${tableSize} huffman=${huffman}`,
        );
      }
    }
  }
  const { results } = await runPeer(jobs);
  assert.equal(results.length, jobs.length);
  const failures: string[] = [];
  let lists = 0;
  results.forEach((raw, i) => {
    const result = raw as DecodeResult;
    const story = stories[Math.floor(i / (TABLE_SIZES.length * 2))]!;
    if (result.error !== undefined) {
      failures.push(`${labels[i]}: python failed at case ${result.decoded}: ${result.error}`);
      return;
    }
    story.cases.forEach((c, j) => {
      lists++;
      const got = result.lists![j]!.map(([name, value]) => [name, value]);
      try {
        assert.deepEqual(got, c.fields);
      } catch {
        failures.push(
          `${labels[i]} case ${c.seqno}: python decoded ${JSON.stringify(got).slice(0, 200)}`,
        );
      }
    });
  });
  assert.deepEqual(failures, [], `${failures.length} mismatches`);
  assert.ok(lists > 3000, `only ${lists} lists checked`);
});

Deno.test("python hpack keeps our never-indexed fields never-indexed", async () => {
  // RFC 7541 §6.2.3: the never-indexed bit must survive to the peer.
  const encoder = new HpackEncoder();
  const fields: HeaderField[] = [[":method", "GET"], ["authorization", "Bearer x"], [
    "x-secret",
    "1",
  ]];
  const block = toHex(encoder.encode(fields, { sensitive: ["x-secret"] }));
  const { results } = await runPeer([{ op: "decode", tableSize: 4096, blocks: [block] }]);
  const lists = (results[0] as DecodeResult).lists!;
  assert.deepEqual(lists[0], [[":method", "GET", false], ["authorization", "Bearer x", true], [
    "x-secret",
    "1",
    true,
  ]]);
});

Deno.test("HpackDecoder decodes every raw-data story python hpack encodes", async () => {
  // RFC 7541: the other direction, python's encoder (always indexing) into our decoder.
  const jobs: Array<{ op: "encode"; tableSize: number; huffman: boolean; lists: HeaderField[][] }> =
    [];
  for (const story of stories) {
    for (const tableSize of [256, 4096]) {
      for (const huffman of [true, false]) {
        jobs.push({ op: "encode", tableSize, huffman, lists: story.cases.map((c) => c.fields) });
      }
    }
  }
  const { results } = await runPeer(jobs);
  results.forEach((raw, i) => {
    const job = jobs[i]!;
    const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
    decoder.maxAllowedTableSize = job.tableSize;
    (raw as EncodeResult).blocks.forEach((block, j) => {
      assert.deepEqual(decoder.decode(hex(block)), job.lists[j], `job ${i} case ${j}`);
    });
  });
});
