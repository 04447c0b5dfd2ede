/**
 * Benchmark peer: the three routes of `server.ts` (API.md §4) on `Deno.serve`
 * (Rust hyper), for side-by-side runs in `bench/load.ts`. `Deno.serve` on a
 * plain TCP listener answers HTTP/1.1 and HTTP/2 with prior knowledge (h2c):
 * hyper's auto mode sniffs the client connection preface (RFC 9113 §3.4).
 *
 * - `GET /bytes/N` → 200, N zero bytes, `application/octet-stream` (N ≤ 64 MiB)
 * - `POST /echo-size` → 200 `{"received": <request body bytes>}`
 * - anything else → 200, the request's header fields as a JSON object.
 *   `Deno.serve` hides the pseudo-header fields, so `:method`, `:path`,
 *   `:scheme` and `:authority` are rebuilt from the `Request` and put first.
 *
 * Every response carries `server: basic-h2-server/1.0`.
 *
 * Usage: `deno run --allow-net bench/peers/deno_serve.ts [--port 8080] [--hostname 127.0.0.1]`;
 * prints `Listening on http://HOST:PORT/` once accepting (`--port 0` picks a
 * free port).
 *
 * @module
 */
import { parseArgs } from "node:util";

const MAX_BYTES = 64 * 1024 * 1024;
const SERVER = "basic-h2-server/1.0";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "8080" },
    hostname: { type: "string", default: "127.0.0.1" },
  },
});

/** Zero-filled bodies by size, so `/bytes/N` does not allocate per request. */
const bodies = new Map<number, Uint8Array<ArrayBuffer>>();
function zeroes(n: number): Uint8Array<ArrayBuffer> {
  let body = bodies.get(n);
  if (body === undefined) {
    body = new Uint8Array(n);
    if (bodies.size < 16) bodies.set(n, body);
  }
  return body;
}

function json(text: string, status = 200): Response {
  const body = new TextEncoder().encode(text);
  return new Response(body, {
    status,
    headers: {
      "content-type": "application/json",
      "content-length": String(body.length),
      "server": SERVER,
    },
  });
}

async function countBody(request: Request): Promise<number> {
  if (request.body === null) return 0;
  let received = 0;
  for await (const chunk of request.body) received += chunk.length;
  return received;
}

async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname + url.search;
  if (request.method === "GET" && url.pathname.startsWith("/bytes/")) {
    const text = url.pathname.slice(7);
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n <= MAX_BYTES)) {
      return json(JSON.stringify({ error: "N must be an integer in [0, 67108864]" }), 400);
    }
    return new Response(zeroes(n), {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(n),
        "server": SERVER,
      },
    });
  }
  if (request.method === "POST" && path === "/echo-size") {
    return json(`{"received": ${await countBody(request)}}`);
  }
  await countBody(request);
  const out: Record<string, string> = {
    ":method": request.method,
    ":path": path,
    ":scheme": url.protocol.slice(0, -1),
    ":authority": url.host,
  };
  for (const [name, value] of request.headers) out[name] = value;
  return json(JSON.stringify(out));
}

const server = Deno.serve({
  port: Number(values.port),
  hostname: values.hostname,
  onListen({ hostname, port }) {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    console.log(`Listening on http://${host}:${port}/`);
  },
}, handler);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    server.shutdown().then(() => Deno.exit(0));
    setTimeout(() => Deno.exit(0), 1000);
  });
}
