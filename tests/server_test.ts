/**
 * Tests of `server.ts` in-process: `serve()` on 127.0.0.1:0, driven over real
 * TCP by our own engine as the client (through `lib/web_streams.ts`, or raw
 * for the h2c upgrade), plus raw HTTP/1.1 bytes.
 */

import assert from "node:assert/strict";
import { bounded } from "./interop/_server_helpers.ts";
import {
  headersJson,
  MAX_BYTES,
  parseCommandLine,
  serve,
  SERVER_NAME,
  workerArgs,
} from "../server.ts";
import type { ServeOptions, Server } from "../server.ts";
import { H2StreamsConnection } from "../lib/web_streams.ts";
import { H2Connection } from "../lib/connection.ts";
import { ErrorCode } from "../lib/errors.ts";
import type { H2Event, HeaderField } from "../lib/events.ts";
import { frames } from "./_helpers/frames.ts";
import { parseFrames } from "./_helpers/decode.ts";
import { FrameWriter } from "../lib/frame/encoder.ts";
import { FrameDecoder } from "../lib/frame/decoder.ts";
import { FrameType } from "../lib/constants.ts";

const decoder = new TextDecoder();

async function withServer(
  options: ServeOptions,
  body: (server: Server) => Promise<void>,
): Promise<void> {
  const server = serve({ port: 0, hostname: "127.0.0.1", ...options });
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

async function connect(server: Server): Promise<{ conn: Deno.TcpConn; h2: H2StreamsConnection }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  return { conn, h2: H2StreamsConnection.client(conn) };
}

function requestFields(
  server: Server,
  method: string,
  path: string,
  extra: HeaderField[] = [],
): HeaderField[] {
  return [
    [":method", method],
    [":scheme", "http"],
    [":authority", `127.0.0.1:${server.addr.port}`],
    [":path", path],
    ...extra,
  ];
}

/** Sends one request and collects the response. */
async function fetchH2(
  h2: H2StreamsConnection,
  headers: HeaderField[],
  body?: Uint8Array,
): Promise<{ headers: HeaderField[]; body: Uint8Array }> {
  const { streamId } = h2.request(headers, body);
  for await (const event of h2) {
    if (event.type === "ResponseReceived" && event.streamId === streamId) {
      const bytes = new Uint8Array(await new Response(h2.responseBody(streamId)).arrayBuffer());
      return { headers: event.headers, body: bytes };
    }
  }
  throw new Error("Connection closed before the response");
}

