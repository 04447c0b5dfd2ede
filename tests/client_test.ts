/**
 * Tests of `lib/client.ts`: our client against an engine-based server — an
 * {@link H2StreamsConnection} server over in-memory `TransformStream` pipes,
 * and a bare `H2Connection` loop behind `Deno.listen` on 127.0.0.1.
 */

import assert from "node:assert/strict";
import { connect, type ConnectOptions, H2RequestError, trailers } from "../lib/client.ts";
import { H2Connection } from "../lib/connection.ts";
import { SettingCode } from "../lib/constants.ts";
import { ErrorCode } from "../lib/errors.ts";
import type { H2Event, HeaderField } from "../lib/events.ts";
import {
  H2StreamsConnection,
  type H2StreamsConnectOptions,
  type H2Transport,
} from "../lib/web_streams.ts";
import { patternSource, readPattern } from "./_helpers/pattern.ts";

type RequestEvent = Extract<H2Event, { type: "RequestReceived" }>;
type Handler = (request: RequestEvent, server: H2StreamsConnection) => void | Promise<void>;

const encoder = new TextEncoder();

/** A server adapter and a client session joined by in-memory pipes; every server event is logged. */
function setup(
  handler: Handler,
  clientOptions: ConnectOptions = {},
  serverOptions: H2StreamsConnectOptions = {},
) {
  const up = new TransformStream<Uint8Array, Uint8Array>();
  const down = new TransformStream<Uint8Array, Uint8Array>();
  const events: H2Event[] = [];
  const failures: unknown[] = [];
  const server = H2StreamsConnection.server({ readable: up.readable, writable: down.writable }, {
    ...serverOptions,
    onEvent(event) {
      events.push(event);
      if (event.type === "RequestReceived") {
        Promise.resolve(handler(event, server)).catch((error) => failures.push(error));
      }
    },
  });
  const transport: H2Transport = { readable: down.readable, writable: up.writable };
  const session = connect(transport, clientOptions);
  return { server, session, events, failures };
}

