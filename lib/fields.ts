/**
 * Header field validation and normalisation (RFC 9113 §8.2, §8.3, RFC 8441).
 *
 * This module sits between HPACK and the connection: the connection decodes a
 * header block, runs {@linkcode normalizeInboundHeaders} and
 * {@linkcode validateInboundHeaders} on it, and runs
 * {@linkcode normalizeOutboundHeaders} and {@linkcode validateOutboundHeaders}
 * on what the application asks it to send. Every rejection is a
 * `ProtocolError` with a stable `detail` token and no `streamId`: a malformed
 * message is a stream error (§8.1.1), so the connection attaches the stream.
 *
 * The checks run in a single pass over the fields, with lookup tables for
 * name characters and known names, and allocate nothing on success.
 *
 * Where python `h2` differs: we check outbound fields for illegal characters
 * too (API.md §5), validate `:status` (three digits, never 101, §8.6), `:path`
 * (`/…` or `*` for OPTIONS with http/https, §8.3.1), the method token, the
 * content-length syntax and that a pushed request is safe (§8.4.1); we do NOT
 * require `:authority` or `host` on every request (RFC 9113 §8.3.1 makes
 * `:authority` optional when the target has no authority), only on CONNECT.
 *
 * @module
 */

import { assertByteString, ProtocolError } from "./errors.ts";
import type { HeaderField } from "./events.ts";

/** Which kind of header block is being validated (python h2's `HeaderValidationFlags`). */
export interface FieldValidationFlags {
  /** We are the client side of the connection. */
  isClient: boolean;
  /** The block is a trailer section (a second block ending the stream). */
  isTrailer: boolean;
  /** The block is a response (final or informational 1xx). */
  isResponseHeader: boolean;
  /** The block is the request of a PUSH_PROMISE. */
  isPushPromise: boolean;
}

// ---------------------------------------------------------------------------
// Lookup tables

/** Character classes of field-name octets (0 = invalid). */
const NAME_OK = 1;
const NAME_UPPER = 2;

/**
 * RFC 9110 §5.1 `field-name = token`, lowercase only (RFC 9113 §8.2.1):
 * tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA. Uppercase letters get their own class
 * so the error can say so. Everything else (≤ 0x20, ≥ 0x7f, ':' and the
 * delimiters) is invalid.
 */
const NAME_CLASS = new Uint8Array(256);
/** tchar including uppercase, for the `:method` token (RFC 9110 §9.1). */
const IS_TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") {
  NAME_CLASS[c.charCodeAt(0)] = NAME_OK;
  IS_TCHAR[c.charCodeAt(0)] = 1;
}
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  NAME_CLASS[c.charCodeAt(0)] = NAME_UPPER;
  IS_TCHAR[c.charCodeAt(0)] = 1;
}

/** A value octet that is never allowed (NUL, LF, CR), or a char that is not an octet. */
const BAD_VALUE_CHAR = /[\0\n\r\u0100-\uffff]/;

/**
 * Fields whose characters already passed the §8.2.1 checks: name → the last
 * value accepted with it. Responses and requests repeat most fields, so a hit
 * (a string comparison) replaces the name scan and the value scan. Only the
 * character checks are skipped; every structural rule still runs. Bounded:
 * cleared when full.
 */
const CHECKED_FIELDS = new Map<string, string>();
const CHECKED_FIELDS_MAX = 512;

function rememberChecked(name: string, value: string): void {
  if (CHECKED_FIELDS.size >= CHECKED_FIELDS_MAX) CHECKED_FIELDS.clear();
  CHECKED_FIELDS.set(name, value);
}

/** Pseudo-header bits (RFC 9113 §8.3.1, §8.3.2, RFC 8441 §4). */
const P_METHOD = 1;
const P_SCHEME = 2;
const P_AUTHORITY = 4;
const P_PATH = 8;
const P_STATUS = 16;
const P_PROTOCOL = 32;
const REQUEST_PSEUDO = P_METHOD | P_SCHEME | P_AUTHORITY | P_PATH | P_PROTOCOL;

