/**
 * The script `node_bundle_test.ts` runs under Node: it is bundled by
 * `deno bundle` on its own (only `node:` built-ins stay external) and loads
 * the separately bundled `mod.ts` with a dynamic `import()` of the path given
 * as its first argument, so what runs is exactly the published engine as one
 * ESM file. Nothing here may use `Deno.*`.
 *
 * Usage: `node exchange.mjs /path/to/mod.mjs [engine|adapter]`.
 * It prints one JSON line (`{"ok":true,…}` or `{"ok":false,"error":…}`)
 * with what each side saw; the Deno test checks those values against the
 * bytes it computes itself.
 *
 * - `engine`: two `H2Connection` objects exchange a GET with a 70,000-octet
 *   body (more than the 65,535-octet initial window, so the client must wait
 *   for WINDOW_UPDATE), a 1 MiB response sent only within flow-control
 *   windows and reopened with `acknowledgeReceivedData`, response trailers
 *   and a PING, first in memory (bytes delivered in pseudo-random splits),
 *   then over a real `node:net` socket pair on 127.0.0.1. It also round-trips
 *   HPACK and the frame codec.
 * - `adapter`: the same over `node:net` with `H2StreamsConnection.server`
 *   and the fetch-like `connect()` client, on Web Streams from
 *   `Duplex.toWeb`.
 * - `fetch ORIGIN`: the bundled `connect()` client in Node against a server
 *   we did not start here (the test points it at `server.ts`): a 1 MiB
 *   download, a streamed upload, 20 concurrent JSON echoes.
 * - `serve`: Node hosts an h2c server on the bundled `H2StreamsConnection`
 *   (`GET /bytes/N`, `POST /echo-size`, a JSON echo otherwise, like
 *   `server.ts`), prints `{"listening":PORT}` and, on SIGTERM, shuts every
 *   connection down gracefully and exits 0 once they are closed.
 *
 * @module
 */

import { createHash } from "node:crypto";
import net from "node:net";
import process from "node:process";
import { Duplex } from "node:stream";
import type * as H2 from "../../mod.ts";

/** The request body the client sends: octet i is `(31 i + 7) mod 256`. */
export const REQUEST_SIZE = 70_000;
/** The response body the server sends: octet i is `(7 i + 3) mod 256`. */
export const RESPONSE_SIZE = 1_048_576;
/** The PING payload. */
export const PING_TEXT = "node-h2!";

/**
 * The request body pattern.
 *
 * @param size Octets.
 * @returns The bytes.
 */
export function requestBody(size: number = REQUEST_SIZE): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (31 * i + 7) & 0xff;
  return out;
}

/**
 * The response body pattern.
 *
 * @param size Octets.
 * @returns The bytes.
 */
export function responseBody(size: number = RESPONSE_SIZE): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (7 * i + 3) & 0xff;
  return out;
}

/** What one side saw of one exchange. */
export interface ExchangeResult {
  /** The request fields as the server decoded them. */
  requestHeaders: [string, string][];
  /** Octets of request body the server received. */
  requestBytes: number;
  /** SHA-256 (hex) of the request body the server received. */
  requestSha256: string;
  /** The response fields as the client decoded them. */
  responseHeaders: [string, string][];
  /** Octets of response body the client received. */
  responseBytes: number;
  /** SHA-256 (hex) of the response body the client received. */
  responseSha256: string;
  /** The trailers as the client decoded them. */
  trailers: [string, string][];
  /** The PING ACK payload the client received, as text. */
  pingAck: string;
  /** WINDOW_UPDATE events the server saw while sending the response. */
  serverWindowUpdates: number;
  /** WINDOW_UPDATE events the client saw while sending the request body. */
  clientWindowUpdates: number;
  /** Largest DATA frame the client received. */
  largestDataFrame: number;
  /** The error code of the GOAWAY the server received when the client closed. */
  goAwayErrorCode: number | null;
}

type Mod = typeof H2;
type Conn = InstanceType<Mod["H2Connection"]>;
type Field = [string, string];

function sha256(chunks: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
}

