/**
 * Tests of `lib/serve_connection.ts`: fetch-style handlers served over
 * in-memory `TransformStream` pipes (and once over 127.0.0.1), with our
 * client (`lib/client.ts`) or a bare {@link H2StreamsConnection} as the peer.
 */

import assert from "node:assert/strict";
import { connect, type ConnectOptions, H2RequestError, trailers } from "../lib/client.ts";
import { H2Connection } from "../lib/connection.ts";
import { SettingCode } from "../lib/constants.ts";
import { ErrorCode } from "../lib/errors.ts";
import type { H2Event } from "../lib/events.ts";
import {
  serveConnection,
  type ServeConnectionHandler,
  type ServeConnectionInfo,
  type ServeConnectionOptions,
  withTrailers,
} from "../lib/serve_connection.ts";
import { H2StreamsConnection, StreamResetError } from "../lib/web_streams.ts";
import { bytes, frames, T } from "./_helpers/frames.ts";
import { BlockDecoder, describeFrames, parseFrames, type WireFrame } from "./_helpers/decode.ts";
import { patternSource, readPattern } from "./_helpers/pattern.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Rejects if `promise` takes longer than `ms`; clears its timer either way. */
async function within<T>(ms: number, promise: Promise<T>, what = "the test"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `Deno.test` with a time limit: a hung exchange fails the test instead of the whole run. */
function test(name: string, fn: (t: Deno.TestContext) => Promise<void>, ms = 30_000): void {
  Deno.test(name, (t) => within(ms, fn(t), name));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/** A server and a client session joined by in-memory pipes; counts octets client → server. */
function setup(
  handler: ServeConnectionHandler,
  serverOptions: ServeConnectionOptions = {},
  clientOptions: ConnectOptions = {},
) {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const errors: unknown[] = [];
  const server = serveConnection({ readable: up.readable, writable: down.writable }, handler, {
    onError(error) {
      errors.push(error);
      return new Response("handler failed", { status: 500 });
    },
    ...serverOptions,
  });
  const session = connect({ readable: down.readable, writable: up.writable }, clientOptions);
  return { server, session, errors };
}

test("serveConnection answers a GET with a Request built from the pseudo-headers (RFC 9113 §8.3.1)", async () => {
  const seen: { url: string; method: string; agent: string | null; streamId: number }[] = [];
  const { server, session } = setup((request, info) => {
    seen.push({
      url: request.url,
      method: request.method,
      agent: request.headers.get("x-agent"),
      streamId: info.streamId,
    });
    assert.equal(request.body, null);
    assert.equal(info.remoteAddr, undefined);
    assert.equal(info.connection, info.streams.connection);
    return new Response("hello", {
      headers: { "content-type": "text/plain", "x-multi": "a" },
    });
  });
  const response = await session.request("https://example.test:8443/a/b?c=d", {
    headers: { "x-agent": "test" },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain");
  assert.equal(response.headers.get("x-multi"), "a");
  assert.equal(await response.text(), "hello");
  assert.deepEqual(seen, [{
    url: "https://example.test:8443/a/b?c=d",
    method: "GET",
    agent: "test",
    streamId: 1,
  }]);
  await session.close();
  await server.finished;
});

test("serveConnection echoes an 8 MiB streaming POST body within flow control (RFC 9113 §5.2)", async () => {
  const { server, session } = setup((request) => new Response(request.body));
  const size = 8 * 1024 * 1024;
  const { stream } = patternSource(size);
  const response = await session.request("http://example.test/echo", {
    method: "POST",
    body: stream,
  });
  assert.equal(response.status, 200);
  assert.equal(await readPattern(response.body!), size);
  await session.close();
  await server.finished;
});

test("serveConnection: a handler that reads the body slowly throttles the client (RFC 9113 §5.2.2)", async () => {
  const streamWindow = 262_144;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const { server, session } = setup(async (request) => {
    await gate;
    let total = 0;
    for await (const chunk of request.body!) total += chunk.length;
    return new Response(String(total));
  }, { streamWindow });
  const size = 8 * 1024 * 1024;
  const { stream, state } = patternSource(size, 16_384);
  const responded = session.request("http://example.test/slow", { method: "POST", body: stream });
  // Wait until the upload stalls: nothing more arrives for 200 ms.
  let last = -1;
  while (server.streams.bytesRead !== last) {
    last = server.streams.bytesRead;
    await delay(200);
  }
  // Only the stream window (plus frame headers and the preface) can arrive unread.
  assert.ok(last < streamWindow + 32_768, `read ${last} octets while the handler did not read`);
  assert.ok(state.pulled < size / 4, `the client pulled ${state.pulled} octets of its body`);
  release();
  const response = await responded;
  assert.equal(await response.text(), String(size));
  await session.close();
  await server.finished;
});

test("serveConnection sends the headers at once when the body has nothing yet (server-sent events)", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const { server, session } = setup(() => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // The first event waits until the client has seen the response headers.
        if (sent === 0) await gate;
        if (sent === 3) return controller.close();
        controller.enqueue(encoder.encode(`data: ${sent++}\n\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const response = await within(5_000, session.request("http://example.test/events"), "headers");
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  release();
  assert.equal(await response.text(), "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  await session.close();
  await server.finished;
});

test("serveConnection pulls the response body only as fast as the client's window allows (RFC 9113 §5.2)", async () => {
  const size = 8 * 1024 * 1024;
  const source = patternSource(size, 16_384);
  const { server, session } = setup(() => new Response(source.stream), {}, {
    streamWindow: 65_535,
    connectionWindow: 65_535,
  });
  const response = await session.request("http://example.test/download");
  // The client does not read: the server may fill the window plus its per-stream send buffer
  // (400 KiB), and then must stop pulling from the body source.
  await waitFor(() => source.state.pulled >= 65_535, "the window to fill");
  let last = -1;
  while (source.state.pulled !== last) {
    last = source.state.pulled;
    await delay(100);
  }
  assert.ok(last >= 65_535, `pulled only ${last} octets: the window was not even filled`);
  assert.ok(last <= 65_535 + 409_600 + 16_384, `pulled ${last} octets of an unread response`);
  assert.equal(await readPattern(response.body!), size);
  await session.close();
  await server.finished;
});

test("serveConnection aborts request.signal when the client resets the stream (RFC 9113 §6.4)", async () => {
  const { promise: reason, resolve } = Promise.withResolvers<unknown>();
  const { promise: entered, resolve: enter } = Promise.withResolvers<void>();
  const { server, session } = setup((request) => {
    if (new URL(request.url).pathname === "/again") return new Response("still serving");
    enter();
    return new Promise((resolveResponse) => {
      request.signal.addEventListener("abort", () => {
        resolve(request.signal.reason);
        resolveResponse(new Response("too late"));
      });
    });
  });
  const controller = new AbortController();
  const responded = session.request("http://example.test/wait", { signal: controller.signal });
  await entered;
  controller.abort();
  await assert.rejects(responded);
  const error = await reason;
  assert.ok(error instanceof StreamResetError);
  assert.equal(error.errorCode, ErrorCode.CANCEL);
  // The connection lives on.
  const response = await session.request("http://example.test/again");
  assert.equal(await response.text(), "still serving");
  await session.close();
  await server.finished;
});

test("serveConnection aborts request.signal when the connection dies", async () => {
  const { promise: entered, resolve: enter } = Promise.withResolvers<void>();
  const { promise: aborted, resolve: abortSeen } = Promise.withResolvers<unknown>();
  const { server, session } = setup((request) => {
    enter();
    request.signal.addEventListener("abort", () => abortSeen(request.signal.reason));
    return new Promise(() => {}); // never answers
  });
  void session.request("http://example.test/hang").catch(() => {});
  await entered;
  await session.destroy(ErrorCode.INTERNAL_ERROR);
  assert.ok(await aborted instanceof StreamResetError);
  await server.finished;
});

test("serveConnection sends trailers registered with withTrailers, also as a promise (RFC 9113 §8.1)", async (t) => {
  const { server, session } = setup(async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/sync") {
      return withTrailers(new Response("body"), { "x-checksum": "1234" });
    }
    if (path === "/empty") return withTrailers(new Response(null), [["x-only", "trailer"]]);
    // The trailers depend on the body: resolved only after the body stream has been read.
    let count = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (count === 3) return controller.close();
        count++;
        controller.enqueue(encoder.encode(`part${count};`));
      },
    });
    const { promise, resolve } = Promise.withResolvers<HeadersInit>();
    const counted = body.pipeThrough(
      new TransformStream({ flush: () => resolve({ "x-parts": String(count) }) }),
    );
    await Promise.resolve();
    return withTrailers(new Response(counted), promise);
  });
  await t.step("a fixed trailer list", async () => {
    const response = await session.request("http://example.test/sync");
    assert.equal(await response.text(), "body");
    assert.equal((await trailers(response)).get("x-checksum"), "1234");
  });
  await t.step("trailers after an empty body", async () => {
    const response = await session.request("http://example.test/empty");
    assert.equal(await response.text(), "");
    assert.equal((await trailers(response)).get("x-only"), "trailer");
  });
  await t.step("trailers promised until the body is done", async () => {
    const response = await session.request("http://example.test/promise");
    assert.equal(await response.text(), "part1;part2;part3;");
    assert.equal((await trailers(response)).get("x-parts"), "3");
  });
  await session.close();
  await server.finished;
});

test("serveConnection sends 103 Early Hints before the final response (RFC 8297, RFC 9113 §8.1)", async () => {
  const informational: { status: number; link: string | null }[] = [];
  let saved: ServeConnectionInfo | undefined;
  const { server, session } = setup((_request, info) => {
    saved = info;
    assert.throws(() => info.upgrade(), /the method is not CONNECT/);
    info.earlyHints({ link: "</style.css>; rel=preload; as=style" });
    info.sendInformational(100);
    assert.throws(() => info.sendInformational(101), RangeError);
    assert.throws(() => info.sendInformational(200), RangeError);
    return new Response("page");
  });
  const response = await session.request("http://example.test/", {
    onInformational: (r) => informational.push({ status: r.status, link: r.headers.get("link") }),
  });
  assert.equal(await response.text(), "page");
  assert.deepEqual(informational, [
    { status: 103, link: "</style.css>; rel=preload; as=style" },
    { status: 100, link: null },
  ]);
  // After the final response, a 1xx is misuse (RFC 9110 §15.2: 1xx precede the final response).
  assert.throws(() => saved!.earlyHints({ link: "</late.css>" }), /the final response was sent/);
  await session.close();
  await server.finished;
});

test("serveConnection turns handler failures into 500 or, once the headers are out, RST_STREAM INTERNAL_ERROR", async (t) => {
  const { server, session, errors } = setup((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/throw") throw new Error("boom");
    if (path === "/reject") return Promise.reject(new Error("async boom"));
    if (path === "/not-a-response") return "nope" as unknown as Response;
    if (path === "/trailers-reject") {
      return withTrailers(new Response("body"), Promise.reject(new Error("no trailers")));
    }
    if (path === "/body-fails-at-once") {
      // Nothing was sent yet: the client still gets a status.
      return new Response(new ReadableStream({ pull: (c) => c.error(new Error("early boom")) }));
    }
    // The body fails later, after the headers and a first chunk were sent.
    let sent = false;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(encoder.encode("partial"));
          } else {
            await delay(20);
            controller.error(new Error("body boom"));
          }
        },
      }),
    );
  });
  for (const path of ["/throw", "/reject", "/not-a-response"]) {
    await t.step(`${path} gets a 500 from onError`, async () => {
      const response = await session.request(`http://example.test${path}`);
      assert.equal(response.status, 500);
      assert.equal(await response.text(), "handler failed");
    });
  }
  assert.equal(errors.length, 3);
  assert.equal((errors[0] as Error).message, "boom");
  assert.ok(errors[2] instanceof TypeError);
  await t.step("a body failing before its first chunk gets a 500", async () => {
    const response = await session.request("http://example.test/body-fails-at-once");
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "");
  });
  await t.step("a body failing mid-way resets the stream with INTERNAL_ERROR", async () => {
    const response = await session.request("http://example.test/body-fails");
    assert.equal(response.status, 200);
    const error = await response.text().then(() => undefined, (e) => e);
    assert.ok(error instanceof H2RequestError, String(error));
    assert.equal(error.errorCode, ErrorCode.INTERNAL_ERROR);
  });
  await t.step("a rejected trailer promise resets the stream with INTERNAL_ERROR", async () => {
    const response = await session.request("http://example.test/trailers-reject");
    const error = await response.text().then(() => undefined, (e) => e);
    assert.ok(error instanceof H2RequestError, String(error));
    assert.equal(error.errorCode, ErrorCode.INTERNAL_ERROR);
  });
  await session.close();
  await server.finished;
});

test("serveConnection drops connection-specific response fields (RFC 9113 §8.2.2)", async () => {
  const { server, session } = setup(() =>
    withTrailers(
      new Response("ok", {
        headers: {
          connection: "keep-alive",
          "keep-alive": "timeout=5",
          "transfer-encoding": "chunked",
          upgrade: "h2c",
          "proxy-connection": "close",
          te: "gzip",
          "x-kept": "yes",
        },
      }),
      { connection: "close", "x-trailer": "kept" },
    )
  );
  const response = await session.request("http://example.test/");
  assert.equal(response.status, 200);
  assert.deepEqual([...response.headers].map(([name]) => name).sort(), ["content-type", "x-kept"]);
  assert.equal(await response.text(), "ok");
  assert.deepEqual([...await trailers(response)], [["x-trailer", "kept"]]);
  await session.close();
  await server.finished;
});

test("serveConnection's default onError answers an empty 500 and logs the error", async () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    const server = serveConnection({ readable: up.readable, writable: down.writable }, () => {
      throw new Error("default boom");
    });
    const session = connect({ readable: down.readable, writable: up.writable });
    const response = await session.request("http://example.test/");
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "");
    assert.equal(logged.length, 1);
    assert.equal((logged[0]![1] as Error).message, "default boom");
    await session.close();
    await server.finished;
  } finally {
    console.error = original;
  }
});

