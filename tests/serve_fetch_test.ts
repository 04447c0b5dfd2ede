/**
 * Tests of `server.ts`'s `Deno.serve`-shaped `serve({ handler })`: a fetch
 * handler run per connection through `serveConnection`, over real TCP on
 * 127.0.0.1, driven by our client (`lib/client.ts`) or a raw engine.
 */

import assert from "node:assert/strict";
import { bounded } from "./interop/_server_helpers.ts";
import { serve } from "../server.ts";
import type { ServeOptions, Server } from "../server.ts";
import { connect, trailers } from "../lib/client.ts";
import { withTrailers } from "../lib/serve_connection.ts";
import { H2Connection } from "../lib/connection.ts";
import { ErrorCode } from "../lib/errors.ts";
import type { H2Event } from "../lib/events.ts";

const handler: NonNullable<ServeOptions["handler"]> = async (request, info) => {
  const url = new URL(request.url);
  if (url.pathname === "/echo") {
    return new Response(await request.arrayBuffer(), {
      headers: { "x-method": request.method },
    });
  }
  if (url.pathname === "/trailers") {
    return withTrailers(new Response("body"), Promise.resolve({ "x-checksum": "abc" }));
  }
  return Response.json({
    path: url.pathname,
    streamId: info.streamId,
    remote: info.remoteAddr?.hostname,
  });
};

async function withServer(
  options: ServeOptions,
  body: (server: Server) => Promise<void>,
): Promise<void> {
  const server = serve({ port: 0, hostname: "127.0.0.1", handler, ...options });
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

Deno.test(
  "serve() runs a fetch-style handler per connection: GET, POST echo and trailers (RFC 9113 §8.1)",
  bounded(async () => {
    await withServer({}, async (server) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      const session = connect(conn);
      try {
        const base = `http://127.0.0.1:${server.addr.port}`;
        const got = await session.request(`${base}/hello`);
        assert.equal(got.status, 200);
        assert.deepEqual(await got.json(), { path: "/hello", streamId: 1, remote: "127.0.0.1" });

        const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
        const echoed = await session.request(`${base}/echo`, { method: "POST", body: payload });
        assert.equal(echoed.headers.get("x-method"), "POST");
        assert.deepEqual(new Uint8Array(await echoed.arrayBuffer()), payload);

        const withT = await session.request(`${base}/trailers`);
        assert.equal(await withT.text(), "body");
        assert.equal((await trailers(withT)).get("x-checksum"), "abc");
      } finally {
        await session.close();
      }
    });
  }, 20_000),
);

Deno.test(
  "serve() calls onListen with the bound port and shuts down when its signal aborts (RFC 9113 §6.8)",
  bounded(async () => {
    const controller = new AbortController();
    const listened: Deno.NetAddr[] = [];
    const server = serve({
      port: 0,
      hostname: "127.0.0.1",
      handler,
      signal: controller.signal,
      onListen: (addr) => listened.push(addr),
    });
    assert.equal(listened.length, 1);
    assert.equal(listened[0]!.port, server.addr.port);
    assert.ok(server.addr.port > 0);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    const session = connect(conn);
    const response = await session.request(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    controller.abort();
    // The GOAWAY ends the idle connection, then the server is done.
    await server.finished;
    await session.closed;
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }, 20_000),
);

Deno.test(
  "serve() with h2Handler still answers through the low-level fast path",
  bounded(async () => {
    await withServer({
      h2Handler: ({ streamId, connection }) =>
        void connection.respond(streamId, [[":status", "204"], ["x-path", "fast"]]),
    }, async (server) => {
      // `handler` wins over `h2Handler` when both are given: this server has both.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      const session = connect(conn);
      try {
        const response = await session.request(`http://127.0.0.1:${server.addr.port}/x`);
        assert.equal(response.status, 200);
        assert.equal((await response.json()).path, "/x");
      } finally {
        await session.close();
      }
    });
    const server = serve({
      port: 0,
      hostname: "127.0.0.1",
      h2Handler: ({ streamId, connection }) =>
        void connection.respond(streamId, [[":status", "204"], ["x-path", "fast"]]),
    });
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      const session = connect(conn);
      const response = await session.request(`http://127.0.0.1:${server.addr.port}/x`);
      assert.equal(response.status, 204);
      assert.equal(response.headers.get("x-path"), "fast");
      await session.close();
    } finally {
      await server.shutdown();
    }
  }, 20_000),
);

