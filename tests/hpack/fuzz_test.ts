// RFC 7541 §2.2, RFC 9113 §4.3: seeded fuzzing of HpackDecoder (random and
// mutated blocks must yield byte-string fields or an HpackError, nothing else)
// and of the encoder/decoder pair (random lists round-trip exactly).
import assert from "node:assert/strict";
import type { HeaderField } from "../../lib/events.ts";
import { HpackError, OversizedHeaderListError } from "../../lib/errors.ts";
import { HpackDecoder } from "../../lib/hpack/decoder.ts";
import { HpackEncoder } from "../../lib/hpack/encoder.ts";
import { FIXTURES, readStory, storyFiles } from "./_stories.ts";
import { hex, mulberry32, toHex } from "./_util.ts";

const BASE_SEED = 0x7541_2026;

/** Stories as block sequences: other encoders' wires plus ours over raw-data. */
function corpus(): Uint8Array[][] {
  const sequences: Uint8Array[][] = [];
  for (const dir of ["nghttp2", "python-hpack", "go-hpack", "nghttp2-change-table-size"]) {
    for (const path of storyFiles(new URL(`${dir}/`, FIXTURES)).slice(0, 6)) {
      sequences.push(readStory(path).cases.map((c) => hex(c.wire!)));
    }
  }
  for (const path of storyFiles(new URL("raw-data/", FIXTURES)).slice(0, 8)) {
    const story = readStory(path);
    for (const huffman of [true, false]) {
      const encoder = new HpackEncoder({ huffman });
      sequences.push(story.cases.map((c) => encoder.encode(c.fields)));
    }
  }
  return sequences;
}

function checkFields(fields: HeaderField[], decoder: HpackDecoder): void {
  assert.ok(Array.isArray(fields));
  assert.ok(fields.length <= decoder.maxHeaderFields);
  let size = 0;
  for (const field of fields) {
    assert.equal(field.length, 2);
    for (const part of field) {
      assert.equal(typeof part, "string");
      for (let i = 0; i < part.length; i++) assert.ok(part.charCodeAt(i) <= 255);
    }
    size += field[0].length + field[1].length + 32;
  }
  assert.ok(size <= decoder.maxHeaderListSize);
}

/** Decodes one input; returns false when the context must be discarded. */
function decodeOne(decoder: HpackDecoder, input: Uint8Array): boolean {
  try {
    checkFields(decoder.decode(input), decoder);
    return true;
  } catch (error) {
    if (error instanceof OversizedHeaderListError) return true; // context stays in sync
    if (error instanceof HpackError) return false;
    throw error;
  }
}

function mutate(block: Uint8Array, random: () => number, other: Uint8Array): Uint8Array {
  const bytes = Array.from(block);
  const count = 1 + Math.floor(random() * 3);
  for (let n = 0; n < count; n++) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 8)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << Math.floor(random() * 8);
        break;
      case 1: // random octet
        if (bytes.length > 0) bytes[at % bytes.length] = Math.floor(random() * 256);
        break;
      case 2: // truncate
        bytes.length = at;
        break;
      case 3: // insert
        bytes.splice(at, 0, Math.floor(random() * 256));
        break;
      case 4: // delete
        bytes.splice(at, 1);
        break;
      case 5: // duplicate a slice
        bytes.splice(at, 0, ...bytes.slice(at, at + Math.floor(random() * 16)));
        break;
      case 6: // splice in part of another block
        bytes.splice(at, 0, ...other.subarray(0, Math.floor(random() * other.length)));
        break;
      default: // interesting octets: size updates, index 0, long prefixes
        bytes.splice(
          at,
          0,
          [0x20, 0x3f, 0x80, 0xff, 0x7f, 0x40, 0x10, 0x00][Math.floor(random() * 8)]!,
        );
    }
  }
  return Uint8Array.from(bytes);
}

function newDecoder(random: () => number): HpackDecoder {
  const options = random() < 0.3 ? { maxHeaderListSize: 1024, maxHeaderFields: 12 } : {};
  const decoder = new HpackDecoder(options);
  if (random() < 0.1) decoder.maxAllowedTableSize = Math.floor(random() * 4096);
  return decoder;
}