/** Sends queued bodies as far as the windows allow; trailers or END_STREAM after the last octet. */
class Outbound {
  #conn: Conn;
  #queue: { streamId: number; data: Uint8Array; offset: number; trailers?: Field[] }[] = [];
  constructor(conn: Conn) {
    this.#conn = conn;
  }
  add(streamId: number, data: Uint8Array, trailers?: Field[]): void {
    this.#queue.push(
      trailers === undefined
        ? { streamId, data, offset: 0 }
        : { streamId, data, offset: 0, trailers },
    );
    this.pump();
  }
  pump(): void {
    for (const item of [...this.#queue]) {
      const { streamId, data } = item;
      while (item.offset < data.length) {
        const n = Math.min(
          data.length - item.offset,
          this.#conn.localFlowControlWindow(streamId),
          this.#conn.maxOutboundFrameSize,
        );
        if (n <= 0) break;
        const last = item.offset + n === data.length;
        this.#conn.sendData(streamId, data.subarray(item.offset, item.offset + n), {
          endStream: last && item.trailers === undefined,
        });
        item.offset += n;
      }
      if (item.offset < data.length) continue;
      if (item.trailers !== undefined) {
        this.#conn.sendHeaders(streamId, item.trailers, { endStream: true });
      } else if (data.length === 0) this.#conn.endStream(streamId);
      this.#queue.splice(this.#queue.indexOf(item), 1);
    }
  }
}

/** The two ends of one exchange, driven by events; a driver moves the bytes. */
class Exchange {
  readonly client: Conn;
  readonly server: Conn;
  readonly result: ExchangeResult = {
    requestHeaders: [],
    requestBytes: 0,
    requestSha256: "",
    responseHeaders: [],
    responseBytes: 0,
    responseSha256: "",
    trailers: [],
    pingAck: "",
    serverWindowUpdates: 0,
    clientWindowUpdates: 0,
    largestDataFrame: 0,
    goAwayErrorCode: null,
  };
  /** True once the client closed the connection (response complete and PING answered). */
  clientDone = false;
  /** True once the server saw the GOAWAY. */
  serverDone = false;
  #clientOut: Outbound;
  #serverOut: Outbound;
  #requestChunks: Uint8Array[] = [];
  #responseChunks: Uint8Array[] = [];
  #responseEnded = false;

  constructor(h2: Mod) {
    this.client = new h2.H2Connection({ clientSide: true });
    this.server = new h2.H2Connection({ clientSide: false });
    this.#clientOut = new Outbound(this.client);
    this.#serverOut = new Outbound(this.server);
  }

  /** Client: preface, the GET with its body, a PING. */
  startClient(): void {
    this.client.initiateConnection();
    const streamId = this.client.getNextAvailableStreamId();
    this.client.sendHeaders(streamId, [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "localhost"],
      [":path", "/download?from=node"],
      ["content-length", String(REQUEST_SIZE)],
      ["user-agent", `node/${process.version}`],
    ]);
    this.#clientOut.add(streamId, requestBody());
    this.client.ping(new TextEncoder().encode(PING_TEXT));
  }

  onClientEvent(event: H2.H2Event): void {
    switch (event.type) {
      case "ResponseReceived":
        this.result.responseHeaders = event.headers.map(([n, v]) => [n, v]);
        break;
      case "DataReceived":
        // The engine may hand out views of the received chunk: copy before keeping.
        this.#responseChunks.push(event.data.slice());
        this.result.responseBytes += event.data.length;
        this.result.largestDataFrame = Math.max(this.result.largestDataFrame, event.data.length);
        this.client.acknowledgeReceivedData(event.flowControlledLength, event.streamId);
        break;
      case "TrailersReceived":
        this.result.trailers = event.headers.map(([n, v]) => [n, v]);
        break;
      case "StreamEnded":
        this.#responseEnded = true;
        this.result.responseSha256 = sha256(this.#responseChunks);
        this.#responseChunks = [];
        break;
      case "PingAckReceived":
        this.result.pingAck = new TextDecoder().decode(event.pingData);
        break;
      case "WindowUpdated":
        this.result.clientWindowUpdates++;
        this.#clientOut.pump();
        break;
      case "RemoteSettingsChanged":
        this.#clientOut.pump();
        break;
    }
    if (!this.clientDone && this.#responseEnded && this.result.pingAck !== "") {
      this.clientDone = true;
      this.client.closeConnection();
    }
  }

  onServerEvent(event: H2.H2Event): void {
    switch (event.type) {
      case "RequestReceived":
        this.result.requestHeaders = event.headers.map(([n, v]) => [n, v]);
        break;
      case "DataReceived":
        this.#requestChunks.push(event.data.slice());
        this.result.requestBytes += event.data.length;
        this.server.acknowledgeReceivedData(event.flowControlledLength, event.streamId);
        break;
      case "StreamEnded": {
        this.result.requestSha256 = sha256(this.#requestChunks);
        const body = responseBody();
        this.server.sendHeaders(event.streamId, [
          [":status", "200"],
          ["content-type", "application/octet-stream"],
          ["x-request-bytes", String(this.result.requestBytes)],
          ["x-request-sha256", this.result.requestSha256],
        ]);
        this.#serverOut.add(event.streamId, body, [
          ["x-body-sha256", sha256([body])],
          ["x-trailer", "end"],
        ]);
        break;
      }
      case "WindowUpdated":
        this.result.serverWindowUpdates++;
        this.#serverOut.pump();
        break;
      case "RemoteSettingsChanged":
        this.#serverOut.pump();
        break;
      case "ConnectionTerminated":
        this.result.goAwayErrorCode = event.errorCode;
        this.serverDone = true;
        break;
    }
  }
}

