/**
 * Benchmark peer: the three routes of `server.ts` (API.md §4) on `node:http2`
 * (nghttp2 under Node's JS layer), HTTP/2 with prior knowledge (h2c), so
 * `bench/load.ts` can run the same h2load workloads against it side by side.
 *
 * - `GET /bytes/N` → 200, N zero bytes, `application/octet-stream` (N ≤ 64 MiB)
 * - `POST /echo-size` → 200 `{"received": <request body bytes>}`
 * - anything else → 200, the request's header fields (pseudo-headers first, in
 *   received order) as a JSON object
 *
 * Every response carries `server: basic-h2-server/1.0`. Settings are node's
 * defaults (65,535-octet stream windows), as a node user gets them.
 *
 * Usage: `node bench/peers/node_server.mjs [--port 8080] [--hostname 127.0.0.1]`;
 * prints `Listening on http://HOST:PORT/` once accepting (`--port 0` picks a
 * free port).
 */
import http2 from "node:http2";
import { parseArgs } from "node:util";

const MAX_BYTES = 64 * 1024 * 1024;
const SERVER = "basic-h2-server/1.0";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    hostname: { type: "string", default: "127.0.0.1" },
  },
});

/** Zero-filled bodies by size, so `/bytes/N` does not allocate per request. */
const bodies = new Map();
function zeroes(n) {
  let body = bodies.get(n);
  if (body === undefined) {
    body = Buffer.alloc(n);
    if (bodies.size < 16) bodies.set(n, body);
  }
  return body;
}

function sendJson(stream, text, status = 200) {
  const body = Buffer.from(text);
  stream.respond({
    ":status": status,
    "content-type": "application/json",
    "content-length": body.length,
    "server": SERVER,
  });
  stream.end(body);
}

function headersJson(headers, rawHeaders) {
  const out = {};
  if (Array.isArray(rawHeaders)) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) out[rawHeaders[i]] = rawHeaders[i + 1];
  } else {
    for (const [name, value] of Object.entries(headers)) {
      out[name] = Array.isArray(value) ? value.join(", ") : String(value);
    }
  }
  return JSON.stringify(out);
}

const server = http2.createServer();
server.on("stream", (stream, headers, _flags, rawHeaders) => {
  stream.on("error", () => {});
  const method = headers[":method"];
  const path = headers[":path"] ?? "";
  if (method === "GET" && path.startsWith("/bytes/")) {
    const text = path.slice(7);
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n <= MAX_BYTES)) {
      sendJson(stream, JSON.stringify({ error: "N must be an integer in [0, 67108864]" }), 400);
      return;
    }
    stream.respond({
      ":status": 200,
      "content-type": "application/octet-stream",
      "content-length": n,
      "server": SERVER,
    });
    stream.end(zeroes(n));
    return;
  }
  if (method === "POST" && path === "/echo-size") {
    let received = 0;
    stream.on("data", (chunk) => {
      received += chunk.length;
    });
    stream.on("end", () => sendJson(stream, `{"received": ${received}}`));
    return;
  }
  // Drain any request body, then answer with the request's header fields.
  stream.resume();
  sendJson(stream, headersJson(headers, rawHeaders));
});
server.on("sessionError", () => {});

const port = Number(values.port);
server.listen(port, values.hostname, () => {
  const address = server.address();
  const host = values.hostname.includes(":") ? `[${values.hostname}]` : values.hostname;
  console.log(`Listening on http://${host}:${address.port}/`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
