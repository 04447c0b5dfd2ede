/**
 * HPACK prefixed integers (RFC 7541 §5.1): the lowest layer of `lib/hpack`,
 * used by the decoder for indices, string lengths and table sizes, and by the
 * encoder to write them.
 *
 * Decoding is bounded: at most {@link MAX_INTEGER_CONTINUATION_BYTES}
 * continuation octets and a value of at most {@link MAX_INTEGER} (2^31-1), so
 * a hostile block cannot make us loop or lose precision.
 *
 * @module
 */

import { HpackDecodingError } from "../errors.ts";

/** The largest integer the decoder accepts (2^31-1). */
export const MAX_INTEGER = 2 ** 31 - 1;

/** The most continuation octets (after the prefix octet) the decoder accepts. */
export const MAX_INTEGER_CONTINUATION_BYTES = 5;

/**
 * Writes `value` as an HPACK integer with an N-bit prefix into `out` at `offset`
 * (RFC 7541 §5.1). The caller guarantees room for 6 octets.
 *
 * @param out The buffer to write into.
 * @param offset Where the prefix octet goes.
 * @param value A non-negative integer ≤ 2^32-1.
 * @param prefixBits N, 1–8.
 * @param flags The bits above the prefix in the first octet (e.g. `0x80`).
 * @returns The offset after the last octet written.
 */
export function writeInteger(
  out: Uint8Array,
  offset: number,
  value: number,
  prefixBits: number,
  flags: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[offset++] = flags | value;
    return offset;
  }
  // RFC 7541 §5.1: "If the integer value is large enough, it is encoded
  // using … the prefix set to 2^N-1 … followed by … continuation octets."
  out[offset++] = flags | max;
  value -= max;
  while (value >= 128) {
    out[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

/**
 * Encodes an HPACK integer with an N-bit prefix (RFC 7541 §5.1).
 *
 * @param value A non-negative integer ≤ 2^32-1.
 * @param prefixBits N, 1–8.
 * @param flags The bits above the prefix in the first octet. @default 0
 * @returns The encoded octets.
 * @throws {RangeError} If `value` or `prefixBits` is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeInteger } from "./integer.ts";
 * // RFC 7541 C.1.2: 1337 with a 5-bit prefix.
 * assert.deepEqual(encodeInteger(1337, 5), new Uint8Array([0x1f, 0x9a, 0x0a]));
 * ```
 */
export function encodeInteger(value: number, prefixBits: number, flags = 0): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`Cannot encode integer "${value}": not in 0..2^32-1`);
  }
  if (!Number.isInteger(prefixBits) || prefixBits < 1 || prefixBits > 8) {
    throw new RangeError(`Cannot use prefix of "${prefixBits}" bits: not in 1..8`);
  }
  const out = new Uint8Array(6);
  return out.slice(0, writeInteger(out, 0, value, prefixBits, flags & ~((1 << prefixBits) - 1)));
}

/**
 * Decodes an HPACK integer with an N-bit prefix (RFC 7541 §5.1) starting at
 * `offset`.
 *
 * @param bytes The header block.
 * @param offset The offset of the prefix octet.
 * @param prefixBits N, 1–8.
 * @returns `[value, nextOffset]`.
 * @throws {HpackDecodingError} If the integer is truncated (`integer_truncated`),
 *   has more than 5 continuation octets or exceeds 2^31-1 (`integer_overflow`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeInteger } from "./integer.ts";
 * // RFC 7541 C.1.3: 42 starting at an octet boundary (8-bit prefix).
 * assert.deepEqual(decodeInteger(new Uint8Array([0x2a]), 0, 8), [42, 1]);
 * assert.deepEqual(decodeInteger(new Uint8Array([0x1f, 0x9a, 0x0a]), 0, 5), [1337, 3]);
 * ```
 */
export function decodeInteger(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
): [value: number, nextOffset: number] {
  if (offset >= bytes.length) {
    throw new HpackDecodingError("Truncated integer", { detail: "integer_truncated" });
  }
  const max = (1 << prefixBits) - 1;
  let value = bytes[offset++]! & max;
  if (value < max) return [value, offset];
  let shift = 1; // 2^(7·m), kept as a float multiplier to stay exact past 2^31
  for (let count = 0; count < MAX_INTEGER_CONTINUATION_BYTES; count++) {
    if (offset >= bytes.length) {
      throw new HpackDecodingError("Truncated integer", { detail: "integer_truncated" });
    }
    const octet = bytes[offset++]!;
    value += (octet & 0x7f) * shift;
    if (value > MAX_INTEGER) {
      throw new HpackDecodingError("Integer exceeds 2^31-1", { detail: "integer_overflow" });
    }
    if ((octet & 0x80) === 0) return [value, offset];
    shift *= 128;
  }
  // RFC 7541 §5.1: "Integer encodings that exceed implementation limits …
  // MUST be treated as decoding errors."
  throw new HpackDecodingError(
    `Integer uses more than ${MAX_INTEGER_CONTINUATION_BYTES} continuation octets`,
    { detail: "integer_overflow" },
  );
}
