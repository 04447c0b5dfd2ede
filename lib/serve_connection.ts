/**
 * A fetch-style HTTP/2 server for one connection: {@link serveConnection}
 * runs an {@link H2StreamsConnection} over any `{ readable, writable }` pair
 * and answers every request with a handler shaped like the one `serve` takes in Deno,
 * `(request: Request, info) => Response | Promise<Response>`. Accepting
 * connections (listening, TLS, ALPN) stays with the caller, so this
 * module does no I/O of its own and runs wherever Web Streams do.
 *
 * What HTTP/2 adds over a plain fetch handler, and how it surfaces:
 *
 * - **Bodies with backpressure.** `request.body` is a stream whose reading
 *   reopens the client's flow-control window, so a slow handler throttles
 *   the upload (RFC 9113 §5.2); the `Response` body is sent within the
 *   client's windows and pulled only as fast as it goes out.
 * - **Small responses in one write.** A body that is complete within a few
 *   microtasks (a string, JSON, bytes) goes out as HEADERS plus one DATA
 *   frame with END_STREAM; a body with nothing to send yet (server-sent
 *   events) gets its headers sent at once.
 * - **Reset = abort.** `request.signal` aborts when the client resets the
 *   stream (RST_STREAM) or the connection dies; its reason is a
 *   {@link StreamResetError}.
 * - **Trailers** (RFC 9113 §8.1): wrap the response with
 *   {@link withTrailers}; a promise of trailers is awaited after the body.
 * - **1xx** (RFC 9110 §15.2, RFC 8297): `info.sendInformational(103, headers)`
 *   or `info.earlyHints(headers)` before the final response.
 * - **Extended CONNECT** (RFC 8441): with `enableConnectProtocol` the server
 *   advertises SETTINGS_ENABLE_CONNECT_PROTOCOL=1; a CONNECT request (with
 *   `:protocol`, in `info.protocol`) is accepted with `info.upgrade()`, which
 *   answers 200 and returns the tunnel as a `{ readable, writable }` pair —
 *   the base for WebSockets over HTTP/2.
 * - **Graceful shutdown**: the `signal` option or `shutdown()` sends GOAWAY
 *   (RFC 9113 §6.8, two-step); requests already accepted finish.
 * - **Errors**: a handler that throws (or returns no `Response`) gets a 500
 *   from `onError`; if the response headers were already sent, the stream is
 *   reset with INTERNAL_ERROR so the client cannot mistake a truncated body
 *   for a complete one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveConnection, withTrailers } from "./serve_connection.ts";
 * import { connect, trailers } from "./client.ts";
 *
 * // Two in-memory pipes stand in for a socket.
 * const up = new TransformStream<Uint8Array, Uint8Array>();
 * const down = new TransformStream<Uint8Array, Uint8Array>();
 * const server = serveConnection({ readable: up.readable, writable: down.writable }, (request) => {
 *   const url = new URL(request.url);
 *   return withTrailers(new Response(`hello ${url.searchParams.get("name")}`), { "x-done": "1" });
 * });
 *
 * const session = connect({ readable: down.readable, writable: up.writable });
 * const response = await session.request("http://example.test/?name=h2");
 * assert.equal(await response.text(), "hello h2");
 * assert.equal((await trailers(response)).get("x-done"), "1");
 * await session.close();
 * await server.finished;
 * ```
 *
 * @module
 */

import type { H2Connection } from "./connection.ts";
import { SettingCode } from "./constants.ts";
import { ErrorCode, H2Error, NoSuchStreamError } from "./errors.ts";
import type { H2Event, HeaderField } from "./events.ts";
import {
  H2StreamsConnection,
  type H2StreamsConnectOptions,
  type H2Transport,
  StreamResetError,
} from "./web_streams.ts";
import {
  bodyThenTrailers,
  lazyBody,
  prefetchBody,
  requestUrl,
  responseFields,
  settledSoon,
  splitRequest,
  toFields,
} from "./_serve_fields.ts";

/** The transport: a byte stream pair, optionally with the peer's address (a Deno `Conn` has one). */
export interface ServeTransport<Addr = unknown> extends H2Transport {
  /** The client's address, passed on as `info.remoteAddr`. @default undefined */
  readonly remoteAddr?: Addr;
}

