/**
 * How `H2StreamsConnection` reads its transport (lib/_streams_read.ts): BYOB
 * reads into a buffer it reuses while nothing received from it is kept, and
 * `drainBody`, which counts a body without keeping it.
 */

import assert from "node:assert/strict";
import { bounded } from "./interop/_server_helpers.ts";
import { H2StreamsConnection, StreamResetError } from "../lib/web_streams.ts";
import type { H2Transport } from "../lib/web_streams.ts";
import type { H2Event, HeaderField } from "../lib/events.ts";
import { concat } from "./_helpers/frames.ts";

const GET: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":authority", "example.test"],
  [":path", "/"],
];
const POST: HeaderField[] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "example.test"],
  [":path", "/upload"],
];
const OK: HeaderField[] = [[":status", "200"]];

/** `length` octets that differ from body to body (`seed`) and along the body. */
function body(seed: number, length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return bytes;
}

/** A standard byte stream (`type: "bytes"`, BYOB-capable) fed by `source`. */
function asByteStream(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(value.slice()); // enqueue transfers: hand over a copy we own
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * A BYOB reader shaped like server.ts's socket transport: `read(view)` fills
 * the caller's view (no transfer) and records which buffer each read filled.
 */
class RecordingReader {
  readonly buffers: ArrayBufferLike[] = [];
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);

  constructor(source: ReadableStream<Uint8Array>) {
    this.#source = source.getReader();
  }

  getReader(): this {
    return this;
  }

  async read(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>> {
    assert.ok(view instanceof Uint8Array, "the adapter reads with a buffer of its own");
    while (this.#rest.length === 0) {
      const { value, done } = await this.#source.read();
      if (done) return { done: true };
      this.#rest = value;
    }
    const n = Math.min(view.length, this.#rest.length);
    view.set(this.#rest.subarray(0, n));
    this.#rest = this.#rest.subarray(n);
    this.buffers.push(view.buffer);
    return { done: false, value: view.subarray(0, n) };
  }

  cancel(): Promise<void> {
    return this.#source.cancel();
  }

  releaseLock(): void {}
}

/** A client adapter and the raw pipes of a server transport. */
function clientWithPipes(): {
  client: H2StreamsConnection;
  toServer: ReadableStream<Uint8Array>;
  fromServer: WritableStream<Uint8Array>;
} {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
  return { client, toServer: up.readable, fromServer: down.writable };
}

/** Sends a request and waits for its response headers; returns the response body. */
async function exchange(
  client: H2StreamsConnection,
  headers: HeaderField[],
  payload?: Uint8Array,
): Promise<Uint8Array> {
  const { streamId } = client.request(headers, payload);
  return new Uint8Array(await new Response(client.responseBody(streamId)).arrayBuffer());
}

Deno.test(
  "H2StreamsConnection over a byte stream reads with BYOB and keeps held request bodies intact",
  bounded(async () => {
    const { client, toServer, fromServer } = clientWithPipes();
    // The server holds every body chunk as the views it was given, unread and uncopied,
    // while more requests arrive through the same (reused) read buffers.
    const held = new Map<string, Uint8Array[]>();
    const pending: Promise<void>[] = [];
    const server = H2StreamsConnection.server(
      { readable: asByteStream(toServer), writable: fromServer },
      {
        onEvent(event: H2Event) {
          if (event.type !== "RequestReceived") return;
          const path = event.headers.find(([name]) => name === ":path")![1];
          if (path === "/") {
            void server.respond(event.streamId, OK, new TextEncoder().encode("hello"));
            return;
          }
          const chunks: Uint8Array[] = [];
          held.set(path, chunks);
          pending.push((async () => {
            for await (const chunk of server.requestBody(event.streamId)) chunks.push(chunk);
            await server.respond(event.streamId, OK);
          })());
        },
      },
    );
    for (let round = 0; round < 4; round++) {
      const path = `/upload/${round}`;
      const upload: HeaderField[] = POST.map(([n, v]) => [n, n === ":path" ? path : v]);
      await exchange(client, upload, body(round, 60_000 + round * 1_001));
      for (let i = 0; i < 10; i++) {
        assert.equal(new TextDecoder().decode(await exchange(client, GET)), "hello");
      }
    }
    await Promise.all(pending);
    for (let round = 0; round < 4; round++) {
      const chunks = held.get(`/upload/${round}`)!;
      assert.deepEqual(concat(chunks), body(round, 60_000 + round * 1_001), `body ${round}`);
    }
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection reads into one reused buffer while nothing received is kept",
  bounded(async () => {
    const { client, toServer, fromServer } = clientWithPipes();
    const reader = new RecordingReader(toServer);
    let kept: Uint8Array[] = [];
    const server = H2StreamsConnection.server(
      { readable: reader, writable: fromServer } as unknown as H2Transport,
      {
        onEvent(event: H2Event) {
          if (event.type !== "RequestReceived") return;
          if (event.headers.some(([name, value]) => name === ":method" && value === "POST")) {
            void (async () => {
              const chunks: Uint8Array[] = [];
              for await (const chunk of server.requestBody(event.streamId)) chunks.push(chunk);
              kept = chunks;
              await server.respond(event.streamId, OK);
            })();
          } else {
            void server.respond(event.streamId, OK, new TextEncoder().encode("hello"));
          }
        },
      },
    );
    for (let i = 0; i < 20; i++) await exchange(client, GET);
    // Requests without bodies: from some read on, every read fills the same buffer.
    const quiet = reader.buffers.slice(-10);
    assert.ok(quiet.every((buffer) => buffer === quiet[0]), "GETs reuse one read buffer");

    const upload = body(9, 500); // within one 1 KiB read: a view of the read buffer
    await exchange(client, POST, upload);
    const afterUpload = reader.buffers.length;
    for (let i = 0; i < 20; i++) await exchange(client, GET);
    // The body's views are the application's now: their buffer is never read into again.
    const bodyBuffers = new Set(kept.map((chunk) => chunk.buffer));
    assert.ok(bodyBuffers.size > 0);
    for (const buffer of reader.buffers.slice(afterUpload)) {
      assert.ok(!bodyBuffers.has(buffer), "a buffer with kept body data is not reused");
    }
    assert.deepEqual(concat(kept), upload);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection.drainBody counts a body larger than every window, acknowledging it as it comes",
  bounded(async () => {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    const counted: number[] = [];
    const server = H2StreamsConnection.server(
      { readable: up.readable, writable: down.writable },
      {
        // RFC 9113 §6.9: the client can only send 3 MiB if the server keeps reopening windows.
        streamWindow: 65_535,
        connectionWindow: 65_535,
        onEvent(event: H2Event) {
          if (event.type !== "RequestReceived") return;
          void server.drainBody(event.streamId).then((octets) => {
            counted.push(octets);
            return server.respond(event.streamId, OK, new TextEncoder().encode(`${octets}`));
          });
        },
      },
    );
    const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
    const size = 3 * 1_048_576 + 17;
    const answer = await exchange(client, POST, body(1, size));
    assert.equal(new TextDecoder().decode(answer), `${size}`);
    assert.deepEqual(
      await exchange(client, POST, new Uint8Array(0)),
      new TextEncoder().encode("0"),
    );
    assert.deepEqual(counted, [size, 0]);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection.drainBody rejects with StreamResetError when the peer resets the stream",
  bounded(async () => {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    let drained: Promise<number> | undefined;
    const server = H2StreamsConnection.server(
      { readable: up.readable, writable: down.writable },
      {
        onEvent(event: H2Event) {
          if (event.type === "RequestReceived") drained = server.drainBody(event.streamId);
        },
      },
    );
    const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
    // A body that never ends: one chunk, then the stream is reset (RFC 9113 §6.4).
    const { streamId } = client.request(
      POST,
      new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(new Uint8Array(1_000)),
      }),
    );
    while (drained === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    client.reset(streamId);
    const error = await drained.then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof StreamResetError, `got ${error}`);
    assert.equal(error.streamId, streamId);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection.drainBody and requestBody take a body once between them",
  bounded(async () => {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    const failures: unknown[] = [];
    const server = H2StreamsConnection.server(
      { readable: up.readable, writable: down.writable },
      {
        onEvent(event: H2Event) {
          if (event.type !== "RequestReceived") return;
          const body = server.requestBody(event.streamId);
          try {
            void server.drainBody(event.streamId);
          } catch (error) {
            failures.push(error);
          }
          void new Response(body).arrayBuffer().then(() => server.respond(event.streamId, OK));
        },
      },
    );
    const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
    await exchange(client, POST, body(2, 100));
    assert.equal(failures.length, 1);
    assert.ok(failures[0] instanceof TypeError);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection reuses its read buffer after PINGs: the events' bytes are copies (RFC 9113 §6.7)",
  bounded(async () => {
    const { client, toServer, fromServer } = clientWithPipes();
    const reader = new RecordingReader(toServer);
    const pings: Uint8Array[] = [];
    const server = H2StreamsConnection.server(
      { readable: reader, writable: fromServer } as unknown as H2Transport,
      {
        onEvent(event: H2Event) {
          if (event.type === "PingReceived") pings.push(event.pingData);
          if (event.type === "RequestReceived") {
            void server.respond(event.streamId, OK, new TextEncoder().encode("hello"));
          }
        },
      },
    );
    await exchange(client, GET);
    for (let i = 0; i < 10; i++) {
      client.connection.ping(new Uint8Array(8).fill(i + 1));
      await client.flush();
      await exchange(client, GET);
    }
    // The client's own BDP PINGs (it consumes the responses' DATA) arrive too.
    const ours = pings.filter((data) => data[0]! >= 1 && data[0]! <= 10);
    assert.equal(ours.length, 10);
    ours.forEach((data, i) => assert.deepEqual(data, new Uint8Array(8).fill(i + 1)));
    const quiet = reader.buffers.slice(-10);
    assert.ok(quiet.every((buffer) => buffer === quiet[0]), "PINGs do not stop the reuse");
    await client.close();
    await server.closed;
  }),
);
