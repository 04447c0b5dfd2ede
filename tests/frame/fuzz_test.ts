/**
 * Seeded fuzzing of the frame codec: random bytes and mutations of valid
 * frame streams, fed at random split points. Properties: only frames or
 * `H2Error` come out (never another exception, never a hang); any split gives
 * the same result as one chunk; a valid stream re-encodes to its own bytes.
 * On failure the seed and iteration are printed; rerun one with
 * `FUZZ_SEED=<seed> deno test --allow-read --allow-env tests/frame/fuzz_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { H2Error } from "../../lib/errors.ts";
import { FrameDecoder } from "../../lib/frame/decoder.ts";
import { encodeFrame, FrameWriter } from "../../lib/frame/encoder.ts";
import type { Frame } from "../../lib/frame/types.ts";
import { concat, detach } from "./_raw.ts";

/** mulberry32: a small, fast, seedable 32-bit PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Writes one random valid frame. */
function writeRandomFrame(rng: Rng, w: FrameWriter): void {
  const stream = () => 1 + rng.int(rng.chance(0.1) ? 2 ** 31 - 1 : 9);
  const pad = () => (rng.chance(0.3) ? rng.pick([0, 1, rng.int(256), 255]) : undefined);
  const block = () => rng.bytes(rng.chance(0.05) ? rng.int(40_000) : rng.int(60));
  const priority = () =>
    rng.chance(0.3)
      ? { dependsOn: rng.int(2 ** 31), weight: 1 + rng.int(256), exclusive: rng.chance(0.5) }
      : undefined;
  const maxFrameSize = rng.pick([16_384, 16_384, 300, 270]); // ≥ 5 + 1 + 255 + 4
  const kind = rng.int(15);
  const writers: Array<() => void> = [
    () => {
      const padLength = pad();
      w.data(stream(), rng.bytes(rng.int(rng.chance(0.1) ? 16_000 : 200)), {
        endStream: rng.chance(0.5),
        ...(padLength === undefined ? {} : { padLength }),
      });
    },
    () => {
      const p = priority();
      w.headers(stream(), block(), {
        endStream: rng.chance(0.5),
        maxFrameSize,
        ...(p === undefined ? {} : { priority: p }),
      });
    },
    () => {
      const id = stream();
      let dependsOn = rng.int(2 ** 31);
      if (dependsOn === id) dependsOn = 0;
      w.priority(id, { dependsOn, weight: 1 + rng.int(256), exclusive: rng.chance(0.5) });
    },
    () => w.rstStream(stream(), rng.chance(0.5) ? rng.int(14) : rng.int(2 ** 32)),
    () => {
      const valid: Array<readonly [number, number]> = [
        [1, rng.int(2 ** 32)],
        [2, rng.int(2)],
        [3, rng.int(2 ** 32)],
        [4, rng.int(2 ** 31)],
        [5, 16_384 + rng.int(2 ** 24 - 16_384)],
        [6, rng.int(2 ** 32)],
        [8, rng.int(2)],
        [9, rng.int(2)],
        [10 + rng.int(60_000), rng.int(2 ** 32)],
      ];
      w.settings(Array.from({ length: rng.int(6) }, () => rng.pick(valid)));
    },
    () => w.settingsAck(),
    () => {
      const padLength = pad();
      w.pushPromise(stream(), stream(), block(), {
        maxFrameSize,
        ...(padLength === undefined ? {} : { padLength }),
      });
    },
    () => w.ping(rng.bytes(8), { ack: rng.chance(0.5) }),
    () => w.goAway(rng.int(2 ** 31), rng.int(2 ** 32), rng.bytes(rng.int(20))),
    () => w.windowUpdate(rng.chance(0.3) ? 0 : stream(), 1 + rng.int(2 ** 31 - 1)),
    () => w.altSvc(rng.chance(0.5) ? 0 : stream(), "x".repeat(rng.int(20)), 'h2=":443"'),
    () => w.origin(Array.from({ length: rng.int(4) }, () => "https://a".repeat(rng.int(4)))),
    () => w.priorityUpdate(stream(), rng.pick(["", "u=1", "u=7, i"])),
    () =>
      w.unknown(
        rng.pick([0x0b, 0x0d, 0x0f, 0x11, 0xff]),
        rng.int(100),
        rng.int(256),
        rng.bytes(rng.int(30)),
      ),
    // Undefined flag bits are not kept on known types: only END_HEADERS here.
    () => w.unknown(FrameType.CONTINUATION, stream(), rng.pick([0, 4]), rng.bytes(rng.int(30))),
  ];
  writers[kind]!();
}