test("serveConnection sends no body for HEAD, 204 and 304 (RFC 9110 §9.3.2, §6.4.1)", async (t) => {
  const { server, session } = setup((request) => {
    const status = Number(new URL(request.url).searchParams.get("status") ?? 200);
    return new Response(status === 200 ? "twelve bytes" : null, {
      status,
      headers: { "content-length": "12" },
    });
  });
  for (const [method, status] of [["HEAD", 200], ["GET", 204], ["GET", 304]] as const) {
    await t.step(`${method} ${status}`, async () => {
      const response = await session.request(`http://example.test/?status=${status}`, { method });
      assert.equal(response.status, status);
      assert.equal(await response.text(), "");
    });
  }
  await session.close();
  await server.finished;
});

test("serveConnection relays an extended CONNECT tunnel (RFC 8441 §4, §5)", async () => {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const seen: { method: string; protocol: string | undefined; url: string }[] = [];
  const server = serveConnection(
    { readable: up.readable, writable: down.writable },
    (request, info) => {
      seen.push({ method: request.method, protocol: info.protocol, url: request.url });
      const tunnel = info.upgrade({ "sec-websocket-protocol": "echo" });
      // Echo every chunk back, upper-cased, until the client ends its side.
      void tunnel.readable
        .pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform: (chunk, controller) =>
              controller.enqueue(encoder.encode(decoder.decode(chunk).toUpperCase())),
          }),
        )
        .pipeTo(tunnel.writable);
      return tunnel.response;
    },
    { enableConnectProtocol: true },
  );
  const events: H2Event[] = [];
  let wakeUp: (() => void) | undefined;
  const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable }, {
    onEvent(event) {
      events.push(event);
      wakeUp?.();
    },
  });
  const next = (type: H2Event["type"]) =>
    waitFor(() => events.some((e) => e.type === type), type).then(() =>
      events.find((e) => e.type === type)!
    );
  // RFC 8441 §3: the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
  await next("RemoteSettingsChanged");
  assert.equal(client.connection.remoteSettings.get(SettingCode.ENABLE_CONNECT_PROTOCOL), 1);

  const outbound = new TransformStream<Uint8Array, Uint8Array>();
  const writer = outbound.writable.getWriter();
  const { streamId } = client.request([
    [":method", "CONNECT"],
    [":protocol", "websocket"],
    [":scheme", "https"],
    [":authority", "example.test"],
    [":path", "/chat"],
  ], outbound.readable);
  // The adapter frames a request's HEADERS with the body's first chunk; the client waits for the
  // 200 first (RFC 8441 §5), so push the HEADERS out now.
  await client.flush();
  const response = await next("ResponseReceived");
  assert.ok(response.type === "ResponseReceived");
  assert.deepEqual(response.headers, [[":status", "200"], ["sec-websocket-protocol", "echo"]]);
  const reader = client.responseBody(streamId).getReader();
  for (const word of ["hello", "tunnel"]) {
    await writer.write(encoder.encode(word));
    const { value } = await reader.read();
    assert.equal(decoder.decode(value), word.toUpperCase());
  }
  await writer.close();
  assert.equal((await reader.read()).done, true); // the server ended its side after ours
  // Plain CONNECT (RFC 9113 §8.5: only :method and :authority) is accepted the same way.
  const plain = new TransformStream<Uint8Array, Uint8Array>();
  const plainWriter = plain.writable.getWriter();
  const second = client.request(
    [[":method", "CONNECT"], [":authority", "example.test:443"]],
    plain.readable,
  );
  await client.flush();
  await waitFor(
    () => events.some((e) => e.type === "ResponseReceived" && e.streamId === second.streamId),
    "the plain CONNECT response",
  );
  const plainReader = client.responseBody(second.streamId).getReader();
  await plainWriter.write(encoder.encode("raw bytes"));
  assert.equal(decoder.decode((await plainReader.read()).value), "RAW BYTES");
  await plainWriter.close();
  assert.equal((await plainReader.read()).done, true);
  assert.deepEqual(seen, [
    { method: "CONNECT", protocol: "websocket", url: "https://example.test/chat" },
    { method: "CONNECT", protocol: undefined, url: "http://example.test:443/" },
  ]);
  await client.close();
  await server.finished;
});