/** In memory: bytes cross in pseudo-random splits (1–3000 octets) until both sides are quiet. */
function inMemory(h2: Mod): ExchangeResult {
  const ex = new Exchange(h2);
  ex.server.initiateConnection();
  ex.startClient();
  let seed = 12_345;
  const nextSize = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return 1 + (seed % 3000);
  };
  const deliver = (from: Conn, to: Conn, onEvent: (event: H2.H2Event) => void): boolean => {
    const bytes = from.dataToSend();
    for (let offset = 0; offset < bytes.length;) {
      const end = Math.min(bytes.length, offset + nextSize());
      for (const event of to.receiveData(bytes.subarray(offset, end))) onEvent(event);
      offset = end;
    }
    return bytes.length > 0;
  };
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const a = deliver(ex.client, ex.server, (e) => ex.onServerEvent(e));
    const b = deliver(ex.server, ex.client, (e) => ex.onClientEvent(e));
    if (!a && !b) break;
  }
  if (!ex.clientDone || !ex.serverDone) {
    throw new Error(`in-memory exchange stalled: ${JSON.stringify(ex.result)}`);
  }
  return ex.result;
}

/** Over `node:net` on 127.0.0.1: Node Buffers go straight into `receiveData`. */
function overSocket(h2: Mod): Promise<ExchangeResult> {
  const ex = new Exchange(h2);
  return new Promise((resolve, reject) => {
    const flush = (conn: Conn, socket: net.Socket) => {
      const out = conn.dataToSend();
      if (out.length > 0) socket.write(out);
    };
    let closed = 0;
    const closedOne = () => {
      if (++closed < 2) return;
      listener.close();
      if (ex.clientDone && ex.serverDone) resolve(ex.result);
      else reject(new Error(`socket exchange ended early: ${JSON.stringify(ex.result)}`));
    };
    const listener = net.createServer((socket) => {
      socket.on("data", (chunk: Uint8Array) => {
        try {
          for (const event of ex.server.receiveData(chunk)) ex.onServerEvent(event);
          flush(ex.server, socket);
          if (ex.serverDone) socket.end();
        } catch (error) {
          reject(error);
          socket.destroy();
        }
      });
      socket.on("error", reject);
      socket.on("close", closedOne);
      ex.server.initiateConnection();
      flush(ex.server, socket);
    });
    listener.on("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      const { port } = listener.address() as net.AddressInfo;
      const socket = net.connect(port, "127.0.0.1");
      socket.on("data", (chunk: Uint8Array) => {
        try {
          for (const event of ex.client.receiveData(chunk)) ex.onClientEvent(event);
          flush(ex.client, socket);
          if (ex.clientDone) socket.end();
        } catch (error) {
          reject(error);
          socket.destroy();
        }
      });
      socket.on("error", reject);
      socket.on("close", closedOne);
      ex.startClient();
      flush(ex.client, socket);
    });
  });
}

