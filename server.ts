/**
 * The demo server of python h2's tutorial ("Writing your own HTTP/2
 * server"), on Deno: it answers every request with its header fields as
 * JSON, plus two routes for load tests. This is the only layer that owns
 * sockets and timers; the protocol lives in `lib/`, the stream plumbing in
 * `lib/web_streams.ts`, the routes in `lib/tutorial.ts` and the reading of
 * the first bytes (preface or HTTP/1.1 head, h2c upgrade) in `lib/_http1.ts`.
 *
 * ```sh
 * deno run --allow-net server.ts [--port 8080] [--hostname 0.0.0.0] [--cert FILE --key FILE]
 * ```
 *
 * - HTTP/2 over cleartext with prior knowledge (h2c), HTTP/1.1
 *   `Upgrade: h2c` (RFC 7540 §3.2), and with `--cert/--key` TLS with ALPN
 *   `h2`. A plain HTTP/1.1 request gets a short `505` saying HTTP/2 is
 *   required, then the connection closes.
 * - Routes: `GET /bytes/N` → N bytes (N ≤ 64 MiB, else 400);
 *   `POST /echo-size` → `{"received": <body bytes>}`; anything else → the
 *   request's fields as a JSON object, like the tutorial's
 *   `json.dumps(dict(event.headers))`.
 * - Timeouts: the client must complete the preface (and TLS handshake) within
 *   `--preface-timeout` seconds (10, Go's `prefaceTimeout`); a connection on
 *   which nothing was read or written for `--idle-timeout` seconds (10, h2o's
 *   default) is closed with GOAWAY(NO_ERROR).
 * - SIGINT/SIGTERM: graceful shutdown on every connection (GOAWAY, PING,
 *   final GOAWAY; in-flight streams finish), then exit 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { H2StreamsConnection } from "./lib/web_streams.ts";
import type { H2Transport } from "./lib/web_streams.ts";
import { ErrorCode } from "./lib/errors.ts";
import { FrameWriter } from "./lib/frame/encoder.ts";
import type { H2Event } from "./lib/events.ts";
import type { H2Connection } from "./lib/connection.ts";
import { serveConnection, type ServeConnectionHandler } from "./lib/serve_connection.ts";
import { type H2Handler, type H2Request, tutorialRoute } from "./lib/tutorial.ts";
import {
  type Http1Head,
  http1Response,
  HTTP2_REQUIRED_BODY,
  sniff,
  upgradedRequestFields,
  upgradeSettings,
} from "./lib/_http1.ts";

export {
  type H2Handler,
  type H2Request,
  headersJson,
  MAX_BYTES,
  SERVER_NAME,
  tutorialHandler,
} from "./lib/tutorial.ts";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Address to bind. @default "0.0.0.0" */
  hostname?: string;
  /** PEM certificate chain: serve TLS with ALPN `h2` (needs `key`). @default undefined */
  cert?: string;
  /** PEM private key for `cert`. @default undefined */
  key?: string;
  /** Milliseconds to complete the TLS handshake and the HTTP/2 preface. @default 10_000 */
  prefaceTimeout?: number;
  /** Milliseconds without any byte read or written before a connection is closed. @default 10_000 */
  idleTimeout?: number;
  /** Milliseconds a graceful shutdown may take before connections are closed hard. @default 30_000 */
  shutdownTimeout?: number;
  /**
   * A fetch-style application, as `Deno.serve`'s: `(request, info) =>
   * Response`, run on each connection by `serveConnection`
   * (lib/serve_connection.ts) — trailers with `withTrailers`, 103 Early Hints
   * and extended CONNECT through `info`. When set, {@link h2Handler} is
   * ignored. @default undefined
   */
  handler?: ServeConnectionHandler<Deno.NetAddr>;
  /**
   * The low-level application used when {@link handler} is not set: it
   * answers through the `H2StreamsConnection` itself (fastest path).
   * @default {@link tutorialHandler}
   */
  h2Handler?: H2Handler;
  /** Aborting it shuts the server down gracefully, like {@link Server.shutdown}. @default undefined */
  signal?: AbortSignal;
  /** Called once, synchronously, when the listener is bound. @default undefined */
  onListen?: (addr: Deno.NetAddr) => void;
  /**
   * Local SETTINGS of every connection, keyed by `SettingCode` (windows, max
   * concurrent streams, header list size), sent in the first SETTINGS frame.
   * @default undefined (the engine's defaults)
   */
  settings?: Record<number, number>;
  /**
   * With {@link handler}: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (RFC
   * 8441 §3) so that `info.upgrade()` can accept extended CONNECT. @default false
   */
  enableConnectProtocol?: boolean;
  /**
   * Milliseconds between keepalive PINGs (RFC 9113 §6.7) on a connection
   * that received nothing since the last tick; a connection whose previous
   * PING is still unacknowledged at the next tick is closed (GOAWAY
   * NO_ERROR, then the socket). 0 = off. @default 0
   */
  keepAliveInterval?: number;
  /**
   * Bind with SO_REUSEPORT so that several processes share the port and the
   * kernel spreads connections over them (Linux; needs `--unstable-net`).
   * `--workers` starts its workers with it. @default false
   */
  reusePort?: boolean;
}

