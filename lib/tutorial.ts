/**
 * The application of python h2's tutorial ("Writing your own HTTP/2
 * server") that `server.ts` serves by default: a JSON echo of each request's
 * fields, like the tutorial's `json.dumps(dict(event.headers))`, plus
 * `GET /bytes/N` and `POST /echo-size` for load tests. It answers through
 * the `H2StreamsConnection` adapter and owns no sockets or timers; `server.ts`
 * re-exports its public names.
 *
 * @module
 */

import type { H2Body, H2StreamsConnection } from "./web_streams.ts";
import type { HeaderField } from "./events.ts";

/** A request as handed to an {@link H2Handler}. */
export interface H2Request {
  /** The request's stream. */
  readonly streamId: number;
  /** The request fields in received order, pseudo-headers included. */
  readonly headers: HeaderField[];
  /** The connection, to respond and to read the body (`requestBody(streamId)`). */
  readonly connection: H2StreamsConnection;
}

/** Answers one request; a throw or rejection resets the stream with INTERNAL_ERROR. */
export type H2Handler = (request: H2Request) => void | Promise<void>;

/** The `server` field of every response. */
export const SERVER_NAME = "basic-h2-server/1.0";
/** Largest body `GET /bytes/N` serves. */
export const MAX_BYTES = 64 * 1024 * 1024;

/** `GET /bytes/N` sends this pattern (octet i is `i % 256`), repeated. */
const PATTERN = Uint8Array.from({ length: 65_536 }, (_, i) => i & 0xff);

/**
 * The tutorial's application: `GET /bytes/N`, `POST /echo-size`, and a JSON
 * echo of the request fields for everything else.
 *
 * @param request The request.
 * @returns Resolves when the response is handed to the connection.
 */
export async function tutorialHandler(request: H2Request): Promise<void> {
  await tutorialRoute(request);
}

/**
 * {@link tutorialHandler} without the promise wrapper: the JSON echo (most
 * requests) returns the `respond` promise, the rest await bodies.
 */
export function tutorialRoute(request: H2Request): Promise<unknown> {
  const { streamId, headers, connection } = request;
  let method = "", path = "";
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0];
    if (name === ":method") method = headers[i]![1];
    else if (name === ":path") path = headers[i]![1];
  }
  if (method === "GET" && path.startsWith("/bytes/")) return sendBytes(connection, streamId, path);
  if (method === "POST" && (path === "/echo-size" || path.startsWith("/echo-size?"))) {
    return echoSize(connection, streamId);
  }
  return respondBody(connection, streamId, headersJsonBody(headers));
}

function sendBytes(connection: H2StreamsConnection, streamId: number, path: string) {
  const route = path.split("?", 1)[0]!;
  const digits = route.slice("/bytes/".length);
  const size = /^\d{1,9}$/.test(digits) ? Number(digits) : Infinity;
  if (size > MAX_BYTES) {
    return respondJson(
      connection,
      streamId,
      `{"error": "N must be an integer <= ${MAX_BYTES}"}`,
      "400",
    );
  }
  return connection.respond(streamId, [
    [":status", "200"],
    ["content-type", "application/octet-stream"],
    ["content-length", String(size)],
    ["server", SERVER_NAME],
  ], patternBody(size));
}

async function echoSize(connection: H2StreamsConnection, streamId: number): Promise<void> {
  let received: number;
  try {
    // Counted as it arrives, never kept: the read buffers are reused.
    received = await connection.drainBody(streamId);
  } catch {
    return; // the stream was reset: nobody to answer
  }
  await respondJson(connection, streamId, `{"received": ${received}}`);
}

/**
 * `json.dumps(dict(headers))` as Python prints it: insertion order, a later
 * duplicate overwrites the value, `", "` and `": "` separators, non-ASCII
 * escaped.
 *
 * @param headers Fields in received order.
 * @returns The JSON text.
 */
export function headersJson(headers: readonly HeaderField[]): string {
  let json = "{";
  for (let i = 0; i < headers.length; i++) {
    const value = dictValueAt(headers, i);
    if (value === undefined) continue;
    json += (json.length === 1 ? "" : ", ") + pyString(headers[i]![0]) + ": " + pyString(value);
  }
  return json + "}";
}

/**
 * {@link headersJson}'s text written straight into a response body (the JSON
 * is ASCII, one octet per char): two passes over the fields, and no string
 * is built.
 */
