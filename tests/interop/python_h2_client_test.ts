// RFC 9113 §5.2, §6.1–§6.10, §8: our H2Connection as CLIENT against python-hyper h2 4.1.0's
// server (tests/interop/py/h2_server.py, /usr/bin/python3 with Debian's python3-h2) over real
// TCP on 127.0.0.1. The same routes are served by our engine in python_h2_server_test.ts; the
// shared helpers (python processes, `Endpoint`) are in _python_h2.ts.
//
// Run: deno test --allow-all tests/interop/python_h2_client_test.ts
// Every subprocess and wait is bounded; processes are killed and sockets closed in `finally`.
import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { SettingCode } from "../../lib/constants.ts";
import {
  ConnectionTerminated,
  DataReceived,
  InformationalResponseReceived,
  PingAckReceived,
  RemoteSettingsChanged,
  SettingsAcknowledged,
  TrailersReceived,
  WindowUpdated,
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
  randomBody,
  requirePythonH2,
  SCENARIO_TIMEOUT_MS,
  sha256,
  TEN_MIB,
  text,
  timeout,
} from "./_python_h2.ts";

// ---------------------------------------------------------------------------
// Our engine as CLIENT against python h2's server.

async function withPythonServer(
  fn: (client: Endpoint) => Promise<void>,
  options: ConstructorParameters<typeof H2Connection>[0] = {},
  serverArgs: string[] = [],
): Promise<void> {
  await requirePythonH2();
  const server = new PythonChild("h2_server.py", ["--port", "0", "--timeout", "90", ...serverArgs]);
  let client: Endpoint | undefined;
  try {
    const [, port] = await server.line(/LISTENING (\d+)/, 10_000);
    const sock = await timeout(
      Deno.connect({ hostname: "127.0.0.1", port: Number(port) }),
      5_000,
      "connect",
    );
    client = new Endpoint(sock, new H2Connection({ clientSide: true, ...options }));
    client.start();
    await timeout(fn(client), SCENARIO_TIMEOUT_MS, "scenario");
    assert.equal(client.error, undefined, `engine error: ${describeError(client.error)}`);
  } catch (error) {
    throw new Error(`${describeError(error)}\n-- python server stderr:\n${server.stderr}`, {
      cause: error,
    });
  } finally {
    await client?.close();
    await server.dispose();
  }
}

Deno.test({
  name: "H2Connection client GETs from python h2 and gets its JSON header echo",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.8.1/§8.8.2: a simple request and response.
      // Outbound normalisation (API.md §1, as h2): lowercase names, trimmed values, and
      // connection-specific fields dropped (§8.2.2) before python h2 validates them.
      const id = await client.request("GET", "/hello?x=1", {
        extra: [
          ["user-agent", "deno-h2"],
          ["Connection", "keep-alive"],
          ["X-Mixed-Case", " padded\t"],
          ["cookie", "a=b"],
          ["cookie", "c=d"],
        ],
      });
      assert.equal(id, 1);
      const r = await client.response(id);
      assert.equal(header(r.headers, ":status"), "200");
      assert.equal(header(r.headers, "content-type"), "application/json");
      const body = text(r.body);
      assert.equal(header(r.headers, "content-length"), String(body.length));
      // python h2 joined our two cookie fields (§8.2.3) and kept the rest in order.
      assert.deepEqual(JSON.parse(body), [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", "127.0.0.1"],
        [":path", "/hello?x=1"],
        ["user-agent", "deno-h2"],
        ["x-mixed-case", "padded"],
        ["cookie", "a=b; c=d"],
      ]);
    }),
});

Deno.test({
  name: "H2Connection client with outbound checks off gets python h2's GOAWAY for a bad field",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.2.2: connection-specific fields make a request malformed; python h2 turns
      // that into a connection PROTOCOL_ERROR (python-h2.md §5.1). With validation and
      // normalisation off our engine must send the field as given.
      await client.request("GET", "/", { extra: [["connection", "close"]] });
      await client.waitUntil(
        () => client.events.some((e) => e instanceof ConnectionTerminated),
        "ConnectionTerminated",
      );
      const goAway = client.events.find((e) => e instanceof ConnectionTerminated)!;
      assert.equal(goAway.errorCode, 1);
    }, { validateOutboundHeaders: false, normalizeOutboundHeaders: false }),
});

