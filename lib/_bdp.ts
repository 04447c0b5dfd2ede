/**
 * Private to {@link H2StreamsConnection}: adaptive receive windows from a
 * bandwidth-delay product (BDP) estimate, the technique of hyper's
 * `proto/h2/ping.rs` and grpc-go's `bdp_estimator.go`, in Sans-IO form.
 *
 * The adapter reports every octet the application consumed (the octets it
 * credits back with `acknowledgeReceivedData`). When octets are consumed and
 * no BDP PING is outstanding, {@linkcode BdpEstimator.consumed} returns a
 * PING payload to send (`h2-bdp` and a 16-bit sequence number); octets
 * consumed until its ACK are one sample: what the peer could deliver and we
 * could absorb in one round trip. A sample of at least 2/3 of a window means
 * that window, not the link or the reader, limited the round trip, so the
 * window grows to twice the sample, up to its maximum.
 *
 * - **Consumed, not received, octets** (as hyper, which samples in the body's
 *   `poll_data`): a reader slower than the link keeps its samples small, so a
 *   slow consumer never makes the windows (and the memory it may pin) grow.
 * - **Rate limit without a clock.** At most one PING is outstanding; after a
 *   sample that grows nothing the next one waits for one stream window of
 *   consumed octets, then 2, 4, … and at most 64 windows (hyper waits 100 ms
 *   growing ×4 to 10 s; octets are our clock). After a growth the next
 *   sample skips one round trip's worth of octets, in which the peer learns
 *   the new windows; once both windows are at their maximum no PING is sent
 *   again. A PING
 *   also needs DATA received since the previous ACK ({@linkcode
 *   BdpEstimator.received}), as grpc-go pings only from its DATA handler.
 * - **Bandwidth check with a clock** (optional, as hyper and grpc-go): with
 *   `now`, the smoothed round trip gives a bandwidth `sample / (1.5 × rtt)`,
 *   and a window grows only when it is the largest seen, so a round trip that
 *   is longer only because our bigger window filled queues does not feed
 *   growth forever.
 *
 * @module
 */

import { MAX_WINDOW_SIZE } from "./constants.ts";

/** The first six octets of every BDP PING payload (ASCII `h2-bdp`); two sequence octets follow. */
const PREFIX = [0x68, 0x32, 0x2d, 0x62, 0x64, 0x70] as const;
/** Waits after a flat sample, in stream windows of consumed octets, double up to this. */
const MAX_QUIET_WINDOWS = 64;

/** Windows of {@linkcode BdpEstimator}: the starting sizes and how far they may grow. */
export interface BdpWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE in force (or sent) now. */
  streamWindow: number;
  /** The connection receive window now. */
  connectionWindow: number;
  /** The stream window never grows past this. */
  maxStreamWindow: number;
  /** The connection window never grows past this. */
  maxConnectionWindow: number;
  /** Millisecond clock for the bandwidth check; without it samples are judged by size alone. */
  now?: (() => number) | undefined;
}

/**
 * Whether a PING payload is a BDP PING's (any sequence number).
 *
 * @param data A PING or PING ACK payload.
 * @returns True if it starts with `h2-bdp` and is 8 octets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBdpPing } from "./_bdp.ts";
 * assert.ok(isBdpPing(new TextEncoder().encode("h2-bdp\x00\x01")));
 * assert.equal(isBdpPing(new TextEncoder().encode("h2-drain")), false);
 * ```
 */
export function isBdpPing(data: Uint8Array): boolean {
  if (data.length !== 8) return false;
  for (let i = 0; i < PREFIX.length; i++) if (data[i] !== PREFIX[i]) return false;
  return true;
}

/**
 * The BDP estimator of one connection: decides when to PING and, from each
 * PING's round trip, whether the receive windows should grow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BdpEstimator } from "./_bdp.ts";
 * const bdp = new BdpEstimator({
 *   streamWindow: 65_536, connectionWindow: 65_536,
 *   maxStreamWindow: 1_048_576, maxConnectionWindow: 1_048_576,
 * });
 * bdp.received(); // a DATA frame arrived
 * const ping = bdp.consumed(16_384); // consuming it starts a sample
 * assert.ok(ping !== undefined);
 * assert.equal(bdp.consumed(16_384), undefined); // one PING outstanding at most
 * bdp.consumed(16_384);
 * assert.equal(bdp.acked(ping), true); // 48 KiB in one round trip ≥ 2/3 of 64 KiB
 * assert.equal(bdp.streamWindow, 98_304); // twice the sample
 * assert.equal(bdp.connectionWindow, 98_304);
 * ```
 */
export class BdpEstimator {
  /** The stream window to advertise (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** The connection window to open to. */
  connectionWindow: number;
  /** The stream window's ceiling. */
  readonly maxStreamWindow: number;
  /** The connection window's ceiling. */
  readonly maxConnectionWindow: number;
  /** BDP PINGs sent so far. */
  pingsSent = 0;

  readonly #now: (() => number) | undefined;
  #outstanding = false;
  /** DATA arrived since the last ACK: the peer wrote after seeing our last PING. */
  #fresh = false;
  #sequence = 0;
  #sample = 0;
  #sentAt = 0;
  /** Consumed octets still to let pass before the next PING. */
  #quiet = 0;
  /** The wait after the next flat sample, in stream windows (0: none yet). */
  #quietWindows = 0;
  #rtt = 0;
  #maxBandwidth = 0;