const RANDOM_INPUTS = 8_000;
const MUTATED_INPUTS = 14_000;
const ROUND_TRIPS = 2_000;

Deno.test(`HpackDecoder yields fields or HpackError for ${RANDOM_INPUTS} random blocks`, () => {
  // RFC 9113 §4.3: any decoding failure is a COMPRESSION_ERROR, never a crash.
  for (let n = 0; n < RANDOM_INPUTS; n++) {
    const seed = BASE_SEED + n;
    const random = mulberry32(seed);
    const input = Uint8Array.from(
      { length: Math.floor(random() * 64) },
      () => random() < 0.5 ? Math.floor(random() * 256) : 0x80 + Math.floor(random() * 70),
    );
    try {
      decodeOne(newDecoder(random), input);
    } catch (error) {
      throw new Error(`Random fuzz failed: seed ${seed}, input ${toHex(input)}`, { cause: error });
    }
  }
});

Deno.test(`HpackDecoder yields fields or HpackError for ${MUTATED_INPUTS} mutated valid blocks`, () => {
  // RFC 7541 §2.2: mutated blocks inside live contexts, tables of every shape.
  const sequences = corpus();
  let inputs = 0;
  for (let n = 0; inputs < MUTATED_INPUTS; n++) {
    const seed = (BASE_SEED ^ Math.imul(n, 0x9e37_79b9)) >>> 0;
    const random = mulberry32(seed);
    const sequence = sequences[Math.floor(random() * sequences.length)]!;
    let decoder = newDecoder(random);
    let last: Uint8Array = new Uint8Array(0);
    try {
      for (const block of sequence) {
        const mutated = random() < 0.4;
        last = mutated ? mutate(block, random, sequence[0]!) : block;
        if (mutated) inputs++;
        if (!decodeOne(decoder, last)) decoder = newDecoder(random);
      }
    } catch (error) {
      throw new Error(`Mutation fuzz failed: seed ${seed}, last input ${toHex(last)}`, {
        cause: error,
      });
    }
  }
});

function randomByteString(random: () => number, maxLength: number): string {
  const length = Math.floor(random() ** 2 * maxLength);
  let value = "";
  const binary = random() < 0.2;
  for (let i = 0; i < length; i++) {
    value += String.fromCharCode(
      binary ? Math.floor(random() * 256) : 0x61 + Math.floor(random() * 26),
    );
  }
  return value;
}

Deno.test(`HpackEncoder and HpackDecoder round-trip ${ROUND_TRIPS} random header lists`, () => {
  // RFC 7541 §2.2: random lists, table sizes and resizes keep both ends in step.
  const NAMES = [
    ":path",
    "cookie",
    "authorization",
    "content-length",
    "x-a",
    "x-b",
    "accept",
    "date",
  ];
  let seed = BASE_SEED;
  let done = 0;
  try {
    while (done < ROUND_TRIPS) {
      seed++;
      const random = mulberry32(seed);
      const size = [0, 64, 256, 4096, 10_000][Math.floor(random() * 5)]!;
      const encoder = new HpackEncoder({ headerTableSize: size, huffman: random() < 0.7 });
      const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
      decoder.maxAllowedTableSize = size;
      for (let block = 0; block < 10; block++, done++) {
        if (random() < 0.1) {
          const next = Math.floor(random() * 5000);
          decoder.maxAllowedTableSize = next;
          encoder.headerTableSize = next;
        }
        const fields: HeaderField[] = [];
        const count = Math.floor(random() * 12);
        for (let i = 0; i < count; i++) {
          const name = random() < 0.6
            ? NAMES[Math.floor(random() * NAMES.length)]!
            : randomByteString(random, 20);
          fields.push([name, randomByteString(random, random() < 0.05 ? 3000 : 40)]);
        }
        const sensitive = random() < 0.2 ? ["x-a"] : [];
        const encoded = encoder.encode(fields, { sensitive, huffman: random() < 0.8 });
        assert.deepEqual(decoder.decode(encoded), fields);
        for (const name of decoder.lastSensitiveHeaders) {
          assert.ok(["x-a", "authorization", "proxy-authorization", "cookie"].includes(name), name);
        }
      }
    }
  } catch (error) {
    throw new Error(`Round-trip fuzz failed: seed ${seed}`, { cause: error });
  }
});