/**
 * A raw peer (our own frame builder and HPACK decoder, not the code under test): sends the
 * preface, SETTINGS and a request on stream 1, and returns the server's first answer on stream 1
 * (HEADERS with its fields, or RST_STREAM with its code) and how often the handler ran.
 */
async function rawRequest(
  fields: [string, string][],
  options: ServeConnectionOptions = {},
): Promise<{ type: string; status?: string; code?: number; calls: number }> {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  let calls = 0;
  const server = serveConnection({ readable: up.readable, writable: down.writable }, () => {
    calls++;
    return new Response(null, { status: 404 });
  }, options);
  const writer = up.writable.getWriter();
  await writer.write(
    bytes(frames.preface(), frames.settings(), frames.headers(1).fields(fields).endStream()),
  );
  const reader = down.readable.getReader();
  let received = new Uint8Array(0);
  let answer: WireFrame | undefined;
  let seen: WireFrame[] = [];
  while (answer === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The server closed without answering stream 1");
    const joined = new Uint8Array(received.length + value.length);
    joined.set(received);
    joined.set(value, received.length);
    received = joined;
    try {
      seen = parseFrames(received);
    } catch {
      continue; // a partial frame: read on
    }
    answer = seen.find((f) =>
      f.streamId === 1 && (f.type === T.HEADERS || f.type === T.RST_STREAM)
    );
  }
  reader.releaseLock();
  void down.readable.cancel();
  await writer.close();
  await server.finished;
  if (answer.type === T.RST_STREAM) {
    return { type: "RST_STREAM", code: new DataView(answer.payload.buffer).getUint32(0), calls };
  }
  const described = describeFrames(seen, new BlockDecoder());
  const headers = described.find((f) => f.stream === 1 && f.type === "HEADERS")!
    .headers as [string, string][];
  return { type: "HEADERS", status: headers.find(([n]) => n === ":status")?.[1] ?? "", calls };
}

