/**
 * A fetch-style HTTP/2 client on top of {@link H2StreamsConnection}: one
 * connection, many concurrent requests multiplexed on it, `Response`
 * objects with streaming bodies, trailers both ways, push promises, PING and
 * graceful close. The transport is any `{ readable, writable }` pair — a
 * Deno `Conn` from `connect`/`connectTls` (ALPN `h2`), a Node
 * socket turned into Web Streams, or a `TransformStream` pair in tests — so
 * this module does no I/O of its own.
 *
 * - **Requests** are opened as long as the server's
 *   SETTINGS_MAX_CONCURRENT_STREAMS allows (100 until its SETTINGS arrive,
 *   RFC 9113 §5.1.2 recommends servers allow at least that); the rest wait
 *   in a queue, in order. A request refused with REFUSED_STREAM (§8.7: "not
 *   processed") is retried once if its body can be replayed.
 * - **Bodies** go out within the peer's flow-control windows, pulled from a
 *   `ReadableStream` only as fast as they can be sent; response bodies are
 *   `ReadableStream`s whose consumption reopens our receive window, so an
 *   unread body stalls only its own stream.
 * - **Aborting** the request's `signal` resets the stream with CANCEL.
 * - **GOAWAY** from the server fails the requests it did not process with
 *   an {@link H2RequestError} whose `unprocessed` is true (safe to retry on a
 *   new connection, §6.8); requests at or below its last stream id finish.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect, trailers } from "./client.ts";
 * import { H2StreamsConnection } from "./web_streams.ts";
 *
 * // An in-memory server answering every request with its path and a trailer.
 * const up = new TransformStream<Uint8Array, Uint8Array>();
 * const down = new TransformStream<Uint8Array, Uint8Array>();
 * const server = H2StreamsConnection.server({ readable: up.readable, writable: down.writable }, {
 *   onEvent(event) {
 *     if (event.type !== "RequestReceived") return;
 *     const path = event.headers.find(([name]) => name === ":path")![1];
 *     void server.respond(event.streamId, [[":status", "200"]], new TextEncoder().encode(path), {
 *       trailers: [["x-checksum", "42"]],
 *     });
 *   },
 * });
 *
 * const session = connect({ readable: down.readable, writable: up.writable });
 * const response = await session.request("http://example.test/hello?x=1");
 * assert.equal(response.status, 200);
 * assert.equal(await response.text(), "/hello?x=1");
 * assert.equal((await trailers(response)).get("x-checksum"), "42");
 * await session.close();
 * await server.closed;
 * ```
 *
 * @module
 */

import { SettingCode } from "./constants.ts";
import { ErrorCode } from "./errors.ts";
import type { H2ConnectionOptions } from "./connection.ts";
import type { H2Event, HeaderField } from "./events.ts";
import { type H2Body, H2StreamsConnection, type H2Transport } from "./web_streams.ts";
import {
  bodyThenTrailers,
  prepareBody,
  pseudo,
  requestFields,
  toFields,
  toHeaders,
} from "./_client_fields.ts";
import { guardBody, quietResolvers, resolvers } from "./_client_streams.ts";

/** A 1xx response received before the final one (RFC 9110 §15.2), e.g. 103 Early Hints. */
export interface InformationalResponse {
  /** The stream of the request. */
  readonly streamId: number;
  /** The 1xx status. */
  readonly status: number;
  /** Its fields, without pseudo-headers. */
  readonly headers: Headers;
}