function validStream(rng: Rng): Uint8Array {
  const w = new FrameWriter();
  const count = 1 + rng.int(8);
  for (let i = 0; i < count; i++) writeRandomFrame(rng, w);
  return w.take();
}

/** Applies 1–3 random mutations to a valid stream. */
function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds && bytes.length > 0; r++) {
    // Mutations aim at the first frame header most of the time: that is where
    // the structure is; otherwise anywhere.
    const headerAt = rng.chance(0.6) ? 0 : rng.int(bytes.length);
    switch (rng.int(8)) {
      case 0: // flip a flag bit
        if (headerAt + 4 < bytes.length) bytes[headerAt + 4]! ^= 1 << rng.int(8);
        break;
      case 1: // change the length field (mostly its low octets, so the frame stays acceptable)
        if (headerAt + 2 < bytes.length) {
          bytes[headerAt + (rng.chance(0.2) ? 0 : 1 + rng.int(2))] = rng.int(256);
        }
        break;
      case 2: // change the stream id (R bit included)
        if (headerAt + 8 < bytes.length) bytes[headerAt + 5 + rng.int(4)] = rng.int(256);
        break;
      case 3: // change the type
        if (headerAt + 3 < bytes.length) bytes[headerAt + 3] = rng.int(20);
        break;
      case 4: // truncate
        bytes = bytes.slice(0, rng.int(bytes.length));
        break;
      case 5: { // repeat a slice
        const from = rng.int(bytes.length);
        const to = from + rng.int(bytes.length - from + 1);
        bytes = concat(bytes.subarray(0, to), bytes.subarray(from, to), bytes.subarray(to));
        break;
      }
      case 6: // overwrite a payload byte
        bytes[rng.int(bytes.length)] = rng.int(256);
        break;
      default: // splice random bytes
        bytes = concat(
          bytes.subarray(0, headerAt),
          rng.bytes(rng.int(12)),
          bytes.subarray(headerAt),
        );
    }
  }
  return bytes;
}

interface Outcome {
  readonly frames: Frame[];
  /** errorCode/detail/streamId of each error, in order, the last one possibly a connection error. */
  readonly errors: string[];
}

/** Decodes `bytes` pushed at the given split points; asserts the error discipline. */
function run(bytes: Uint8Array, splits: readonly number[], maxFrameSize: number): Outcome {
  const decoder = new FrameDecoder({ maxFrameSize });
  const frames: Frame[] = [];
  const errors: string[] = [];
  let budget = bytes.length + splits.length + 10; // each next() either consumes a frame or stops
  const points = [...splits, bytes.length];
  let from = 0;
  for (const to of points) {
    const chunk = bytes.slice(from, to);
    from = to;
    decoder.push(chunk);
    for (;;) {
      assert.ok(budget-- > 0, "decoder did not make progress");
      let frame: Frame | undefined;
      try {
        frame = decoder.next();
      } catch (error) {
        if (!(error instanceof H2Error)) throw error;
        errors.push(`${error.errorCode}/${error.detail}/${error.streamId}`);
        if (error.streamId === undefined) return { frames, errors };
        continue;
      }
      if (frame === undefined) break;
      frames.push(detach(frame));
    }
    chunk.fill(0xa5); // the caller reuses its buffer
  }
  return { frames, errors };
}

function randomSplits(rng: Rng, length: number): number[] {
  if (length === 0) return [];
  if (rng.chance(0.1)) return Array.from({ length: length - 1 }, (_, i) => i + 1);
  const count = rng.int(6);
  return Array.from({ length: count }, () => rng.int(length + 1)).sort((a, b) => a - b);
}

/** Random octets; half the time the first length octet is 0 so a frame can be accepted. */
function randomBytes(rng: Rng): Uint8Array {
  const bytes = rng.bytes(rng.int(rng.chance(0.5) ? 40 : 400));
  if (bytes.length > 0 && rng.chance(0.5)) bytes[0] = 0;
  return bytes;
}

function fuzz(seed: number, iterations: number): void {
  const rng = new Rng(seed);
  for (let i = 0; i < iterations; i++) {
    try {
      const roll = rng.int(10);
      const valid = roll < 2 ? validStream(rng) : undefined;
      const bytes = roll < 2 ? valid! : roll < 4 ? randomBytes(rng) : mutate(rng, validStream(rng));
      const maxFrameSize = rng.chance(0.8) ? 16_384 : 16_384 + rng.int(2 ** 24 - 16_384);
      const whole = run(bytes, [], maxFrameSize);
      const split = run(bytes, randomSplits(rng, bytes.length), maxFrameSize);
      assert.deepEqual(split, whole, "split input decodes differently");
      if (valid !== undefined) {
        assert.deepEqual(whole.errors, []);
        const reencoded = concat(...whole.frames.map((f) => encodeFrame(f)));
        assert.deepEqual(reencoded, valid, "valid stream does not re-encode to itself");
      }
    } catch (error) {
      console.error(`frame fuzz failed: seed ${seed}, iteration ${i}`);
      throw error;
    }
  }
}

