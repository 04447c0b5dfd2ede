/**
 * The HPACK static table (RFC 7541 §2.3.1, Appendix A) and the precomputed
 * lookups the encoder uses to find an index for a name or a name and value.
 *
 * @module
 */

import type { HeaderField } from "../events.ts";

/**
 * The 61 static table entries; `STATIC_TABLE[i - 1]` is index `i`
 * (RFC 7541 Appendix A, rows generated from the RFC text).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATIC_TABLE } from "./static_table.ts";
 * assert.equal(STATIC_TABLE.length, 61);
 * assert.deepEqual(STATIC_TABLE[2 - 1], [":method", "GET"]);
 * ```
 */
export const STATIC_TABLE: readonly HeaderField[] = Object.freeze([
  [":authority", ""], // 1
  [":method", "GET"], // 2
  [":method", "POST"], // 3
  [":path", "/"], // 4
  [":path", "/index.html"], // 5
  [":scheme", "http"], // 6
  [":scheme", "https"], // 7
  [":status", "200"], // 8
  [":status", "204"], // 9
  [":status", "206"], // 10
  [":status", "304"], // 11
  [":status", "400"], // 12
  [":status", "404"], // 13
  [":status", "500"], // 14
  ["accept-charset", ""], // 15
  ["accept-encoding", "gzip, deflate"], // 16
  ["accept-language", ""], // 17
  ["accept-ranges", ""], // 18
  ["accept", ""], // 19
  ["access-control-allow-origin", ""], // 20
  ["age", ""], // 21
  ["allow", ""], // 22
  ["authorization", ""], // 23
  ["cache-control", ""], // 24
  ["content-disposition", ""], // 25
  ["content-encoding", ""], // 26
  ["content-language", ""], // 27
  ["content-length", ""], // 28
  ["content-location", ""], // 29
  ["content-range", ""], // 30
  ["content-type", ""], // 31
  ["cookie", ""], // 32
  ["date", ""], // 33
  ["etag", ""], // 34
  ["expect", ""], // 35
  ["expires", ""], // 36
  ["from", ""], // 37
  ["host", ""], // 38
  ["if-match", ""], // 39
  ["if-modified-since", ""], // 40
  ["if-none-match", ""], // 41
  ["if-range", ""], // 42
  ["if-unmodified-since", ""], // 43
  ["last-modified", ""], // 44
  ["link", ""], // 45
  ["location", ""], // 46
  ["max-forwards", ""], // 47
  ["proxy-authenticate", ""], // 48
  ["proxy-authorization", ""], // 49
  ["range", ""], // 50
  ["referer", ""], // 51
  ["refresh", ""], // 52
  ["retry-after", ""], // 53
  ["server", ""], // 54
  ["set-cookie", ""], // 55
  ["strict-transport-security", ""], // 56
  ["transfer-encoding", ""], // 57
  ["user-agent", ""], // 58
  ["vary", ""], // 59
  ["via", ""], // 60
  ["www-authenticate", ""], // 61
]);

/** The number of static table entries (61); dynamic indices start after it. */
export const STATIC_TABLE_LENGTH = 61;

/** Lowest static index of each name (RFC 7541 §2.3.3 index space). */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map();

/** Static index of each exact name and value pair: `name → value → index`. */
export const STATIC_FIELD_INDEX: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map();

for (let i = STATIC_TABLE.length - 1; i >= 0; i--) {
  const [name, value] = STATIC_TABLE[i]!;
  (STATIC_NAME_INDEX as Map<string, number>).set(name, i + 1);
  let values = STATIC_FIELD_INDEX.get(name) as Map<string, number> | undefined;
  if (values === undefined) {
    values = new Map();
    (STATIC_FIELD_INDEX as Map<string, Map<string, number>>).set(name, values);
  }
  values.set(value, i + 1);
}
