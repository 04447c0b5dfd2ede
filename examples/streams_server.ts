/**
 * The tutorial's server on the Web Streams adapter instead of a hand-written
 * socket loop: `H2StreamsConnection` does the reading, the coalesced writes,
 * flow control and backpressure; the application only answers requests.
 * Compare `examples/tutorial_server.ts` (the engine alone) and `server.ts`
 * (this plus timeouts, h2c upgrade, TLS and graceful shutdown).
 *
 * ```sh
 * deno run --allow-net examples/streams_server.ts   # then: curl --http2-prior-knowledge http://localhost:8080/
 * ```
 *
 * @module
 */

import { H2StreamsConnection } from "../lib/web_streams.ts";
import type { HeaderField } from "../lib/events.ts";

/**
 * Serves one accepted socket: every request gets its header fields back as JSON.
 *
 * @param sock The accepted connection (any `{ readable, writable }` pair works).
 * @returns Resolves when the connection is closed.
 */
export function handle(
  sock: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
): Promise<void> {
  const h2 = H2StreamsConnection.server(sock, {
    onEvent(event) {
      if (event.type !== "RequestReceived") return;
      const body = new TextEncoder().encode(JSON.stringify(Object.fromEntries(event.headers)));
      const headers: HeaderField[] = [
        [":status", "200"],
        ["server", "basic-h2-server/1.0"],
        ["content-length", String(body.length)],
        ["content-type", "application/json"],
      ];
      // A Uint8Array, a ReadableStream or an iterable: sent within the peer's windows.
      void h2.respond(event.streamId, headers, body);
    },
  });
  return h2.closed;
}

if (import.meta.main) {
  for await (const sock of Deno.listen({ hostname: "0.0.0.0", port: 8080 })) {
    void handle(sock).finally(() => {
      try {
        sock.close();
      } catch {
        // The adapter closed it already.
      }
    });
  }
}