function headersJsonBody(headers: readonly HeaderField[]): Uint8Array {
  let length = 2; // "{" and "}"
  let fields = 0;
  for (let i = 0; i < headers.length; i++) {
    const value = dictValueAt(headers, i);
    if (value === undefined) continue;
    length += (fields++ === 0 ? 0 : 2) + pyString(headers[i]![0]).length + 2 +
      pyString(value).length;
  }
  const body = smallBody(length);
  body[0] = 0x7b; // {
  let at = 1;
  for (let i = 0; i < headers.length; i++) {
    const value = dictValueAt(headers, i);
    if (value === undefined) continue;
    if (at > 1) at = writeAscii(body, at, ", ");
    at = writeAscii(body, at, pyString(headers[i]![0]));
    at = writeAscii(body, at, ": ");
    at = writeAscii(body, at, pyString(value));
  }
  body[at] = 0x7d; // }
  return body;
}

/**
 * A dict keeps the first position of a name and its last value: the value
 * field `i` contributes, or undefined when its name came earlier. Quadratic
 * in the field count, which the engine bounds (maxHeaderFields, 128), and
 * cheaper than a Map for the usual dozen fields.
 */
function dictValueAt(headers: readonly HeaderField[], i: number): string | undefined {
  const name = headers[i]![0];
  for (let j = 0; j < i; j++) if (headers[j]![0] === name) return undefined;
  let value = headers[i]![1];
  for (let j = i + 1; j < headers.length; j++) if (headers[j]![0] === name) value = headers[j]![1];
  return value;
}

/** Writes an ASCII string's chars as octets at `at`; returns the offset after them. */
function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** Recently quoted names and values: most fields repeat from request to request. */
const quoted = new Map<string, string>();
/** Entries {@link quoted} holds before it starts over. */
const QUOTED_MAX = 1_024;
/** Longer strings are quoted every time instead of being cached. */
const QUOTED_MAX_LENGTH = 256;

function pyString(text: string): string {
  const cached = quoted.get(text);
  if (cached !== undefined) return cached;
  let json = JSON.stringify(text);
  for (let i = 0; i < json.length; i++) {
    if (json.charCodeAt(i) >= 0x7f) {
      json = json.replace(
        /[\u007f-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      );
      break;
    }
  }
  if (text.length <= QUOTED_MAX_LENGTH) {
    if (quoted.size >= QUOTED_MAX) quoted.clear();
    quoted.set(text, json);
  }
  return json;
}

/** The slab small response bodies are carved from (see {@link smallBody}). */
let slab = new Uint8Array(0);
let slabUsed = 0;
/** Size of one slab: about 500 JSON echoes. */
const SLAB_SIZE = 65_536;
/** Bodies above this size get their own buffer. */
const SLAB_MAX_BODY = 4_096;

/**
 * `length` fresh octets for a response body. Small ones are views carved
 * out of a shared slab, as Node's `Buffer` pool does: a new `ArrayBuffer`
 * costs more than a small response (~0.4 µs and its share of GC), a view of
 * an existing one ~20 ns. Views never overlap and a slab lives as long as
 * any of them, so a body queued behind a closed window stays intact.
 */
function smallBody(length: number): Uint8Array {
  if (length > SLAB_MAX_BODY) return new Uint8Array(length);
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const body = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return body;
}

function respondJson(
  connection: H2StreamsConnection,
  streamId: number,
  json: string,
  status = "200",
): Promise<boolean> {
  // pyString escapes everything above U+007E: the JSON is ASCII, one octet per char.
  const body = smallBody(json.length);
  writeAscii(body, 0, json);
  return respondBody(connection, streamId, body, status);
}

function respondBody(
  connection: H2StreamsConnection,
  streamId: number,
  body: Uint8Array,
  status = "200",
): Promise<boolean> {
  return connection.respond(streamId, [
    [":status", status],
    ["server", SERVER_NAME],
    ["content-length", String(body.length)],
    ["content-type", "application/json"],
  ], body);
}

/**
 * A frame's worth of {@link PATTERN} (16 KiB, the smallest SETTINGS_MAX_FRAME_SIZE): each piece
 * of a large body is this same view, sent as one DATA frame without being cut (sendData copies it).
 */
const PATTERN_PIECE = PATTERN.subarray(0, 16_384);

/** `size` octets of {@link PATTERN}, as views of the shared buffer. */
function patternBody(size: number): H2Body {
  if (size <= PATTERN.length) return PATTERN.subarray(0, size);
  return (function* () {
    let left = size;
    for (; left >= PATTERN_PIECE.length; left -= PATTERN_PIECE.length) yield PATTERN_PIECE;
    if (left > 0) yield PATTERN.subarray(0, left);
  })();
}
