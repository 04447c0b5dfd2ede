/**
 * A `Deno.serve`-style HTTP/2 server in ~100 lines: `Deno.listen` (or
 * `Deno.listenTls` with ALPN `h2`) accepts, {@link serveConnection} runs
 * each connection with a fetch handler — and the handler can use what
 * `Deno.serve` does not offer: response trailers, 103 Early Hints and
 * extended CONNECT tunnels (RFC 8441).
 *
 * ```sh
 * deno run --allow-net examples/fetch_server.ts [--port 8080]
 * curl --http2-prior-knowledge http://127.0.0.1:8080/
 * curl --http2-prior-knowledge -d @big.bin http://127.0.0.1:8080/upload
 * nghttp -v http://127.0.0.1:8080/hints
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  serveConnection,
  type ServeConnectionHandler,
  type ServedConnection,
  withTrailers,
} from "../lib/serve_connection.ts";

/** The demo routes. */
export const handler: ServeConnectionHandler<Deno.Addr> = async (request, info) => {
  const url = new URL(request.url);
  switch (url.pathname) {
    case "/":
      return Response.json({
        method: request.method,
        url: request.url,
        streamId: info.streamId,
        remote: info.remoteAddr?.transport === "tcp" ? info.remoteAddr.hostname : undefined,
      });
    case "/upload": {
      // Read the body as it arrives: a slow reader throttles the client (flow control).
      let size = 0;
      for await (const chunk of request.body ?? []) size += chunk.length;
      return Response.json({ received: size });
    }
    case "/hints":
      // 103 Early Hints (RFC 8297) before the final response.
      info.earlyHints({ link: "</style.css>; rel=preload; as=style" });
      return new Response("<link rel=stylesheet href=/style.css>hinted", {
        headers: { "content-type": "text/html" },
      });
    case "/digest": {
      // Trailers computed from the body as it streams out.
      let octets = 0;
      const { promise, resolve } = Promise.withResolvers<HeadersInit>();
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (octets >= 50_000) {
            controller.close();
            resolve({ "x-octets": String(octets) });
            return;
          }
          const chunk = new TextEncoder().encode(`line ${octets}\n`);
          octets += chunk.length;
          controller.enqueue(chunk);
        },
      });
      return withTrailers(new Response(body), promise);
    }
    case "/echo-tunnel": {
      // Extended CONNECT (e.g. `:protocol: websocket`): echo the tunnel's bytes.
      if (request.method !== "CONNECT") return new Response("use CONNECT", { status: 405 });
      const tunnel = info.upgrade();
      void tunnel.readable.pipeTo(tunnel.writable).catch(() => {});
      return tunnel.response;
    }
    default:
      return new Response("not found", { status: 404 });
  }
};

/** Options of {@link serve}. */
export interface ServeOptions {
  /** @default 8080 */
  port?: number;
  /** @default "127.0.0.1" */
  hostname?: string;
  /** PEM certificate and key: serve TLS with ALPN `h2`. @default undefined (h2c) */
  cert?: string;
  /** @default undefined */
  key?: string;
  /** Aborting stops accepting and shuts every connection down gracefully. @default undefined */
  signal?: AbortSignal;
}

/**
 * Serves `handler` on every accepted connection, like `Deno.serve`.
 *
 * @param options Address, TLS, shutdown signal.
 * @param fetchHandler The handler.
 * @returns The bound address and a promise that resolves once every connection is done.
 */
export function serve(
  options: ServeOptions,
  fetchHandler: ServeConnectionHandler<Deno.Addr>,
): { addr: Deno.NetAddr; finished: Promise<void> } {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 8080;
  const listener: Deno.Listener = options.cert !== undefined && options.key !== undefined
    ? Deno.listenTls({
      hostname,
      port,
      cert: options.cert,
      key: options.key,
      alpnProtocols: ["h2"],
    })
    : Deno.listen({ hostname, port });
  const signal = options.signal;
  const connections = new Set<ServedConnection>();
  signal?.addEventListener("abort", () => listener.close(), { once: true });
  const finished = (async () => {
    try {
      for await (const conn of listener) {
        const served = serveConnection(conn, fetchHandler, {
          enableConnectProtocol: true,
          scheme: options.cert === undefined ? "http" : "https",
          ...(signal === undefined ? {} : { signal }),
        });
        connections.add(served);
        void served.finished.then(() => connections.delete(served));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    await Promise.all([...connections].map((c) => c.finished));
  })();
  return { addr: listener.addr as Deno.NetAddr, finished };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" } } });
  const controller = new AbortController();
  const server = serve({ port: Number(values.port ?? 8080), signal: controller.signal }, handler);
  console.log(`Listening on http://${server.addr.hostname}:${server.addr.port}/`);
  Deno.addSignalListener("SIGINT", () => controller.abort());
  await server.finished;
}