Deno.test(
  "serve() passes its settings to every connection's first SETTINGS frame (RFC 9113 §6.5)",
  bounded(async (t) => {
    for (const useFetch of [true, false]) {
      await t.step(useFetch ? "fetch handler" : "h2Handler", async () => {
        const server = serve({
          port: 0,
          hostname: "127.0.0.1",
          settings: { 0x3: 7 }, // SETTINGS_MAX_CONCURRENT_STREAMS
          ...(useFetch ? { handler, enableConnectProtocol: true } : {}),
        });
        try {
          const raw = await rawClient(server.addr.port);
          const events = await raw.pumpUntil((e) => e.type === "RemoteSettingsChanged");
          const changed = events.find((e) => e.type === "RemoteSettingsChanged");
          assert.ok(changed !== undefined && changed.type === "RemoteSettingsChanged");
          assert.equal(changed.changedSettings.get(0x3)?.newValue, 7);
          // RFC 8441 §3: only the fetch path was asked to advertise extended CONNECT.
          assert.equal(changed.changedSettings.get(0x8)?.newValue ?? 0, useFetch ? 1 : 0);
          raw.conn.close();
        } finally {
          await server.shutdown();
        }
      });
    }
  }, 20_000),
);

/** A raw client engine over TCP: preface sent; `pump*` reads, feeds and writes (auto-ACKs PINGs). */
async function rawClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const h2 = new H2Connection({ clientSide: true });
  h2.initiateConnection();
  await conn.write(h2.dataToSend());
  const buffer = new Uint8Array(65_536);
  let eof = false;
  /** Reads once (up to `ms`), feeds the engine, writes its answer; returns the events. */
  async function pumpOnce(ms: number): Promise<H2Event[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms)),
    ]);
    clearTimeout(timer);
    if (n === "timeout") return [];
    if (n === null) {
      eof = true;
      return [];
    }
    const events = h2.receiveData(buffer.slice(0, n));
    const out = h2.dataToSend();
    if (out.length > 0) await conn.write(out).catch(() => 0);
    return events;
  }
  return {
    conn,
    h2,
    get eof() {
      return eof;
    },
    pumpOnce,
    async pumpUntil(done: (event: H2Event) => boolean, ms = 5_000): Promise<H2Event[]> {
      const all: H2Event[] = [];
      const end = performance.now() + ms;
      while (!eof && performance.now() < end) {
        const events = await pumpOnce(Math.max(1, end - performance.now()));
        all.push(...events);
        if (events.some(done)) break;
      }
      return all;
    },
  };
}

Deno.test(
  "serve() keepAliveInterval closes a connection whose peer never ACKs its PINGs (RFC 9113 §6.7)",
  bounded(async () => {
    const interval = 100;
    await withServer({ keepAliveInterval: interval, idleTimeout: 60_000 }, async (server) => {
      const raw = await rawClient(server.addr.port);
      const started = performance.now();
      // Neither read nor ACK for several intervals: the PING goes unanswered.
      await new Promise((resolve) => setTimeout(resolve, interval * 6));
      const events: H2Event[] = [];
      const end = performance.now() + 5_000;
      while (!raw.eof && performance.now() < end) events.push(...await raw.pumpOnce(1_000));
      assert.ok(raw.eof, "the server closed the connection");
      assert.ok(events.some((e) => e.type === "PingReceived"), "a keepalive PING was sent");
      const goaway = events.find((e) => e.type === "ConnectionTerminated");
      assert.ok(goaway !== undefined && goaway.type === "ConnectionTerminated");
      assert.equal(goaway.errorCode, ErrorCode.NO_ERROR);
      assert.ok(performance.now() - started < 5_000);
      raw.conn.close();
    });
  }, 20_000),
);

Deno.test(
  "serve() keepAliveInterval keeps a connection whose peer ACKs its PINGs (RFC 9113 §6.7)",
  bounded(async (t) => {
    for (const useFetch of [true, false]) {
      await t.step(useFetch ? "fetch handler" : "h2Handler", async () => {
        const interval = 100;
        const server = serve({
          port: 0,
          hostname: "127.0.0.1",
          keepAliveInterval: interval,
          idleTimeout: 60_000,
          ...(useFetch ? { handler } : {}),
        });
        try {
          const raw = await rawClient(server.addr.port);
          const events: H2Event[] = [];
          const end = performance.now() + interval * 8;
          while (!raw.eof && performance.now() < end) {
            events.push(...await raw.pumpOnce(Math.max(1, end - performance.now())));
          }
          assert.equal(raw.eof, false, "the connection stays open");
          const pings = events.filter((e) => e.type === "PingReceived").length;
          assert.ok(pings >= 2, `PINGs while idle (${pings})`);
          assert.equal(events.some((e) => e.type === "ConnectionTerminated"), false);
          raw.conn.close();
        } finally {
          await server.shutdown();
        }
      });
    }
  }, 20_000),
);