/** A tunnel opened by extended CONNECT (RFC 8441) or CONNECT (RFC 9113 §8.5). */
export interface ServeTunnel {
  /** The bytes the client sends (its DATA frames); ends when the client ends its side. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the client; closing it ends our side (END_STREAM), aborting it resets the stream. */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * A placeholder to return from the handler (the 200 has already been
   * sent; whatever the handler returns after {@link ServeConnectionInfo.upgrade} is ignored).
   */
  readonly response: Response;
}

/** Per-request details and HTTP/2 extras, the handler's second argument. */
export interface ServeConnectionInfo<Addr = unknown> {
  /** The request's stream id. */
  readonly streamId: number;
  /** The transport's `remoteAddr`, if it has one. */
  readonly remoteAddr: Addr | undefined;
  /** The Sans-IO engine (settings, ping, priorities). */
  readonly connection: H2Connection;
  /** The Web Streams adapter driving it. */
  readonly streams: H2StreamsConnection;
  /** The `:protocol` of an extended CONNECT request (RFC 8441 §4), e.g. `"websocket"`. */
  readonly protocol: string | undefined;
  /**
   * Sends a 1xx response before the final one (RFC 9110 §15.2); not 101,
   * which HTTP/2 forbids (RFC 9113 §8.6). Does nothing once the stream is
   * gone (reset by the client).
   *
   * @param status 100–199 except 101.
   * @param headers Its fields (e.g. `link` for 103 Early Hints, RFC 8297).
   * @throws {RangeError} A status outside 1xx, or 101.
   * @throws {TypeError} The final response was already sent.
   */
  sendInformational(status: number, headers?: HeadersInit): void;
  /**
   * `sendInformational(103, headers)`: Early Hints (RFC 8297).
   *
   * @param headers Usually `link` fields.
   * @throws {TypeError} The final response was already sent.
   */
  earlyHints(headers: HeadersInit): void;
  /**
   * Accepts a CONNECT request (extended, RFC 8441, or plain, RFC 9113 §8.5):
   * sends `200` with `headers` at once and returns the tunnel.
   *
   * @param headers Extra response fields. @default undefined
   * @returns The tunnel.
   * @throws {TypeError} The request is not CONNECT, or a response was already sent.
   */
  upgrade(headers?: HeadersInit): ServeTunnel;
}

/** The handler: like the one Deno's `serve` takes, plus HTTP/2 details in `info`. */
export type ServeConnectionHandler<Addr = unknown> = (
  request: Request,
  info: ServeConnectionInfo<Addr>,
) => Response | Promise<Response>;

/** Options of {@link serveConnection}. */
export interface ServeConnectionOptions extends Omit<H2StreamsConnectOptions, "onEvent"> {
  /**
   * Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (RFC 8441 §3) so clients
   * may send extended CONNECT (`:protocol`). @default false
   */
  enableConnectProtocol?: boolean;
  /**
   * The response for a handler that threw or returned something other than
   * a `Response`. @default logs with `console.error` and answers an empty 500
   */
  onError?: (error: unknown, request: Request) => Response | Promise<Response>;
  /** The URL scheme when a request has no http(s) `:scheme` (plain CONNECT). @default "http" */
  scheme?: "http" | "https";
  /**
   * h2c upgrade (RFC 7540 §3.2), with `upgradeSettings`: the HTTP/1.1
   * request that carried the upgrade, as HTTP/2 fields (`:method`,
   * `:scheme`, `:authority` from `Host`, `:path`, then the end-to-end
   * fields). The handler answers it on stream 1 like any other request
   * (without a body: an upgrade request with a body is not supported here).
   * @default undefined
   */
  upgradeRequest?: readonly HeaderField[];
}

/** A running connection, returned by {@link serveConnection}. */
export interface ServedConnection {
  /** Resolves once the transport is closed (never rejects). */
  readonly finished: Promise<void>;
  /** The Web Streams adapter (its `connection` is the engine). */
  readonly streams: H2StreamsConnection;
  /**
   * Graceful shutdown: GOAWAY, a PING round trip, the final GOAWAY; requests
   * already accepted finish, then the transport closes. Idempotent.
   *
   * @returns {@link finished}.
   */
  shutdown(): Promise<void>;
}

/** Registered trailers, read when the response is sent. */
const registeredTrailers = new WeakMap<Response, HeadersInit | Promise<HeadersInit>>();