/** A server push (RFC 9113 §8.4): the promised request and its coming response. */
export interface PushPromise {
  /** The promised (even) stream. */
  readonly streamId: number;
  /** The request stream the promise arrived on. */
  readonly parentStreamId: number;
  /** The request the server answers without being asked (method and URL from the promise). */
  readonly request: Request;
  /** The pushed response; rejects if the push is reset or the connection ends first. */
  readonly response: Promise<Response>;
  /** Refuses the push (RST_STREAM CANCEL, RFC 9113 §8.4.2). */
  cancel(): void;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * Accepts server pushes: SETTINGS_ENABLE_PUSH is 1 and every promise is
   * handed here. Without it, ENABLE_PUSH is 0 and servers must not push.
   * An unread pushed body holds at most one stream window; cancel it or
   * call `push.cancel()` when not needed.
   * @default undefined (push disabled)
   */
  onPush?: (push: PushPromise) => void;
  /** Called for every 1xx response of every request (see also the per-request option). @default undefined */
  onInformational?: (response: InformationalResponse) => void;
  /** SETTINGS_INITIAL_WINDOW_SIZE we advertise: each response's receive window. @default 1_048_576 */
  streamWindow?: number;
  /** Our connection receive window. @default 16_777_216 */
  connectionWindow?: number;
  /** Aborting closes the session gracefully (see {@link H2ClientSession.close}). @default undefined */
  signal?: AbortSignal;
  /** Engine options (settings, limits, validation); `clientSide` is always true. @default {} */
  connectionOptions?: Omit<H2ConnectionOptions, "clientSide">;
  /** Millisecond clock for {@link H2ClientSession.ping}. @default performance.now */
  now?: () => number;
}

/** `RequestInit` plus the HTTP/2 extras. */
export interface ClientRequestInit extends RequestInit {
  /**
   * Trailer fields sent after the body (RFC 9113 §8.1). A promise is awaited
   * once the body has been read, so trailers may depend on it (a checksum).
   */
  trailers?: HeadersInit | Promise<HeadersInit>;
  /** Called for each 1xx response to this request. */
  onInformational?: (response: InformationalResponse) => void;
}

/** Why a request failed at the HTTP/2 layer. */
export class H2RequestError extends Error {
  /** The stream, or 0 if the request never got one. */
  readonly streamId: number;
  /** The RST_STREAM or GOAWAY code (RFC 9113 §7). */
  readonly errorCode: number;
  /**
   * True when the server guarantees it did not process the request
   * (REFUSED_STREAM, a stream above a GOAWAY's last stream id, or never
   * sent): it is safe to retry, on a new connection if this one is going away.
   */
  readonly unprocessed: boolean;

  /**
   * Builds the error.
   *
   * @param message Description.
   * @param init The stream, the code, whether the request was unprocessed, the cause.
   */
  constructor(
    message: string,
    init: { streamId: number; errorCode: number; unprocessed: boolean; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "H2RequestError";
    this.streamId = init.streamId;
    this.errorCode = init.errorCode;
    this.unprocessed = init.unprocessed;
  }
}

const responseTrailers = new WeakMap<Response, Promise<Headers>>();

/**
 * The trailer fields of a response from {@link H2ClientSession.request}
 * (RFC 9113 §8.1). Resolves once the stream has ended — read the body first —
 * with empty `Headers` if the server sent none; rejects if the stream is reset.
 *
 * @param response A response from this client.
 * @returns The trailers.
 * @throws {TypeError} The response does not come from this client.
 */
export function trailers(response: Response): Promise<Headers> {
  const promise = responseTrailers.get(response);
  if (promise === undefined) {
    throw new TypeError("Cannot read trailers: the response does not come from an H2 client");
  }
  return promise;
}

/** One request from `request()` to the end of its response. */
interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly fields: HeaderField[];
  readonly body: H2Body | undefined;
  readonly replayable: boolean;
  readonly trailers: HeaderInput | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onInformational: ((response: InformationalResponse) => void) | undefined;
  readonly resolve: (response: Response) => void;
  readonly reject: (reason: unknown) => void;
  readonly trailersIn: PromiseWithResolvers<Headers>;
  streamId: number;
  responded: boolean;
  done: boolean;
  retried: boolean;
  onAbort: (() => void) | undefined;
  /** Errors the response body (set once the response is out). */
  failBody: ((reason: unknown) => void) | undefined;
}