/** A running server. */
export interface Server {
  /** The bound address (the real port when `port` was 0). */
  readonly addr: Deno.NetAddr;
  /** Resolves once the listener is closed and every connection has ended. */
  readonly finished: Promise<void>;
  /** Stops accepting and shuts every connection down gracefully; resolves like `finished`. */
  shutdown(): Promise<void>;
}

const encoder = new TextEncoder();

// ------------------------------------------------------------------ connections

/** How long a closing connection waits for the peer's FIN before closing hard. */
const LINGER_MS = 2_000;

const DONE: ReadableStreamReadResult<Uint8Array> = { done: true };
/** What {@link sniff} reads at a time (the adapter sizes its own reads). */
const SNIFF_READ = 1_024;

/**
 * The socket as the adapter's transport, without Web Streams: `getReader()`
 * and `getWriter()` return this object, which has exactly what
 * `H2StreamsConnection` and {@link sniff} call (`read`, `cancel`,
 * `releaseLock`; `write`, `close`, `abort`). Compared with
 * `ReadableStream`/`WritableStream` wrappers this saves a pull promise and
 * the stream queues per read and per write, and a few KiB per connection.
 *
 * - Reads: as a BYOB reader, into the buffer the adapter passes (it sizes
 *   it to the traffic and reuses it while nothing received from it is kept;
 *   lib/_streams_read.ts); unlike a standard BYOB read the buffer is not
 *   transferred. Without a buffer (sniffing), into a fresh small one.
 * - Writes: all of the chunk, then the chunk goes back to the engine's
 *   output buffer (`FrameWriter.recycle`), so bulk sends reuse two buffers
 *   instead of allocating one per write.
 * - `close()` half-closes (FIN) instead of closing: {@link lingerAndClose}
 *   finishes the job. `abort()` closes at once.
 */
class SocketTransport {
  readonly conn: Deno.Conn;
  #cancelled = false;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** As `H2Transport`: both sides are this object. */
  asTransport(): H2Transport {
    return { readable: this, writable: this } as unknown as H2Transport;
  }

  /** Also for `{ mode: "byob" }`: {@link read} takes the view to fill. */
  getReader(): this {
    return this;
  }

  getWriter(): this {
    return this;
  }

  read(view?: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#cancelled) return Promise.resolve(DONE);
    const buffer = view ?? new Uint8Array(SNIFF_READ);
    // Not an async function: one promise per read fewer (a read per request on W2).
    return this.conn.read(buffer).then((n) =>
      n === null || this.#cancelled
        ? DONE
        : { done: false, value: n === buffer.length ? buffer : buffer.subarray(0, n) }
    );
  }