/** Closes a connection the adapter or a read to EOF may have closed already. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function field(headers: HeaderField[], name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

/** Reads a Deno.Conn to EOF (bounded). */
async function readAll(conn: Deno.Conn, ms = 5_000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const timer = setTimeout(() => conn.close(), ms);
  try {
    for await (const chunk of conn.readable) chunks.push(chunk);
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
  }
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

Deno.test(
  "serve() echoes the request fields as JSON in received order, like the h2 tutorial",
  bounded(async () => {
    await withServer({}, async (server) => {
      const { conn, h2 } = await connect(server);
      const extra: HeaderField[] = [["user-agent", "test"], ["x-a", "1"]];
      const headers = requestFields(server, "GET", "/anything?x=1", extra);
      const response = await fetchH2(h2, headers);
      assert.equal(field(response.headers, ":status"), "200");
      assert.equal(field(response.headers, "content-type"), "application/json");
      assert.equal(field(response.headers, "server"), SERVER_NAME);
      assert.equal(field(response.headers, "content-length"), String(response.body.length));
      const text = decoder.decode(response.body);
      assert.equal(text, headersJson(headers));
      assert.deepEqual(Object.entries(JSON.parse(text)), headers.map(([n, v]) => [n, v]));
      await h2.close();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() echoes duplicate and non-ASCII fields as json.dumps(dict(...)) does: last value, first position",
  bounded(async () => {
    await withServer({}, async (server) => {
      const { conn, h2 } = await connect(server);
      const extra: HeaderField[] = [["x-a", "1"], ["x-q", 'say "caf\xe9"'], ["x-a", "2"]];
      const headers = requestFields(server, "GET", "/", extra);
      const response = await fetchH2(h2, headers);
      const text = decoder.decode(response.body);
      assert.equal(text, headersJson(headers));
      assert.match(text, /"x-a": "2", "x-q": "say \\"caf\\u00e9\\""}$/);
      assert.equal(field(response.headers, "content-length"), String(response.body.length));
      await h2.close();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "headersJson prints what Python's json.dumps(dict(headers)) prints",
  bounded(() => {
    assert.equal(
      headersJson([[":method", "GET"], ["x", "1"], ["x", "2"], ["q", 'a"\u00e9']]),
      '{":method": "GET", "x": "2", "q": "a\\"\\u00e9"}',
    );
  }),
);

Deno.test(
  "serve() answers GET /bytes/N with N octets and rejects N above 64 MiB",
  bounded(async (t) => {
    await withServer({}, async (server) => {
      const { conn, h2 } = await connect(server);
      for (const size of [0, 1, 65_536, 200_001]) {
        await t.step(`N = ${size}`, async () => {
          const response = await fetchH2(h2, requestFields(server, "GET", `/bytes/${size}`));
          assert.equal(field(response.headers, ":status"), "200");
          assert.equal(field(response.headers, "content-type"), "application/octet-stream");
          assert.equal(field(response.headers, "content-length"), String(size));
          assert.equal(response.body.length, size);
          for (let i = 0; i < size; i++) {
            if (response.body[i] !== (i & 0xff)) assert.fail(`octet ${i} is ${response.body[i]}`);
          }
        });
      }
      for (
        const path of [`/bytes/${MAX_BYTES + 1}`, "/bytes/-1", "/bytes/abc", "/bytes/99999999999"]
      ) {
        await t.step(`${path} is a 400`, async () => {
          const response = await fetchH2(h2, requestFields(server, "GET", path));
          assert.equal(field(response.headers, ":status"), "400");
        });
      }
      await h2.close();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() answers POST /echo-size with the number of body octets received",
  bounded(async () => {
    await withServer({}, async (server) => {
      const { conn, h2 } = await connect(server);
      const body = new Uint8Array(3 * 1024 * 1024 + 7);
      const response = await fetchH2(h2, requestFields(server, "POST", "/echo-size"), body);
      assert.equal(field(response.headers, ":status"), "200");
      assert.deepEqual(JSON.parse(decoder.decode(response.body)), { received: body.length });
      const empty = await fetchH2(h2, requestFields(server, "POST", "/echo-size"));
      assert.deepEqual(JSON.parse(decoder.decode(empty.body)), { received: 0 });
      await h2.close();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() answers a plain HTTP/1.1 request with 505 and closes",
  bounded(async () => {
    await withServer({}, async (server) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const text = decoder.decode(await readAll(conn));
      assert.match(text, /^HTTP\/1\.1 505 /);
      assert.match(text, /HTTP\/2/);
      assert.match(text, /connection: close/i);
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() upgrades an HTTP/1.1 request with Upgrade: h2c and answers it on stream 1 (RFC 7540 §3.2)",
  bounded(async () => {
    await withServer({}, async (server) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      const client = new H2Connection({ clientSide: true });
      const settings = client.initiateUpgradeConnection();
      assert.equal(typeof settings, "string");
      await conn.write(new TextEncoder().encode(
        `GET /upgraded HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n` +
          `Upgrade: h2c\r\nHTTP2-Settings: ${settings}\r\nUser-Agent: t\r\n\r\n`,
      ));
      const reader = conn.readable.getReader();
      let buffered = new Uint8Array(0);
      let end = -1;
      while (end < 0) {
        const { value, done } = await reader.read();
        assert.ok(!done, "closed before the 101");
        const joined = new Uint8Array(buffered.length + value.length);
        joined.set(buffered);
        joined.set(value, buffered.length);
        buffered = joined;
        end = decoder.decode(buffered).indexOf("\r\n\r\n");
      }
      assert.match(decoder.decode(buffered.subarray(0, end)), /^HTTP\/1\.1 101 /);
      await conn.write(client.dataToSend());
      const events: H2Event[] = [];
      let body = "";
      let chunk = buffered.subarray(end + 4);
      while (true) {
        const batch = client.receiveData(chunk);
        for (const event of batch) {
          if (event.type === "DataReceived") {
            body += decoder.decode(event.data);
            client.acknowledgeReceivedData(event.flowControlledLength, 1);
          }
        }
        events.push(...batch);
        await conn.write(client.dataToSend());
        if (events.some((e) => e.type === "StreamEnded" && e.streamId === 1)) break;
        const { value, done } = await reader.read();
        assert.ok(!done, "closed before the response");
        chunk = value;
      }
      const response = events.find((e) => e.type === "ResponseReceived");
      assert.ok(response?.type === "ResponseReceived" && response.streamId === 1);
      assert.equal(field(response.headers, ":status"), "200");
      const echoed = JSON.parse(body);
      assert.equal(echoed[":path"], "/upgraded");
      assert.equal(echoed[":method"], "GET");
      assert.equal(echoed["user-agent"], "t");
      assert.equal(echoed["upgrade"], undefined, "hop-by-hop fields are not forwarded");
      reader.releaseLock();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() closes a connection that does not send the preface in time (slowloris)",
  bounded(async (t) => {
    await withServer({ prefaceTimeout: 200 }, async (server) => {
      for (
        const [name, bytes] of [["nothing", ""], ["half a preface", "PRI * HTTP/2.0\r\n"]] as const
      ) {
        await t.step(name, async () => {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
          if (bytes !== "") await conn.write(new TextEncoder().encode(bytes));
          const started = performance.now();
          const received = await readAll(conn, 3_000);
          const elapsed = performance.now() - started;
          assert.ok(elapsed >= 150 && elapsed < 2_000, `closed after ${elapsed} ms`);
          assert.equal(received.length, 0);
          try {
            closeQuietly(conn);
          } catch { /* closed */ }
        });
      }
    });
  }),
);

Deno.test(
  "serve() closes an idle HTTP/2 connection with GOAWAY(NO_ERROR)",
  bounded(async () => {
    await withServer({ idleTimeout: 300 }, async (server) => {
      const { conn, h2 } = await connect(server);
      await fetchH2(h2, requestFields(server, "GET", "/"));
      const started = performance.now();
      let goAway: H2Event | undefined;
      for await (const event of h2) if (event.type === "ConnectionTerminated") goAway = event;
      await h2.closed;
      const elapsed = performance.now() - started;
      assert.ok(goAway?.type === "ConnectionTerminated" && goAway.errorCode === ErrorCode.NO_ERROR);
      assert.ok(elapsed >= 200 && elapsed < 3_000, `closed after ${elapsed} ms`);
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "serve() shutdown lets in-flight streams finish, refuses nothing accepted, then resolves finished",
  bounded(async () => {
    const server = serve({ port: 0, hostname: "127.0.0.1" });
    const { conn, h2 } = await connect(server);
    const size = 8 * 1024 * 1024;
    const ids = [0, 1, 2].map(() =>
      h2.request(requestFields(server, "GET", `/bytes/${size}`)).streamId
    );
    const bodies = new Map<number, Promise<number>>();
    for await (const event of h2) {
      if (event.type !== "ResponseReceived") continue;
      const body = h2.responseBody(event.streamId);
      const length = (async () => {
        let n = 0;
        for await (const chunk of body) n += chunk.length;
        return n;
      })();
      length.catch(() => {}); // awaited below; a failure must fail the test there, not crash it
      bodies.set(event.streamId, length);
      if (bodies.size === ids.length) break;
    }
    const stopped = server.shutdown();
    for (const id of ids) assert.equal(await bodies.get(id), size);
    await stopped;
    await server.finished;
    await h2.closed;
    closeQuietly(conn);
  }),
);

Deno.test(
  "serve() keeps connections independent: a protocol error on one leaves the others working",
  bounded(async () => {
    await withServer({}, async (server) => {
      const good = await connect(server);
      const bad = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      // RFC 9113 §3.4: the first frame after the preface must be SETTINGS.
      await bad.write(frames.raw(frames.preface(), frames.ping()).toBytes());
      const reply = parseFrames(await readAll(bad, 3_000));
      // The server's SETTINGS (and WINDOW_UPDATE), then a GOAWAY(PROTOCOL_ERROR), then EOF.
      const last = reply.at(-1)!;
      assert.equal(last.type, 0x7);
      assert.equal(new DataView(last.payload.buffer).getUint32(4), ErrorCode.PROTOCOL_ERROR);
      const response = await fetchH2(good.h2, requestFields(server, "GET", "/still-fine"));
      assert.equal(field(response.headers, ":status"), "200");
      closeQuietly(bad);
      await good.h2.close();
      closeQuietly(good.conn);
    });
  }),
);

Deno.test(
  "parseCommandLine accepts the documented flags and rejects the rest",
  bounded(async (t) => {
    assert.deepEqual(parseCommandLine(["--port", "0", "--hostname", "127.0.0.1"]), {
      options: { port: 0, hostname: "127.0.0.1" },
      workers: 1,
      worker: false,
    });
    assert.deepEqual(parseCommandLine(["--preface-timeout", "2.5"]), {
      options: { prefaceTimeout: 2_500 },
      workers: 1,
      worker: false,
    });
    assert.deepEqual(parseCommandLine(["--workers", "4", "--port", "0"]), {
      options: { port: 0 },
      workers: 4,
      worker: false,
    });
    assert.deepEqual(parseCommandLine(["--worker", "--reuse-port"]), {
      options: { reusePort: true },
      workers: 1,
      worker: true,
    });
    assert.deepEqual(
      workerArgs(["--workers", "2", "--port=0", "--hostname", "h", "--workers=3", "--reuse-port"]),
      ["--hostname", "h"],
    );
    assert.deepEqual(parseCommandLine(["--help"]), { help: true });
    for (
      const args of [
        ["--nope"],
        ["--port", "x"],
        ["--port", "70000"],
        ["--cert", "a.pem"],
        ["extra"],
        ["--workers", "0"],
        ["--workers", "x"],
        ["--workers", "1000"],
        ["--worker", "--workers", "2"],
        [
          "--idle-timeout",
          "-1",
        ],
      ]
    ) {
      await t.step(args.join(" "), () => {
        assert.ok("error" in parseCommandLine(args));
      });
    }
  }),
);

Deno.test(
  "serve() does not upgrade on a malformed HTTP2-Settings and answers in HTTP/1.1 (RFC 7540 §3.2.1)",
  bounded(async (t) => {
    await withServer({}, async (server) => {
      for (const settings of ["AAM", "AAMAAABkAA", "AAMAAABkAAQAAP__X", "!!!!"]) {
        await t.step(`HTTP2-Settings: "${settings}"`, async () => {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
          await conn.write(new TextEncoder().encode(
            `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
              `HTTP2-Settings: ${settings}\r\n\r\n`,
          ));
          const text = decoder.decode(await readAll(conn));
          assert.match(text, /^HTTP\/1\.1 505 /);
          closeQuietly(conn);
        });
      }
    });
  }),
);

Deno.test(
  "serve() gives the engine a clock, so the RST_STREAM budget refills over time (rapid reset, CVE-2023-44487)",
  bounded(async () => {
    await withServer({}, async (server) => {
      const { conn, h2 } = await connect(server);
      const cancelled = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const { streamId } = h2.request(requestFields(server, "GET", "/"));
          h2.reset(streamId, ErrorCode.CANCEL);
          if (i % 50 === 49) await h2.flush();
        }
        await h2.flush();
      };
      // The burst (1000) is spent at once; 33 tokens a second come back.
      await cancelled(990);
      await new Promise((r) => setTimeout(r, 3_000));
      await cancelled(60);
      const response = await fetchH2(h2, requestFields(server, "GET", "/after-resets"));
      assert.equal(field(response.headers, ":status"), "200");
      assert.equal(h2.isClosed, false);
      await h2.close();
      closeQuietly(conn);
    });
  }),
);

Deno.test(
  "FrameWriter.recycle lets server.ts reuse written output buffers without touching bytes still in flight (RFC 9113 §4.1)",
  () => {
    // A deterministic mix of DATA and control frames, taken in uneven pieces; up to three
    // taken pieces are "in flight" (as writes are) and handed back oldest first. A buffer
    // reused too early would change a piece between its take() and its recycle.
    let seed = 12_345;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const writer = new FrameWriter();
    const inFlight: { view: Uint8Array; copy: Uint8Array }[] = [];
    const written: Uint8Array[] = [];
    const expected: number[] = [];
    let reused = 0;
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 400; i++) {
      const size = [0, 10, 1_000, 16_384, 70_000][random(5)]!;
      const payload = Uint8Array.from({ length: size }, (_, j) => (i + j) & 0xff);
      writer.data(1 + 2 * random(4), payload, { endStream: false });
      expected.push(size);
      if (random(3) === 0) writer.ping(new Uint8Array(8));
      const view = writer.take(random(2) === 0 ? undefined : 1 + random(200_000));
      if (seen.has(view.buffer)) reused++;
      seen.add(view.buffer);
      inFlight.push({ view, copy: view.slice() });
      while (inFlight.length > 3) {
        const done = inFlight.shift()!;
        assert.deepEqual(done.view, done.copy, `piece changed before it was written (step ${i})`);
        written.push(done.copy);
        FrameWriter.recycle(done.view);
        assert.equal(FrameWriter.recycle(done.view), false, "a second recycle is ignored");
      }
    }
    for (const done of inFlight) {
      assert.deepEqual(done.view, done.copy);
      written.push(done.copy);
    }
    written.push(writer.take());
    const all = new Uint8Array(written.reduce((n, piece) => n + piece.length, 0));
    let offset = 0;
    for (const piece of written) {
      all.set(piece, offset);
      offset += piece.length;
    }
    const decoded = new FrameDecoder({ maxFrameSize: 16_777_215 });
    decoded.push(all);
    const sizes: number[] = [];
    for (let frame = decoded.next(); frame !== undefined; frame = decoded.next()) {
      if (frame.type !== FrameType.DATA) continue;
      for (let j = 0; j < frame.data.length; j++) {
        if (frame.data[j] !== ((sizes.length + j) & 0xff)) {
          assert.fail(`DATA frame ${sizes.length} corrupted at octet ${j}`);
        }
      }
      sizes.push(frame.data.length);
    }
    assert.deepEqual(sizes, expected);
    assert.ok(reused > 0, "some buffer was written again after being recycled");
  },
);

Deno.test(
  "serve() resolves finished only once its last connection has ended",
  bounded(async () => {
    const server = serve({ port: 0, hostname: "127.0.0.1" });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    // RFC 9113 §3.4: the client preface and an empty SETTINGS; the server answers with its own.
    const client = new H2Connection();
    client.initiateConnection();
    await conn.write(client.dataToSend());
    assert.ok((await conn.read(new Uint8Array(1024)) ?? 0) > 0);
    let finished = false;
    const stopped = server.shutdown().then(() => finished = true);
    // The graceful shutdown waits for the ACK of its PING, which this silent client never sends.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(finished, false);
    conn.close();
    await stopped;
    assert.equal(finished, true);
  }),
);
