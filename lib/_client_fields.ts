/**
 * Private helpers of `lib/client.ts`: turning Fetch's `Request`/`RequestInit`
 * shapes into HTTP/2 header fields and bodies, and received header fields
 * back into `Headers`. No I/O.
 *
 * @module
 */

import type { HeaderField } from "./events.ts";
import type { H2Body } from "./web_streams.ts";

/** A request body ready for the adapter. */
export interface PreparedBody {
  /** The body, or undefined for none. */
  readonly body: H2Body | undefined;
  /** True when the body can be sent again (bytes or none): a refused stream may be retried. */
  readonly replayable: boolean;
}

/**
 * Converts a Fetch body to bytes or a stream, setting `content-type` and
 * `content-length` the way `fetch` does when they are missing. Synchronous,
 * so that requests keep the order of the calls that made them.
 *
 * @param body The `RequestInit.body` (or a `Request`'s stream).
 * @param headers The request headers; completed in place.
 * @returns The body and whether it is replayable.
 */
export function prepareBody(body: BodyInit | null | undefined, headers: Headers): PreparedBody {
  if (body === null || body === undefined) return { body: undefined, replayable: true };
  let bytes: Uint8Array;
  if (typeof body === "string") {
    setDefault(headers, "content-type", "text/plain;charset=UTF-8");
    bytes = new TextEncoder().encode(body);
  } else if (body instanceof Uint8Array) {
    bytes = body;
  } else if (ArrayBuffer.isView(body)) {
    bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } else if (body instanceof ArrayBuffer) {
    bytes = new Uint8Array(body);
  } else if (body instanceof URLSearchParams) {
    setDefault(headers, "content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    bytes = new TextEncoder().encode(body.toString());
  } else if (body instanceof Blob) {
    if (body.type !== "") setDefault(headers, "content-type", body.type);
    setDefault(headers, "content-length", String(body.size));
    return { body: body.stream(), replayable: false };
  } else if (body instanceof ReadableStream) {
    return { body: body as ReadableStream<Uint8Array>, replayable: false };
  } else if (typeof body === "object" && Symbol.asyncIterator in body) {
    return { body: body as AsyncIterable<Uint8Array>, replayable: false };
  } else {
    // FormData: let the platform pick the multipart boundary.
    const response = new Response(body as BodyInit);
    const type = response.headers.get("content-type");
    if (type !== null) setDefault(headers, "content-type", type);
    return { body: response.body ?? undefined, replayable: false };
  }
  setDefault(headers, "content-length", String(bytes.length));
  return { body: bytes, replayable: true };
}

function setDefault(headers: Headers, name: string, value: string): void {
  if (!headers.has(name)) headers.set(name, value);
}

/**
 * The request's header block: the pseudo-header fields from the method and
 * URL (RFC 9113 §8.3.1), then the regular fields. A `host` field becomes
 * `:authority` (§8.3.1: "Clients that generate HTTP/2 requests directly
 * MUST use the :authority pseudo-header field to convey authority
 * information, unless there is no authority information to convey").
 *
 * @param method The request method.
 * @param url The target URL (`http:` or `https:`).
 * @param headers The regular fields.
 * @returns The fields in wire order.
 */
export function requestFields(method: string, url: URL, headers: Headers): HeaderField[] {
  const authority = headers.get("host") ?? url.host;
  const fields: HeaderField[] = method === "CONNECT"
    // RFC 9113 §8.5: a CONNECT request has only :method and :authority.
    ? [[":method", method], [":authority", authority]]
    : [
      [":method", method],
      [":scheme", url.protocol.slice(0, -1)],
      [":authority", authority],
      [":path", `${url.pathname || "/"}${url.search}`],
    ];
  for (const [name, value] of headers) {
    if (name !== "host") fields.push([name, value]);
  }
  return fields;
}

/**
 * Regular fields as a `HeaderField` list.
 *
 * @param init Anything `new Headers()` takes.
 * @returns The fields (names lowercased by `Headers`).
 */
export function toFields(init: HeadersInit): HeaderField[] {
  return [...new Headers(init)];
}

/**
 * Received fields without the pseudo-headers, as `Headers`.
 *
 * @param fields Decoded fields in wire order.
 * @returns The regular fields.
 */
export function toHeaders(fields: readonly HeaderField[]): Headers {
  const headers = new Headers();
  for (const [name, value] of fields) {
    if (!name.startsWith(":")) headers.append(name, value);
  }
  return headers;
}

/**
 * The value of a pseudo-header field.
 *
 * @param fields Decoded fields.
 * @param name The pseudo-header, e.g. `":status"`.
 * @returns Its value, or undefined.
 */
export function pseudo(fields: readonly HeaderField[], name: string): string | undefined {
  for (const [n, v] of fields) {
    if (n === name) return v;
    if (!n.startsWith(":")) return undefined;
  }
  return undefined;
}

/**
 * A body followed by trailers that are known only later: yields the body,
 * then waits for `trailers` and appends them to `target` (the array the
 * adapter sends once the body source ends).
 *
 * @param body The body, or undefined.
 * @param trailers The promised trailer fields.
 * @param target The trailer list handed to the adapter.
 * @returns An async iterable of the body chunks.
 */
export async function* bodyThenTrailers(
  body: H2Body | undefined,
  trailers: Promise<HeadersInit>,
  target: HeaderField[],
): AsyncGenerator<Uint8Array, void, undefined> {
  if (body instanceof Uint8Array) {
    if (body.length > 0) yield body;
  } else if (body instanceof ReadableStream) {
    const reader = body.getReader();
    let complete = false;
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        yield value;
      }
      complete = true;
    } finally {
      // Stopped early (the stream was reset): the source is no longer wanted.
      if (!complete) void reader.cancel().catch(() => {});
    }
  } else if (body !== undefined) {
    yield* body;
  }
  target.push(...toFields(await trailers));
}