const PSEUDO_HEADERS: ReadonlyMap<string, number> = new Map([
  [":method", P_METHOD],
  [":scheme", P_SCHEME],
  [":authority", P_AUTHORITY],
  [":path", P_PATH],
  [":status", P_STATUS],
  [":protocol", P_PROTOCOL],
]);

/** Regular field names that need a check. */
const R_CONNECTION_SPECIFIC = 1;
const R_TE = 2;
const R_HOST = 3;
const R_CONTENT_LENGTH = 4;

/**
 * RFC 9113 §8.2.2: "This includes the Connection header field and those listed
 * as having connection-specific semantics in Section 7.6.1 of [HTTP] (that is,
 * Proxy-Connection, Keep-Alive, Transfer-Encoding, and Upgrade)."
 */
const CONNECTION_SPECIFIC = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
] as const;

const SPECIAL_FIELDS: ReadonlyMap<string, number> = new Map([
  ...CONNECTION_SPECIFIC.map((name) => [name, R_CONNECTION_SPECIFIC] as const),
  ["te", R_TE],
  ["host", R_HOST],
  ["content-length", R_CONTENT_LENGTH],
]);

/** Below this size a cookie value is sent never-indexed (nghttp2 and Firefox do the same). */
const SHORT_COOKIE_LENGTH = 20;

// ---------------------------------------------------------------------------
// Errors

function show(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function fail(detail: string, message: string): never {
  throw new ProtocolError(message, { detail });
}

function failName(name: string, outbound: boolean): never {
  if (outbound) assertByteString(name, "Header name");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x3a && i === 0) continue;
    if (c < 256 && NAME_CLASS[c] === NAME_UPPER) {
      // RFC 9113 §8.2: "Field names MUST be converted to lowercase when constructing an HTTP/2 message."
      fail("uppercase_header_name", `Invalid header name ${show(name)}: uppercase characters`);
    }
  }
  // RFC 9113 §8.2.1: "A field name MUST NOT contain characters in the ranges
  // 0x00-0x20, 0x41-0x5a, or 0x7f-0xff" and "MUST NOT include a colon".
  fail("invalid_header_name", `Invalid header name ${show(name)}: characters outside token`);
}

// ---------------------------------------------------------------------------
// Validation

/** Checks one value; returns normally when valid. */
function checkValue(name: string, value: string, outbound: boolean): void {
  const length = value.length;
  if (length === 0) return;
  // RFC 9113 §8.2.1: "A field value MUST NOT start or end with an ASCII
  // whitespace character (ASCII SP or HTAB, 0x20 or 0x09)."
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(length - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
    if (outbound) assertByteString(value, `Header value of ${show(name)}`);
    fail(
      "header_value_whitespace",
      `Invalid value of header ${show(name)}: leading or trailing whitespace`,
    );
  }
  // RFC 9113 §8.2.1: "A field value MUST NOT contain the zero value (ASCII
  // NUL, 0x00), line feed (ASCII LF, 0x0a), or carriage return (ASCII CR,
  // 0x0d) at any position." One regular expression per value: V8 compiles the
  // class to native code, measurably faster than a charCodeAt loop. Chars
  // above 0xff cannot come from HPACK; outbound they are a TypeError (API.md
  // "Header fields").
  if (BAD_VALUE_CHAR.test(value)) {
    if (outbound) assertByteString(value, `Header value of ${show(name)}`);
    fail("invalid_header_value", `Invalid value of header ${show(name)}: NUL, CR or LF`);
  }
}

/** Parses `1*DIGIT` (RFC 9110 §8.6); -1 when invalid or above 2^53-1. */
function parseDigits(value: string): number {
  const length = value.length;
  if (length === 0) return -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) return -1;
  }
  return n;
}

function isHttpScheme(scheme: string): boolean {
  return scheme === "https" || scheme === "http" ||
    (scheme.length <= 5 && (scheme.toLowerCase() === "https" || scheme.toLowerCase() === "http"));
}

