/**
 * Private helpers of `lib/serve_connection.ts`: received header blocks to
 * `Request` parts, `Response` parts to header blocks, and bodies whose
 * trailers are known only once the body is done. No I/O.
 *
 * @module
 */

import type { HeaderField } from "./events.ts";

/** What the pseudo-header fields of a request say (RFC 9113 §8.3.1). */
export interface RequestTarget {
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** RFC 8441 §4: the extended CONNECT protocol. */
  readonly protocol: string | undefined;
}

/**
 * Splits a received request block into its pseudo-header fields and `Headers`.
 *
 * @param fields The fields in wire order (validated by the engine).
 * @returns The target and the regular fields.
 * @throws {TypeError} A field `Headers` refuses.
 */
export function splitRequest(
  fields: readonly HeaderField[],
): { target: RequestTarget; headers: Headers } {
  let method = "GET";
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  const headers = new Headers();
  for (const [name, value] of fields) {
    if (!name.startsWith(":")) {
      headers.append(name, value);
      continue;
    }
    if (name === ":method") method = value;
    else if (name === ":scheme") scheme = value;
    else if (name === ":authority") authority = value;
    else if (name === ":path") path = value;
    else if (name === ":protocol") protocol = value;
  }
  return { target: { method, scheme, authority, path, protocol }, headers };
}

/**
 * The request URL: `:scheme` (or the fallback) `://` `:authority` (or
 * `host`, RFC 9113 §8.3.1) `:path`. A CONNECT without `:path` (§8.5) gets `/`.
 *
 * @param target The pseudo-header fields.
 * @param headers The regular fields (for `host`).
 * @param fallbackScheme Used when `:scheme` is absent or not http(s).
 * @returns The absolute URL.
 * @throws {TypeError} The authority or path does not make a URL.
 */
export function requestUrl(target: RequestTarget, headers: Headers, fallbackScheme: string): URL {
  const scheme = target.scheme === "http" || target.scheme === "https"
    ? target.scheme
    : fallbackScheme;
  const authority = target.authority ?? headers.get("host") ?? "localhost";
  const path = target.path === undefined || target.path === "*" ? "/" : target.path;
  if (!path.startsWith("/")) throw new TypeError(`Cannot build a URL from the path "${path}"`);
  const url = new URL(`${scheme}://${authority}${path}`);
  // The authority must be a host[:port] and nothing else (no userinfo, no path in it).
  if (url.username !== "" || url.password !== "" || authority.includes("/")) {
    throw new TypeError(`Cannot build a URL from the authority "${authority}"`);
  }
  return url;
}

/**
 * A response's header block: `:status`, then its fields as `Headers`
 * iterates them (lowercase names, `set-cookie` kept apart), without the
 * connection-specific ones.
 *
 * @param response The response.
 * @returns The fields in wire order.
 */
export function responseFields(response: Response): HeaderField[] {
  return [[":status", String(response.status)], ...toFields(response.headers)];
}

/**
 * RFC 9113 §8.2.2: "An endpoint MUST NOT generate an HTTP/2 message containing
 * connection-specific header fields", and `te` only as "trailers". HTTP/1.1
 * habits (`connection: keep-alive`, `transfer-encoding: chunked`) are dropped
 * here rather than failing the response.
 */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Regular fields as a `HeaderField` list, without the connection-specific
 * ones (RFC 9113 §8.2.2).
 *
 * @param init Anything `new Headers()` takes.
 * @returns The fields.
 */
export function toFields(init: HeadersInit): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const [name, value] of new Headers(init)) {
    if (CONNECTION_SPECIFIC.has(name) || (name === "te" && value !== "trailers")) continue;
    fields.push([name, value]);
  }
  return fields;
}

/**
 * A body followed by trailers known only later: yields the body, then awaits
 * `trailers` and appends them to `target`, the list the adapter reads when
 * the body source ends (so the trailer HEADERS frame carries them).
 *
 * @param body The body.
 * @param trailers The promised trailer fields.
 * @param target The trailer list handed to the adapter.
 * @returns The body chunks.
 */
export async function* bodyThenTrailers(
  body: ReadableStream<Uint8Array> | null,
  trailers: Promise<HeadersInit>,
  target: HeaderField[],
): AsyncGenerator<Uint8Array, void, undefined> {
  if (body !== null) {
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
  }
  target.push(...toFields(await trailers));
}

/**
 * A stream that asks for the real one only when first read, so that a body
 * the handler never touches can still be dropped by the adapter once the
 * response is sent (RFC 9113 §8.1).
 *
 * @param open Returns the real body.
 * @returns The lazy body.
 */
export function lazyBody(open: () => ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= open().getReader();
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      reader ??= open().getReader();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