  cancel(): Promise<void> {
    this.#cancelled = true;
    return Promise.resolve();
  }

  releaseLock(): void {}

  write(chunk: Uint8Array): Promise<void> {
    // Written: the engine's output buffer behind it can take the next frames (no-op for
    // anything that is not a lent FrameWriter view). Not an async function: most writes
    // complete in one call, and then cost one promise fewer.
    return this.conn.write(chunk).then((n) =>
      n === chunk.length
        ? void FrameWriter.recycle(chunk)
        : writeAll(this.conn, chunk.subarray(n)).then(() => void FrameWriter.recycle(chunk))
    );
  }

  close(): Promise<void> {
    return this.conn.closeWrite();
  }

  abort(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    return Promise.resolve();
  }
}

/** Milliseconds, for the engine's rate budgets. */
function clock(): number {
  return performance.now();
}

/** What the server tracks per accepted connection. */
interface Tracked {
  readonly conn: Deno.Conn;
  h2: H2StreamsConnection | undefined;
  prefaceTimer: ReturnType<typeof setTimeout> | undefined;
  lastRead: number;
  lastWritten: number;
  lastActive: number;
  closedHard: boolean;
  /** Keepalive: the PING payload awaiting its ACK. */
  pingPending: Uint8Array | undefined;
  /** Keepalive: `bytesRead` at the last tick. */
  pingLastRead: number;
  /** Keepalive: an ACK arrived since the last tick (its bytes are not traffic). */
  pingAcked: boolean;
}

/** Keepalive PING payloads: `h2-ka` then a 24-bit counter (distinct from the shutdown PING). */
let pingCounter = 0;
function nextPingData(): Uint8Array {
  pingCounter = (pingCounter + 1) & 0xff_ffff;
  return Uint8Array.of(
    0x68,
    0x32,
    0x2d,
    0x6b,
    0x61,
    pingCounter >>> 16,
    (pingCounter >>> 8) & 0xff,
    pingCounter & 0xff,
  );
}