function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || IS_TCHAR[c] !== 1) return false;
  }
  return true;
}

function asciiEqualsIgnoreCase(a: string, b: string): boolean {
  return a === b || (a.length === b.length && a.toLowerCase() === b.toLowerCase());
}

function validate(
  fields: readonly HeaderField[],
  flags: FieldValidationFlags,
  outbound: boolean,
): void {
  let seen = 0; // pseudo-header bits
  let regularSeen = false;
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let status: string | undefined;
  let host: string | undefined;
  let contentLength = -1;

  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    const name = field[0];
    const value = field[1];
    const nameLength = name.length;
    if (nameLength === 0) {
      // RFC 9110 §5.1: field-name = token, which is 1*tchar.
      fail("empty_header_name", "Invalid header name: empty");
    }

    if (name.charCodeAt(0) === 0x3a) {
      if (CHECKED_FIELDS.get(name) !== value) {
        for (let i = 1; i < nameLength; i++) {
          const c = name.charCodeAt(i);
          if (c > 0xff || NAME_CLASS[c] !== NAME_OK) failName(name, outbound);
        }
        checkValue(name, value, outbound);
        rememberChecked(name, value);
      }
      // RFC 9113 §8.1: trailers "MUST NOT include pseudo-header fields".
      if (flags.isTrailer) {
        fail("pseudo_header_in_trailer", `Pseudo-header ${show(name)} in a trailer section`);
      }
      // RFC 9113 §8.3: "All pseudo-header fields MUST appear in a field block
      // before all regular field lines."
      if (regularSeen) {
        fail("pseudo_header_after_regular", `Pseudo-header ${show(name)} after a regular field`);
      }
      const bit = PSEUDO_HEADERS.get(name);
      if (bit === undefined) {
        // RFC 9113 §8.3: "Endpoints MUST NOT generate pseudo-header fields
        // other than those defined in this document."
        fail("unknown_pseudo_header", `Unknown pseudo-header ${show(name)}`);
      }
      // RFC 9113 §8.3: "The same pseudo-header field name MUST NOT appear more
      // than once in a field block."
      if ((seen & bit) !== 0) {
        fail("duplicate_pseudo_header", `Duplicate pseudo-header ${show(name)}`);
      }
      seen |= bit;
      if (bit === P_METHOD) method = value;
      else if (bit === P_SCHEME) scheme = value;
      else if (bit === P_AUTHORITY) authority = value;
      else if (bit === P_PATH) path = value;
      else if (bit === P_STATUS) status = value;
      continue;
    }

    regularSeen = true;
    if (CHECKED_FIELDS.get(name) !== value) {
      for (let i = 0; i < nameLength; i++) {
        const c = name.charCodeAt(i);
        if (c > 0xff || NAME_CLASS[c] !== NAME_OK) failName(name, outbound);
      }
      checkValue(name, value, outbound);
      rememberChecked(name, value);
    }
    const special = SPECIAL_FIELDS.get(name);
    if (special === undefined) continue;
    if (special === R_CONNECTION_SPECIFIC) {
      // RFC 9113 §8.2.2: "Any message containing connection-specific header
      // fields MUST be treated as malformed (Section 8.1.1)."
      fail("connection_specific_header", `Connection-specific header ${show(name)}`);
    } else if (special === R_TE) {
      // RFC 9113 §8.2.2: TE "MUST NOT contain any value other than 'trailers'".
      if (!asciiEqualsIgnoreCase(value, "trailers")) {
        fail("invalid_te", `Invalid te value ${show(value)}: only "trailers" is allowed`);
      }
    } else if (special === R_HOST) {
      if (host !== undefined) fail("duplicate_host_header", "Duplicate host header");
      host = value;
    } else {
      const n = parseDigits(value);
      if (n < 0) {
        fail("invalid_content_length", `Invalid content-length ${show(value)}: not 1*DIGIT`);
      }
      if (contentLength >= 0 && contentLength !== n) {
        fail("conflicting_content_length", "Conflicting content-length values");
      }
      contentLength = n;
    }
  }

  if (flags.isTrailer) return;
  if (flags.isResponseHeader) {
    // RFC 9113 §8.3: "Pseudo-header fields defined for requests MUST NOT
    // appear in responses".
    if ((seen & REQUEST_PSEUDO) !== 0) {
      fail("request_pseudo_header_in_response", "Request pseudo-header in a response");
    }
    // RFC 9113 §8.3.2: ":status" "MUST be included in all responses,
    // including interim responses".
    if (status === undefined) fail("missing_pseudo_header", 'Response without ":status"');
    checkStatus(status);
    return;
  }
  checkRequest(seen, method, scheme, authority, path, host, flags.isPushPromise);
}

