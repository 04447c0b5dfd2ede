/**
 * Tests of `lib/web_streams.ts`: a client and a server adapter joined by
 * in-memory `TransformStream` pipes (whose writes resolve only once the other
 * side reads, like a socket with a small buffer), or one adapter against raw
 * frames from `tests/_helpers/frames.ts`.
 */

import assert from "node:assert/strict";
import { bounded } from "./interop/_server_helpers.ts";
import { H2StreamsConnection, StreamResetError } from "../lib/web_streams.ts";
import type { H2StreamsConnectOptions, H2Transport } from "../lib/web_streams.ts";
import { ErrorCode, H2Error } from "../lib/errors.ts";
import type { H2Event, HeaderField } from "../lib/events.ts";
import { concat, frames } from "./_helpers/frames.ts";
import { parseFrames } from "./_helpers/decode.ts";
import { patternSource, readPattern } from "./_helpers/pattern.ts";

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

/** Two transports joined back to back. */
function pipes(): { a: H2Transport; b: H2Transport } {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return {
    a: { readable: ba.readable, writable: ab.writable },
    b: { readable: ab.readable, writable: ba.writable },
  };
}

/** A client and a server adapter over in-memory pipes. */
function pair(
  serverOptions: H2StreamsConnectOptions = {},
  clientOptions: H2StreamsConnectOptions = {},
): { client: H2StreamsConnection; server: H2StreamsConnection } {
  const { a, b } = pipes();
  const server = H2StreamsConnection.server(b, serverOptions);
  const client = H2StreamsConnection.client(a, clientOptions);
  return { client, server };
}

/** The first event of `type` from an adapter's iterator. */
async function next<T extends H2Event["type"]>(
  conn: H2StreamsConnection,
  type: T,
): Promise<Extract<H2Event, { type: T }>> {
  for await (const event of conn) {
    if (event.type === type) return event as Extract<H2Event, { type: T }>;
  }
  throw new Error(`Connection closed before a ${type} event`);
}

