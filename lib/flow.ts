/**
 * Flow control (RFC 9113 §5.2, §6.9). The outbound windows (what we may
 * send) are plain numbers on the connection and each stream; the inbound
 * windows (what the peer may send) are {@linkcode WindowManager}s, which
 * also decide when consumed data is worth a WINDOW_UPDATE (python h2's
 * "auto" strategy behind `acknowledgeReceivedData`).
 *
 * @module
 */

import { MAX_WINDOW_SIZE } from "./constants.ts";
import { FlowControlError } from "./errors.ts";

/**
 * An inbound flow-control window: how much the peer may still send, and how
 * much of what it sent the application has processed.
 *
 * The update strategy is python h2's `WindowManager`: emit an increment once
 * the processed bytes reach half the window size, or once the window is
 * exhausted and more than `min(1024, size / 4)` bytes were processed, so
 * WINDOW_UPDATE frames are coalesced instead of one per DATA frame.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WindowManager } from "./flow.ts";
 * const window = new WindowManager(65_535);
 * window.consume(16_384);
 * assert.equal(window.processBytes(16_384), 0); // below half the window: coalesce
 * window.consume(16_384);
 * assert.equal(window.processBytes(16_384), 32_768);
 * assert.equal(window.currentWindowSize, 65_535);
 * ```
 */
export class WindowManager {
  /** The size the window is refilled towards (initial size plus manual increments). */
  maxWindowSize: number;
  /** What the peer may send now; may be negative after a SETTINGS decrease. */
  currentWindowSize: number;
  #bytesProcessed = 0;

  /**
   * Creates a full window.
   *
   * @param size The initial window size.
   */
  constructor(size: number) {
    this.maxWindowSize = size;
    this.currentWindowSize = size;
  }

  /**
   * Records received flow-controlled octets.
   *
   * @param size Octets received (data plus padding).
   * @returns False when the peer exceeded the window (the caller raises the right error).
   */
  consume(size: number): boolean {
    this.currentWindowSize -= size;
    return this.currentWindowSize >= 0;
  }

  /**
   * Opens the window by a WINDOW_UPDATE we send (or a SETTINGS change).
   *
   * @param size The increment (negative for a SETTINGS decrease).
   * @throws {FlowControlError} If the window would exceed 2^31-1 (§6.9.1).
   */
  open(size: number): void {
    const next = this.currentWindowSize + size;
    // RFC 9113 §6.9.1: "A sender MUST NOT allow a flow-control window to exceed 2^31-1 octets."
    if (next > MAX_WINDOW_SIZE) {
      throw new FlowControlError(`Flow-control window "${next}" would exceed 2^31-1`, {
        detail: "window_overflow",
      });
    }
    this.currentWindowSize = next;
    // The window now refills towards a size larger by the increment. (python h2 raises it only
    // when the window overflows it, so an increment made while received data is unacknowledged
    // was taken back by the next processBytes: the peer got the credit once, then never again.)
    this.maxWindowSize = Math.max(this.maxWindowSize + size, next);
  }

  /**
   * Records octets the application has processed and decides whether to
   * send a WINDOW_UPDATE now.
   *
   * @param size Octets processed.
   * @returns The increment to send (already added to the window), or 0.
   */
  processBytes(size: number): number {
    this.#bytesProcessed += size;
    const processed = this.#bytesProcessed;
    if (processed === 0) return 0;
    const room = this.maxWindowSize - this.currentWindowSize;
    let increment = 0;
    if (
      (this.currentWindowSize === 0 && processed > Math.min(1024, this.maxWindowSize >> 2)) ||
      processed >= this.maxWindowSize >> 1
    ) {
      increment = Math.min(processed, room);
      this.#bytesProcessed = 0;
    }
    if (increment <= 0) return 0;
    this.currentWindowSize += increment;
    return increment;
  }
}

/**
 * Adds a WINDOW_UPDATE increment (or a SETTINGS delta) to an outbound window.
 *
 * @param window The current window.
 * @param delta The increment or delta.
 * @returns The new window (possibly negative), or undefined if it would exceed 2^31-1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { growWindow } from "./flow.ts";
 * assert.equal(growWindow(10, 5), 15);
 * assert.equal(growWindow(-5, 4), -1);
 * assert.equal(growWindow(2 ** 31 - 1, 1), undefined);
 * ```
 */
export function growWindow(window: number, delta: number): number | undefined {
  const next = window + delta;
  // RFC 9113 §6.9.1: "A sender MUST NOT allow a flow-control window to exceed 2^31-1 octets."
  return next > MAX_WINDOW_SIZE ? undefined : next;
}