function checkStatus(status: string): void {
  // RFC 9110 §15: status-code = 3DIGIT.
  if (
    status.length !== 3 || parseDigits(status) < 100
  ) {
    fail("invalid_status", `Invalid :status ${show(status)}: not three digits`);
  }
  // RFC 9113 §8.6: "HTTP/2 does not support the 101 (Switching Protocols)
  // informational status code".
  if (status === "101") fail("switching_protocols_status", ":status 101 is not allowed in HTTP/2");
}

function checkRequest(
  seen: number,
  method: string | undefined,
  scheme: string | undefined,
  authority: string | undefined,
  path: string | undefined,
  host: string | undefined,
  isPushPromise: boolean,
): void {
  // RFC 9113 §8.3: "pseudo-header fields defined for responses MUST NOT
  // appear in requests".
  if ((seen & P_STATUS) !== 0) {
    fail("response_pseudo_header_in_request", 'Response pseudo-header ":status" in a request');
  }
  // RFC 9113 §8.3.1: "All HTTP/2 requests MUST include exactly one valid value
  // for the ":method", ":scheme", and ":path" pseudo-header fields, unless
  // they are CONNECT requests".
  if (method === undefined) fail("missing_pseudo_header", 'Request without ":method"');
  if (!isToken(method)) fail("invalid_method", `Invalid :method ${show(method)}: not a token`);
  const isConnect = method === "CONNECT";
  if ((seen & P_PROTOCOL) !== 0) {
    // RFC 8441 §4: "A CONNECT request that includes the :protocol pseudo-header";
    // on any other method the pseudo-header is undefined (§8.3: malformed).
    if (!isConnect) {
      fail("protocol_without_connect", '":protocol" on a request that is not CONNECT');
    }
    // RFC 8441 §4: "the :scheme and :path pseudo-header fields of the target
    // URI (see Section 5) MUST also be included".
    if (scheme === undefined || path === undefined || authority === undefined) {
      fail("missing_pseudo_header", 'Extended CONNECT needs ":scheme", ":path" and ":authority"');
    }
  } else if (isConnect) {
    // RFC 9113 §8.5: "The ":scheme" and ":path" pseudo-header fields MUST be omitted."
    if (scheme !== undefined || path !== undefined) {
      fail("connect_with_scheme_or_path", 'CONNECT with ":scheme" or ":path"');
    }
    // RFC 9113 §8.5: "The ":authority" pseudo-header field contains the host and port to connect to".
    if (authority === undefined || authority === "") {
      fail("missing_pseudo_header", 'CONNECT without ":authority"');
    }
  } else if (scheme === undefined || path === undefined) {
    fail("missing_pseudo_header", 'Request without ":scheme" or ":path"');
  }

  if (path !== undefined) {
    // RFC 9113 §8.3.1: ":path" "MUST NOT be empty for "http" or "https" URIs";
    // we reject an empty path for every scheme, as h2 does.
    if (path === "") fail("empty_path", 'Empty ":path"');
    if (scheme !== undefined && isHttpScheme(scheme) && path.charCodeAt(0) !== 0x2f) {
      // RFC 9113 §8.3.1: "an OPTIONS request for an "http" or "https" URI that
      // does not include a path component; these MUST include a ":path"
      // pseudo-header field with a value of '*'".
      if (!(path === "*" && method === "OPTIONS")) {
        fail("invalid_path", `Invalid :path ${show(path)}: must start with "/"`);
      }
    }
  }

  if (authority !== undefined) {
    // RFC 9113 §8.3.1: ":authority" "MUST NOT include the deprecated userinfo
    // subcomponent for "http" or "https" schemed URIs."
    if (scheme !== undefined && authority.includes("@") && isHttpScheme(scheme)) {
      fail("authority_with_userinfo", `Invalid :authority ${show(authority)}: userinfo`);
    }
    // RFC 9113 §8.3.1: "Clients MUST NOT generate a request with a Host header
    // field that differs from the ":authority" pseudo-header field. A server
    // SHOULD treat a request as malformed if it contains a Host header field
    // that identifies an entity that differs from the entity in the
    // ":authority" pseudo-header field." (Host names are case-insensitive.)
    if (host !== undefined && !asciiEqualsIgnoreCase(host, authority)) {
      fail("host_authority_mismatch", `Host ${show(host)} differs from :authority`);
    }
  }

  // RFC 9113 §8.4.1: "The server MUST include a method in the ":method"
  // pseudo-header field that is safe and cacheable."
  if (isPushPromise && method !== "GET" && method !== "HEAD") {
    fail("unsafe_push_method", `Pushed request with unsafe method ${show(method)}`);
  }
}