function field(fields: readonly HeaderField[], name: string): string | undefined {
  return fields.find(([n]) => n === name)?.[1];
}

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
function test(name: string, fn: (t: Deno.TestContext) => Promise<void>, ms = 20_000): void {
  Deno.test(name, (t) => within(ms, fn(t), name));
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

/** Replies with the request's fields as JSON. */
const echoFields: Handler = (request, server) => {
  void server.respond(
    request.streamId,
    [[":status", "200"], ["content-type", "application/json"]],
    encoder.encode(JSON.stringify(request.headers)),
  );
};

test("H2ClientSession sends a GET with pseudo-headers from the URL and returns a Response (RFC 9113 §8.3.1)", async () => {
  const { server, session, failures } = setup(echoFields);
  const response = await within(
    5_000,
    session.request("http://example.test:8080/a/b?q=1", { headers: { "X-Test": "yes" } }),
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.url, "http://example.test:8080/a/b?q=1");
  const fields = await response.json() as [string, string][];
  assert.deepEqual(fields.slice(0, 4), [
    [":method", "GET"],
    [":scheme", "http"],
    [":authority", "example.test:8080"],
    [":path", "/a/b?q=1"],
  ]);
  assert.deepEqual(fields.slice(4), [["x-test", "yes"]]);
  assert.deepEqual([...await trailers(response)], []);
  assert.deepEqual(failures, []);
  await within(5_000, session.close());
  await within(5_000, server.closed);
});

test("H2ClientSession uses a host header as :authority and drops it (RFC 9113 §8.3.1)", async () => {
  const { server, session } = setup(echoFields);
  const response = await session.request("https://127.0.0.1/", { headers: { host: "h.test" } });
  const fields = await response.json() as [string, string][];
  assert.deepEqual(fields, [
    [":method", "GET"],
    [":scheme", "https"],
    [":authority", "h.test"],
    [":path", "/"],
  ]);
  await session.close();
  await server.closed;
});

test("H2ClientSession takes fetch's body types and fills in content-type and content-length as fetch does (RFC 9110 §8.3, §8.6)", async (t) => {
  const { server, session, failures } = setup(async (request, server) => {
    const body = await new Response(server.requestBody(request.streamId)).text();
    const reply = JSON.stringify({
      method: field(request.headers, ":method"),
      type: field(request.headers, "content-type") ?? null,
      length: field(request.headers, "content-length") ?? null,
      body,
    });
    await server.respond(request.streamId, [[":status", "200"]], encoder.encode(reply));
  });
  const cases: [string, BodyInit, { type: string | null; length: string | null; body: string }][] =
    [
      ["string", "héllo", { type: "text/plain;charset=UTF-8", length: "6", body: "héllo" }],
      ["Uint8Array", encoder.encode("abc"), { type: null, length: "3", body: "abc" }],
      ["ArrayBuffer", encoder.encode("abcd").buffer, { type: null, length: "4", body: "abcd" }],
      ["DataView", new DataView(encoder.encode("xabcx").buffer, 1, 3), {
        type: null,
        length: "3",
        body: "abc",
      }],
      ["URLSearchParams", new URLSearchParams({ a: "1", b: "x y" }), {
        type: "application/x-www-form-urlencoded;charset=UTF-8",
        length: "9",
        body: "a=1&b=x+y",
      }],
      ["Blob", new Blob(["blob!"], { type: "text/x-blob" }), {
        type: "text/x-blob",
        length: "5",
        body: "blob!",
      }],
    ];
  for (const [name, body, expected] of cases) {
    await t.step(name, async () => {
      const response = await session.request("http://example.test/", { method: "POST", body });
      assert.deepEqual(await response.json(), { method: "POST", ...expected });
    });
  }
  await t.step("FormData (multipart, streamed)", async () => {
    const form = new FormData();
    form.set("field", "value");
    const response = await session.request("http://example.test/", { method: "PUT", body: form });
    const echoed = await response.json();
    assert.equal(echoed.method, "PUT");
    assert.match(echoed.type, /^multipart\/form-data; boundary=/);
    assert.match(echoed.body, /name="field"\r\n\r\nvalue\r\n/);
  });
  await t.step("a Request object: method, headers, body and URL", async () => {
    const request = new Request("http://example.test/from-request", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    const response = await session.request(request);
    assert.equal(response.url, "http://example.test/from-request");
    assert.deepEqual(await response.json(), {
      method: "PATCH",
      type: "application/json",
      length: null, // a Request's body is a stream: no length known up front
      body: '{"a":1}',
    });
  });
  assert.deepEqual(failures, []);
  await session.close();
  await server.closed;
});

test("H2ClientSession streams an 8 MiB request body within flow control (RFC 9113 §5.2)", async () => {
  const size = 8 * 1_048_576;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const { server, session, failures } = setup(async (request, server) => {
    await gate; // do not read the body yet: the client must stall at the window
    const received = await readPattern(server.requestBody(request.streamId));
    await server.respond(request.streamId, [[":status", "200"]], encoder.encode(`${received}`));
  });
  const { stream, state } = patternSource(size);
  const pending = session.request("http://example.test/upload", { method: "POST", body: stream });
  // RFC 9113 §6.9: at most the stream window (1 MiB) can be sent before the server reads; the
  // adapter buffers at most 400 KiB more per stream, so the source is not drained ahead.
  await waitFor(() => state.pulled >= 1_048_576, "the first window");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(state.pulled <= 1_048_576 + 409_600 + 2 * 65_536, `pulled ${state.pulled} early`);
  release();
  const response = await within(20_000, pending);
  assert.equal(await response.text(), `${size}`);
  assert.equal(state.pulled, size);
  assert.deepEqual(failures, []);
  await session.close();
  await server.closed;
});

test("H2ClientSession reads an 8 MiB response body whose consumption reopens the window (RFC 9113 §5.2.2)", async () => {
  const size = 8 * 1_048_576;
  const source = patternSource(size);
  let sent: Promise<boolean> | undefined;
  const { server, session } = setup((request, server) => {
    sent = server.respond(request.streamId, [[":status", "200"]], source.stream);
  });
  const response = await within(5_000, session.request("http://example.test/download"));
  // Unread, the response holds the server at our 1 MiB stream window (+ its send buffer).
  await waitFor(() => source.state.pulled >= 1_048_576, "the first window");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(source.state.pulled < size / 2, `server pulled ${source.state.pulled} unread`);
  assert.equal(await within(20_000, readPattern(response.body!)), size);
  assert.equal(await sent, true);
  await session.close();
  await server.closed;
});

test("H2ClientSession multiplexes 100 concurrent requests on one connection (RFC 9113 §5)", async () => {
  const { server, session } = setup(echoFields);
  const responses = await within(
    10_000,
    Promise.all(
      Array.from({ length: 100 }, (_, i) => session.request(`http://example.test/r/${i}`)),
    ),
  );
  const paths = await Promise.all(responses.map(async (response) => {
    const fields = await response.json() as [string, string][];
    return field(fields, ":path");
  }));
  assert.deepEqual(paths, Array.from({ length: 100 }, (_, i) => `/r/${i}`));
  assert.equal(server.connection.highestInboundStreamId, 199); // 100 client streams, one connection
  await session.close();
  await server.closed;
});

test("H2ClientSession queues requests above the server's MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2)", async () => {
  let open = 0;
  let peak = 0;
  const { server, session, failures } = setup(
    async (request, server) => {
      open++;
      peak = Math.max(peak, open);
      await new Promise((resolve) => setTimeout(resolve, 2));
      open--;
      await server.respond(request.streamId, [[":status", "200"]], encoder.encode("ok"));
    },
    {},
    { connectionOptions: { limits: { maxConcurrentStreams: 5 } } },
  );
  await within(5_000, session.ping()); // the server's SETTINGS have arrived
  assert.equal(session.connection.connection.remoteSettings.maxConcurrentStreams, 5);
  const all = Promise.all(
    Array.from({ length: 40 }, (_, i) => session.request(`http://example.test/${i}`)),
  );
  assert.ok(session.queuedRequests >= 35, `${session.queuedRequests} queued`);
  const responses = await within(10_000, all);
  for (const response of responses) assert.equal(await response.text(), "ok");
  assert.ok(peak <= 5, `the server saw ${peak} concurrent requests`);
  assert.deepEqual(failures, []);
  await session.close();
  await server.closed;
});

test("H2ClientSession retries requests refused with REFUSED_STREAM before the server's SETTINGS (RFC 9113 §8.7)", async () => {
  const { server, session, events } = setup(
    (request, server) => {
      void server.respond(request.streamId, [[":status", "200"]], encoder.encode("ok"));
    },
    {},
    { connectionOptions: { limits: { maxConcurrentStreams: 3 } } },
  );
  // Sent at once, before the SETTINGS with the limit arrive: the excess is refused, then retried.
  const responses = await within(
    10_000,
    Promise.all(Array.from({ length: 12 }, (_, i) => session.request(`http://example.test/${i}`))),
  );
  for (const response of responses) assert.equal(await response.text(), "ok");
  assert.equal(events.filter((e) => e.type === "RequestReceived").length, 12);
  await session.close();
  await server.closed;
});

test("H2ClientSession rejects a request refused twice as unprocessed (RFC 9113 §8.7)", async () => {
  const { server, session } = setup((request, server) => {
    server.reset(request.streamId, ErrorCode.REFUSED_STREAM);
  });
  const error = await within(5_000, session.request("http://example.test/").catch((e) => e));
  assert.ok(error instanceof H2RequestError, String(error));
  assert.equal(error.errorCode, ErrorCode.REFUSED_STREAM);
  assert.equal(error.unprocessed, true);
  assert.equal(error.streamId, 3); // stream 1 was refused and retried on 3
  await session.close();
  await server.closed;
});

test("H2ClientSession sends request trailers, fixed or computed after the body, and exposes response trailers (RFC 9113 §8.1)", async (t) => {
  const { server, session, events, failures } = setup(async (request, server) => {
    const text = await new Response(server.requestBody(request.streamId)).text();
    await server.respond(
      request.streamId,
      [[":status", "200"]],
      encoder.encode(text.toUpperCase()),
      {
        trailers: [["grpc-status", "0"], ["x-length", `${text.length}`]],
      },
    );
  });
  const requestTrailers = () =>
    events.filter((e) => e.type === "TrailersReceived").map((e) => e.headers);

  await t.step("fixed trailers after a string body", async () => {
    const response = await session.request("http://example.test/", {
      method: "POST",
      body: "hello",
      trailers: { "x-sum": "5" },
    });
    assert.equal(await response.text(), "HELLO");
    const received = await trailers(response);
    assert.equal(received.get("grpc-status"), "0");
    assert.equal(received.get("x-length"), "5");
    assert.deepEqual(requestTrailers().at(-1), [["x-sum", "5"]]);
  });

  await t.step("a trailer promise resolved after the streamed body was read", async () => {
    let length = 0;
    const { promise, resolve } = Promise.withResolvers<HeadersInit>();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (length >= 3) {
          controller.close();
          resolve([["x-count", `${length}`]]);
          return;
        }
        length++;
        controller.enqueue(encoder.encode("ab"));
      },
    }, { highWaterMark: 0 });
    const response = await session.request("http://example.test/", {
      method: "POST",
      body,
      trailers: promise,
    });
    assert.equal(await response.text(), "ABABAB");
    assert.equal((await trailers(response)).get("x-length"), "6");
    assert.deepEqual(requestTrailers().at(-1), [["x-count", "3"]]);
  });

  await t.step("trailers of an empty body", async () => {
    const response = await session.request("http://example.test/", {
      method: "POST",
      trailers: [["x-empty", "1"]],
    });
    assert.equal(await response.text(), "");
    assert.deepEqual(requestTrailers().at(-1), [["x-empty", "1"]]);
  });

  assert.throws(() => trailers(new Response("x")), TypeError);
  assert.deepEqual(failures, []);
  await session.close();
  await server.closed;
});