Deno.test({
  name: "H2Connection client POSTs 10 MiB to python h2 and receives the same 10 MiB back",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §5.2, §6.9: both directions only progress through WINDOW_UPDATEs.
      const data = randomBody(TEN_MIB);
      const id = await client.request("POST", "/echo", {
        extra: [["content-length", String(TEN_MIB)]],
        body: data,
      });
      const r = await client.response(id);
      assert.equal(r.reset, undefined);
      assert.equal(header(r.headers, "content-length"), String(TEN_MIB));
      const received = concat(r.body);
      assert.equal(received.length, TEN_MIB);
      assert.equal(await sha256(received), await sha256(data));
      assert.ok(client.events.some((e) => e instanceof WindowUpdated), "no WINDOW_UPDATE seen");
    }),
});

Deno.test("H2Connection client moves 10 MiB each way in 1 MiB frames with python h2", () =>
  withPythonServer(
    async (client) => {
      // RFC 9113 §4.2, §6.5.2, §6.9.2: larger MAX_FRAME_SIZE and INITIAL_WINDOW_SIZE both ways;
      // each side may use the other's frame size once it has the SETTINGS (ours once ACKed).
      client.conn.incrementFlowControlWindow(BIG_CONNECTION_INCREMENT);
      await client.flush();
      await client.waitUntil(
        () => client.conn.maxOutboundFrameSize === 1 << 20,
        "python's MAX_FRAME_SIZE",
      );
      const data = randomBody(TEN_MIB);
      const r = await client.response(await client.request("POST", "/echo", { body: data }));
      const received = concat(r.body);
      assert.equal(await sha256(received), await sha256(data));
      assert.ok(Number(header(r.headers, "x-max-data-frame")) > 16_384, "python got big frames");
      const sizes = client.events.filter((e): e is DataReceived => e instanceof DataReceived)
        .map((e) => e.flowControlledLength);
      assert.ok(Math.max(...sizes) > 16_384, "we got big frames");
    },
    { settings: BIG_FRAMES },
    ["--big-frames"],
  ));

Deno.test("H2Connection client sends and receives 1 MiB of padded DATA with python h2", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.1: "The entire DATA frame payload is included in flow control, including
    // the Pad Length and Padding fields if present." Both sides pad; the windows must agree.
    const data = randomBody(1024 * 1024);
    const id = await client.request("POST", "/padded-echo", { body: data, padLength: 100 });
    const r = await client.response(id);
    const received = concat(r.body);
    assert.equal(received.length, data.length);
    assert.equal(await sha256(received), await sha256(data));
    const padded = client.events.filter((e): e is DataReceived => e instanceof DataReceived);
    assert.ok(padded.every((e) => e.flowControlledLength === e.data.length + 65), "pad 64 + 1");
  }));

Deno.test({
  name: "H2Connection client runs 200 concurrent streams against python h2",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §5.1.2: python's server advertises MAX_CONCURRENT_STREAMS 1000 here.
      await client.waitUntil(
        () => client.events.some((e) => e instanceof RemoteSettingsChanged),
        "the server SETTINGS",
      );
      const ids: number[] = [];
      let maxOpen = 0;
      for (let i = 0; i < 200; i++) {
        // Open all 200 in one go: sendHeaders only queues bytes, nothing is read meanwhile.
        ids.push(client.conn.getNextAvailableStreamId());
        client.conn.sendHeaders(ids[i]!, [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", "127.0.0.1"],
          [":path", `/item/${i}`],
          ["x-index", String(i)],
        ], { endStream: true });
        maxOpen = Math.max(maxOpen, client.conn.openOutboundStreams);
      }
      assert.equal(maxOpen, 200, "all 200 streams open at once (python allows 1000)");
      await client.flush();
      const responses = await Promise.all(ids.map((id) => client.response(id)));
      responses.forEach((r, i) => {
        assert.equal(header(r.headers, ":status"), "200", `stream ${ids[i]}`);
        assert.deepEqual(JSON.parse(text(r.body))[3], [":path", `/item/${i}`]);
      });
      assert.equal(new Set(ids).size, 200);
      assert.equal(ids.at(-1), 399);
    }),
});

