/**
 * Private: the memory of closed streams (how each closed, RFC 9113 §5.1
 * "closed"), bounded by `H2Limits.maxClosedStreams`. Stream ids of one
 * parity only grow (§5.1.1), so the most recent ids of each parity are kept
 * in a ring of octets indexed by id: O(1), no per-stream allocation, and at
 * most `2 × limit` octets per connection (the ring grows with use). Ids
 * older than the window are forgotten, like python h2's 2^16-entry FIFO.
 *
 * @module
 */

const MIN_CAPACITY = 16;
/** The ring of a window with no id recorded yet (never written: the first `set` replaces it). */
const NO_RING = new Uint8Array(0);

/** One parity's window of ids: `ring[(id >>> 1) & mask]` holds `closedBy + 1`, 0 = unknown. */
class Window {
  ring: Uint8Array = NO_RING;
  /** The highest id recorded (0 = none). */
  highest = 0;
  /** The lowest id recorded (0 = none): the ring grows to span from it, up to the limit. */
  lowest = 0;
}

/**
 * The window of a parity with no id recorded yet (never written: the first
 * `set` replaces it). Not frozen, so that every window keeps one shape.
 */
const NO_WINDOW = new Window();

/**
 * How closed streams closed, for the most recent `limit` ids of each parity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClosedStreams } from "./_closed.ts";
 * const closed = new ClosedStreams(4);
 * closed.set(1, 2);
 * assert.equal(closed.get(1), 2);
 * closed.set(11, 0); // 1 is more than 4 odd ids behind 11
 * assert.equal(closed.get(1), undefined);
 * assert.equal(closed.get(9), undefined); // skipped: never recorded
 * ```
 */
export class ClosedStreams {
  readonly #limit: number;
  readonly #windows: [Window, Window] = [NO_WINDOW, NO_WINDOW];

  /**
   * Creates an empty memory.
   *
   * @param limit Ids remembered per parity (rounded up to a power of two).
   */
  constructor(limit: number) {
    let cap = 1;
    while (cap < limit) cap *= 2;
    this.#limit = limit === 0 ? 0 : cap;
  }

  /**
   * How a stream closed.
   *
   * @param streamId The id.
   * @returns The `ClosedBy` value, or undefined when unknown or forgotten.
   */
  get(streamId: number): number | undefined {
    const w = this.#windows[streamId & 1]!;
    const ring = w.ring;
    if (streamId > w.highest || (w.highest - streamId) / 2 >= ring.length) return undefined;
    const v = ring[(streamId >>> 1) & (ring.length - 1)]!;
    return v === 0 ? undefined : v - 1;
  }

  /**
   * Whether the stream is remembered as closed.
   *
   * @param streamId The id.
   * @returns True when `get` knows it.
   */
  has(streamId: number): boolean {
    return this.get(streamId) !== undefined;
  }

  /**
   * Records how a stream closed.
   *
   * @param streamId The id.
   * @param closedBy A `ClosedBy` value (0..254).
   */
  set(streamId: number, closedBy: number): void {
    if (this.#limit === 0) return;
    let w = this.#windows[streamId & 1]!;
    if (w === NO_WINDOW) w = this.#windows[streamId & 1] = new Window();
    if (w.highest === 0) {
      w.ring = new Uint8Array(Math.min(MIN_CAPACITY, this.#limit));
      w.highest = w.lowest = streamId;
    } else if (streamId > w.highest) {
      let ring = w.ring;
      if (ring.length < this.#limit) ring = this.#grow(w, (streamId - w.lowest) / 2 + 1);
      // Clear the slots of the ids skipped since the last record (implicitly closed, §5.1.1).
      if ((streamId - w.highest) / 2 >= ring.length) ring.fill(0);
      else {
        const mask = ring.length - 1;
        for (let id = w.highest + 2; id < streamId; id += 2) ring[(id >>> 1) & mask] = 0;
      }
      w.highest = streamId;
    } else if ((w.highest - streamId) / 2 >= w.ring.length) {
      if (w.ring.length >= this.#limit) return; // older than the window: forgotten
      this.#grow(w, (w.highest - streamId) / 2 + 1);
      if ((w.highest - streamId) / 2 >= w.ring.length) return;
    }
    if (streamId < w.lowest) w.lowest = streamId;
    const ring = w.ring;
    ring[(streamId >>> 1) & (ring.length - 1)] = closedBy + 1;
  }

  /** Doubles the ring until it spans `needed` ids (up to the limit), keeping the window's entries. */
  #grow(w: Window, needed: number): Uint8Array {
    const old = w.ring;
    let cap = old.length;
    while (cap < needed && cap < this.#limit) cap *= 2;
    if (cap === old.length) return old;
    const ring = new Uint8Array(cap);
    const oldMask = old.length - 1;
    const newMask = cap - 1;
    for (let i = 0, id = w.highest; i < old.length && id > 0; i++, id -= 2) {
      ring[(id >>> 1) & newMask] = old[(id >>> 1) & oldMask]!;
    }
    w.ring = ring;
    return ring;
  }
}