const EXTENDED_CONNECT: [string, string][] = [
  [":method", "CONNECT"],
  [":protocol", "websocket"],
  [":scheme", "https"],
  [":authority", "example.test"],
  [":path", "/chat"],
];

test("serveConnection refuses :protocol unless enableConnectProtocol is set (RFC 8441 §4)", async (t) => {
  await t.step("not enabled: RST_STREAM PROTOCOL_ERROR, no handler", async () => {
    assert.deepEqual(await rawRequest(EXTENDED_CONNECT), {
      type: "RST_STREAM",
      code: ErrorCode.PROTOCOL_ERROR,
      calls: 0,
    });
  });
  await t.step("enabled: the handler answers", async () => {
    assert.deepEqual(await rawRequest(EXTENDED_CONNECT, { enableConnectProtocol: true }), {
      type: "HEADERS",
      status: "404",
      calls: 1,
    });
  });
});

test("serveConnection answers 400 to a request a URL cannot express (RFC 9113 §8.3.1)", async (t) => {
  // The engine refuses userinfo itself (a malformed request, RFC 9113 §8.3.1); the others pass
  // its checks and only `new URL()` rejects them. Either way no handler runs.
  const cases: [string, string, Awaited<ReturnType<typeof rawRequest>>][] = [
    ["an authority with a space", "bad host", { type: "HEADERS", status: "400", calls: 0 }],
    ["an authority with a path", "example.test/x", { type: "HEADERS", status: "400", calls: 0 }],
    [
      "an authority with userinfo",
      "user@example.test",
      { type: "RST_STREAM", code: ErrorCode.PROTOCOL_ERROR, calls: 0 },
    ],
  ];
  for (const [name, authority, expected] of cases) {
    await t.step(name, async () => {
      const fields: [string, string][] = [
        [":method", "GET"],
        [":scheme", "https"],
        [":authority", authority],
        [":path", "/"],
      ];
      assert.deepEqual(await rawRequest(fields), expected);
    });
  }
});