Deno.test({
  name: "H2Connection client sends request trailers to python h2 and receives response trailers",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.1: a trailer section is a HEADERS frame with END_STREAM after the DATA.
      const id = await client.request("POST", "/trailers", {
        extra: [["te", "trailers"]],
        body: new TextEncoder().encode("hello"),
        trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
      });
      const r = await client.response(id);
      assert.deepEqual(JSON.parse(text(r.body)), {
        body: "hello",
        trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
      });
      assert.deepEqual(r.trailers, [["x-trailer-one", "1"], ["grpc-status", "0"]]);
      assert.ok(client.events.some((e) => e instanceof TrailersReceived));
    }),
});

Deno.test({
  name: "H2Connection client receives a stream pushed by python h2",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.4: PUSH_PROMISE on the request stream, the response on the even stream.
      const id = await client.request("GET", "/push");
      const r = await client.response(id);
      assert.equal(header(r.headers, ":status"), "200");
      assert.deepEqual([...client.pushed.keys()], [2]);
      assert.deepEqual(client.pushed.get(2), {
        parent: id,
        headers: [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", "127.0.0.1"],
          [":path", "/pushed"],
        ],
      });
      const pushed = await client.response(2);
      assert.equal(header(pushed.headers, ":status"), "200");
      assert.equal(text(pushed.body), "pushed body");
    }),
});

Deno.test({
  name: "H2Connection client PINGs python h2 and answers python's PING",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §6.7: "Receivers of a PING frame ... MUST send a PING frame with the ACK flag".
      client.conn.ping(new TextEncoder().encode("tsclient"));
      await client.flush();
      await client.waitUntil(
        () =>
          client.events.some((e) =>
            e instanceof PingAckReceived && latin1.decode(e.pingData) === "tsclient"
          ),
        "the PING ACK",
      );
      // The server pings us and answers only once our engine has ACKed it.
      const r = await client.response(await client.request("GET", "/ping"));
      assert.deepEqual(JSON.parse(text(r.body)), { pingAck: "pyping01" });
    }),
});

Deno.test({
  name: "H2Connection client sees python h2's GOAWAY with the last stream id",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §6.8: GOAWAY carries the last processed stream id and NO_ERROR.
      await client.response(await client.request("GET", "/first"));
      const id = await client.request("GET", "/goaway");
      await client.waitUntil(
        () => client.events.some((e) => e instanceof ConnectionTerminated),
        "ConnectionTerminated",
      );
      const r = client.responses.get(id)!;
      assert.equal(text(r.body), "bye");
      assert.equal(r.ended, true);
      const goAway = client.events.find((e) => e instanceof ConnectionTerminated)!;
      assert.equal(goAway.errorCode, 0);
      assert.equal(goAway.lastStreamId, id);
      await client.waitUntil(() => client.closed, "the server to close the socket");
    }),
});

Deno.test("H2Connection client receives python h2's 103 before the final response", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §8.1: zero or more 1xx HEADERS, then the final response.
    const r = await client.response(await client.request("GET", "/informational"));
    assert.deepEqual(r.informational, [[[":status", "103"], [
      "link",
      "</style.css>; rel=preload",
    ]]]);
    assert.deepEqual(r.headers, [[":status", "200"]]);
    assert.equal(text(r.body), "final");
    assert.ok(client.events.some((e) => e instanceof InformationalResponseReceived));
  }));