function waitFor(predicate: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (predicate()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`Timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

/** Waits until `value()` has not changed for `quietMs`, and returns it (bounded by `ms`). */
async function settled(
  value: () => number,
  what: string,
  quietMs = 200,
  ms = 10_000,
): Promise<number> {
  const deadline = performance.now() + ms;
  let last = value();
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    if (performance.now() > deadline) throw new Error(`${what} never settled (at ${last})`);
    await new Promise((r) => setTimeout(r, 10));
    const now = value();
    if (now !== last) {
      last = now;
      since = performance.now();
    }
  }
  return last;
}

Deno.test(
  "H2StreamsConnection carries a request body and a response with trailers (RFC 9113 §8.1)",
  bounded(async () => {
    const { client, server } = pair({
      onEvent(event) {
        if (event.type !== "RequestReceived") return;
        void (async () => {
          const text = await new Response(server.requestBody(event.streamId)).text();
          const body = new TextEncoder().encode(`got ${text.length}: ${text}`);
          await server.respond(
            event.streamId,
            [[":status", "200"], ["x-path", event.headers[3]![1]]],
            body,
            {
              trailers: [["x-checksum", "abc"]],
            },
          );
        })();
      },
    });
    const { streamId, sent } = client.request(POST, new TextEncoder().encode("hello h2"));
    assert.equal(await sent, true);
    const response = await next(client, "ResponseReceived");
    assert.equal(response.streamId, streamId);
    assert.deepEqual(response.headers.slice(0, 2), [[":status", "200"], ["x-path", "/upload"]]);
    const trailers = next(client, "TrailersReceived");
    assert.equal(await new Response(client.responseBody(streamId)).text(), "got 8: hello h2");
    assert.deepEqual((await trailers).headers, [["x-checksum", "abc"]]);
    await client.close();
    await server.closed;
    assert.equal(server.error, undefined);
  }),
);

Deno.test(
  "H2StreamsConnection serves many concurrent streams on one connection",
  bounded(async () => {
    const { client, server } = pair({
      onEvent(event) {
        if (event.type === "RequestReceived") {
          const path = event.headers.find(([name]) => name === ":path")![1];
          void server.respond(event.streamId, [[":status", "200"]], new TextEncoder().encode(path));
        }
      },
    });
    const ids = new Map<number, string>();
    for (let i = 0; i < 50; i++) {
      const path = `/item/${i}`;
      const { streamId } = client.request([...GET.slice(0, 3), [":path", path]]);
      ids.set(streamId, path);
    }
    let seen = 0;
    for await (const event of client) {
      if (event.type !== "ResponseReceived") continue;
      assert.equal(
        await new Response(client.responseBody(event.streamId)).text(),
        ids.get(event.streamId),
      );
      if (++seen === ids.size) break;
    }
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection moves a 64 MiB body through 64 KiB windows intact (RFC 9113 §6.9)",
  bounded(async () => {
    const size = 64 * 1024 * 1024;
    const source = patternSource(size);
    const { client, server } = pair({
      onEvent(event) {
        if (event.type === "RequestReceived") {
          void server.respond(event.streamId, [[":status", "200"]], source.stream);
        }
      },
    }, { streamWindow: 65_535, connectionWindow: 65_535 });
    const { streamId } = client.request(GET);
    await next(client, "ResponseReceived");
    assert.equal(await readPattern(client.responseBody(streamId)), size);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection keeps memory bounded when the receiver does not read (RFC 9113 §5.2)",
  bounded(async (t) => {
    await t.step(
      "response body: the server pulls at most window + send buffer from its source",
      async () => {
        const source = patternSource(32 * 1024 * 1024, 16_384);
        const { client, server } = pair({
          onEvent(event) {
            if (event.type === "RequestReceived") {
              void server.respond(event.streamId, [[":status", "200"]], source.stream);
            }
          },
        }, { streamWindow: 65_535, connectionWindow: 65_535 });
        const { streamId } = client.request(GET);
        await next(client, "ResponseReceived");
        // Give the server every chance to over-produce while the client reads nothing.
        await waitFor(() => source.state.pulled >= 65_535, "the first window");
        const stalled = await settled(() => source.state.pulled, "the body source");
        assert.ok(
          stalled <= 65_535 + 409_600 + 16_384,
          `pulled ${stalled} octets with nobody reading`,
        );
        // Reading resumes the flow, and the body is intact.
        assert.equal(await readPattern(client.responseBody(streamId)), 32 * 1024 * 1024);
        await client.close();
        await server.closed;
      },
    );

    await t.step(
      "request body: a server that does not read stalls the client at its stream window",
      async () => {
        const source = patternSource(32 * 1024 * 1024, 16_384);
        let body: ReadableStream<Uint8Array> | undefined;
        const { client, server } = pair({
          streamWindow: 131_072,
          onEvent(event) {
            if (event.type === "RequestReceived") body = server.requestBody(event.streamId);
          },
        });
        const { sent } = client.request(POST, source.stream);
        await waitFor(() => source.state.pulled >= 131_072, "the first window");
        const stalled = await settled(() => source.state.pulled, "the body source");
        assert.ok(
          stalled <= 131_072 + 409_600 + 16_384,
          `pulled ${stalled} octets with nobody reading`,
        );
        assert.ok(body !== undefined);
        assert.equal(await readPattern(body), 32 * 1024 * 1024);
        assert.equal(await sent, true);
        await client.close();
        await server.closed;
      },
    );
  }),
);

/** A server adapter fed by a raw writer, whose output nobody reads. */
function undrainedServer(onEvent: (server: H2StreamsConnection, event: H2Event) => void) {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const fromServer = new TransformStream<Uint8Array, Uint8Array>();
  const server: H2StreamsConnection = H2StreamsConnection.server(
    { readable: toServer.readable, writable: fromServer.writable },
    { onEvent: (event) => onEvent(server, event) },
  );
  const writer = toServer.writable.getWriter();
  let written = 0;
  const send = (bytes: Uint8Array) =>
    writer.write(bytes).then(() => {
      written += bytes.length;
    });
  const teardown = async () => {
    // Nobody drains the output, so no GOAWAY could ever be flushed: tear down.
    await server.abort();
    await fromServer.readable.cancel().catch(() => {});
    await writer.abort().catch(() => {});
  };
  return { server, send, written: () => written, teardown };
}

function pingBurst(count: number): Uint8Array {
  const ping = frames.ping().toBytes();
  const burst = new Uint8Array(ping.length * count);
  for (let i = 0; i < count; i++) burst.set(ping, i * ping.length);
  return burst;
}

Deno.test(
  "H2StreamsConnection stops reading while its output is not drained (CVE-2019-9517)",
  bounded(async (t) => {
    await t.step("above 512 KiB of pending output no more input is consumed", async () => {
      // The peer opens its windows wide, asks for 8 MiB and never reads: DATA is generated only
      // up to the soft cap, and the PING flood that follows is not even read.
      const peer = undrainedServer((server, event) => {
        if (event.type === "RequestReceived") {
          void server.respond(
            event.streamId,
            [[":status", "200"]],
            new Uint8Array(8 * 1024 * 1024),
          );
        }
      });
      const opening = frames.raw(
        frames.preface(),
        frames.settings().initialWindowSize(2 ** 31 - 1),
        frames.windowUpdate(0, 2 ** 31 - 1 - 65_535),
        frames.headers(1).request("GET", "/").endStream(),
      ).toBytes();
      void peer.send(opening).catch(() => {});
      const burst = pingBurst(500);
      const flood = (async () => {
        for (let i = 0; i < 200; i++) await peer.send(burst);
      })();
      void flood.catch(() => {});
      await waitFor(() => peer.server.bytesRead >= opening.length, "the request");
      // A few PING bursts may be read before in-flight + queued output passes the mark; then none.
      const read = await settled(() => peer.server.bytesRead, "the server's reading", 300);
      assert.ok(
        read <= opening.length + 8 * burst.length,
        `the server read ${read} octets of a ${200 * burst.length}-octet flood it could not answer`,
      );
      const pending = peer.server.connection.outboundBufferSize;
      assert.ok(pending <= 524_288 + 16_384 + 9, `the engine holds ${pending} octets`);
      assert.equal(peer.server.isClosed, false, "stalled, not failed");
      await peer.teardown();
    });

    await t.step(
      "a PING flood that outruns the writes hits the engine's ACK budget (ENHANCE_YOUR_CALM)",
      async () => {
        const peer = undrainedServer(() => {});
        void peer.send(frames.raw(frames.preface(), frames.settings()).toBytes()).catch(() => {});
        const burst = pingBurst(1_000);
        const flood = (async () => {
          for (let i = 0; i < 400; i++) await peer.send(burst);
        })();
        void flood.catch(() => {});
        await waitFor(() => peer.server.isClosed, "the connection to fail");
        assert.ok(peer.server.error instanceof H2Error);
        assert.equal(peer.server.error.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
        assert.ok(
          peer.written() < 10 * burst.length,
          `${peer.written()} octets of PINGs were taken`,
        );
        await peer.teardown();
      },
    );
  }),
);

Deno.test(
  "H2StreamsConnection cancels a body when the peer resets the stream (RFC 9113 §6.4)",
  bounded(async (t) => {
    await t.step("the response body source is cancelled and respond() resolves false", async () => {
      const source = patternSource(Infinity, 16_384);
      let responded: Promise<boolean> | undefined;
      const { client, server } = pair({
        onEvent(event) {
          if (event.type === "RequestReceived") {
            responded = server.respond(event.streamId, [[":status", "200"]], source.stream);
          }
        },
      });
      const { streamId } = client.request(GET);
      await next(client, "ResponseReceived");
      const reader = client.responseBody(streamId).getReader();
      assert.ok(!(await reader.read()).done);
      client.reset(streamId, ErrorCode.CANCEL);
      await waitFor(() => source.state.cancelled !== undefined, "the body source to be cancelled");
      assert.ok(source.state.cancelled instanceof StreamResetError);
      assert.equal((source.state.cancelled as StreamResetError).errorCode, ErrorCode.CANCEL);
      assert.equal(await responded, false);
      await client.close();
      await server.closed;
    });

    await t.step("the request body errors with StreamResetError", async () => {
      const source = patternSource(Infinity, 16_384);
      let body: ReadableStream<Uint8Array> | undefined;
      const { client, server } = pair({
        onEvent(event) {
          if (event.type === "RequestReceived") body = server.requestBody(event.streamId);
        },
      });
      const { streamId } = client.request(POST, source.stream);
      await waitFor(() => body !== undefined, "the request");
      const reader = body!.getReader();
      assert.ok(!(await reader.read()).done);
      client.reset(streamId, ErrorCode.INTERNAL_ERROR);
      await assert.rejects(
        async () => {
          while (!(await reader.read()).done) { /* drain */ }
        },
        (error: unknown) =>
          error instanceof StreamResetError && error.errorCode === ErrorCode.INTERNAL_ERROR &&
          error.streamId === streamId,
      );
      await client.close();
      await server.closed;
    });
  }),
);

Deno.test(
  "H2StreamsConnection flushes the GOAWAY and closes the transport on a connection error (RFC 9113 §5.4.1)",
  bounded(async () => {
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    const fromServer = new TransformStream<Uint8Array, Uint8Array>();
    const server = H2StreamsConnection.server({
      readable: toServer.readable,
      writable: fromServer.writable,
    });
    const writer = toServer.writable.getWriter();
    // §6.1: DATA on stream 0 is a connection error of type PROTOCOL_ERROR.
    void writer.write(
      frames.raw(frames.preface(), frames.settings(), frames.data(0, "x")).toBytes(),
    )
      .catch(() => {});
    const chunks: Uint8Array[] = [];
    for await (const chunk of fromServer.readable) chunks.push(chunk); // ends when the server closes
    const wire = parseFrames(new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer()));
    const last = wire.at(-1)!;
    assert.equal(last.type, 0x7, "the last frame is a GOAWAY");
    assert.equal(new DataView(last.payload.buffer).getUint32(4), ErrorCode.PROTOCOL_ERROR);
    await server.closed;
    assert.ok(server.error instanceof H2Error);
    assert.equal(server.isClosed, true);
  }),
);

Deno.test(
  "H2StreamsConnection shuts down gracefully on abort: in-flight streams finish (RFC 9113 §6.8)",
  bounded(async () => {
    const controller = new AbortController();
    const source = patternSource(4 * 1024 * 1024);
    const { client, server } = pair({
      signal: controller.signal,
      onEvent(event) {
        if (event.type === "RequestReceived") {
          void server.respond(event.streamId, [[":status", "200"]], source.stream);
        }
      },
    });
    const { streamId } = client.request(GET);
    await next(client, "ResponseReceived");
    controller.abort();
    const goAway = next(client, "ConnectionTerminated");
    assert.equal(await readPattern(client.responseBody(streamId)), 4 * 1024 * 1024);
    const terminated = await goAway;
    assert.equal(terminated.errorCode, ErrorCode.NO_ERROR);
    assert.ok(terminated.lastStreamId >= streamId);
    await server.closed;
    assert.equal(server.error, undefined);
    await client.close();
  }),
);

Deno.test(
  "H2StreamsConnection resets a long unread upload with NO_ERROR after the response (RFC 9113 §8.1)",
  bounded(async () => {
    const source = patternSource(Infinity, 16_384);
    const { client, server } = pair({
      onEvent(event) {
        if (event.type === "RequestReceived") {
          void server.respond(event.streamId, [[":status", "413"]]);
        }
      },
    });
    const { streamId, sent } = client.request(POST, source.stream);
    const response = await next(client, "ResponseReceived");
    assert.equal(response.headers[0]![1], "413");
    const reset = await next(client, "StreamReset");
    assert.equal(reset.streamId, streamId);
    assert.equal(reset.errorCode, ErrorCode.NO_ERROR);
    assert.equal(await sent, false);
    await waitFor(() => source.state.cancelled !== undefined, "the request body to be cancelled");
    // The reset came once more than a default stream window (1 MiB) arrived after the response.
    assert.ok(source.state.pulled > 1_048_576, `reset after ${source.state.pulled} octets`);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection lets a short unread request body end normally after the response (RFC 9113 §8.1)",
  bounded(async () => {
    const source = patternSource(200_000, 16_384);
    const { client, server } = pair({
      onEvent(event) {
        if (event.type === "RequestReceived") {
          void server.respond(event.streamId, [[":status", "204"]]);
        }
      },
    });
    const { streamId, sent } = client.request(POST, source.stream);
    const events: H2Event[] = [];
    for await (const event of client) {
      events.push(event);
      if (
        event.type === "StreamReset" ||
        (event.type === "StreamEnded" && event.streamId === streamId)
      ) {
        break;
      }
    }
    assert.equal(await sent, true, "the whole body was sent");
    assert.deepEqual(events.filter((e) => e.type === "StreamReset"), [], "no RST_STREAM");
    await waitFor(
      () => server.connection.openInboundStreams === 0,
      "the stream to close on both sides",
    );
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection gives back the connection window of bodies dropped by a reset (RFC 9113 §6.9)",
  bounded(async () => {
    // Bodies nobody read are still counted against the connection window: when their streams are
    // reset, the credit must come back, or the connection stalls for good after a few of them.
    let read: Promise<string> | undefined;
    const { client, server } = pair({
      streamWindow: 65_535,
      connectionWindow: 131_072,
      onEvent(event) {
        if (event.type !== "RequestReceived") return;
        if (event.headers.some(([name, value]) => name === ":path" && value === "/read")) {
          read = new Response(server.requestBody(event.streamId)).text();
        }
      },
    });
    const ignored = [...POST.slice(0, 3), [":path", "/ignored"]] as HeaderField[];
    for (let i = 0; i < 6; i++) {
      const { streamId, sent } = client.request(ignored, new Uint8Array(60_000));
      assert.equal(await sent, true);
      await client.flush();
      await new Promise((r) => setTimeout(r, 10)); // let the server queue the body unread
      client.reset(streamId, ErrorCode.CANCEL);
    }
    const body = "x".repeat(200_000);
    const { sent } = client.request(
      [...POST.slice(0, 3), [":path", "/read"]],
      new TextEncoder().encode(body),
    );
    await waitFor(() => read !== undefined, "the /read request");
    assert.equal((await read)!.length, body.length);
    assert.equal(await sent, true);
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection lets a client read the body of a pushed response (RFC 9113 §8.4)",
  bounded(async () => {
    const { client, server } = pair({
      onEvent(event) {
        if (event.type !== "RequestReceived") return;
        const promised = server.connection.getNextAvailableStreamId();
        server.connection.pushStream(event.streamId, promised, [...GET.slice(0, 3), [
          ":path",
          "/pushed",
        ]]);
        void server.respond(
          promised,
          [[":status", "200"]],
          new TextEncoder().encode("pushed body"),
        );
        void server.respond(event.streamId, [[":status", "200"]], new TextEncoder().encode("main"));
      },
    });
    const { streamId } = client.request(GET);
    const pushed = await next(client, "PushedStreamReceived");
    assert.equal(pushed.parentStreamId, streamId);
    assert.equal(
      await new Response(client.responseBody(pushed.pushedStreamId)).text(),
      "pushed body",
    );
    assert.equal(await new Response(client.responseBody(streamId)).text(), "main");
    await client.close();
    await server.closed;
  }),
);

Deno.test(
  "H2StreamsConnection fails only its connection, with GOAWAY(INTERNAL_ERROR), when onEvent throws (RFC 9113 §5.4.1)",
  bounded(async () => {
    const bug = new Error("handler bug");
    const { client, server } = pair({
      onEvent(event) {
        if (event.type === "RequestReceived") throw bug;
      },
    });
    client.request(GET);
    const goAway = await next(client, "ConnectionTerminated");
    assert.equal(goAway.errorCode, ErrorCode.INTERNAL_ERROR);
    await server.closed;
    assert.equal(server.error, bug);
    await client.closed;
  }),
);

Deno.test(
  "H2StreamsConnection.respond() with a streamed body sends the HEADERS before the body's first chunk (RFC 9113 §8.1)",
  bounded(async () => {
    const { client, server } = pair();
    let release!: (value: Uint8Array) => void;
    const firstChunk = new Promise<Uint8Array>((resolve) => release = resolve);
    const serving = (async () => {
      const request = await next(server, "RequestReceived");
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          controller.enqueue(await firstChunk);
          controller.close();
        },
      });
      await server.respond(request.streamId, [[":status", "200"]], body);
    })();
    const { streamId } = client.request(GET, undefined);
    const response = await next(client, "ResponseReceived");
    // The body has not produced a byte yet, and the response head already arrived.
    assert.equal(response.streamId, streamId);
    assert.deepEqual(response.headers, [[":status", "200"]]);
    release(new TextEncoder().encode("late"));
    const text = await new Response(client.responseBody(streamId)).text();
    assert.equal(text, "late");
    await serving;
    await client.close();
    await server.closed;
  }, 10_000),
);

Deno.test(
  "H2StreamsConnection holds back END_STREAM while a stream window is negative (RFC 9113 §6.9.2)",
  bounded(async () => {
    // RFC 9113 §6.9.2: after a smaller SETTINGS_INITIAL_WINDOW_SIZE "the sender MUST NOT send new
    // flow-controlled frames until it receives WINDOW_UPDATE frames that cause the flow-control
    // window to become positive" — the empty DATA frame carrying END_STREAM included.
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    const fromServer = new TransformStream<Uint8Array, Uint8Array>();
    let finishBody!: () => void;
    const server: H2StreamsConnection = H2StreamsConnection.server(
      { readable: toServer.readable, writable: fromServer.writable },
      {
        onEvent(event) {
          if (event.type !== "RequestReceived") return;
          void server.respond(
            event.streamId,
            [[":status", "200"]],
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(new Uint8Array(100).fill(7));
                finishBody = () => controller.close();
              },
            }),
          );
        },
      },
    );
    const writer = toServer.writable.getWriter();
    const reader = fromServer.readable.getReader();
    // Each write of the adapter is whole frames (one `dataToSend()`).
    const received: Uint8Array[] = [];
    const pump = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        received.push(value);
      }
    })();
    const dataOn1 = () =>
      parseFrames(concat(received)).filter((f) => f.type === 0x0 && f.streamId === 1);
    await writer.write(
      frames.raw(
        frames.preface(),
        frames.settings().initialWindowSize(100),
        frames.headers(1).request("GET", "/").endStream(),
      ).toBytes(),
    );
    await waitFor(() => dataOn1().length === 1, "the 100-octet DATA frame");
    assert.equal(dataOn1()[0]!.payload.length, 100);
    // The window drops to 100 - 100 + (50 - 100) = -50; then the body ends.
    await writer.write(frames.settings().initialWindowSize(50).toBytes());
    await waitFor(() => server.connection.localFlowControlWindow(1) === -50, "the new window");
    finishBody();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(dataOn1().length, 1, "no END_STREAM while the window is negative");
    await writer.write(frames.windowUpdate(1, 49).toBytes()); // -1: still negative
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(dataOn1().length, 1, "no END_STREAM while the window is negative");
    await writer.write(frames.windowUpdate(1, 1).toBytes()); // 0: an empty frame fits
    await waitFor(() => dataOn1().length === 2, "the END_STREAM");
    const last = dataOn1()[1]!;
    assert.equal(last.payload.length, 0);
    assert.equal(last.flags & 0x1, 0x1, "END_STREAM");
    await server.close();
    await writer.close().catch(() => {});
    await pump;
  }),
);