/** HPACK and frame codec round trips. */
function codecs(h2: Mod): { hpack: [string, string][]; frames: string[] } {
  const encoder = new h2.HpackEncoder();
  const decoder = new h2.HpackDecoder();
  const fields: H2.HeaderField[] = [
    [":method", "GET"],
    [":path", "/\u00fcn\u00efcode-as-latin1-bytes"],
    ["custom-key", "custom-value"],
  ];
  decoder.decode(encoder.encode(fields));
  const second = decoder.decode(encoder.encode(fields)); // now from the dynamic table
  const frameDecoder = new h2.FrameDecoder();
  const bytes = [
    h2.encodeFrame({ type: h2.FrameType.PING, streamId: 0, ack: false, data: new Uint8Array(8) }),
    h2.encodeFrame({ type: h2.FrameType.WINDOW_UPDATE, streamId: 3, increment: 1000 }),
  ];
  const frames: string[] = [];
  for (const chunk of bytes) {
    for (const byte of chunk) {
      frameDecoder.push(new Uint8Array([byte]));
      for (let frame = frameDecoder.next(); frame; frame = frameDecoder.next()) {
        frames.push(`${frame.type}@${frame.streamId}`);
      }
    }
  }
  return { hpack: second.map(([n, v]) => [n, v]), frames };
}

/** The fetch-like client and `H2StreamsConnection.server` over `node:net` with Web Streams. */
function adapter(h2: Mod): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer((socket) => {
      const transport = Duplex.toWeb(socket) as unknown as H2.H2Transport;
      const server: InstanceType<Mod["H2StreamsConnection"]> = h2.H2StreamsConnection.server(
        transport,
        {
          onEvent(event) {
            if (event.type !== "RequestReceived") return;
            const id = event.streamId;
            void (async () => {
              const received = await new Response(server.requestBody(id)).arrayBuffer();
              await server.respond(
                id,
                [[":status", "200"], ["x-request-bytes", String(received.byteLength)]],
                responseBody(),
                { trailers: [["x-trailer", "end"]] },
              );
            })().catch(reject);
          },
        },
      );
    });
    listener.on("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      const { port } = listener.address() as net.AddressInfo;
      const socket = net.connect(port, "127.0.0.1", async () => {
        try {
          const session = h2.connect(Duplex.toWeb(socket) as unknown as H2.H2Transport);
          const response = await session.request(`http://127.0.0.1:${port}/adapter`, {
            method: "POST",
            body: requestBody(),
          });
          const body = new Uint8Array(await response.arrayBuffer());
          const trailers = await h2.trailers(response);
          await session.close();
          listener.close();
          resolve({
            status: response.status,
            requestBytes: response.headers.get("x-request-bytes"),
            responseBytes: body.length,
            responseSha256: sha256([body]),
            trailer: trailers.get("x-trailer"),
          });
        } catch (error) {
          listener.close();
          socket.destroy();
          reject(error);
        }
      });
      socket.on("error", reject);
    });
  });
}

/** The bundled client in Node against `origin` (h2c with prior knowledge). */
function fetchFrom(h2: Mod, origin: string): Promise<Record<string, unknown>> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, async () => {
      try {
        const session = h2.connect(Duplex.toWeb(socket) as unknown as H2.H2Transport);
        const download = await session.request(`${origin}/bytes/${RESPONSE_SIZE}`);
        const bytes = new Uint8Array(await download.arrayBuffer());
        let mismatch = -1;
        for (let i = 0; i < bytes.length; i++) {
          if (bytes[i] !== (i & 0xff)) {
            mismatch = i;
            break;
          }
        }
        // A streamed upload: 300,000 octets pulled in 10,000-octet chunks.
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 300_000) return controller.close();
            controller.enqueue(new Uint8Array(10_000).fill(sent / 10_000));
            sent += 10_000;
          },
        });
        const upload = await session.request(`${origin}/echo-size`, { method: "POST", body });
        const echoes = await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const r = await session.request(`${origin}/echo/${i}`, { headers: { "x-i": `${i}` } });
            const echo = (await r.json()) as Record<string, string>;
            return `${echo[":path"]}|${echo["x-i"]}`;
          }),
        );
        await session.close();
        resolve({
          downloadStatus: download.status,
          downloadBytes: bytes.length,
          mismatch,
          upload: await upload.json(),
          echoes,
        });
      } catch (error) {
        socket.destroy();
        reject(error);
      }
    });
    socket.on("error", reject);
  });
}

