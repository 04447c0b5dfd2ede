/**
 * The h2 tutorial's server ("Writing your own HTTP/2 server"), line by line,
 * with the Sans-IO engine and nothing else: one `H2Connection` per socket,
 * bytes in through `receiveData`, bytes out through `dataToSend`. Compare
 * `docs/tutorial.md`, which walks through it next to the Python original.
 *
 * ```sh
 * deno run --allow-net examples/tutorial_server.ts   # then: curl --http2-prior-knowledge http://localhost:8080/
 * ```
 *
 * It serves one connection at a time and ignores flow control beyond
 * acknowledging what it reads, exactly like the tutorial; `server.ts` is the
 * production-shaped version (concurrency, backpressure, timeouts, TLS).
 *
 * @module
 */

import { H2Connection } from "../lib/connection.ts";
import { type H2Event, RequestReceived } from "../lib/events.ts";

/**
 * Answers one request with its header fields as JSON (`send_response` in the tutorial).
 *
 * @param conn The connection.
 * @param event The request.
 */
export function sendResponse(conn: H2Connection, event: RequestReceived): void {
  const streamId = event.streamId;
  const responseData = new TextEncoder().encode(JSON.stringify(Object.fromEntries(event.headers)));
  conn.sendHeaders(streamId, [
    [":status", "200"],
    ["server", "basic-h2-server/1.0"],
    ["content-length", String(responseData.length)],
    ["content-type", "application/json"],
  ]);
  conn.sendData(streamId, responseData, { endStream: true });
}

/**
 * Serves one connection until the client closes it (`handle` in the tutorial).
 *
 * @param sock The accepted socket.
 */
export async function handle(sock: Deno.Conn): Promise<void> {
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  await sendAll(sock, conn.dataToSend());

  const buffer = new Uint8Array(65_535);
  while (true) {
    const n = await sock.read(buffer);
    if (n === null) break;

    const events: H2Event[] = conn.receiveData(buffer.subarray(0, n));
    for (const event of events) {
      if (event instanceof RequestReceived) sendResponse(conn, event);
    }

    const dataToSend = conn.dataToSend();
    if (dataToSend.length > 0) await sendAll(sock, dataToSend);
  }
}

/** `socket.sendall`: `Deno.Conn.write` may write only part of the buffer. */
async function sendAll(sock: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let offset = 0; offset < data.length;) offset += await sock.write(data.subarray(offset));
}

if (import.meta.main) {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 8080 });
  for await (const sock of listener) {
    try {
      await handle(sock);
    } catch (error) {
      console.error(error); // e.g. a protocol error: the GOAWAY was already sent
    } finally {
      sock.close();
    }
  }
}