test("serveConnection answers the upgraded HTTP/1.1 request on stream 1 (RFC 7540 §3.2)", async () => {
  // The client side of an h2c upgrade, on the bare engine: HTTP2-Settings, then the preface.
  const client = new H2Connection();
  const settingsHeader = client.initiateUpgradeConnection()!;
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const seen: string[] = [];
  const server = serveConnection(
    { readable: up.readable, writable: down.writable },
    (request, info) => {
      seen.push(`${info.streamId} ${request.method} ${request.url} ${request.headers.get("x-h1")}`);
      return new Response("upgraded");
    },
    {
      upgradeSettings: settingsHeader,
      upgradeRequest: [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", "example.test"],
        [":path", "/up"],
        ["x-h1", "yes"],
      ],
    },
  );
  const writer = up.writable.getWriter();
  const reader = down.readable.getReader();
  await writer.write(client.dataToSend());
  const events: H2Event[] = [];
  while (!events.some((e) => e.type === "StreamEnded" && e.streamId === 1)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The server closed before answering stream 1");
    events.push(...client.receiveData(value));
    const out = client.dataToSend();
    if (out.length > 0) await writer.write(out);
  }
  const response = events.find((e) => e.type === "ResponseReceived");
  assert.ok(response?.type === "ResponseReceived" && response.streamId === 1);
  assert.equal(response.headers[0]![1], "200");
  const body = events.flatMap((e) => e.type === "DataReceived" ? [decoder.decode(e.data)] : []);
  assert.equal(body.join(""), "upgraded");
  assert.deepEqual(seen, ["1 GET http://example.test/up yes"]);
  assert.throws(
    () =>
      serveConnection({ readable: up.readable, writable: down.writable }, () => new Response(), {
        upgradeRequest: [],
      }),
    /Cannot use upgradeRequest without upgradeSettings/,
  );
  reader.releaseLock();
  void down.readable.cancel();
  await writer.close();
  await server.finished;
});

