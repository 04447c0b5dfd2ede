/**
 * `serve()` from server.ts used like `Deno.serve`, with what `Deno.serve`
 * lacks: response trailers, 103 Early Hints, per-server SETTINGS, keepalive
 * PINGs and extended CONNECT tunnels (RFC 8441, the base of WebSockets over
 * HTTP/2).
 *
 * ```sh
 * deno run --allow-net examples/serve.ts
 * curl --http2-prior-knowledge http://127.0.0.1:8080/            # hello, with a trailer
 * curl --http2-prior-knowledge -d 'some body' http://127.0.0.1:8080/upper
 * nghttp -v http://127.0.0.1:8080/                               # shows the 103 and the trailer
 * ```
 *
 * @module
 */

import { SettingCode, withTrailers } from "../mod.ts";
import { serve } from "../server.ts";

const controller = new AbortController();
Deno.addSignalListener("SIGINT", () => controller.abort());

const server = serve({
  hostname: "127.0.0.1",
  port: 8080,
  signal: controller.signal, // graceful: GOAWAY, in-flight requests finish
  keepAliveInterval: 30_000, // PING idle connections; close those that stop answering
  enableConnectProtocol: true, // accept extended CONNECT (RFC 8441)
  settings: { [SettingCode.MAX_CONCURRENT_STREAMS]: 250 },
  onListen: (addr) => console.log(`Listening on http://${addr.hostname}:${addr.port}/`),
  async handler(request, info) {
    const url = new URL(request.url);
    if (request.method === "CONNECT" && info.protocol !== undefined) {
      // An extended CONNECT tunnel (e.g. :protocol websocket): echo what the client sends.
      const tunnel = info.upgrade();
      tunnel.readable.pipeTo(tunnel.writable).catch(() => {});
      return tunnel.response;
    }
    if (url.pathname === "/upper") {
      return new Response((await request.text()).toUpperCase());
    }
    info.earlyHints([["link", "</style.css>; rel=preload; as=style"]]);
    return withTrailers(new Response(`hello from stream ${info.streamId}\n`), {
      "x-served-at": new Date().toISOString(),
    });
  },
});

await server.finished;