/**
 * Attaches trailer fields (RFC 9113 §8.1) to a response returned by a
 * {@link serveConnection} handler; they are sent in a HEADERS frame with
 * END_STREAM after the body. A promise is awaited only once the whole body
 * has been sent, so trailers may depend on it (a checksum, a gRPC status).
 * The response itself is unchanged (registered in a `WeakMap`), so it still
 * works with Deno's own `serve`, which ignores the trailers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseTrailers, withTrailers } from "./serve_connection.ts";
 * const response = withTrailers(new Response("body"), { "grpc-status": "0" });
 * assert.deepEqual(responseTrailers(response), { "grpc-status": "0" });
 * ```
 *
 * @param response The response.
 * @param trailers The trailer fields, or a promise of them.
 * @returns The same response.
 */
export function withTrailers<R extends Response>(
  response: R,
  trailers: HeadersInit | Promise<HeadersInit>,
): R {
  registeredTrailers.set(response, trailers);
  return response;
}

/**
 * The trailers registered for a response with {@link withTrailers}.
 *
 * @param response The response.
 * @returns Its trailers (or their promise), or undefined.
 */
export function responseTrailers(
  response: Response,
): HeadersInit | Promise<HeadersInit> | undefined {
  return registeredTrailers.get(response);
}

/** Methods `new Request()` refuses (Fetch "forbidden methods"); such requests are built as GET and relabelled. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
/** RFC 9110 §6.4.1: no content in these responses. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** One request from `RequestReceived` to the end of its response. */
interface Exchange {
  readonly streamId: number;
  readonly abort: AbortController;
  /** The final response (or a tunnel's 200) was handed to the adapter. */
  responded: boolean;
}

/**
 * Serves one HTTP/2 connection with a fetch-style handler. The transport
 * must already speak HTTP/2 (h2c with prior knowledge, TLS with ALPN `h2`,
 * or an h2c upgrade via the `upgradeSettings`/`initialData` options).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveConnection } from "./serve_connection.ts";
 * import { connect } from "./client.ts";
 *
 * const up = new TransformStream<Uint8Array, Uint8Array>();
 * const down = new TransformStream<Uint8Array, Uint8Array>();
 * const server = serveConnection(
 *   { readable: up.readable, writable: down.writable },
 *   async (request) => new Response(`${request.method} ${(await request.text()).length}`),
 * );
 * const session = connect({ readable: down.readable, writable: up.writable });
 * const response = await session.request("http://example.test/", { method: "POST", body: "abc" });
 * assert.equal(await response.text(), "POST 3");
 * await server.shutdown(); // GOAWAY; the client sees the connection end
 * await session.closed;
 * ```
 *
 * @param transport The byte streams (a Deno `Conn`, a TLS connection, a pipe pair).
 * @param handler Answers each request.
 * @param options Windows, limits, extended CONNECT, shutdown signal, error handler.
 * @returns The running connection.
 * @throws {TypeError} `upgradeRequest` without `upgradeSettings`.
 */