/**
 * Validates a received header block: field syntax (RFC 9113 §8.2.1),
 * connection-specific fields (§8.2.2), pseudo-headers (§8.3, §8.5, RFC 8441)
 * and content-length syntax.
 *
 * @param fields The decoded fields in wire order.
 * @param flags What kind of block this is.
 * @throws {ProtocolError} With a `detail` token naming the broken rule, and no
 *   `streamId` (the message is malformed, §8.1.1: the caller resets the stream).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateInboundHeaders } from "./fields.ts";
 * const flags = { isClient: false, isTrailer: false, isResponseHeader: false, isPushPromise: false };
 * validateInboundHeaders(
 *   [[":method", "GET"], [":scheme", "https"], [":path", "/"], [":authority", "example.com"]],
 *   flags,
 * );
 * assert.throws(
 *   () => validateInboundHeaders([[":method", "GET"], [":scheme", "https"]], flags),
 *   { name: "ProtocolError", detail: "missing_pseudo_header" },
 * );
 * ```
 */
export function validateInboundHeaders(
  fields: readonly HeaderField[],
  flags: FieldValidationFlags,
): void {
  validate(fields, flags, false);
}

/**
 * Validates a header block before it is sent, with the same rules as
 * {@linkcode validateInboundHeaders} (API.md §5: outbound fields are checked
 * for CR, LF, NUL and uppercase too).
 *
 * @param fields The fields to send, after normalisation.
 * @param flags What kind of block this is.
 * @throws {ProtocolError} With a `detail` token naming the broken rule.
 * @throws {TypeError} When a name or value has a char code above 255.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateOutboundHeaders } from "./fields.ts";
 * const flags = { isClient: false, isTrailer: false, isResponseHeader: true, isPushPromise: false };
 * validateOutboundHeaders([[":status", "200"], ["content-type", "text/plain"]], flags);
 * assert.throws(
 *   () => validateOutboundHeaders([[":status", "200"], ["x-a", "1\r\nx-b: 2"]], flags),
 *   { name: "ProtocolError", detail: "invalid_header_value" },
 * );
 * ```
 */
export function validateOutboundHeaders(
  fields: readonly HeaderField[],
  flags: FieldValidationFlags,
): void {
  validate(fields, flags, true);
}

// ---------------------------------------------------------------------------
// Normalisation

/**
 * Joins every `cookie` field into one, with "; " between the values (RFC 9113
 * §8.2.3), at the position of the first one. Other fields keep their order.
 *
 * @param fields The decoded fields.
 * @returns `fields` itself when there are fewer than two cookies, else a new array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeInboundHeaders } from "./fields.ts";
 * assert.deepEqual(
 *   normalizeInboundHeaders([[":method", "GET"], ["cookie", "a=b"], ["x", "1"], ["cookie", "c=d"]]),
 *   [[":method", "GET"], ["cookie", "a=b; c=d"], ["x", "1"]],
 * );
 * ```
 */