  /**
   * Creates an estimator.
   *
   * @param windows The windows now, their ceilings and an optional clock.
   * @throws {RangeError} A window or ceiling that is not an integer in 1..2^31-1.
   */
  constructor(windows: BdpWindows) {
    for (const name of ["streamWindow", "connectionWindow"] as const) {
      checkWindow(name, windows[name]);
    }
    for (const name of ["maxStreamWindow", "maxConnectionWindow"] as const) {
      checkWindow(name, windows[name]);
    }
    this.streamWindow = windows.streamWindow;
    this.connectionWindow = windows.connectionWindow;
    // A window that starts above its ceiling simply never grows.
    this.maxStreamWindow = Math.max(windows.maxStreamWindow, windows.streamWindow);
    this.maxConnectionWindow = Math.max(windows.maxConnectionWindow, windows.connectionWindow);
    this.#now = windows.now;
  }

  /** True once both windows are at their ceilings: no more PINGs. */
  get done(): boolean {
    return this.streamWindow >= this.maxStreamWindow &&
      this.connectionWindow >= this.maxConnectionWindow;
  }

  /** Notes that a DATA frame arrived (a PING is only sent after one, see {@linkcode consumed}). */
  received(): void {
    this.#fresh = true;
  }

  /**
   * Records octets the application consumed (credited back to the peer).
   * A PING starts only if DATA arrived since the previous one was answered,
   * so the peer always writes between two of our PINGs (grpc-go's server
   * counts PINGs with no write of its own in between as abuse, and closes
   * with ENHANCE_YOUR_CALM "too_many_pings" after three).
   *
   * @param size Flow-controlled octets.
   * @returns The payload of a PING to send now, or undefined.
   */
  consumed(size: number): Uint8Array | undefined {
    if (this.#outstanding) {
      this.#sample += size;
      return undefined;
    }
    if (this.#quiet > 0) {
      this.#quiet -= size;
      return undefined;
    }
    if (!this.#fresh || this.done) return undefined;
    // The octets that prompted the PING count too (hyper, grpc-go): with WINDOW_UPDATEs sent per
    // half window, a window-limited round trip delivers between 1/2 and all of the window.
    this.#outstanding = true;
    this.#sample = size;
    this.#sequence = (this.#sequence + 1) & 0xffff;
    if (this.#now !== undefined) this.#sentAt = this.#now();
    this.pingsSent++;
    return Uint8Array.of(...PREFIX, this.#sequence >>> 8, this.#sequence & 0xff);
  }

  /**
   * A BDP PING was acknowledged: judges the sample.
   *
   * @param data The ACK's payload. Stale or forged BDP payloads (not the
   *   outstanding sequence number) are ignored.
   * @returns True if {@linkcode streamWindow} or {@linkcode connectionWindow} grew.
   */
  acked(data: Uint8Array): boolean {
    if (!this.#outstanding || !isBdpPing(data)) return false;
    if (((data[6]! << 8) | data[7]!) !== this.#sequence) return false;
    this.#outstanding = false;
    this.#fresh = false;
    const sample = this.#sample;
    this.#sample = 0;
    if (!this.#bandwidthGrew(sample)) return this.#flat();
    const target = 2 * sample;
    let grew = false;
    // hyper: "if the current `bytes` sample is at least 2/3 the previous bdp, increase to double".
    if (3 * sample >= 2 * this.streamWindow && this.streamWindow < this.maxStreamWindow) {
      this.streamWindow = Math.min(this.maxStreamWindow, target);
      grew = true;
    }
    // The connection window grows on its own samples, and never stays below a stream window.
    const connection = 3 * sample >= 2 * this.connectionWindow
      ? Math.max(target, this.streamWindow)
      : this.streamWindow;
    if (connection > this.connectionWindow && this.connectionWindow < this.maxConnectionWindow) {
      this.connectionWindow = Math.min(this.maxConnectionWindow, connection);
      grew = true;
    }
    if (!grew) return this.#flat();
    // The peer sees the new windows half a round trip from now, and what it sends with them
    // arrives a round trip from now: skip that round trip (about one sample of octets), or its
    // sample would judge the old windows and count as flat.
    this.#quietWindows = 0;
    this.#quiet = sample;
    return true;
  }

  /** A sample that grows nothing: wait longer before the next. */
  #flat(): false {
    this.#quietWindows = this.#quietWindows === 0
      ? 1
      : Math.min(MAX_QUIET_WINDOWS, this.#quietWindows * 2);
    this.#quiet = this.#quietWindows * this.streamWindow;
    return false;
  }

  /** With a clock: whether this sample's bandwidth is the highest yet (hyper, grpc-go). */
  #bandwidthGrew(sample: number): boolean {
    if (this.#now === undefined) return true;
    // A clock coarser than the round trip reads 0: count it as a microsecond.
    const rtt = Math.max(this.#now() - this.#sentAt, 0.001);
    this.#rtt = this.#rtt === 0 ? rtt : this.#rtt + (rtt - this.#rtt) / 8;
    const bandwidth = sample / (1.5 * this.#rtt);
    if (bandwidth < this.#maxBandwidth) return false;
    this.#maxBandwidth = bandwidth;
    return true;
  }
}

function checkWindow(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_WINDOW_SIZE) {
    throw new RangeError(`Window "${name}" must be an integer in 1..2^31-1, got "${value}"`);
  }
}