test("serveConnection shuts down gracefully: in-flight requests finish, new ones are refused (RFC 9113 §6.8)", async (t) => {
  for (const how of ["shutdown()", "signal"] as const) {
    await t.step(how, async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => release = resolve);
      let entered = 0;
      const controller = new AbortController();
      const { server, session } = setup(async (request) => {
        entered++;
        await gate;
        return new Response(`done ${new URL(request.url).pathname}`);
      }, { signal: controller.signal });
      const inFlight = [1, 2, 3].map((i) => session.request(`http://example.test/${i}`));
      await waitFor(() => entered === 3, "three handlers");
      const finished = how === "signal" ? (controller.abort(), server.finished) : server.shutdown();
      // The client sees the GOAWAY (or, had it sent the request, the final GOAWAY's last stream
      // id is below it): either way the late request is unprocessed and never reaches a handler.
      await delay(50);
      await assert.rejects(
        session.request("http://example.test/late"),
        (error) => error instanceof H2RequestError && error.unprocessed,
      );
      release();
      const texts = await Promise.all(inFlight.map(async (r) => (await r).text()));
      assert.deepEqual(texts, ["done /1", "done /2", "done /3"]);
      await within(5_000, finished, "finished");
      assert.equal(entered, 3);
      await session.closed;
    });
  }
});