/** Node hosts an h2c server on the bundled adapter until SIGTERM. */
function serveFromNode(h2: Mod): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const connections = new Set<InstanceType<Mod["H2StreamsConnection"]>>();
    let served = 0;
    const listener = net.createServer((socket) => {
      const transport = Duplex.toWeb(socket) as unknown as H2.H2Transport;
      const conn: InstanceType<Mod["H2StreamsConnection"]> = h2.H2StreamsConnection.server(
        transport,
        {
          onEvent(event) {
            if (event.type !== "RequestReceived") return;
            const id = event.streamId;
            const fields = new Map(event.headers);
            const path = fields.get(":path") ?? "/";
            const bytes = /^\/bytes\/(\d+)$/.exec(path);
            served++;
            void (async () => {
              if (bytes) {
                const n = Number(bytes[1]);
                const body = new Uint8Array(n);
                for (let i = 0; i < n; i++) body[i] = i & 0xff;
                await conn.respond(id, [[":status", "200"], ["server", "node-bundle"]], body);
              } else if (fields.get(":method") === "POST") {
                const got = await new Response(conn.requestBody(id)).arrayBuffer();
                const json = JSON.stringify({ received: got.byteLength });
                await conn.respond(
                  id,
                  [[":status", "200"], ["server", "node-bundle"]],
                  new TextEncoder().encode(json),
                );
              } else {
                const json = JSON.stringify(Object.fromEntries(event.headers));
                await conn.respond(id, [
                  [":status", "200"],
                  ["content-type", "application/json"],
                  ["server", "node-bundle"],
                ], new TextEncoder().encode(json));
              }
            })().catch(reject);
          },
        },
      );
      connections.add(conn);
      void conn.closed.finally(() => connections.delete(conn));
    });
    listener.on("error", reject);
    process.once("SIGTERM", () => {
      listener.close();
      for (const conn of connections) conn.shutdown();
      void Promise.all([...connections].map((c) => c.closed)).then(() => {
        resolve({ served, stopped: true });
      });
    });
    listener.listen(0, "127.0.0.1", () => {
      const { port } = listener.address() as net.AddressInfo;
      console.log(JSON.stringify({ listening: port }));
    });
  });
}

/**
 * Runs the mode named on the command line and prints the JSON result line.
 *
 * @returns Once printed (`process.exitCode` is 1 on failure).
 */
export async function main(): Promise<void> {
  const [modPath, mode = "engine", origin = ""] = process.argv.slice(2);
  if (modPath === undefined) {
    throw new Error("usage: node exchange.mjs MOD.mjs [engine|adapter|serve|fetch ORIGIN]");
  }
  const h2 = (await import(modPath)) as Mod;
  const limit = mode === "serve" ? 60_000 : 30_000;
  const timer = setTimeout(() => {
    console.log(JSON.stringify({ ok: false, error: `timed out after ${limit} ms` }));
    process.exit(1);
  }, limit);
  try {
    const modes: Record<string, () => Promise<Record<string, unknown>>> = {
      engine: async () => ({ memory: inMemory(h2), socket: await overSocket(h2), ...codecs(h2) }),
      adapter: async () => ({ adapter: await adapter(h2) }),
      fetch: async () => ({ fetch: await fetchFrom(h2, origin) }),
      serve: async () => ({ serve: await serveFromNode(h2) }),
    };
    const run = modes[mode];
    if (run === undefined) throw new Error(`unknown mode ${mode}`);
    const result = await run();
    console.log(JSON.stringify({ ok: true, node: process.version, ...result }));
  } catch (error) {
    const e = error as Error;
    console.log(JSON.stringify({ ok: false, error: `${e?.name}: ${e?.message}`, stack: e?.stack }));
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
  }
}
