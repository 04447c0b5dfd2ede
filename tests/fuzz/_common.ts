/**
 * Shared pieces of the `receiveData` fuzzer: the seeded PRNG, the failure
 * type and the counters of how often the model-based properties ran.
 *
 * @module
 */

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The seed of input `index` of a run started with `seed`. */
export function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) + Math.imul(index + 1, 0xc2b2_ae35)) >>> 0;
}

/** Which side the engine plays. */
export type Role = "server" | "client";

/** A property violation, with everything needed to reproduce it. */
export class FuzzFailure extends Error {
  /** @param message What went wrong, with seed, index and input hex. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FuzzFailure";
  }
}

/** Process-wide counters of how often the deeper properties were actually exercised. */
export const fuzzCounters = { hpackSyncChecks: 0, windowChecks: 0, sendWindowChecks: 0 };

/** Counters of a fuzz run. */
export interface FuzzStats {
  role: Role;
  inputs: number;
  bytes: number;
  events: number;
  connectionErrors: number;
  /** Connection errors by `detail` (or class name when the detail is empty). */
  details: Map<string, number>;
  ms: number;
}

/** A seeded random source with the helpers the generator needs. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** A 32-bit value biased towards boundaries. */
  u32(): number {
    return this.pick([
      0,
      1,
      2,
      100,
      16_383,
      16_384,
      16_385,
      65_535,
      65_536,
      2 ** 24 - 1,
      2 ** 24,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      this.int(2 ** 32),
      this.int(1000),
    ]);
  }
}

/** The budgets an input runs under, and the clock it is given. */
export interface Config {
  limits: Record<string, number> | undefined;
  maxConcurrentStreams: number;
  maxQueuedControlFrames: number;
  clock: { t: number } | undefined;
}

/** Throws a {@link FuzzFailure}. */
export function fail(message: string): never {
  throw new FuzzFailure(message);
}