function samePing(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

/** Keepalive bookkeeping for one received event; also ends the preface timer. */
function noteEvent(tracked: Tracked, event: H2Event): void {
  if (tracked.prefaceTimer !== undefined) {
    // RFC 9113 §3.4: an event means the preface and the first SETTINGS arrived.
    clearTimeout(tracked.prefaceTimer);
    tracked.prefaceTimer = undefined;
  }
  if (
    event.type === "PingAckReceived" && tracked.pingPending !== undefined &&
    samePing(event.pingData, tracked.pingPending)
  ) {
    tracked.pingPending = undefined;
    tracked.pingAcked = true;
  }
}

/**
 * `serveConnection` keeps the adapter's `onEvent` to itself: watch the
 * engine's events where the adapter gets them, in `receiveData`.
 */
function watchEvents(connection: H2Connection, tracked: Tracked): void {
  const receiveData = connection.receiveData.bind(connection);
  connection.receiveData = (data: Uint8Array) => {
    const events = receiveData(data);
    for (const event of events) noteEvent(tracked, event);
    return events;
  };
}

function closeHard(tracked: Tracked): void {
  if (tracked.closedHard) return;
  tracked.closedHard = true;
  if (tracked.prefaceTimer !== undefined) clearTimeout(tracked.prefaceTimer);
  try {
    tracked.conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Starts the server: listens, accepts connections and serves each one until
 * {@link Server.shutdown} (or `signal` aborts). Shaped like `Deno.serve`:
 * with `handler` (fetch-style, `(request, info) => Response`) each
 * connection runs through `serveConnection`; without it the low-level
 * `h2Handler` (default: the tutorial routes) answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve } from "./server.ts";
 *
 * const controller = new AbortController();
 * let listening = 0;
 * const server = serve({
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   signal: controller.signal,
 *   onListen: (addr) => listening = addr.port,
 *   handler: (request) => new Response(`hello ${new URL(request.url).pathname}`),
 * });
 * assert.equal(listening, server.addr.port);
 * controller.abort();
 * await server.finished;
 * ```
 *
 * @param options Address, TLS, timeouts, application, settings, keepalive, shutdown signal.
 * @returns The running server; `addr` is set once listening.
 * @throws {Deno.errors.AddrInUse} If the port is taken (and other listen errors).
 */
export function serve(options: ServeOptions = {}): Server {
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 8080;
  const prefaceTimeout = options.prefaceTimeout ?? 10_000;
  const idleTimeout = options.idleTimeout ?? 10_000;
  const shutdownTimeout = options.shutdownTimeout ?? 30_000;
  const handler: H2Handler = options.h2Handler ?? tutorialRoute as H2Handler;
  const fetchHandler = options.handler;
  const keepAliveInterval = options.keepAliveInterval ?? 0;
  const connectionOptions = {
    now: clock,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  };
  const tls = options.cert !== undefined && options.key !== undefined;
  const listener: Deno.Listener = tls
    ? Deno.listenTls({
      hostname,
      port,
      cert: options.cert!,
      key: options.key!,
      alpnProtocols: ["h2"],
      ...(options.reusePort ? { reusePort: true } : {}),
    })
    : Deno.listen({ hostname, port, ...(options.reusePort ? { reusePort: true } : {}) });
  const connections = new Set<Tracked>();
  /** Set while the accept loop waits for the last connection to end. */
  let lastEnded: (() => void) | undefined;
  let shuttingDown = false;

  const idleCheck = setInterval(() => {
    const now = performance.now();
    for (const tracked of connections) {
      const h2 = tracked.h2;
      if (h2 === undefined) continue; // the preface timer covers this phase
      if (h2.bytesRead !== tracked.lastRead || h2.bytesWritten !== tracked.lastWritten) {
        tracked.lastRead = h2.bytesRead;
        tracked.lastWritten = h2.bytesWritten;
        tracked.lastActive = now;
      } else if (now - tracked.lastActive >= idleTimeout) {
        if (!h2.isClosed) void h2.close(ErrorCode.NO_ERROR);
        // A peer that does not read would keep the GOAWAY write pending forever.
        setTimeout(() => closeHard(tracked), 1_000);
        tracked.lastActive = Infinity;
      }
    }
  }, Math.max(10, Math.min(1_000, idleTimeout / 4)));

  const keepAlive = keepAliveInterval > 0
    ? setInterval(() => {
      for (const tracked of connections) {
        const h2 = tracked.h2;
        if (h2 === undefined || h2.isClosed || tracked.closedHard) continue;
        if (tracked.pingPending !== undefined) {
          // The previous PING went unanswered for a whole interval: the peer is gone.
          tracked.pingPending = undefined;
          void h2.close(ErrorCode.NO_ERROR).catch(() => {});
          // A peer that does not read would keep the GOAWAY write pending forever.
          setTimeout(() => closeHard(tracked), 1_000);
          continue;
        }
        const active = h2.bytesRead !== tracked.pingLastRead && !tracked.pingAcked;
        tracked.pingLastRead = h2.bytesRead;
        tracked.pingAcked = false;
        if (active) continue;
        const data = nextPingData();
        try {
          h2.connection.ping(data);
          tracked.pingPending = data;
          void h2.flush().catch(() => {});
        } catch {
          // Closing already.
        }
      }
    }, keepAliveInterval)
    : undefined;

  async function serveOne(conn: Deno.Conn): Promise<void> {
    const tracked: Tracked = {
      conn,
      h2: undefined,
      prefaceTimer: undefined,
      lastRead: 0,
      lastWritten: 0,
      lastActive: performance.now(),
      closedHard: false,
      pingPending: undefined,
      pingLastRead: 0,
      pingAcked: false,
    };
    connections.add(tracked);
    // Slowloris (reference/http2-attacks.md #11): handshake + preface in bounded time.
    tracked.prefaceTimer = setTimeout(() => closeHard(tracked), prefaceTimeout);
    try {
      // Only the promise stays in this frame for the connection's life: what sniffing and
      // setting up needed (the first read buffer among it) is garbage once `start` returns.
      const running = await start(tracked);
      if (running !== undefined) await running.finished;
    } catch {
      // A broken connection (reset, TLS failure, timeout) concerns only itself.
    } finally {
      await lingerAndClose(tracked);
      connections.delete(tracked);
      if (connections.size === 0) lastEnded?.();
    }
  }

  /**
   * Handshake, sniffing, and the HTTP/2 connection on `tracked.conn`:
   * resolves once it runs, to what finishes with it (undefined when the
   * connection ended before HTTP/2, e.g. a plain HTTP/1.1 request).
   */
  async function start(tracked: Tracked): Promise<{ finished: Promise<void> } | undefined> {
    const conn = tracked.conn;
    if (tls) await (conn as Deno.TlsConn).handshake();
    const socket = new SocketTransport(conn);
    const sniffed = await sniff(socket);
    if (sniffed.kind === "eof" || sniffed.kind === "bad") {
      if (sniffed.kind === "bad") {
        await writeAll(
          conn,
          http1Response("400 Bad Request", encoder.encode("Bad request\n")),
        );
      }
      return;
    }
    let settings: string | undefined;
    let initialData: Uint8Array;
    let upgradeHead: Http1Head | undefined;
    if (sniffed.kind === "http1") {
      upgradeHead = sniffed.head;
      settings = tls ? undefined : upgradeSettings(sniffed.head);
      if (settings === undefined) {
        await writeAll(
          conn,
          http1Response(
            "505 HTTP Version Not Supported",
            HTTP2_REQUIRED_BODY,
            "connection: close\r\n",
          ),
        );
        return;
      }
      await writeAll(
        conn,
        encoder.encode(
          "HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n",
        ),
      );
      initialData = sniffed.rest;
    } else {
      initialData = sniffed.data;
    }
    if (shuttingDown) return;
    if (fetchHandler !== undefined) {
      const served = serveConnection(
        { ...socket.asTransport(), remoteAddr: conn.remoteAddr as Deno.NetAddr },
        fetchHandler,
        {
          initialData,
          connectionOptions,
          scheme: tls ? "https" : "http",
          ...(options.enableConnectProtocol ? { enableConnectProtocol: true } : {}),
          ...(settings === undefined ? {} : {
            upgradeSettings: settings,
            upgradeRequest: upgradedRequestFields(upgradeHead!),
          }),
        },
      );
      watchEvents(served.streams.connection, tracked);
      tracked.h2 = served.streams;
      if (shuttingDown) served.streams.shutdown();
      return served;
    }
    const h2 = H2StreamsConnection.server(socket.asTransport(), {
      initialData,
      // The clock lets the engine's RST_STREAM and glitch budgets refill (33/s, as nghttp2),
      // so a long-lived connection is not cut off by a lifetime count of cancelled streams.
      connectionOptions,
      ...(settings === undefined ? {} : { upgradeSettings: settings }),
      onEvent(event: H2Event) {
        noteEvent(tracked, event);
        if (event.type === "RequestReceived") {
          runHandler(handler, {
            streamId: event.streamId,
            headers: event.headers,
            connection: h2,
          });
        }
      },
    });
    tracked.h2 = h2;
    if (sniffed.kind === "http1") {
      runHandler(handler, {
        streamId: 1,
        headers: upgradedRequestFields(sniffed.head),
        connection: h2,
      });
    }
    if (shuttingDown) h2.shutdown();
    return { finished: h2.closed };
  }

  async function acceptLoop(): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (shuttingDown || error instanceof Deno.errors.BadResource) break;
        // E.g. EMFILE: keep serving the connections we have, without spinning on accept.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      // HTTP/2 multiplexes small frames (1xx, HEADERS, WINDOW_UPDATE, PING ACKs) that
      // must not wait for Nagle's algorithm; node:http2 and Go disable it too.
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      void serveOne(conn); // never rejects; ends by leaving `connections`
    }
    while (connections.size > 0) await new Promise<void>((resolve) => lastEnded = resolve);
  }

  const finished = acceptLoop().finally(() => {
    clearInterval(idleCheck);
    if (keepAlive !== undefined) clearInterval(keepAlive);
    options.signal?.removeEventListener("abort", onAbort);
  });

  function shutdown(): Promise<void> {
    if (!shuttingDown) {
      shuttingDown = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      for (const tracked of connections) {
        if (tracked.h2 !== undefined) tracked.h2.shutdown();
        else closeHard(tracked); // still in handshake or sniffing: nothing in flight
      }
      const hardStop = setTimeout(() => {
        for (const tracked of connections) closeHard(tracked);
      }, shutdownTimeout);
      void finished.finally(() => clearTimeout(hardStop));
    }
    return finished;
  }

  function onAbort(): void {
    void shutdown();
  }
  if (options.signal?.aborted) void shutdown();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const addr = listener.addr as Deno.NetAddr;
  options.onListen?.(addr);
  return { addr, finished, shutdown };
}

function runHandler(handler: H2Handler, request: H2Request): void {
  const fail = () => {
    try {
      request.connection.reset(request.streamId, ErrorCode.INTERNAL_ERROR);
    } catch {
      // The connection is gone.
    }
  };
  try {
    const result = handler(request);
    if (result instanceof Promise) result.catch(fail);
  } catch {
    fail();
  }
}

/** Writes all of `bytes` (`Deno.Conn.write` may write part of them). */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/**
 * Ends a connection without losing what we wrote: half-close (FIN), then
 * read and discard until the peer closes too, for at most `LINGER_MS`. Closing
 * a socket with unread input makes the kernel send RST instead, and an RST
 * can destroy our last frames (a response's tail, the GOAWAY) before the peer
 * reads them.
 */
async function lingerAndClose(tracked: Tracked): Promise<void> {
  if (tracked.closedHard) return;
  const timer = setTimeout(() => closeHard(tracked), LINGER_MS);
  try {
    try {
      await tracked.conn.closeWrite();
    } catch {
      // Already half-closed by the adapter closing its writable.
    }
    const sink = new Uint8Array(4_096);
    while (await tracked.conn.read(sink) !== null) { /* discard */ }
  } catch {
    // Closed under us (hard stop) or reset by the peer.
  } finally {
    clearTimeout(timer);
    closeHard(tracked);
  }
}

// ------------------------------------------------------------------ command line

const USAGE = `Usage: deno run --allow-net server.ts [options]

Options:
  --port PORT              TCP port, 0 for a free one (default 8080)
  --hostname HOST          address to bind (default 0.0.0.0)
  --cert FILE --key FILE   serve TLS with ALPN h2 (needs --allow-read)
  --preface-timeout SECS   time to complete the handshake and preface (default 10)
  --idle-timeout SECS      close connections idle this long (default 10)
  --workers N              serve from N processes sharing the port (SO_REUSEPORT, Linux;
                           needs --allow-run); default 1: this process serves
  --reuse-port             bind with SO_REUSEPORT (needs --unstable-net)
  --worker                 internal: run as a worker of --workers
  --help                   show this help
`;

/** Parsed command line, or an error message for the usage text. */
export type CommandLine = {
  options: ServeOptions;
  certFile?: string;
  keyFile?: string;
  /** Processes to serve from (`--workers`); 1 = this one. */
  workers: number;
  /** Started by a `--workers` parent: SIGINT and the end of stdin are the parent's business. */
  worker: boolean;
} | {
  help: true;
} | {
  error: string;
};

/**
 * Parses the command line of `server.ts`.
 *
 * @param args `Deno.args`.
 * @returns The serve options, `{ help: true }`, or `{ error }`.
 */
export function parseCommandLine(args: string[]): CommandLine {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        "preface-timeout": { type: "string" },
        "idle-timeout": { type: "string" },
        workers: { type: "string" },
        "reuse-port": { type: "boolean" },
        worker: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { help: true };
  const options: ServeOptions = {};
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535) {
      return { error: `Invalid --port "${values.port}"` };
    }
    options.port = Number(values.port);
  }
  if (values.hostname !== undefined) options.hostname = values.hostname;
  for (
    const [flag, key] of [["preface-timeout", "prefaceTimeout"], [
      "idle-timeout",
      "idleTimeout",
    ]] as const
  ) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const seconds = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
      return { error: `Invalid --${flag} "${raw}"` };
    }
    options[key] = seconds * 1_000;
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    return { error: "--cert and --key go together" };
  }
  let workers = 1;
  if (values.workers !== undefined) {
    if (!/^\d{1,3}$/.test(values.workers) || Number(values.workers) < 1) {
      return { error: `Invalid --workers "${values.workers}" (1 to 999)` };
    }
    workers = Number(values.workers);
  }
  const worker = values.worker === true;
  if (worker && workers > 1) return { error: "--worker and --workers exclude each other" };
  if (values["reuse-port"] || worker) options.reusePort = true;
  return {
    options,
    workers,
    worker,
    ...(values.cert === undefined ? {} : { certFile: values.cert }),
    ...(values.key === undefined ? {} : { keyFile: values.key }),
  };
}

async function main(): Promise<number> {
  const cli = parseCommandLine(Deno.args);
  if ("help" in cli) {
    console.log(USAGE);
    return 0;
  }
  if ("error" in cli) {
    console.error(`error: ${cli.error}\n\n${USAGE}`);
    return 2;
  }
  if (cli.workers > 1) return await runWorkers(cli, Deno.args);
  const options = cli.options;
  let server: Server;
  try {
    if (cli.certFile !== undefined && cli.keyFile !== undefined) {
      options.cert = await Deno.readTextFile(cli.certFile);
      options.key = await Deno.readTextFile(cli.keyFile);
    }
    server = serve(options);
  } catch (error) {
    // A missing file, a bad certificate, a port in use: one line, not a stack trace.
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const host = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  console.log(
    `Listening on ${options.cert === undefined ? "http" : "https"}://${host}:${server.addr.port}/`,
  );
  let signals = 0;
  const stop = () => {
    // The first signal drains gracefully; a second one means "now".
    if (++signals > 1) Deno.exit(1);
    void server.shutdown();
  };
  // A worker leaves SIGINT (a terminal's Ctrl-C reaches the whole process group) to its parent,
  // which forwards SIGTERM; it also drains when the parent is gone (its stdin ends).
  const ignore = () => {};
  const onInterrupt = cli.worker ? ignore : stop;
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", stop);
  if (cli.worker) void drainOnEof(Deno.stdin.readable, () => void server.shutdown());
  await server.finished;
  Deno.removeSignalListener("SIGINT", onInterrupt);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

/** Calls `then` once `readable` ends (or fails). */
async function drainOnEof(readable: ReadableStream<Uint8Array>, then: () => void): Promise<void> {
  try {
    for await (const _ of readable) { /* the parent never writes */ }
  } catch {
    // Closed under us: same meaning.
  }
  then();
}

/**
 * The command line of a `--workers` child: the parent's flags without the
 * ones it sets itself.
 *
 * @param args The parent's `Deno.args`.
 * @returns `args` without `--workers`, `--port` and `--reuse-port` (either spelling).
 */
export function workerArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--workers" || arg === "--port") {
      i++; // its value
      continue;
    }
    if (arg.startsWith("--workers=") || arg.startsWith("--port=") || arg === "--reuse-port") {
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** How long workers may take to print their `Listening` line. */
const WORKER_START_MS = 30_000;

/**
 * `--workers N`: N child processes of this script, each listening on the
 * same port with SO_REUSEPORT (the kernel spreads connections over them by
 * a hash of the address pair). This process prints the one `Listening` line
 * once all are up, forwards SIGINT/SIGTERM as SIGTERM (graceful shutdown in
 * every worker; a second signal kills them), and exits when they all have
 * (0 if every worker exited 0).
 */
async function runWorkers(
  cli: Extract<CommandLine, { options: ServeOptions }>,
  args: readonly string[],
): Promise<number> {
  const hostname = cli.options.hostname ?? "0.0.0.0";
  let port = cli.options.port ?? 8080;
  try {
    if (port === 0) {
      // Pick a free port for all workers. Another process could take it before they bind;
      // then they fail to start and so do we.
      const probe = Deno.listen({ hostname, port: 0 });
      port = (probe.addr as Deno.NetAddr).port;
      probe.close();
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const script = import.meta.filename ?? new URL(import.meta.url).pathname;
  const files = [cli.certFile, cli.keyFile].filter((file) => file !== undefined);
  const childArgs = [
    "run",
    "--unstable-net",
    "--allow-net",
    ...(files.length > 0 ? [`--allow-read=${files.join(",")}`] : []),
    script,
    ...workerArgs(args),
    "--port",
    String(port),
    "--worker",
  ];
  const children: Deno.ChildProcess[] = [];
  let stopping = 0;
  const stop = () => {
    stopping++;
    for (const child of children) {
      try {
        child.kill(stopping > 1 ? "SIGKILL" : "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    try {
      for (let i = 0; i < cli.workers; i++) {
        children.push(
          new Deno.Command(Deno.execPath(), {
            args: childArgs,
            stdin: "piped", // never written: its end tells the worker that we are gone
            stdout: "piped",
            stderr: "inherit",
          }).spawn(),
        );
      }
    } catch (error) {
      console.error(
        `error: cannot start workers: ${error instanceof Error ? error.message : String(error)}` +
          (error instanceof Deno.errors.NotCapable ? " (--workers needs --allow-run)" : ""),
      );
      stop();
      stop();
      return 1;
    }
    const ready = await Promise.all(children.map((child) => firstLineThenForward(child.stdout)));
    if (ready.some((line) => line === undefined || !line.startsWith("Listening on "))) {
      console.error("error: a worker did not start");
      stop();
      stop();
      await Promise.all(children.map((child) => child.status));
      return 1;
    }
    console.log(ready[0]);
    const statuses = await Promise.all(children.map((child) => child.status));
    return statuses.every((status) => status.success) ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

/**
 * Resolves with a worker's first stdout line (undefined if it ends first or
 * takes longer than {@link WORKER_START_MS}), then copies the rest to our
 * stdout.
 */
async function firstLineThenForward(
  stdout: ReadableStream<Uint8Array>,
): Promise<string | undefined> {
  const reader = stdout.getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), WORKER_START_MS);
  });
  try {
    const decoder = new TextDecoder();
    while (!text.includes("\n")) {
      const result = await Promise.race([reader.read(), timeout]);
      if (result === undefined || result.done) return undefined;
      text += decoder.decode(result.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
  const newline = text.indexOf("\n");
  const rest = text.slice(newline + 1);
  void (async () => {
    try {
      if (rest !== "") await Deno.stdout.write(encoder.encode(rest));
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        await Deno.stdout.write(value);
      }
    } catch {
      // Our stdout is gone: nothing to forward to.
    }
  })();
  return text.slice(0, newline);
}

if (import.meta.main) Deno.exit(await main());
