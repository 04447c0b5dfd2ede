/**
 * `server.ts --workers N` as a subprocess: N worker processes share the port
 * with SO_REUSEPORT, the parent prints one `Listening on` line and turns
 * SIGTERM into a graceful shutdown of every worker (RFC 9113 §6.8: in-flight
 * streams finish). Linux only (SO_REUSEPORT, `/proc`, `ss`).
 */

import assert from "node:assert/strict";
import {
  bounded,
  expectedBytes,
  requireTool,
  run,
  type RunningServer,
  startServer,
} from "./_server_helpers.ts";
import { H2StreamsConnection } from "../../lib/web_streams.ts";
import type { HeaderField } from "../../lib/events.ts";

/** Child process ids of `pid` (every thread's `children` list). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`);
    for (const id of text.trim().split(/\s+/)) if (id !== "") out.push(Number(id));
  }
  return out.sort((a, b) => a - b);
}

/** Process ids owning the established server-side sockets of `port`, per socket. */
async function socketOwners(port: number): Promise<number[]> {
  const { stdout } = await run("ss", ["-Htnp", "state", "established", `( sport = :${port} )`]);
  const text = new TextDecoder().decode(stdout);
  return [...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function get(server: RunningServer, path: string): HeaderField[] {
  return [
    [":method", "GET"],
    [":scheme", "http"],
    [":authority", `127.0.0.1:${server.port}`],
    [":path", path],
  ];
}

async function connect(server: RunningServer) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const events: string[] = [];
  const h2 = H2StreamsConnection.client(conn, { onEvent: (event) => events.push(event.type) });
  return { conn, h2, events };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

Deno.test(
  "server.ts --workers 2 prints one Listening line and both worker processes accept connections on the shared port",
  bounded(async () => {
    // RFC 9113 §3.4 (h2c prior knowledge) on every connection, whichever worker accepts it.
    await requireTool("ss", "apt-get install iproute2");
    const server = await startServer(["--workers", "2"], ["--allow-run"]);
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    try {
      const workers = await childrenOf(server.pid);
      assert.equal(workers.length, 2, `two worker processes, got ${workers.join(",")}`);
      for (let i = 0; i < 16; i++) clients.push(await connect(server));
      for (const { h2 } of clients) {
        const { streamId } = h2.request(get(server, "/workers"), undefined);
        const text = new TextDecoder().decode(await readAll(h2.responseBody(streamId)));
        assert.equal(JSON.parse(text)[":path"], "/workers");
      }
      // The kernel hashes each connection to one listener: with 16 connections, both workers
      // get some unless the hash is very unlucky (probability 2^-15).
      const owners = new Set(await socketOwners(server.port));
      assert.deepEqual([...owners].sort((a, b) => a - b), workers);
      assert.equal(
        server.stdout().match(/Listening on /g)?.length,
        1,
        `one Listening line: ${server.stdout()}`,
      );
    } finally {
      for (const { h2 } of clients) await h2.close();
      const status = await server.stop("SIGTERM");
      assert.equal(status.code, 0, server.stderr());
    }
  }),
);

Deno.test(
  "server.ts --workers 2 forwards SIGTERM as a graceful shutdown: an in-flight 16 MiB response completes, then every process exits 0",
  bounded(async () => {
    // RFC 9113 §6.8: streams at or below the final GOAWAY's last stream id finish.
    const size = 16_777_216;
    const server = await startServer(["--workers", "2"], ["--allow-run"]);
    const workers = await childrenOf(server.pid);
    assert.equal(workers.length, 2);
    const { h2, events } = await connect(server);
    const { streamId } = h2.request(get(server, `/bytes/${size}`), undefined);
    const reader = h2.responseBody(streamId).getReader();
    const first = await reader.read();
    assert.ok(!first.done && first.value.length > 0);
    const stopped = server.stop("SIGTERM", 30_000);
    const chunks = [first.value];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    const body = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    assert.equal(body.length, size);
    assert.deepEqual(body, expectedBytes(size));
    await h2.closed;
    assert.ok(events.includes("ConnectionTerminated"), `GOAWAY received: ${events.join(",")}`);
    const status = await stopped;
    assert.equal(status.code, 0, server.stderr());
    for (const pid of workers) assert.equal(await exists(`/proc/${pid}`), false, `worker ${pid}`);
  }),
);
