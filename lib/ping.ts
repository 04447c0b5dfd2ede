/**
 * PING bookkeeping (RFC 9113 §6.7), after hyperium's `ping_pong.rs`: payload
 * checks and the opaque payload the graceful shutdown uses to learn that the
 * peer has seen its first GOAWAY.
 *
 * @module
 */

/** The payload of the graceful-shutdown PING (ASCII `h2-drain`). */
export const SHUTDOWN_PING_DATA: Uint8Array = Uint8Array.of(
  0x68,
  0x32,
  0x2d,
  0x64,
  0x72,
  0x61,
  0x69,
  0x6e,
);

/**
 * Checks a PING payload given by the caller.
 *
 * @param data The payload.
 * @returns The same payload.
 * @throws {TypeError} If it is not a Uint8Array.
 * @throws {RangeError} If it is not exactly 8 octets (§6.7).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertPingData } from "./ping.ts";
 * assert.throws(() => assertPingData(new Uint8Array(7)), RangeError);
 * ```
 */
export function assertPingData(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`PING data must be a Uint8Array, got "${typeof data}"`);
  }
  if (data.length !== 8) {
    throw new RangeError(`PING data must be 8 octets, got "${data.length}"`);
  }
  return data;
}

/**
 * Whether a PING ACK answers the graceful-shutdown PING.
 *
 * @param data The ACK's payload.
 * @returns True if it is {@linkcode SHUTDOWN_PING_DATA}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isShutdownPing, SHUTDOWN_PING_DATA } from "./ping.ts";
 * assert.ok(isShutdownPing(SHUTDOWN_PING_DATA.slice()));
 * assert.equal(isShutdownPing(new Uint8Array(8)), false);
 * ```
 */
export function isShutdownPing(data: Uint8Array): boolean {
  if (data.length !== 8) return false;
  for (let i = 0; i < 8; i++) if (data[i] !== SHUTDOWN_PING_DATA[i]) return false;
  return true;
}