function envSeed(): number | undefined {
  try {
    const value = Deno.env.get("FUZZ_SEED");
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined; // no --allow-env
  }
}

Deno.test("FrameDecoder survives 40,000 seeded random and mutated inputs at random splits", () => {
  // RFC 9113 §4.2, §5.4, §6: malformed input yields typed H2Errors only, whatever the split.
  const seed = envSeed() ?? 0x5eed_f4a3;
  fuzz(seed, 40_000);
});

Deno.test("FrameDecoder survives a fresh random seed (printed on failure)", () => {
  // RFC 9113 §4.2, §5.4, §6: as above, with a seed that changes every run.
  fuzz(Math.floor(Math.random() * 2 ** 32), 5_000);
});

/** A number that is often valid and sometimes not: edges, negatives, fractions, NaN. */
function wildNumber(rng: Rng, max: number): number {
  switch (rng.int(8)) {
    case 0:
      return rng.pick([-1, 0.5, NaN, Infinity, max + 1, 2 ** 32, -0]);
    case 1:
      return max;
    case 2:
      return 0;
    default:
      return rng.int(max + 1);
  }
}

Deno.test("FrameWriter either refuses wild arguments without queuing or writes frames that decode back", () => {
  // STYLE: misuse is a RangeError/TypeError and leaves the queue untouched; RFC 9113 §4.1, §6:
  // anything written is a well-formed frame.
  const rng = new Rng(envSeed() ?? 0x0bad_5eed);
  const w = new FrameWriter();
  let written = 0;
  for (let i = 0; i < 5_000; i++) {
    const before = w.pendingLength;
    const bytes = rng.bytes(rng.int(40));
    const calls: Array<() => void> = [
      () => w.data(wildNumber(rng, 2 ** 31 - 1), bytes, { padLength: wildNumber(rng, 255) }),
      () =>
        w.headers(wildNumber(rng, 2 ** 31 - 1), bytes, {
          maxFrameSize: wildNumber(rng, 64),
          priority: {
            dependsOn: wildNumber(rng, 2 ** 31 - 1),
            weight: wildNumber(rng, 256),
            exclusive: false,
          },
        }),
      () =>
        w.pushPromise(wildNumber(rng, 9), wildNumber(rng, 9), bytes, {
          maxFrameSize: wildNumber(rng, 64),
          padLength: wildNumber(rng, 255),
        }),
      () => w.rstStream(wildNumber(rng, 9), wildNumber(rng, 2 ** 32 - 1)),
      () => w.settings([[wildNumber(rng, 0xffff), wildNumber(rng, 2 ** 32 - 1)]]),
      () => w.ping(rng.bytes(rng.pick([7, 8, 8, 9]))),
      () => w.goAway(wildNumber(rng, 2 ** 31 - 1), wildNumber(rng, 2 ** 32 - 1), bytes),
      () => w.windowUpdate(wildNumber(rng, 9), wildNumber(rng, 2 ** 31 - 1)),
      () => w.altSvc(wildNumber(rng, 9), rng.pick(["", "a", "\u0100"]), rng.pick(["x", "€"])),
      () => w.origin([rng.pick(["", "https://a", "\u2603"])]),
      () => w.priorityUpdate(wildNumber(rng, 9), rng.pick(["u=1", "\u0101"])),
      // unknown() writes known type codes verbatim; keep to extension types here.
      () =>
        w.unknown(rng.pick([0x0b, 0xee, 256, -1]), wildNumber(rng, 9), wildNumber(rng, 255), bytes),
    ];
    try {
      rng.pick(calls)();
      written++;
    } catch (error) {
      assert.ok(
        error instanceof RangeError || error instanceof TypeError,
        `iteration ${i}: ${error}`,
      );
      assert.equal(w.pendingLength, before, `iteration ${i}: misuse queued octets`);
    }
  }
  assert.ok(written > 1_000);
  const out = w.take();
  const decoder = new FrameDecoder({ maxFrameSize: 2 ** 24 - 1 });
  decoder.push(out);
  let frames = 0;
  while (decoder.next() !== undefined) frames++;
  assert.equal(decoder.bufferedLength, 0);
  assert.ok(frames >= written);
});