export function serveConnection<Addr = unknown>(
  transport: ServeTransport<Addr>,
  handler: ServeConnectionHandler<Addr>,
  options: ServeConnectionOptions = {},
): ServedConnection {
  const { enableConnectProtocol, onError, scheme, upgradeRequest, ...rest } = options;
  if (upgradeRequest !== undefined && rest.upgradeSettings === undefined) {
    throw new TypeError("Cannot use upgradeRequest without upgradeSettings");
  }
  const engine = rest.connectionOptions ?? {};
  const exchanges = new Map<number, Exchange>();
  const fallbackScheme = scheme ?? "http";
  const errorResponse = onError ?? defaultOnError;

  const streams = H2StreamsConnection.server(transport, {
    ...rest,
    connectionOptions: {
      ...engine,
      settings: {
        ...(enableConnectProtocol === true ? { [SettingCode.ENABLE_CONNECT_PROTOCOL]: 1 } : {}),
        ...engine.settings,
      },
    },
    onEvent,
  });

  function onEvent(event: H2Event): void {
    if (event.type === "RequestReceived") {
      void handle(event.streamId, event.headers, event.streamEnded !== undefined);
    } else if (event.type === "StreamReset") {
      abortExchange(event.streamId, new StreamResetError(event.streamId, event.errorCode));
    }
  }

  function abortExchange(streamId: number, reason: unknown): void {
    const exchange = exchanges.get(streamId);
    if (exchange === undefined) return;
    exchanges.delete(streamId);
    exchange.abort.abort(reason);
  }

  // RFC 7540 §3.2: the request that was upgraded is answered on stream 1 (half-closed remote).
  // Deferred so that the handler never runs before serveConnection returns.
  if (upgradeRequest !== undefined) {
    queueMicrotask(() => void handle(1, [...upgradeRequest], true));
  }

  const finished = streams.closed.then(() => {
    // The connection is gone: every request still running is aborted.
    const reason = streams.error;
    for (const streamId of [...exchanges.keys()]) {
      abortExchange(
        streamId,
        new StreamResetError(
          streamId,
          reason instanceof H2Error ? reason.errorCode : ErrorCode.CANCEL,
          reason === undefined ? "Connection closed" : `Connection failed: ${String(reason)}`,
        ),
      );
    }
  });

  async function handle(streamId: number, fields: HeaderField[], ended: boolean): Promise<void> {
    const exchange: Exchange = { streamId, abort: new AbortController(), responded: false };
    exchanges.set(streamId, exchange);
    let request: Request;
    let target;
    try {
      const split = splitRequest(fields);
      target = split.target;
      request = buildRequest(streamId, target, split.headers, ended, exchange.abort.signal);
    } catch {
      // A target `URL`/`Request` cannot represent (the engine validated the syntax).
      await send(exchange, new Response(null, { status: 400 }));
      return;
    }
    const info = makeInfo(exchange, target.method, target.protocol);
    let response: Response;
    try {
      response = await handler(request, info);
      if (!(response instanceof Response)) {
        throw new TypeError("The handler did not return a Response");
      }
    } catch (error) {
      if (exchange.responded) {
        // The headers went out (a tunnel): only a reset can still say "failed".
        resetStream(streamId, ErrorCode.INTERNAL_ERROR);
        exchanges.delete(streamId);
        return;
      }
      if (exchange.abort.signal.aborted) {
        exchanges.delete(streamId); // the client is gone; nobody to answer
        return;
      }
      try {
        response = await errorResponse(error, request);
      } catch {
        response = new Response(null, { status: 500 });
      }
    }
    if (exchange.responded) {
      // upgrade() already answered; the returned value is a placeholder.
      if (response.body !== null) void response.body.cancel().catch(() => {});
      return;
    }
    await send(exchange, response, target.method === "HEAD");
  }

  function buildRequest(
    streamId: number,
    target: ReturnType<typeof splitRequest>["target"],
    headers: Headers,
    ended: boolean,
    signal: AbortSignal,
  ): Request {
    const url = requestUrl(target, headers, fallbackScheme);
    const method = target.method;
    const forbidden = FORBIDDEN_METHODS.has(method.toUpperCase());
    // Fetch allows no body on GET/HEAD requests; HTTP/2 does. Such a body is left unread and
    // dropped (RST_STREAM NO_ERROR) once the response is sent. CONNECT data is the tunnel's.
    const hasBody = !ended && !forbidden && method !== "GET" && method !== "HEAD";
    const request = new Request(url, {
      method: forbidden ? "GET" : method,
      headers,
      signal,
      ...(hasBody ? { body: lazyBody(() => streams.requestBody(streamId)), duplex: "half" } : {}),
    } as RequestInit);
    if (forbidden) {
      // `new Request()` refuses CONNECT/TRACE/TRACK; the handler still sees the real method.
      Object.defineProperty(request, "method", { value: method, enumerable: true });
    }
    return request;
  }

  function makeInfo(
    exchange: Exchange,
    method: string,
    protocol: string | undefined,
  ): ServeConnectionInfo<Addr> {
    const streamId = exchange.streamId;
    const sendInformational = (status: number, headers?: HeadersInit): void => {
      if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
        throw new RangeError(
          `Cannot send informational status "${status}": it must be 1xx, not 101`,
        );
      }
      if (exchange.responded) {
        throw new TypeError(
          `Cannot send a 1xx response on stream "${streamId}": the final response was sent`,
        );
      }
      if (!exchanges.has(streamId) || streams.isClosed) return; // reset or gone
      try {
        streams.connection.sendHeaders(streamId, [
          [":status", String(status)],
          ...(headers === undefined ? [] : toFields(headers)),
        ]);
      } catch (error) {
        // Reset (or closed) under us meanwhile: the 1xx has nobody to go to.
        if (error instanceof NoSuchStreamError) return;
        throw error;
      }
      void streams.flush();
    };
    return {
      streamId,
      remoteAddr: transport.remoteAddr,
      connection: streams.connection,
      streams,
      protocol,
      sendInformational,
      earlyHints: (headers) => sendInformational(103, headers),
      upgrade(headers?: HeadersInit): ServeTunnel {
        if (method !== "CONNECT") {
          throw new TypeError(`Cannot upgrade stream "${streamId}": the method is not CONNECT`);
        }
        if (exchange.responded) {
          throw new TypeError(`Cannot upgrade stream "${streamId}": a response was already sent`);
        }
        exchange.responded = true;
        const out = new TransformStream<Uint8Array, Uint8Array>();
        const fields: HeaderField[] = [
          [":status", "200"],
          ...(headers === undefined ? [] : toFields(headers)),
        ];
        const sent = streams.respond(streamId, fields, out.readable);
        // The adapter frames the headers of a streamed body only with its first chunk; a tunnel's
        // 200 must go out at once (the client may wait for it before sending anything).
        void streams.flush();
        void sent.then(
          () => exchanges.delete(streamId),
          () => {
            exchanges.delete(streamId);
            resetStream(streamId, ErrorCode.INTERNAL_ERROR);
          },
        );
        let readable: ReadableStream<Uint8Array>;
        try {
          readable = streams.requestBody(streamId);
        } catch {
          readable = new ReadableStream({ start: (controller) => controller.close() });
        }
        return { readable, writable: out.writable, response: new Response(null) };
      },
    };
  }

  async function send(exchange: Exchange, response: Response, isHead = false): Promise<void> {
    const streamId = exchange.streamId;
    exchange.responded = true;
    let stream: ReadableStream<Uint8Array> | null = response.body;
    if (isHead || NULL_BODY_STATUSES.has(response.status)) {
      // RFC 9110 §9.3.2, §6.4.1: the fields describe a body that is not sent.
      if (stream !== null) void stream.cancel().catch(() => {});
      stream = null;
    }
    let body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
    let slow = false;
    if (stream !== null) {
      try {
        const prefetched = await prefetchBody(stream);
        if (prefetched.kind === "bytes") body = prefetched.bytes;
        else {
          body = prefetched.source;
          slow = prefetched.slow;
        }
      } catch {
        // The body failed before anything was sent: the client can still get a status.
        body = undefined;
        response = new Response(null, { status: 500 });
      }
    }
    if (!exchanges.has(streamId) || streams.isClosed) {
      // Reset by the client while the handler ran: nothing to send.
      if (body !== undefined && !(body instanceof Uint8Array)) {
        void body[Symbol.asyncIterator]().return?.();
      }
      return;
    }
    const fields = responseFields(response);
    let registered = registeredTrailers.get(response);
    if (registered instanceof Promise && (body === undefined || body instanceof Uint8Array)) {
      // A whole body whose trailers are ready too (a gRPC unary reply): one write for it all.
      const settled = await settledSoon(registered);
      if (settled !== undefined) registered = settled.value;
    }
    let sent: Promise<boolean>;
    try {
      if (registered instanceof Promise) {
        // The adapter reads its trailer list when the body source ends: fill it in just before.
        const trailerFields: HeaderField[] = [];
        sent = streams.respond(
          streamId,
          fields,
          bodyThenTrailers(body, registered, trailerFields),
          {
            trailers: trailerFields,
          },
        );
        slow ||= body === undefined;
      } else {
        const trailerFields = registered === undefined ? [] : toFields(registered);
        sent = streams.respond(
          streamId,
          fields,
          body,
          trailerFields.length === 0 ? {} : { trailers: trailerFields },
        );
      }
      // A body with nothing to send yet (server-sent events, a trailer promise): the adapter would
      // frame the headers only with the first chunk, so send them now.
      if (slow) void streams.flush();
      await sent;
    } catch {
      // Invalid response fields: the client must not wait for an answer that will never come.
      resetStream(streamId, ErrorCode.INTERNAL_ERROR);
      if (body !== undefined && !(body instanceof Uint8Array)) {
        void body[Symbol.asyncIterator]().return?.();
      }
    } finally {
      exchanges.delete(streamId);
    }
  }

  function resetStream(streamId: number, errorCode: number): void {
    if (streams.isClosed) return;
    try {
      streams.reset(streamId, errorCode);
    } catch {
      // Already closed: nothing to reset.
    }
  }

  return {
    finished,
    streams,
    shutdown() {
      streams.shutdown();
      return finished;
    },
  };
}

function defaultOnError(error: unknown): Response {
  console.error("serveConnection: the handler failed:", error);
  return new Response(null, { status: 500 });
}