type HeaderInput = HeadersInit | Promise<HeadersInit>;

/** A pushed stream waiting for its response. */
interface Pushed {
  readonly url: string;
  readonly resolve: (response: Response) => void;
  readonly reject: (reason: unknown) => void;
  readonly trailersIn: PromiseWithResolvers<Headers>;
}

/** Servers must allow at least 100 (RFC 9113 §6.5.2 recommends it); assumed until their SETTINGS. */
const ASSUMED_MAX_CONCURRENT_STREAMS = 100;
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * One HTTP/2 connection used as a client. Create it with {@link connect}.
 */
export class H2ClientSession {
  /** The adapter underneath (its `connection` is the Sans-IO engine). */
  readonly connection: H2StreamsConnection;
  /** Resolves once the transport is closed (never rejects). */
  readonly closed: Promise<void>;

  #options: ConnectOptions;
  #now: () => number;
  #exchanges = new Map<number, Exchange>();
  #pushed = new Map<number, Pushed>();
  #queue: Exchange[] = [];
  #pings = new Map<
    string,
    { start: number; resolve: (rtt: number) => void; reject: (e: unknown) => void }
  >();
  #settingsReceived = false;
  #goAway: { lastStreamId: number; errorCode: number } | undefined;
  #closing = false;
  #ended = false;