test("H2ClientSession resets an aborted request with RST_STREAM CANCEL (RFC 9113 §8.7)", async (t) => {
  const { server, session, events } = setup((request, server) => {
    if (field(request.headers, ":path") === "/slow") return; // never answers
    const { stream } = patternSource(4 * 1_048_576);
    void server.respond(request.streamId, [[":status", "200"]], stream);
  });
  const resets = () => events.filter((e) => e.type === "StreamReset");

  await t.step("before the response", async () => {
    const controller = new AbortController();
    const pending = session.request("http://example.test/slow", { signal: controller.signal });
    await waitFor(() => events.some((e) => e.type === "RequestReceived"), "the request");
    controller.abort();
    await assert.rejects(pending, (error: Error) => error.name === "AbortError");
    await waitFor(() => resets().length === 1, "the RST_STREAM");
    const reset = resets()[0]!;
    assert.equal(reset.streamId, 1);
    assert.equal(reset.errorCode, ErrorCode.CANCEL);
    assert.equal(reset.remoteReset, true);
  });

  await t.step("while the body is being read", async () => {
    const controller = new AbortController();
    const response = await session.request("http://example.test/big", {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    // As with fetch, the body fails with the signal's reason.
    await assert.rejects(reader.read(), (error: Error) => error.name === "AbortError");
    await assert.rejects(trailers(response), (error: Error) => error.name === "AbortError");
    await waitFor(() => resets().length === 2, "the second RST_STREAM");
    assert.equal(resets()[1]!.streamId, 3);
    assert.equal(resets()[1]!.errorCode, ErrorCode.CANCEL);
  });

  await t.step("an already aborted signal sends nothing", async () => {
    const before = events.filter((e) => e.type === "RequestReceived").length;
    await assert.rejects(
      session.request("http://example.test/", { signal: AbortSignal.abort() }),
      (error: Error) => error.name === "AbortError",
    );
    const response = await session.request("http://example.test/after");
    await response.body!.cancel();
    assert.equal(events.filter((e) => e.type === "RequestReceived").length, before + 1);
  });

  await session.close();
  await within(5_000, server.closed);
});

test("H2ClientSession ends the exchange when the response body is cancelled: RST_STREAM CANCEL (RFC 9113 §8.7)", async () => {
  const { server, session, events } = setup((request, server) => {
    void server.respond(
      request.streamId,
      [[":status", "200"]],
      patternSource(4 * 1_048_576).stream,
    );
  });
  const response = await within(5_000, session.request("http://example.test/big"));
  assert.equal(session.activeRequests, 1);
  const reader = response.body!.getReader();
  assert.ok((await reader.read()).value!.length > 0);
  await reader.cancel(new Error("enough"));
  assert.equal(session.activeRequests, 0);
  await assert.rejects(trailers(response), /enough/);
  await waitFor(() => events.some((e) => e.type === "StreamReset"), "the RST_STREAM");
  const reset = events.find((e) => e.type === "StreamReset")!;
  assert.equal(reset.errorCode, ErrorCode.CANCEL);
  // The connection lives on.
  const next = await session.request("http://example.test/small");
  await next.body!.cancel();
  await session.close();
  await within(5_000, server.closed);
});

test("H2ClientSession forgets exchanges once their streams close (RFC 9113 §5.1)", async () => {
  const { server, session } = setup(echoFields);
  const responses = await Promise.all(
    Array.from({ length: 10 }, () => session.request("http://example.test/")),
  );
  for (const response of responses) await response.arrayBuffer();
  assert.equal(session.activeRequests, 0);
  assert.equal(session.queuedRequests, 0);
  await session.close();
  await server.closed;
});

test("H2ClientSession fails requests above a GOAWAY's last stream id as unprocessed and finishes the rest (RFC 9113 §6.8)", async () => {
  const held: number[] = [];
  const { server, session } = setup((request) => {
    held.push(request.streamId);
  });
  const first = session.request("http://example.test/1");
  const second = session.request("http://example.test/2");
  const third = session.request("http://example.test/3");
  await waitFor(() => held.length === 3, "three requests");
  server.connection.closeConnection(ErrorCode.NO_ERROR, { lastStreamId: 1 });
  await server.flush();
  for (const pending of [second, third]) {
    const error = await within(5_000, pending.catch((e) => e));
    assert.ok(error instanceof H2RequestError, String(error));
    assert.equal(error.unprocessed, true);
    assert.equal(error.errorCode, ErrorCode.NO_ERROR);
  }
  // New requests are refused at once: the connection is going away.
  const late = await session.request("http://example.test/late").catch((e) => e);
  assert.ok(late instanceof H2RequestError && late.unprocessed && late.streamId === 0);
  // Stream 1 is at or below the last stream id: it completes.
  void server.respond(1, [[":status", "200"]], encoder.encode("done"));
  const response = await within(5_000, first);
  assert.equal(await response.text(), "done");
  await within(5_000, session.closed);
  await within(5_000, server.closed);
});

test("H2ClientSession rejects in-flight requests when the server closes with an error (RFC 9113 §5.4.1)", async () => {
  const { server, session } = setup(() => {});
  const pending = session.request("http://example.test/");
  await waitFor(() => server.connection.highestInboundStreamId === 1, "the request");
  await server.close(ErrorCode.INTERNAL_ERROR);
  const error = await within(5_000, pending.catch((e) => e));
  assert.ok(error instanceof H2RequestError, String(error));
  assert.equal(error.errorCode, ErrorCode.INTERNAL_ERROR);
  assert.equal(error.unprocessed, false); // stream 1 ≤ last stream id: it may have been processed
  await within(5_000, session.closed);
  await assert.rejects(session.request("http://example.test/"), H2RequestError);
});

test("H2ClientSession fails a body mid-stream when the transport dies, and resolves closed (RFC 9113 §5.4.1)", async () => {
  const { server, session } = setup((request, server) => {
    void server.respond(
      request.streamId,
      [[":status", "200"]],
      patternSource(8 * 1_048_576).stream,
    );
  });
  const response = await within(5_000, session.request("http://example.test/big"));
  const reader = response.body!.getReader();
  assert.ok(!(await reader.read()).done);
  await server.abort(new Error("cable cut"));
  let failure: unknown;
  try {
    while (!(await reader.read()).done) { /* drain what was buffered */ }
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof H2RequestError, `body ended with ${failure}`);
  assert.equal(failure.unprocessed, false);
  await assert.rejects(trailers(response), H2RequestError);
  await within(5_000, session.closed);
  assert.equal(session.activeRequests, 0);
});

test("H2ClientSession surfaces 1xx responses through onInformational (RFC 9113 §8.1)", async () => {
  const seen: string[] = [];
  const { server, session } = setup((request, server) => {
    server.connection.sendHeaders(request.streamId, [[":status", "103"], ["link", "</a.css>"]]);
    void server.respond(request.streamId, [[":status", "200"]], encoder.encode("final"));
  }, { onInformational: (info) => seen.push(`session ${info.status}`) });
  const response = await session.request("http://example.test/", {
    onInformational(info) {
      seen.push(`request ${info.status} ${info.headers.get("link")} ${info.streamId}`);
    },
  });
  assert.equal(await response.text(), "final");
  assert.deepEqual(seen, ["request 103 </a.css> 1", "session 103"]);
  await session.close();
  await server.closed;
});

test("H2ClientSession disables push by default (RFC 9113 §6.5.2 SETTINGS_ENABLE_PUSH)", async () => {
  let pushError: unknown;
  const { server, session } = setup((request, server) => {
    try {
      server.connection.pushStream(request.streamId, 2, [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", "example.test"],
        [":path", "/pushed"],
      ]);
    } catch (error) {
      pushError = error;
    }
    void server.respond(request.streamId, [[":status", "200"]]);
  });
  const response = await session.request("http://example.test/");
  assert.equal(response.status, 200);
  assert.equal(server.connection.remoteSettings.enablePush, 0);
  assert.ok(pushError instanceof Error, "the server could not push");
  await session.close();
  await server.closed;
});

test("H2ClientSession hands pushes to onPush with the promised request and its response (RFC 9113 §8.4)", async () => {
  const pushes: { url: string; method: string; parent: number; body: Promise<string> }[] = [];
  const { server, session } = setup((request, server) => {
    server.connection.pushStream(request.streamId, 2, [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "example.test"],
      [":path", "/pushed.css"],
    ]);
    void server.respond(
      2,
      [[":status", "200"], ["content-type", "text/css"]],
      encoder.encode("p{}"),
    );
    void server.respond(request.streamId, [[":status", "200"]], encoder.encode("page"));
  }, {
    onPush(push) {
      pushes.push({
        url: push.request.url,
        method: push.request.method,
        parent: push.parentStreamId,
        body: push.response.then((response) => response.text()),
      });
    },
  });
  const response = await within(5_000, session.request("http://example.test/"));
  assert.equal(await response.text(), "page");
  assert.equal(server.connection.remoteSettings.enablePush, 1);
  assert.equal(pushes.length, 1);
  assert.equal(pushes[0]!.url, "http://example.test/pushed.css");
  assert.equal(pushes[0]!.method, "GET");
  assert.equal(pushes[0]!.parent, 1);
  assert.equal(await within(5_000, pushes[0]!.body), "p{}");
  await session.close();
  await server.closed;
});

test("H2ClientSession measures a PING round trip (RFC 9113 §6.7)", async () => {
  const { server, session, events } = setup(echoFields);
  const rtt = await within(5_000, session.ping());
  assert.ok(rtt >= 0 && Number.isFinite(rtt), `rtt ${rtt}`);
  assert.ok(events.some((e) => e.type === "PingReceived"));
  await session.close();
  await server.closed;
  await assert.rejects(session.ping(), TypeError);
});

test("H2ClientSession closes gracefully: GOAWAY, in-flight responses finish, queued requests are sent (RFC 9113 §6.8)", async () => {
  const { server, session, events } = setup(
    async (request, server) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await server.respond(request.streamId, [[":status", "200"]], encoder.encode("late"));
    },
    {},
    { connectionOptions: { limits: { maxConcurrentStreams: 1 } } },
  );
  await session.ping();
  const a = session.request("http://example.test/a");
  const b = session.request("http://example.test/b"); // queued behind a
  const closed = session.close();
  await assert.rejects(session.request("http://example.test/c"), H2RequestError);
  assert.equal(await (await within(5_000, a)).text(), "late");
  assert.equal(await (await within(5_000, b)).text(), "late");
  await within(5_000, closed);
  await within(5_000, server.closed);
  assert.ok(events.some((e) => e.type === "ConnectionTerminated" && e.errorCode === 0));
});