test("serveConnection serves 100 concurrent requests on one connection (RFC 9113 §5.1.2)", async () => {
  let active = 0;
  let peak = 0;
  const { server, session } = setup(async (request) => {
    active++;
    peak = Math.max(peak, active);
    const body = await request.text();
    await delay(10);
    active--;
    return new Response(`${new URL(request.url).pathname}:${body.length}`);
  });
  const texts = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const response = await session.request(`http://example.test/r${i}`, {
        method: "POST",
        body: "x".repeat(i * 100),
      });
      return response.text();
    }),
  );
  assert.deepEqual(texts, Array.from({ length: 100 }, (_, i) => `/r${i}:${i * 100}`));
  assert.ok(peak > 10, `only ${peak} handlers ran at once`);
  await session.close();
  await server.finished;
});

test("serveConnection over 127.0.0.1 passes the socket's remoteAddr to the handler", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = (async () => {
    const conn = await listener.accept();
    const served = serveConnection(conn, (request, info) => {
      const addr = info.remoteAddr as Deno.NetAddr;
      return new Response(`${request.method} ${addr.hostname}`);
    });
    await served.finished;
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const session = connect(conn);
  const response = await session.request(`http://127.0.0.1:${listener.addr.port}/`);
  assert.equal(await response.text(), "GET 127.0.0.1");
  await session.close();
  await accepted;
  listener.close();
});

test("examples/fetch_server.ts serves its routes over 127.0.0.1 and shuts down on its signal", async (t) => {
  const { handler, serve } = await import("../examples/fetch_server.ts");
  const controller = new AbortController();
  const server = serve({ port: 0, signal: controller.signal }, handler);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const session = connect(conn);
  const base = `http://127.0.0.1:${server.addr.port}`;
  await t.step("GET / reports the request and the remote address", async () => {
    const response = await session.request(`${base}/`);
    assert.deepEqual(await response.json(), {
      method: "GET",
      url: `${base}/`,
      streamId: 1,
      remote: "127.0.0.1",
    });
  });
  await t.step("POST /upload counts a 3 MiB streamed body", async () => {
    const { stream } = patternSource(3 * 1024 * 1024);
    const response = await session.request(`${base}/upload`, { method: "POST", body: stream });
    assert.deepEqual(await response.json(), { received: 3 * 1024 * 1024 });
  });
  await t.step("GET /hints sends 103 first", async () => {
    const statuses: number[] = [];
    const response = await session.request(`${base}/hints`, {
      onInformational: (r) => statuses.push(r.status),
    });
    assert.match(await response.text(), /hinted$/);
    assert.deepEqual(statuses, [103]);
  });
  await t.step("GET /digest ends with a trailer counting the body", async () => {
    const response = await session.request(`${base}/digest`);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal((await trailers(response)).get("x-octets"), String(body.length));
  });
  controller.abort();
  await session.closed;
  await within(5_000, server.finished, "the example server's shutdown");
});