export function normalizeInboundHeaders(fields: HeaderField[]): HeaderField[] {
  let first = -1;
  let count = 0;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i]![0] === "cookie") {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count < 2) return fields;
  // RFC 9113 §8.2.3: "these MUST be concatenated into a single octet string
  // using the two-octet delimiter of 0x3b, 0x20 (the ASCII string "; ")".
  const values: string[] = [];
  const out: HeaderField[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field[0] === "cookie") {
      values.push(field[1]);
      if (i === first) out.push(field); // placeholder, replaced below
    } else {
      out.push(field);
    }
  }
  out[first] = ["cookie", values.join("; ")];
  return out;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function hasUpperOrEdgeWhitespace(name: string): boolean {
  const length = name.length;
  if (length === 0) return false;
  if (isWhitespace(name.charCodeAt(0)) || isWhitespace(name.charCodeAt(length - 1))) return true;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

const CONNECTION_SPECIFIC_SET: ReadonlySet<string> = new Set(CONNECTION_SPECIFIC);

/** The result of {@linkcode normalizeOutboundHeaders}. */
export interface NormalizedFields {
  /** The fields to validate and encode. */
  fields: HeaderField[];
  /** Names to send as never-indexed literals (RFC 7541 §6.2.3). */
  sensitive: Set<string>;
}

/** Options of {@linkcode normalizeOutboundHeaders}. */
export interface NormalizeOutboundOptions {
  /**
   * Split `cookie` values on "; " into one field per crumb (RFC 9113 §8.2.3),
   * which compresses better.
   */
  splitCookies: boolean;
}

/**
 * Normalises fields the application wants to send, as python h2 does:
 * lowercases names (RFC 9113 §8.2), optionally splits cookies (§8.2.3),
 * strips surrounding SP/HTAB from names and values, silently drops
 * connection-specific fields (§8.2.2) and marks `authorization`,
 * `proxy-authorization` and short (< 20 bytes) `cookie` fields as sensitive
 * (RFC 7541 §7.1.3).
 *
 * @param fields The fields as given by the application.
 * @param options Whether to split cookies.
 * @returns The fields (the same array when it is an array that needs no
 *   change) and the names to send never-indexed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeOutboundHeaders } from "./fields.ts";
 * const result = normalizeOutboundHeaders(
 *   [[":status", "200"], ["Content-Type", " text/plain "], ["Connection", "close"],
 *    ["authorization", "secret"]],
 *   { splitCookies: false },
 * );
 * assert.deepEqual(result.fields, [[":status", "200"], ["content-type", "text/plain"],
 *   ["authorization", "secret"]]);
 * assert.deepEqual([...result.sensitive], ["authorization"]);
 * ```
 */
export function normalizeOutboundHeaders(
  fields: Iterable<HeaderField>,
  options: NormalizeOutboundOptions,
): NormalizedFields {
  const normalized = normalizeOutbound(fields, options);
  return { fields: normalized.fields, sensitive: normalized.sensitive ?? new Set() };
}

/**
 * {@link normalizeOutboundHeaders} for the engine's send path: `sensitive`
 * is undefined when no name needs it (most blocks), saving a `Set` per block.
 */
export function normalizeOutbound(
  fields: Iterable<HeaderField>,
  options: NormalizeOutboundOptions,
): { fields: HeaderField[]; sensitive: Set<string> | undefined } {
  let sensitive: Set<string> | undefined;
  const input: readonly HeaderField[] = Array.isArray(fields)
    ? fields as readonly HeaderField[]
    : [...fields];
  // Fast path: scan; copy only from the first field that needs a change.
  let out: HeaderField[] | undefined;
  for (let i = 0; i < input.length; i++) {
    const field = input[i]!;
    let name = field[0];
    let value = field[1];
    let changed = false;
    // A field that already passed validation is lowercase and has no edge whitespace.
    const checked = CHECKED_FIELDS.get(name) === value;
    if (!checked && hasUpperOrEdgeWhitespace(name)) {
      const normal = trimWhitespace(name.toLowerCase());
      changed = normal !== name;
      name = normal;
    }
    const trimmed = checked ? value : trimWhitespace(value);
    if (trimmed !== value) {
      value = trimmed;
      changed = true;
    }
    const drop = CONNECTION_SPECIFIC_SET.has(name);
    let split: string[] | undefined;
    if (name === "cookie") {
      if (options.splitCookies && value.includes("; ")) split = value.split("; ");
      if (split !== undefined) {
        for (const crumb of split) {
          if (crumb.length < SHORT_COOKIE_LENGTH) (sensitive ??= new Set()).add("cookie");
        }
      } else if (value.length < SHORT_COOKIE_LENGTH) {
        (sensitive ??= new Set()).add("cookie");
      }
    } else if (name === "authorization" || name === "proxy-authorization") {
      (sensitive ??= new Set()).add(name);
    }
    if (out === undefined && (changed || drop || split !== undefined)) {
      out = input.slice(0, i) as HeaderField[];
    }
    if (out === undefined || drop) continue;
    if (split !== undefined) {
      for (const crumb of split) out.push(["cookie", crumb]);
    } else {
      out.push(changed ? [name, value] : field);
    }
  }
  return { fields: out ?? input as HeaderField[], sensitive };
}

// ---------------------------------------------------------------------------
// Helpers

/**
 * Reads the `content-length` of a header block (RFC 9110 §8.6, RFC 9113
 * §8.1.1).
 *
 * @param fields The header block.
 * @returns The declared length, or undefined when there is no content-length.
 * @throws {ProtocolError} `"invalid_content_length"` when a value is not
 *   `1*DIGIT` (or above 2^53-1); `"conflicting_content_length"` when several
 *   values differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseContentLength } from "./fields.ts";
 * assert.equal(parseContentLength([[":status", "200"], ["content-length", "42"]]), 42);
 * assert.equal(parseContentLength([[":status", "204"]]), undefined);
 * assert.throws(() => parseContentLength([["content-length", "-1"]]), {
 *   detail: "invalid_content_length",
 * });
 * ```
 */
export function parseContentLength(fields: readonly HeaderField[]): number | undefined {
  let result: number | undefined;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field[0] !== "content-length") continue;
    const n = parseDigits(field[1]);
    if (n < 0) {
      fail("invalid_content_length", `Invalid content-length ${show(field[1])}: not 1*DIGIT`);
    }
    if (result !== undefined && result !== n) {
      fail("conflicting_content_length", "Conflicting content-length values");
    }
    result = n;
  }
  return result;
}

function extractPseudo(fields: Iterable<HeaderField>, name: string): string | undefined {
  for (const field of fields) {
    if (field[0] === name) return field[1];
    if (field[0].charCodeAt(0) !== 0x3a) return undefined;
  }
  return undefined;
}

/**
 * The `:method` of a request block (looked up among the leading pseudo-headers).
 *
 * @param fields The header block.
 * @returns The method, or undefined when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractMethod } from "./fields.ts";
 * assert.equal(extractMethod([[":path", "/"], [":method", "HEAD"]]), "HEAD");
 * assert.equal(extractMethod([["x", "1"], [":method", "HEAD"]]), undefined);
 * ```
 */
export function extractMethod(fields: Iterable<HeaderField>): string | undefined {
  return extractPseudo(fields, ":method");
}

/**
 * The `:status` of a response block (looked up among the leading pseudo-headers).
 *
 * @param fields The header block.
 * @returns The status string (e.g. `"200"`), or undefined when absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractStatus } from "./fields.ts";
 * assert.equal(extractStatus([[":status", "103"], ["link", "</a>"]]), "103");
 * ```
 */
export function extractStatus(fields: Iterable<HeaderField>): string | undefined {
  return extractPseudo(fields, ":status");
}