Deno.test("H2Connection client exchanges 30 kB header fields with python h2 (CONTINUATION)", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.10: blocks above MAX_FRAME_SIZE continue in CONTINUATION frames, both ways.
    const big = bigValue();
    const r = await client.response(
      await client.request("GET", "/big-headers", { extra: [["x-big", big]] }),
    );
    assert.equal(header(r.headers, ":status"), "200");
    assert.equal(header(r.headers, "x-big") === big, true, "response x-big differs");
    const echoed = new Map<string, string>(JSON.parse(text(r.body)));
    assert.equal(echoed.get("x-big") === big, true, "request x-big differs");
  }));

Deno.test("H2Connection client cancels a python h2 download and the connection window recovers", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.9: DATA in flight on a reset stream still counts against the connection
    // window, so the engine must credit it back or the next download stalls.
    const first = await client.request("GET", "/bytes/1000000");
    await client.waitUntil(
      () => (client.responses.get(first)?.body.length ?? 0) > 0,
      "the first DATA",
    );
    client.conn.resetStream(first, 8); // CANCEL
    await client.flush();
    const second = await client.response(await client.request("GET", "/bytes/300000"));
    assert.equal(concat(second.body).length, 300_000);
    assert.equal(second.ended, true);
    assert.ok(concat(client.responses.get(first)!.body).length < 1_000_000);
  }));

Deno.test("H2Connection client shrinks then grows HEADER_TABLE_SIZE with python h2", () =>
  withPythonServer(async (client) => {
    // RFC 7541 §4.2: after a SETTINGS_HEADER_TABLE_SIZE change the encoder signals a dynamic
    // table size update; our decoder insists on it (§6.3), python's encoder must send it.
    const repeat = "r".repeat(3000);
    for (const size of [0, 65_536]) {
      const acks = client.events.filter((e) => e instanceof SettingsAcknowledged).length;
      client.conn.updateSettings({ [SettingCode.HEADER_TABLE_SIZE]: size });
      await client.flush();
      await client.waitUntil(
        () => client.events.filter((e) => e instanceof SettingsAcknowledged).length > acks,
        `the ACK of HEADER_TABLE_SIZE ${size}`,
      );
      for (let i = 0; i < 3; i++) {
        const r = await client.response(
          await client.request("GET", `/table/${size}/${i}`, { extra: [["x-repeat", repeat]] }),
        );
        assert.deepEqual(r.headers, [[":status", "200"], ["x-repeat", repeat]]);
      }
    }
  }));

Deno.test("H2Connection client opens an RFC 8441 tunnel through python h2", () =>
  withPythonServer(
    async (client) => {
      // RFC 8441 §4: ":protocol" on CONNECT once the server sent ENABLE_CONNECT_PROTOCOL=1;
      // :scheme and :path are then required (§5). DATA flows both ways on the stream.
      await client.waitUntil(
        () => client.conn.remoteSettings.enableConnectProtocol === 1,
        "SETTINGS_ENABLE_CONNECT_PROTOCOL",
      );
      const id = client.conn.getNextAvailableStreamId();
      client.conn.sendHeaders(id, [
        [":method", "CONNECT"],
        [":protocol", "websocket"],
        [":scheme", "http"],
        [":path", "/chat"],
        [":authority", "127.0.0.1"],
      ]);
      await client.flush();
      await client.waitUntil(
        () => client.responses.get(id)?.headers !== undefined,
        "the tunnel's 200",
      );
      assert.deepEqual(client.responses.get(id)!.headers, [[":status", "200"]]);
      client.conn.sendData(id, new TextEncoder().encode("hello tunnel"));
      await client.flush();
      await client.waitUntil(() => text(client.responses.get(id)!.body) === "hello tunnel", "echo");
      client.conn.endStream(id);
      await client.flush();
      const r = await client.response(id);
      assert.equal(r.ended, true);
      assert.equal(r.reset, undefined);
    },
    {},
    ["--connect-protocol"],
  ));
