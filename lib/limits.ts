/**
 * Denial-of-service budgets of the connection (issue #5). Each limit names a
 * known HTTP/2 attack (see `reference/http2-attacks.md`); when the peer
 * exhausts one, `H2Connection` sends GOAWAY(ENHANCE_YOUR_CALM) and throws a
 * `DenialOfServiceError` whose `detail` names the budget.
 *
 * Rate budgets are token buckets. They refill from the `now()` clock passed to
 * the connection (milliseconds); without a clock they never refill, so the
 * burst becomes a plain per-connection count.
 *
 * @module
 */

/** The connection's denial-of-service budgets. Every field has a default in {@linkcode DEFAULT_LIMITS}. */
export interface H2Limits {
  /**
   * SETTINGS_MAX_CONCURRENT_STREAMS we advertise; a new inbound stream over it is
   * refused with RST_STREAM(REFUSED_STREAM) (RFC 9113 §5.1.2).
   * @default {100}
   */
  maxConcurrentStreams: number;
  /**
   * SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce while decoding
   * (name + value + 32 per field, §6.5.2). Up to 4× over it is a stream error,
   * beyond that GOAWAY(ENHANCE_YOUR_CALM).
   * @default {65536}
   */
  maxHeaderListSize: number;
  /**
   * Fields per header block (the "HTTP/2 Bomb", CVE-2026-49975).
   * @default {128}
   */
  maxHeaderFields: number;
  /**
   * CONTINUATION frames per header block (CONTINUATION flood, VU#421644).
   * @default {8}
   */
  maxContinuationFrames: number;
  /**
   * Octets of one header block, counted as the fragments arrive.
   * @default {131072}
   */
  maxHeaderBlockBytes: number;
  /**
   * Received RST_STREAM burst (Rapid Reset, CVE-2023-44487).
   * @default {1000}
   */
  resetBurst: number;
  /**
   * Received RST_STREAM refill per second (needs the `now` option).
   * @default {33}
   */
  resetRatePerSecond: number;
  /**
   * "Glitch" burst: resets we generate (MadeYouReset), empty DATA without
   * END_STREAM, PRIORITY frames, frames on closed streams, unknown frames.
   * @default {1000}
   */
  glitchBurst: number;
  /**
   * Glitch refill per second (needs the `now` option).
   * @default {33}
   */
  glitchRatePerSecond: number;
  /**
   * PING and SETTINGS ACKs queued since the output was last drained by
   * `dataToSend()` (ping/settings flood, CVE-2019-9512/9515).
   * @default {1000}
   */
  maxQueuedAcks: number;
  /**
   * Control frames we queue in answer to the peer (ACKs, RST_STREAM,
   * WINDOW_UPDATE) since the output was last drained.
   * @default {10000}
   */
  maxQueuedControlFrames: number;
  /**
   * Entries in one SETTINGS frame (CVE-2020-11080).
   * @default {32}
   */
  maxSettingsEntries: number;
  /**
   * Closed stream ids remembered (FIFO) to tell "closed" from "idle".
   * @default {65536}
   */
  maxClosedStreams: number;
  /**
   * Soft cap of the outbound buffer in octets: the engine never drops output;
   * an I/O adapter stops reading from the peer while `outboundBufferSize`
   * exceeds it (CVE-2019-9517).
   * @default {524288}
   */
  maxOutboundBuffer: number;
}

/**
 * The default budgets (nghttp2, Go and hyperium/h2 values; see the attack catalogue).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * assert.equal(DEFAULT_LIMITS.maxConcurrentStreams, 100);
 * assert.equal(DEFAULT_LIMITS.maxContinuationFrames, 8);
 * ```
 */
export const DEFAULT_LIMITS: Readonly<H2Limits> = Object.freeze({
  maxConcurrentStreams: 100,
  maxHeaderListSize: 65_536,
  maxHeaderFields: 128,
  maxContinuationFrames: 8,
  maxHeaderBlockBytes: 131_072,
  resetBurst: 1_000,
  resetRatePerSecond: 33,
  glitchBurst: 1_000,
  glitchRatePerSecond: 33,
  maxQueuedAcks: 1_000,
  maxQueuedControlFrames: 10_000,
  maxSettingsEntries: 32,
  maxClosedStreams: 65_536,
  maxOutboundBuffer: 524_288,
});

/**
 * Merges partial budgets over {@linkcode DEFAULT_LIMITS} and checks them.
 *
 * @param partial Budgets to override.
 * @returns A complete, frozen set of budgets.
 * @throws {TypeError} If a value is not a number.
 * @throws {RangeError} If a value is negative or NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveLimits } from "./limits.ts";
 * assert.equal(resolveLimits({ resetBurst: 10 }).resetBurst, 10);
 * assert.throws(() => resolveLimits({ resetBurst: -1 }), RangeError);
 * ```
 */
export function resolveLimits(partial?: Partial<H2Limits>): Readonly<H2Limits> {
  if (partial === undefined) return DEFAULT_LIMITS; // frozen: shared by every connection
  const limits: H2Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`Unknown limit "${key}"`);
    if (value === undefined) continue;
    if (typeof value !== "number") {
      throw new TypeError(`Limit "${key}" must be a number, got "${typeof value}"`);
    }
    if (!(value >= 0)) throw new RangeError(`Limit "${key}" must be >= 0, got "${value}"`);
    limits[key as keyof H2Limits] = value;
  }
  return Object.freeze(limits);
}

/**
 * A token bucket: `burst` tokens, refilled at `ratePerSecond` from a
 * millisecond clock. Without a clock it never refills (a plain count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenBucket } from "./limits.ts";
 * let t = 0;
 * const bucket = new TokenBucket(2, 1, () => t);
 * assert.ok(bucket.take());
 * assert.ok(bucket.take());
 * assert.equal(bucket.take(), false);
 * t += 1000;
 * assert.ok(bucket.take());
 * ```
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #burst: number;
  readonly #perMs: number;
  readonly #now: (() => number) | undefined;

  /**
   * Creates a full bucket.
   *
   * @param burst Tokens available at once.
   * @param ratePerSecond Tokens added per second of `now()` time.
   * @param now Millisecond clock; without it the bucket never refills.
   */
  constructor(burst: number, ratePerSecond: number, now?: () => number) {
    this.#burst = burst;
    this.#tokens = burst;
    this.#perMs = ratePerSecond / 1000;
    this.#now = now;
    this.#last = now === undefined ? 0 : now();
  }

  /**
   * Spends one token.
   *
   * @returns False when the bucket is empty (the budget is exhausted).
   */
  take(): boolean {
    if (this.#now !== undefined) {
      const t = this.#now();
      const elapsed = t - this.#last;
      if (elapsed > 0) {
        this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
        this.#last = t;
      }
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Tokens left (fractional when refilling). */
  get tokens(): number {
    return this.#tokens;
  }
}