  /**
   * Use {@link connect}.
   *
   * @param transport The byte streams.
   * @param options Push, windows, callbacks.
   */
  constructor(transport: H2Transport, options: ConnectOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    const engine = options.connectionOptions ?? {};
    this.connection = H2StreamsConnection.client(transport, {
      onEvent: (event) => this.#onEvent(event),
      connectionOptions: {
        ...engine,
        settings: {
          [SettingCode.ENABLE_PUSH]: options.onPush === undefined ? 0 : 1,
          ...engine.settings,
        },
      },
      ...(options.streamWindow === undefined ? {} : { streamWindow: options.streamWindow }),
      ...(options.connectionWindow === undefined
        ? {}
        : { connectionWindow: options.connectionWindow }),
    });
    this.closed = this.connection.closed.then(() => this.#onClosed());
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) void this.close();
      else signal.addEventListener("abort", () => void this.close(), { once: true });
    }
  }

  /** Requests sent and not finished. */
  get activeRequests(): number {
    return this.#exchanges.size;
  }

  /** Requests waiting for a free stream (over the server's MAX_CONCURRENT_STREAMS). */
  get queuedRequests(): number {
    return this.#queue.length;
  }

  /**
   * Sends a request, like `fetch`: the URL's scheme and host become `:scheme`
   * and `:authority` (a `host` header overrides the latter), the body may be
   * a string, bytes, a `Blob`/`FormData`/`URLSearchParams` or a
   * `ReadableStream` (streamed within flow control), and `init.trailers` adds
   * trailer fields. Resolves at the response headers; the body streams.
   *
   * @param input The URL or a `Request` (its method, headers, body and signal are used).
   * @param init Overrides, plus `trailers` and `onInformational`.
   * @returns The response; its trailers via {@link trailers}.
   * @throws {H2RequestError} (as a rejection) The stream was reset or the connection went away.
   * @throws {TypeError} (as a rejection) Bad URL or header fields, or the session is closed.
   */
  request(input: string | URL | Request, init: ClientRequestInit = {}): Promise<Response> {
    try {
      return this.#request(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // Synchronous up to the queue, so that streams are opened in the order of the calls.
  #request(input: string | URL | Request, init: ClientRequestInit): Promise<Response> {
    const base = input instanceof Request ? input : undefined;
    const url = new URL(base?.url ?? input as string | URL);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`Cannot request "${url.href}": only http: and https: URLs are supported`);
    }
    const method = normalizeMethod(init.method ?? base?.method ?? "GET");
    const headers = new Headers(init.headers ?? base?.headers);
    const signal = init.signal ?? base?.signal ?? undefined;
    signal?.throwIfAborted();
    if (this.#closing || this.#ended || this.#goAway !== undefined) {
      throw new H2RequestError(`Cannot request "${url.href}": the session is closing`, {
        streamId: 0,
        errorCode: this.#goAway?.errorCode ?? ErrorCode.NO_ERROR,
        unprocessed: true,
      });
    }
    const { body, replayable } = prepareBody(
      init.body !== undefined ? init.body : base?.body,
      headers,
    );
    const { promise, resolve, reject } = resolvers<Response>();
    const exchange: Exchange = {
      method,
      url: url.href,
      fields: requestFields(method, url, headers),
      body,
      replayable,
      trailers: init.trailers,
      signal,
      onInformational: init.onInformational,
      resolve,
      reject,
      trailersIn: quietResolvers<Headers>(),
      streamId: 0,
      responded: false,
      done: false,
      retried: false,
      onAbort: undefined,
      failBody: undefined,
    };
    if (signal !== undefined) {
      exchange.onAbort = () => this.#abort(exchange, signal.reason);
      signal.addEventListener("abort", exchange.onAbort, { once: true });
    }
    this.#queue.push(exchange);
    this.#drain();
    return promise;
  }

  /**
   * Sends a PING (RFC 9113 §6.7) and measures the round trip.
   *
   * @returns The round-trip time in milliseconds (of the `now` clock).
   * @throws {TypeError} (as a rejection) The session is closed.
   */
  ping(): Promise<number> {
    if (this.#ended || this.connection.isClosed) {
      return Promise.reject(new TypeError("Cannot ping: the session is closed"));
    }
    const data = crypto.getRandomValues(new Uint8Array(8));
    const { promise, resolve, reject } = resolvers<number>();
    this.#pings.set(key(data), { start: this.#now(), resolve, reject });
    this.connection.connection.ping(data);
    void this.connection.flush();
    return promise;
  }

  /**
   * Graceful close: no new requests; queued ones are still sent, then
   * GOAWAY (RFC 9113 §6.8); in-flight responses finish, then the transport
   * closes.
   *
   * @returns {@link closed}.
   */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#queue.length === 0) this.connection.shutdown();
    return this.closed;
  }

  /**
   * Closes at once: GOAWAY with `errorCode`, in-flight requests fail.
   *
   * @param errorCode The GOAWAY code. @default ErrorCode.NO_ERROR
   * @returns {@link closed}.
   */
  destroy(errorCode: number = ErrorCode.NO_ERROR): Promise<void> {
    this.#closing = true;
    void this.connection.close(errorCode);
    return this.closed;
  }

  // ---------------------------------------------------------------- sending

  /** Opens streams for queued requests while the server's limit allows. */
  #drain(): void {
    while (this.#queue.length > 0 && !this.#ended && this.#goAway === undefined) {
      const limit = this.#settingsReceived
        ? this.connection.connection.remoteSettings.maxConcurrentStreams
        : ASSUMED_MAX_CONCURRENT_STREAMS;
      if (this.connection.connection.openOutboundStreams >= limit) break;
      this.#open(this.#queue.shift()!);
    }
    if (this.#closing && this.#queue.length === 0 && !this.#ended) this.connection.shutdown();
  }

  #open(exchange: Exchange): void {
    let body = exchange.body;
    let trailerFields: HeaderField[] | undefined;
    const input = exchange.trailers;
    if (input instanceof Promise) {
      // The adapter reads its trailer list when the body source ends: fill it in just before.
      trailerFields = [];
      body = bodyThenTrailers(body, input, trailerFields);
    } else if (input !== undefined) {
      trailerFields = toFields(input);
    }
    let opened: { streamId: number; sent: Promise<boolean> };
    try {
      opened = this.connection.request(
        exchange.fields,
        body,
        trailerFields === undefined ? {} : { trailers: trailerFields },
      );
    } catch (error) {
      this.#fail(exchange, error); // e.g. stream ids exhausted (RFC 9113 §5.1.1)
      return;
    }
    const { streamId, sent } = opened;
    exchange.streamId = streamId;
    this.#exchanges.set(streamId, exchange);
    sent.then(
      () => this.#drain(), // our half is closed: a stream may have been freed
      (error) => this.#fail(exchange, error),
    );
  }

  #abort(exchange: Exchange, reason: unknown): void {
    if (exchange.done) return;
    const queued = this.#queue.indexOf(exchange);
    if (queued >= 0) this.#queue.splice(queued, 1);
    else if (exchange.streamId !== 0) {
      // RFC 9113 §8.7: "Clients can cancel requests by resetting the stream with CANCEL".
      try {
        this.connection.reset(exchange.streamId, ErrorCode.CANCEL);
      } catch {
        // The connection is gone: nothing to cancel.
      }
    }
    this.#fail(exchange, reason);
  }

  /** Ends an exchange in error: rejects the response (if pending) and the trailers. */
  #fail(exchange: Exchange, reason: unknown): void {
    if (exchange.done) return;
    this.#finish(exchange);
    if (!exchange.responded) exchange.reject(reason);
    else exchange.failBody?.(reason); // fetch: an aborted or reset body errors with the reason
    exchange.trailersIn.reject(reason);
    this.#drain();
  }

  #finish(exchange: Exchange): void {
    exchange.done = true;
    if (this.#exchanges.get(exchange.streamId) === exchange) {
      this.#exchanges.delete(exchange.streamId);
    }
    if (exchange.onAbort !== undefined) {
      exchange.signal?.removeEventListener("abort", exchange.onAbort);
    }
  }

  // ---------------------------------------------------------------- receiving

  #onEvent(event: H2Event): void {
    switch (event.type) {
      case "ResponseReceived":
        this.#onResponse(event.streamId, event.headers, event.streamEnded !== undefined);
        break;
      case "InformationalResponseReceived": {
        const info: InformationalResponse = {
          streamId: event.streamId,
          status: Number(pseudo(event.headers, ":status")),
          headers: toHeaders(event.headers),
        };
        const perRequest = this.#exchanges.get(event.streamId)?.onInformational;
        if (perRequest !== undefined) callback(perRequest, info);
        if (this.#options.onInformational !== undefined) {
          callback(this.#options.onInformational, info);
        }
        break;
      }
      case "TrailersReceived":
        this.#trailersOf(event.streamId)?.resolve(toHeaders(event.headers));
        this.#onStreamEnd(event.streamId);
        break;
      case "StreamEnded":
        this.#trailersOf(event.streamId)?.resolve(new Headers());
        this.#onStreamEnd(event.streamId);
        break;
      case "StreamReset":
        this.#onReset(event.streamId, event.errorCode);
        break;
      case "PushedStreamReceived":
        this.#onPushPromise(event.pushedStreamId, event.parentStreamId, event.headers);
        break;
      case "RemoteSettingsChanged":
        this.#settingsReceived = true;
        break;
      case "PingAckReceived": {
        const ping = this.#pings.get(key(event.pingData));
        if (ping !== undefined) {
          this.#pings.delete(key(event.pingData));
          ping.resolve(this.#now() - ping.start);
        }
        break;
      }
      case "ConnectionTerminated":
        this.#onGoAway(event.lastStreamId, event.errorCode);
        break;
    }
    this.#drain();
  }

  #trailersOf(streamId: number): PromiseWithResolvers<Headers> | undefined {
    return (this.#exchanges.get(streamId) ?? this.#pushed.get(streamId))?.trailersIn;
  }

  #onResponse(streamId: number, fields: HeaderField[], ended: boolean): void {
    const exchange = this.#exchanges.get(streamId);
    const pushed = this.#pushed.get(streamId);
    const target = exchange ?? pushed;
    if (target === undefined) return;
    let response: Response;
    try {
      const status = Number(pseudo(fields, ":status"));
      const inner = this.connection.responseBody(streamId);
      let body: ReadableStream<Uint8Array> | null = null;
      if (NULL_BODY_STATUSES.has(status) || exchange?.method === "HEAD" || ended) {
        void inner.cancel(); // nothing (more) to read: frees the adapter's state
      } else {
        const guarded = guardBody(inner, (reason) => {
          // The application cancelled the body: the exchange is over (the adapter resets it).
          if (exchange !== undefined) this.#fail(exchange, reason);
          else this.#cancelPush(streamId, reason);
        });
        body = guarded.body;
        if (exchange !== undefined) exchange.failBody = guarded.fail;
      }
      response = new Response(body, { status, headers: toHeaders(fields) });
    } catch (error) {
      // No body stream (e.g. pushed bodies unsupported) or a status Response rejects.
      try {
        this.connection.reset(streamId, ErrorCode.CANCEL);
      } catch {
        // The connection is gone.
      }
      if (exchange !== undefined) this.#fail(exchange, error);
      else {
        this.#pushed.delete(streamId);
        pushed!.reject(error);
        pushed!.trailersIn.reject(error);
      }
      return;
    }
    Object.defineProperty(response, "url", { value: target.url });
    responseTrailers.set(response, target.trailersIn.promise);
    if (exchange !== undefined) {
      exchange.responded = true;
      exchange.resolve(response);
    } else {
      pushed!.resolve(response);
    }
  }

  #onStreamEnd(streamId: number): void {
    this.#pushed.delete(streamId);
    const exchange = this.#exchanges.get(streamId);
    if (exchange === undefined) return;
    if (!exchange.responded) {
      // RFC 9113 §8.1: a response must start with HEADERS; the engine ends streams only after one.
      this.#fail(exchange, new TypeError(`Stream "${streamId}" ended without a response`));
      return;
    }
    // The response is complete; our half may still be sending (the adapter finishes it).
    this.#finish(exchange);
  }

  #onReset(streamId: number, errorCode: number): void {
    const pushed = this.#pushed.get(streamId);
    if (pushed !== undefined) {
      this.#pushed.delete(streamId);
      const error = new H2RequestError(`Pushed stream "${streamId}" was reset`, {
        streamId,
        errorCode,
        unprocessed: false,
      });
      pushed.reject(error);
      pushed.trailersIn.reject(error);
      return;
    }
    const exchange = this.#exchanges.get(streamId);
    if (exchange === undefined || exchange.done) return;
    // RFC 9113 §8.7: REFUSED_STREAM means "not processed"; retry once if the body can be resent.
    const refused = errorCode === ErrorCode.REFUSED_STREAM;
    if (refused && exchange.replayable && !exchange.retried && !exchange.responded) {
      this.#exchanges.delete(streamId);
      exchange.retried = true;
      exchange.streamId = 0;
      this.#queue.unshift(exchange);
      return;
    }
    this.#fail(
      exchange,
      new H2RequestError(`Stream "${streamId}" was reset with code "${errorCode}"`, {
        streamId,
        errorCode,
        unprocessed: refused && !exchange.responded,
      }),
    );
  }

  #onPushPromise(streamId: number, parentStreamId: number, fields: HeaderField[]): void {
    const onPush = this.#options.onPush;
    if (onPush === undefined) {
      // Only if ENABLE_PUSH=1 was forced through connectionOptions.settings: nobody wants it.
      this.#cancelPush(streamId, undefined);
      return;
    }
    const scheme = pseudo(fields, ":scheme") ?? "https";
    const authority = pseudo(fields, ":authority") ?? "";
    const url = `${scheme}://${authority}${pseudo(fields, ":path") ?? "/"}`;
    const { promise, resolve, reject } = quietResolvers<Response>();
    this.#pushed.set(streamId, { url, resolve, reject, trailersIn: quietResolvers<Headers>() });
    let request: Request;
    try {
      request = new Request(url, {
        method: pseudo(fields, ":method") ?? "GET",
        headers: toHeaders(fields),
      });
    } catch (error) {
      this.#cancelPush(streamId, error);
      return;
    }
    callback(onPush, {
      streamId,
      parentStreamId,
      request,
      response: promise,
      cancel: () => this.#cancelPush(streamId, new DOMException("Push cancelled", "AbortError")),
    });
  }

  #cancelPush(streamId: number, reason: unknown): void {
    const pushed = this.#pushed.get(streamId);
    if (pushed !== undefined) {
      this.#pushed.delete(streamId);
      pushed.reject(reason);
      pushed.trailersIn.reject(reason);
    }
    try {
      this.connection.reset(streamId, ErrorCode.CANCEL);
    } catch {
      // Already closed.
    }
  }

  #onGoAway(lastStreamId: number, errorCode: number): void {
    this.#goAway = { lastStreamId, errorCode };
    // RFC 9113 §6.8: streams above lastStreamId "were not processed"; a client may retry them.
    for (const exchange of [...this.#exchanges.values()]) {
      if (exchange.streamId > lastStreamId) {
        this.#fail(
          exchange,
          new H2RequestError(`Stream "${exchange.streamId}" was not processed: GOAWAY`, {
            streamId: exchange.streamId,
            errorCode,
            unprocessed: true,
          }),
        );
      }
    }
    this.#rejectQueued(errorCode);
  }

  #rejectQueued(errorCode: number): void {
    const queued = this.#queue;
    this.#queue = [];
    for (const exchange of queued) {
      this.#fail(
        exchange,
        new H2RequestError(`Cannot request "${exchange.url}": the connection is going away`, {
          streamId: 0,
          errorCode,
          unprocessed: true,
        }),
      );
    }
  }

  #onClosed(): void {
    this.#ended = true;
    const cause = this.connection.error;
    const errorCode = this.#goAway?.errorCode ??
      (cause === undefined ? ErrorCode.NO_ERROR : ErrorCode.INTERNAL_ERROR);
    this.#rejectQueued(errorCode);
    for (const exchange of [...this.#exchanges.values()]) {
      this.#fail(
        exchange,
        new H2RequestError(`Stream "${exchange.streamId}" failed: the connection closed`, {
          streamId: exchange.streamId,
          errorCode,
          unprocessed: false,
          cause,
        }),
      );
    }
    for (const [streamId] of this.#pushed) {
      this.#cancelPush(streamId, new TypeError("The connection closed"));
    }
    for (const ping of this.#pings.values()) ping.reject(new TypeError("The connection closed"));
    this.#pings.clear();
  }
}

/**
 * Starts an HTTP/2 client connection over a transport: sends the client
 * preface with our SETTINGS (ENABLE_PUSH=0 unless `onPush` is given; a 1 MiB
 * stream window and a 16 MiB connection window, as the server side uses).
 *
 * @param transport The byte streams, e.g. a Deno `Conn` (h2c with prior
 *   knowledge) or a Deno `TlsConn` negotiated with ALPN `h2`.
 * @param options Push, 1xx callback, windows, engine options.
 * @returns The session.
 */
export function connect(transport: H2Transport, options: ConnectOptions = {}): H2ClientSession {
  return new H2ClientSession(transport, options);
}

/**
 * Runs an application callback; if it throws, the error is reported as an
 * uncaught error on a microtask instead of failing the connection under us.
 */
function callback<T>(fn: (value: T) => void, value: T): void {
  try {
    fn(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Fetch's method normalisation: the six standard methods are uppercased, others kept. */
function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].includes(upper) ? upper : method;
}

function key(data: Uint8Array): string {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