test("H2ClientSession rejects bad input and keeps the connection usable (RFC 9113 §8.2)", async (t) => {
  const { server, session } = setup(echoFields);
  await t.step("a non-http URL", async () => {
    await assert.rejects(session.request("ftp://example.test/"), TypeError);
  });
  await t.step("a field HTTP/2 forbids (RFC 9113 §8.2.2: te other than trailers)", async () => {
    await assert.rejects(
      session.request("http://example.test/", { headers: { te: "gzip" } }),
      (error: Error & { detail?: string }) => error.detail === "invalid_te",
    );
  });
  await t.step("a header name Headers refuses", async () => {
    await assert.rejects(
      session.request("http://example.test/", { headers: [[":x", "1"]] }),
      TypeError,
    );
  });
  const response = await session.request("http://example.test/still-ok");
  assert.equal(response.status, 200);
  await response.body?.cancel();
  await session.close();
  await server.closed;
});

test("H2ClientSession talks to a bare H2Connection server loop over TCP on 127.0.0.1 (RFC 9113 §3.3)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const h2 = new H2Connection({ clientSide: false });
    h2.initiateConnection();
    const writer = conn.writable.getWriter();
    await writer.write(h2.dataToSend());
    const bodies = new Map<number, number>();
    try {
      for await (const chunk of conn.readable) {
        for (const event of h2.receiveData(chunk)) {
          if (event.type === "RequestReceived") bodies.set(event.streamId, 0);
          if (event.type === "DataReceived") {
            bodies.set(event.streamId, bodies.get(event.streamId)! + event.data.length);
            h2.acknowledgeReceivedData(event.flowControlledLength, event.streamId);
          }
          if (event.type === "StreamEnded") {
            h2.sendHeaders(event.streamId, [[":status", "201"], ["x-seen", "tcp"]]);
            h2.sendData(event.streamId, encoder.encode(`${bodies.get(event.streamId)}`), {
              endStream: true,
            });
          }
        }
        await writer.write(h2.dataToSend());
        if (h2.isClosed) break;
      }
    } finally {
      await writer.close().catch(() => {});
    }
  })();
  const addr = listener.addr as Deno.NetAddr;
  const session = connect(await Deno.connect({ hostname: "127.0.0.1", port: addr.port }));
  const response = await within(
    5_000,
    session.request(`http://127.0.0.1:${addr.port}/up`, { method: "PUT", body: "x".repeat(1000) }),
  );
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("x-seen"), "tcp");
  assert.equal(await response.text(), "1000");
  await within(5_000, session.close());
  await within(5_000, served);
  listener.close();
  assert.equal(SettingCode.ENABLE_PUSH, 2);
});
