/**
 * W6 helper for `bench/load.ts`: opens N idle HTTP/2 connections to a server
 * and holds them until stdin closes (or the hold bound passes).
 *
 * Each connection sends the client connection preface and an empty SETTINGS
 * frame (RFC 9113 §3.4), reads the server's first bytes (its SETTINGS) and
 * acknowledges them with SETTINGS ACK (§6.5.3), then stays idle.
 *
 * Prints one line `opened OK FAILED` once every attempt has finished, then
 * waits. Run it in its own process (pinned to the load core) so its sockets
 * do not count against the server's file-descriptor limit.
 *
 * Usage: `deno run --allow-net bench/_load_idle.ts --port P [--hostname 127.0.0.1]
 * [--count 10000] [--concurrency 256] [--hold-ms 120000]`
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hostname: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    count: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "256" },
    "hold-ms": { type: "string", default: "120000" },
    "handshake-ms": { type: "string", default: "10000" },
  },
});

const PREFACE_AND_SETTINGS = new Uint8Array([
  ...new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  // SETTINGS, length 0, stream 0 (§6.5)
  0,
  0,
  0,
  0x4,
  0x0,
  0,
  0,
  0,
  0,
]);
const SETTINGS_ACK = new Uint8Array([0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]);

const hostname = values.hostname;
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const handshakeMs = Number(values["handshake-ms"]);
if (!(port > 0) || !(count > 0) || !(concurrency > 0)) {
  console.error("usage: _load_idle.ts --port P [--count N] [--concurrency C] [--hold-ms MS]");
  Deno.exit(2);
}

const conns: Deno.TcpConn[] = [];
let failed = 0;
let firstError = "";

async function openOne(): Promise<void> {
  let conn: Deno.TcpConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    conn = await Deno.connect({ hostname, port });
    const c = conn;
    timer = setTimeout(() => c.close(), handshakeMs);
    await conn.write(PREFACE_AND_SETTINGS);
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    if (n === null || n < 9) throw new Error("connection closed before the server SETTINGS");
    await conn.write(SETTINGS_ACK);
    clearTimeout(timer);
    conns.push(conn);
  } catch (error) {
    clearTimeout(timer);
    failed++;
    if (firstError === "") firstError = String(error);
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }
}

let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
console.log(
  `opened ${conns.length} ${failed}${firstError === "" ? "" : ` first error: ${firstError}`}`,
);

// Hold until the harness closes our stdin or kills us, bounded.
const hold = setTimeout(() => Deno.exit(0), Number(values["hold-ms"]));
try {
  for await (const _ of Deno.stdin.readable) {
    // ignore input; EOF ends the hold
  }
} finally {
  clearTimeout(hold);
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // ignore
    }
  }
}
