// RFC 9113 §5.2, §6.1–§6.10, §8: our H2Connection as SERVER against python-hyper h2 4.1.0's
// client (tests/interop/py/h2_client.py, /usr/bin/python3 with Debian's python3-h2) over real
// TCP on 127.0.0.1, serving the routes of tests/interop/py/h2_server.py (which
// python_h2_client_test.ts runs our client against). Shared helpers are in _python_h2.ts.
//
// Run: deno test --allow-all tests/interop/python_h2_server_test.ts
// Every subprocess and wait is bounded; processes are killed and sockets closed in `finally`.
import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { SettingCode } from "../../lib/constants.ts";
import {
  DataReceived,
  type HeaderField,
  PingAckReceived,
  RequestReceived,
  StreamEnded,
  TrailersReceived,
} from "../../lib/events.ts";
import {
  BIG_CONNECTION_INCREMENT,
  BIG_FRAMES,
  bigValue,
  concat,
  describeError,
  Endpoint,
  header,
  latin1,
  PythonChild,
  requirePythonH2,
  SCENARIO_TIMEOUT_MS,
  TEN_MIB,
  text,
  timeout,
} from "./_python_h2.ts";

// ---------------------------------------------------------------------------
// Our engine as SERVER against python h2's client.

/** Serves h2_server.py's routes with our engine. */
function serveRoutes(server: Endpoint): void {
  const conn = server.conn;
  const requests = new Map<
    number,
    { headers: HeaderField[]; body: Uint8Array[]; trailers: HeaderField[]; maxFrame: number }
  >();
  const pingWaiters: number[] = [];
  const enc = new TextEncoder();
  const spawn = (work: Promise<void>) => {
    work.catch((error) => server.error ??= error);
  };
  const respond = (
    streamId: number,
    headers: HeaderField[],
    body: Uint8Array,
    trailers?: HeaderField[],
    padLength?: number,
  ) => {
    conn.sendHeaders(streamId, headers);
    const options: { endStream: boolean; trailers?: HeaderField[]; padLength?: number } = {
      endStream: true,
    };
    if (trailers !== undefined) options.trailers = trailers;
    if (padLength !== undefined) options.padLength = padLength;
    spawn(server.sendBody(streamId, body, options));
  };
  const route = (streamId: number) => {
    const request = requests.get(streamId)!;
    const path = header(request.headers, ":path");
    if (path === "/echo") {
      const body = concat(request.body);
      respond(streamId, [
        [":status", "200"],
        ["content-type", "application/octet-stream"],
        ["content-length", String(body.length)],
        ["x-max-data-frame", String(request.maxFrame)],
      ], body);
    } else if (path === "/padded-echo") {
      respond(streamId, [[":status", "200"]], concat(request.body), undefined, 64);
    } else if (path === "/trailers") {
      const json = JSON.stringify({
        body: text(request.body),
        trailers: request.trailers,
      });
      respond(
        streamId,
        [[":status", "200"], ["content-type", "application/json"]],
        enc.encode(json),
        [["x-trailer-one", "1"], ["grpc-status", "0"]],
      );
    } else if (path === "/push") {
      const promised = conn.getNextAvailableStreamId();
      conn.pushStream(streamId, promised, [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", header(request.headers, ":authority") ?? "127.0.0.1"],
        [":path", "/pushed"],
      ]);
      respond(
        promised,
        [[":status", "200"], ["content-type", "text/plain"]],
        enc.encode("pushed body"),
      );
      respond(
        streamId,
        [[":status", "200"], ["content-type", "application/json"]],
        enc.encode(JSON.stringify(request.headers)),
      );
    } else if (path === "/ping") {
      conn.ping(enc.encode("tsping01"));
      pingWaiters.push(streamId);
    } else if (path?.startsWith("/bytes/")) {
      const size = Number(path.slice("/bytes/".length));
      respond(
        streamId,
        [[":status", "200"], ["content-length", String(size)]],
        new Uint8Array(size).fill(0x78),
      );
    } else if (path?.startsWith("/table/")) {
      const repeat = header(request.headers, "x-repeat") ?? "";
      respond(streamId, [[":status", "200"], ["x-repeat", repeat]], new Uint8Array());
    } else if (path === "/informational") {
      conn.sendHeaders(streamId, [[":status", "103"], ["link", "</style.css>; rel=preload"]]);
      respond(streamId, [[":status", "200"]], enc.encode("final"));
    } else if (path === "/big-headers") {
      respond(
        streamId,
        [[":status", "200"], ["x-big", bigValue()]],
        enc.encode(JSON.stringify(request.headers)),
      );
    } else if (path === "/goaway") {
      conn.sendHeaders(streamId, [[":status", "200"]]);
      conn.sendData(streamId, enc.encode("bye"), { endStream: true });
      conn.closeConnection(0, { lastStreamId: streamId });
      server.flush();
    } else {
      const body = enc.encode(JSON.stringify(request.headers));
      respond(streamId, [
        [":status", "200"],
        ["content-type", "application/json"],
        ["content-length", String(body.length)],
      ], body);
    }
  };
  const tunnels = new Set<number>();
  server.onEvent = (event) => {
    if (event instanceof RequestReceived && header(event.headers, ":method") === "CONNECT") {
      // RFC 8441 §5: the tunnel opens with a 2xx response; DATA is echoed until END_STREAM.
      tunnels.add(event.streamId);
      conn.sendHeaders(event.streamId, [[":status", "200"]]);
    } else if (event instanceof DataReceived && tunnels.has(event.streamId)) {
      conn.sendData(event.streamId, event.data.slice());
    } else if (event instanceof StreamEnded && tunnels.has(event.streamId)) {
      conn.endStream(event.streamId);
    } else if (event instanceof RequestReceived) {
      requests.set(event.streamId, {
        headers: event.headers,
        body: [],
        trailers: [],
        maxFrame: 0,
      });
    } else if (event instanceof DataReceived) {
      const request = requests.get(event.streamId);
      if (request) {
        request.body.push(event.data.slice());
        request.maxFrame = Math.max(request.maxFrame, event.flowControlledLength);
      }
    } else if (event instanceof TrailersReceived) {
      const request = requests.get(event.streamId);
      if (request) request.trailers = event.headers;
    } else if (event instanceof StreamEnded) {
      if (requests.has(event.streamId)) route(event.streamId);
    } else if (event instanceof PingAckReceived) {
      for (const streamId of pingWaiters.splice(0)) {
        const body = JSON.stringify({ pingAck: latin1.decode(event.pingData) });
        respond(streamId, [[":status", "200"]], enc.encode(body));
      }
    }
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function withPythonClient(
  scenario: string,
  options: {
    clientArgs?: string[];
    settings?: Record<number, number>;
    windowIncrement?: number;
  } = {},
): Promise<Json> {
  await requirePythonH2();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = new PythonChild("h2_client.py", [
    "--port",
    String(listener.addr.port),
    "--scenario",
    scenario,
    "--timeout",
    "50",
    ...(options.clientArgs ?? []),
  ]);
  let server: Endpoint | undefined;
  try {
    const sock = await timeout(listener.accept(), 10_000, "python client to connect");
    server = new Endpoint(
      sock,
      new H2Connection({
        clientSide: false,
        limits: { maxConcurrentStreams: 1000 },
        settings: options.settings ?? {},
      }),
    );
    serveRoutes(server);
    server.start();
    if (options.windowIncrement !== undefined) {
      server.conn.incrementFlowControlWindow(options.windowIncrement);
      await server.flush();
    }
    await client.exit(SCENARIO_TIMEOUT_MS);
    const line = client.stdout.trim().split("\n").at(-1) ?? "";
    let result: Json;
    try {
      result = JSON.parse(line);
    } catch {
      throw new Error(`python client printed no JSON: ${client.stdout}`);
    }
    assert.equal(
      result.error,
      undefined,
      `python client failed: ${result.error}; events ${JSON.stringify(result.events)}; ` +
        `engine error: ${describeError(server.error)}`,
    );
    assert.equal(server.error, undefined, `engine error: ${describeError(server.error)}`);
    return result;
  } catch (error) {
    throw new Error(`${describeError(error)}\n-- python client stderr:\n${client.stderr}`, {
      cause: error,
    });
  } finally {
    await server?.close();
    listener.close();
    await client.dispose();
  }
}

Deno.test({
  name: "python h2 client GETs from H2Connection server and gets the JSON header echo",
  fn: async () => {
    // RFC 9113 §8.2.3: python sends two cookie fields; our inbound normalisation joins them.
    const result = await withPythonClient("get");
    assert.equal(result.streamId, 1);
    assert.deepEqual(result.response.headers.slice(0, 2), [
      [":status", "200"],
      ["content-type", "application/json"],
    ]);
    assert.equal(result.response.ended, true);
    assert.deepEqual(JSON.parse(result.response.body), [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", "/hello?x=1"],
      ["user-agent", "python-h2-interop"],
      ["accept", "*/*"],
      ["cookie", "a=b; c=d"],
    ]);
  },
});

Deno.test({
  name: "python h2 client POSTs 10 MiB to H2Connection server and receives it back intact",
  fn: async () => {
    // RFC 9113 §5.2: our server acknowledges consumed DATA; python chunks to our windows.
    const result = await withPythonClient("post");
    assert.equal(result.reset, null);
    assert.equal(result.receivedLength, TEN_MIB);
    assert.equal(result.receivedSha256, result.sentSha256);
    assert.ok(result.events.includes("WindowUpdated"));
  },
});

Deno.test("python h2 client moves 10 MiB each way in 1 MiB frames with H2Connection", async () => {
  // RFC 9113 §4.2, §6.5.2: both sides advertise MAX_FRAME_SIZE and INITIAL_WINDOW_SIZE of 1 MiB.
  const result = await withPythonClient("post", {
    clientArgs: ["--big-frames"],
    settings: BIG_FRAMES,
    windowIncrement: BIG_CONNECTION_INCREMENT,
  });
  assert.equal(result.receivedSha256, result.sentSha256);
  assert.ok(Number(new Map(result.headers).get("x-max-data-frame")) > 16_384, "we got big frames");
  assert.ok(result.maxDataFrameReceived > 16_384, "python got big frames");
});

Deno.test("python h2 client sends and receives 1 MiB of padded DATA with H2Connection", async () => {
  // RFC 9113 §6.1: padding counts against flow control in both directions.
  const result = await withPythonClient("padded");
  assert.equal(result.reset, null);
  assert.equal(result.receivedLength, 1024 * 1024);
  assert.equal(result.receivedSha256, result.sentSha256);
});

Deno.test({
  name: "python h2 client runs 200 concurrent streams against H2Connection server",
  fn: async () => {
    // RFC 9113 §5.1.2: the server was built with limits.maxConcurrentStreams 1000.
    const result = await withPythonClient("concurrent");
    assert.equal(result.remoteMaxConcurrentStreams, 1000);
    assert.equal(result.maxOpen, 200);
    assert.equal(result.ok, 200);
  },
});

Deno.test({
  name: "python h2 client exchanges trailers with H2Connection server",
  fn: async () => {
    // RFC 9113 §8.1: trailers both ways.
    const result = await withPythonClient("trailers");
    assert.deepEqual(JSON.parse(result.response.body), {
      body: "hello",
      trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
    });
    assert.deepEqual(result.response.trailers, [["x-trailer-one", "1"], ["grpc-status", "0"]]);
  },
});

Deno.test({
  name: "python h2 client receives a stream pushed by H2Connection server",
  fn: async () => {
    // RFC 9113 §8.4: the promised request is a complete, safe request (§8.4.1).
    const result = await withPythonClient("push");
    assert.equal(result.pushed.length, 1);
    const [pushed] = result.pushed;
    assert.equal(pushed.streamId, 2);
    assert.equal(pushed.parent, 1);
    assert.deepEqual(pushed.request, [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", "/pushed"],
    ]);
    assert.equal(pushed.response.body, "pushed body");
    assert.equal(result.response.ended, true);
  },
});

Deno.test({
  name: "python h2 client and H2Connection server PING each other",
  fn: async () => {
    // RFC 9113 §6.7: each side ACKs the other's PING with the same 8 octets.
    const result = await withPythonClient("ping");
    assert.deepEqual(result.pingAcks, ["pyclient"]);
    assert.deepEqual(result.pingsReceived, ["tsping01"]);
    assert.deepEqual(JSON.parse(result.response.body), { pingAck: "tsping01" });
  },
});

Deno.test({
  name: "python h2 client sees H2Connection server's GOAWAY with the last stream id",
  fn: async () => {
    // RFC 9113 §6.8.
    const result = await withPythonClient("goaway");
    assert.equal(result.response.body, "bye");
    assert.deepEqual(result.terminated, { errorCode: 0, lastStreamId: 3, additionalData: "" });
  },
});

Deno.test({
  name: "python h2 client's malformed requests cost a stream each, not the H2Connection",
  fn: async () => {
    // RFC 9113 §8.1.1: "Malformed requests or responses that are detected MUST be treated as a
    // stream error (Section 5.4.2) of type PROTOCOL_ERROR." (python h2 itself sends GOAWAY.)
    // python sends, with its validation off: an uppercase name (§8.2), a connection-specific
    // field (§8.2.2) and a body shorter than its content-length (§8.1.1).
    const result = await withPythonClient("malformed");
    assert.deepEqual(result.resets, [1, 1, 1]);
    assert.equal(result.terminated, null);
    assert.equal(result.after.ended, true);
    assert.equal(JSON.parse(result.after.body)[3][1], "/after");
  },
});

Deno.test("python h2 client receives H2Connection server's 103 before the final response", async () => {
  // RFC 9113 §8.1: informational responses precede the final one on the same stream.
  const result = await withPythonClient("informational");
  assert.deepEqual(result.informational, [[[":status", "103"], [
    "link",
    "</style.css>; rel=preload",
  ]]]);
  assert.deepEqual(result.response.headers, [[":status", "200"]]);
  assert.equal(result.response.body, "final");
});

Deno.test("python h2 client exchanges 30 kB header fields with H2Connection server", async () => {
  // RFC 9113 §6.10: HEADERS + CONTINUATION both ways, under MAX_HEADER_LIST_SIZE 65536.
  const result = await withPythonClient("big");
  assert.deepEqual(result, {
    status: "200",
    responseBigOk: true,
    requestBigEchoedOk: true,
    events: result.events,
  });
});

Deno.test("python h2 client cancels a download from H2Connection server and carries on", async () => {
  // RFC 9113 §5.4.2, §6.4: RST_STREAM ends one stream; our server stops sending its body and
  // the connection (and its window) serve the next request in full.
  const result = await withPythonClient("reset");
  assert.ok(result.cancelledAt > 0 && result.cancelledAt < 1_000_000);
  assert.equal(result.secondLength, 300_000);
  assert.equal(result.secondEnded, true);
  assert.equal(result.terminated, null);
});

Deno.test("python h2 client shrinks then grows HEADER_TABLE_SIZE with H2Connection", async () => {
  // RFC 7541 §4.2, §6.3: our encoder signals each change at the start of the next block.
  const result = await withPythonClient("table");
  assert.deepEqual(result.statuses, ["200", "200", "200", "200", "200", "200"]);
  assert.equal(result.terminated, null);
});

Deno.test("python h2 client opens an RFC 8441 tunnel through H2Connection server", async () => {
  // RFC 8441 §3: our server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL=1, so ":protocol" is
  // accepted on CONNECT with :scheme, :path and :authority.
  const result = await withPythonClient("connect", {
    settings: { [SettingCode.ENABLE_CONNECT_PROTOCOL]: 1 },
  });
  assert.deepEqual(result.response, {
    headers: [[":status", "200"]],
    body: "hello tunnel",
    trailers: null,
    ended: true,
    reset: null,
  });
});
