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
  body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
  trailers: Promise<HeadersInit>,
  target: HeaderField[],
): AsyncGenerator<Uint8Array, void, undefined> {
  if (body instanceof Uint8Array) {
    if (body.length > 0) yield body;
  } else if (body !== undefined) {
    yield* body;
  }
  target.push(...toFields(await trailers));
}

/** What {@link prefetchBody} found. */
export type PrefetchedBody =
  /** The whole body, read at once (a `Response` from a string, JSON, bytes, a small Blob). */
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  /** A body still streaming; `slow` when it produced nothing at once (send the headers now). */
  | { readonly kind: "stream"; readonly source: AsyncIterable<Uint8Array>; readonly slow: boolean };

const PENDING = Symbol("pending");
/** Microtasks a read may take to count as immediate (a Blob body needs 5). */
const READ_TICKS = 16;
/** Buffered before a quick body is sent as a stream anyway. */
const PREFETCH_LIMIT = 16_384;

async function afterTicks(ticks: number): Promise<typeof PENDING> {
  for (let i = 0; i < ticks; i++) await null;
  return PENDING;
}

/**
 * The value of a promise that settles within a few microtasks (a trailer
 * promise resolved as the body ended), without a clock.
 *
 * @param promise The promise.
 * @returns `{ value }` if it fulfilled by then, else undefined (pending or rejected).
 */
export async function settledSoon<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  const result = await Promise.race([
    promise.then((value) => ({ value }), () => undefined),
    afterTicks(READ_TICKS),
  ]);
  return result === PENDING ? undefined : result;
}

/**
 * Reads what a response body yields within a few microtasks — no clock
 * involved. A body that is complete by then (most responses: a string,
 * JSON, bytes) is returned whole, so the header block and one DATA frame
 * with END_STREAM go out in a single write; otherwise the body continues as
 * a stream that replays what was read.
 *
 * @param body The response body.
 * @returns The whole body, or a stream of it.
 * @throws {unknown} The body's error, if it fails before anything could be sent.
 */
export async function prefetchBody(body: ReadableStream<Uint8Array>): Promise<PrefetchedBody> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < PREFETCH_LIMIT) {
    const read = reader.read();
    const result = await Promise.race([read, afterTicks(READ_TICKS)]);
    if (result === PENDING) {
      return { kind: "stream", source: replay(chunks, read, reader), slow: size === 0 };
    }
    if (result.done) return { kind: "bytes", bytes: concat(chunks, size) };
    chunks.push(result.value);
    size += result.value.length;
  }
  return { kind: "stream", source: replay(chunks, undefined, reader), slow: false };
}

async function* replay(
  chunks: Uint8Array[],
  pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let complete = false;
  try {
    yield* chunks;
    chunks.length = 0;
    let next = pending ?? reader.read();
    while (true) {
      const { value, done } = await next;
      if (done) break;
      yield value;
      next = reader.read();
    }
    complete = true;
  } finally {
    // Stopped early (the stream was reset): the source is no longer wanted.
    if (!complete) void reader.cancel().catch(() => {});
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
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
