/**
 * End-to-end smoke tests of the engine: a client `H2Connection` talking to a
 * server `H2Connection` in memory, bytes shuttled by `pump()`.
 */

import assert from "node:assert/strict";
import { SettingCode } from "../lib/constants.ts";
import { H2Connection } from "../lib/connection.ts";
import { ClosedStreams } from "../lib/_closed.ts";
import { ErrorCode, FlowControlError, FrameTooLargeError, ProtocolError } from "../lib/errors.ts";
import {
  ConnectionTerminated,
  DataReceived,
  type H2Event,
  type HeaderField,
  PingAckReceived,
  PriorityUpdated,
  PushedStreamReceived,
  RequestReceived,
  ResponseReceived,
  SettingsAcknowledged,
  StreamEnded,
  StreamReset,
  TrailersReceived,
  WindowUpdated,
} from "../lib/events.ts";

const REQUEST: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "example.com"],
  [":path", "/"],
];

function pair(): { client: H2Connection; server: H2Connection } {
  const client = new H2Connection();
  const server = new H2Connection({ clientSide: false });
  client.initiateConnection();
  server.initiateConnection();
  return { client, server };
}

/** Moves bytes both ways until both sides are quiet; returns every event per side. */
function pump(
  client: H2Connection,
  server: H2Connection,
  onServer?: (e: H2Event) => void,
  onClient?: (e: H2Event) => void,
): { client: H2Event[]; server: H2Event[] } {
  const seen = { client: [] as H2Event[], server: [] as H2Event[] };
  for (let round = 0; round < 10_000; round++) {
    const toServer = client.dataToSend();
    const toClient = server.dataToSend();
    if (toServer.length === 0 && toClient.length === 0) return seen;
    for (const e of server.receiveData(toServer)) {
      seen.server.push(e);
      onServer?.(e);
    }
    for (const e of client.receiveData(toClient)) {
      seen.client.push(e);
      onClient?.(e);
    }
  }
  throw new Error("pump did not settle");
}

Deno.test("H2Connection client and server complete a GET with a body (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: HEADERS, then DATA with END_STREAM.
  const { client, server } = pair();
  pump(client, server);
  const id = client.getNextAvailableStreamId();
  assert.equal(id, 1);
  client.sendHeaders(id, REQUEST, { endStream: true });
  const seen = pump(client, server, (e) => {
    if (e instanceof RequestReceived) {
      assert.deepEqual(e.headers, REQUEST);
      assert.ok(e.streamEnded instanceof StreamEnded);
      server.sendHeaders(e.streamId, [[":status", "200"], ["content-length", "5"]]);
      server.sendData(e.streamId, new TextEncoder().encode("hello"), { endStream: true });
    }
  });
  const response = seen.client.find((e) => e instanceof ResponseReceived);
  assert.deepEqual(response?.headers, [[":status", "200"], ["content-length", "5"]]);
  const data = seen.client.find((e) => e instanceof DataReceived);
  assert.equal(new TextDecoder().decode(data?.data), "hello");
  assert.ok(data?.streamEnded instanceof StreamEnded);
  assert.equal(client.openOutboundStreams, 0);
  assert.equal(server.openInboundStreams, 0);
});

Deno.test("H2Connection carries request trailers and response trailers (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: a trailer section ends the stream.
  const { client, server } = pair();
  client.sendHeaders(1, [[":method", "POST"], ...REQUEST.slice(1)]);
  client.sendData(1, new Uint8Array([1, 2, 3]));
  client.sendHeaders(1, [["x-checksum", "6"]], { endStream: true });
  const seen = pump(client, server, (e) => {
    if (e instanceof TrailersReceived) {
      server.sendHeaders(1, [[":status", "200"]]);
      server.sendHeaders(1, [["grpc-status", "0"]], { endStream: true });
    }
  });
  const trailers = seen.server.find((e) => e instanceof TrailersReceived);
  assert.deepEqual(trailers?.headers, [["x-checksum", "6"]]);
  const responseTrailers = seen.client.find((e) => e instanceof TrailersReceived);
  assert.deepEqual(responseTrailers?.headers, [["grpc-status", "0"]]);
  assert.throws(() => client.sendData(1, new Uint8Array(1)), ProtocolError);
});

Deno.test("H2Connection moves a 1 MiB body under flow control with acknowledgeReceivedData (RFC 9113 §6.9)", () => {
  // RFC 9113 §6.9: the sender respects both windows; the receiver reopens them.
  const { client, server } = pair();
  const body = new Uint8Array(1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = i * 7;
  let sent = 0;
  let received = 0;
  const chunks: Uint8Array[] = [];
  const sendSome = () => {
    while (sent < body.length) {
      const room = Math.min(client.localFlowControlWindow(1), client.maxOutboundFrameSize);
      if (room <= 0) return;
      const n = Math.min(room, body.length - sent);
      client.sendData(1, body.subarray(sent, sent + n), { endStream: sent + n === body.length });
      sent += n;
    }
  };
  client.sendHeaders(1, [[":method", "POST"], ...REQUEST.slice(1)]);
  sendSome();
  assert.equal(sent, 65_535);
  assert.throws(() => client.sendData(1, new Uint8Array(1)), FlowControlError);
  pump(
    client,
    server,
    (e) => {
      if (e instanceof DataReceived) {
        chunks.push(e.data.slice());
        received += e.data.length;
        server.acknowledgeReceivedData(e.flowControlledLength, e.streamId);
        if (e.streamEnded) {
          server.sendHeaders(1, [[":status", "204"]], { endStream: true });
        }
      }
    },
    (e) => {
      if (e instanceof WindowUpdated) sendSome();
    },
  );
  assert.equal(received, body.length);
  const joined = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.length;
  }
  assert.deepEqual(joined, body);
  assert.equal(client.openOutboundStreams, 0);
});

Deno.test("H2Connection rejects a DATA frame larger than the peer's SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2)", () => {
  // RFC 9113 §4.2: frames above SETTINGS_MAX_FRAME_SIZE are not sent.
  const { client, server } = pair();
  pump(client, server);
  client.sendHeaders(1, [[":method", "POST"], ...REQUEST.slice(1)]);
  assert.throws(() => client.sendData(1, new Uint8Array(16_385)), FrameTooLargeError);
  client.sendData(1, new Uint8Array(16_384));
});

Deno.test("H2Connection answers PING and reports the ACK (RFC 9113 §6.7)", () => {
  // RFC 9113 §6.7: the ACK carries an identical payload.
  const { client, server } = pair();
  const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  client.ping(payload);
  const seen = pump(client, server);
  const ack = seen.client.find((e) => e instanceof PingAckReceived);
  assert.deepEqual(ack?.pingData, payload);
});

Deno.test("H2Connection graceful shutdown lets in-flight streams finish (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: GOAWAY(2^31-1), PING, then GOAWAY with the last processed stream.
  const { client, server } = pair();
  client.sendHeaders(1, REQUEST, { endStream: true });
  pump(client, server);
  server.startGracefulShutdown();
  const seen = pump(client, server);
  const goaways = seen.client.filter((e) => e instanceof ConnectionTerminated);
  assert.deepEqual(goaways.map((e) => e.lastStreamId), [2 ** 31 - 1, 1]);
  assert.equal(server.isClosed, false);
  server.sendHeaders(1, [[":status", "200"]], { endStream: true });
  const done = pump(client, server);
  assert.ok(done.client.some((e) => e instanceof ResponseReceived));
  assert.equal(server.isClosed, true);
  assert.equal(client.isClosed, true);
});

Deno.test("H2Connection refuses streams above the GOAWAY last stream id to the client (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: streams above the last stream id were not processed and may be retried.
  const { client, server } = pair();
  client.sendHeaders(1, REQUEST, { endStream: true });
  client.sendHeaders(3, REQUEST, { endStream: true });
  client.dataToSend();
  server.closeConnection(ErrorCode.NO_ERROR, { lastStreamId: 1 });
  const events = client.receiveData(server.dataToSend());
  const reset = events.find((e) => e instanceof StreamReset);
  assert.equal(reset?.streamId, 3);
  assert.equal(reset?.errorCode, ErrorCode.REFUSED_STREAM);
  assert.ok(events.some((e) => e instanceof ConnectionTerminated));
});

Deno.test("H2Connection turns a connection error into one GOAWAY before throwing (RFC 9113 §5.4.1)", () => {
  // RFC 9113 §5.4.1: GOAWAY, then close.
  const server = new H2Connection({ clientSide: false });
  server.initiateConnection();
  server.dataToSend();
  assert.throws(
    () => server.receiveData(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")),
    ProtocolError,
  );
  const out = server.dataToSend();
  assert.equal(out[3], 0x7); // GOAWAY
  assert.equal(out.length, 17);
  assert.deepEqual(server.receiveData(new Uint8Array(10)), []);
  assert.equal(server.dataToSend().length, 0);
  assert.equal(server.isClosed, true);
});

Deno.test("H2Connection h2c upgrade puts stream 1 half-closed on both sides (RFC 7540 §3.2)", () => {
  // RFC 7540 §3.2: the upgraded request is stream 1.
  const client = new H2Connection();
  const server = new H2Connection({ clientSide: false });
  const header = client.initiateUpgradeConnection();
  assert.equal(typeof header, "string");
  assert.doesNotMatch(header!, /[=+/]/);
  server.initiateUpgradeConnection(header);
  server.sendHeaders(1, [[":status", "200"]], { endStream: true });
  const seen = pump(client, server);
  assert.ok(seen.client.some((e) => e instanceof ResponseReceived && e.streamId === 1));
  assert.equal(client.getNextAvailableStreamId(), 3);
});

Deno.test("H2Connection server push reaches the client as PushedStreamReceived then ResponseReceived (RFC 9113 §8.4)", () => {
  // RFC 9113 §8.4: PUSH_PROMISE reserves an even stream; the response follows on it.
  const { client, server } = pair();
  client.sendHeaders(1, REQUEST, { endStream: true });
  pump(client, server);
  server.pushStream(1, 2, [
    [":method", "GET"],
    [":scheme", "https"],
    [":authority", "example.com"],
    [":path", "/style.css"],
  ]);
  server.sendHeaders(2, [[":status", "200"]], { endStream: true });
  server.sendHeaders(1, [[":status", "200"]], { endStream: true });
  const seen = pump(client, server);
  const types = seen.client.map((e) => e.type);
  assert.deepEqual(types.filter((t) => t !== "StreamEnded"), [
    "PushedStreamReceived",
    "ResponseReceived",
    "ResponseReceived",
  ]);
  const pushed = seen.client.find((e) => e instanceof PushedStreamReceived);
  assert.equal(pushed?.pushedStreamId, 2);
  assert.equal(pushed?.parentStreamId, 1);
  assert.equal(server.highestOutboundStreamId, 2);
});

Deno.test("H2Connection refuses to push when the client disabled it (RFC 9113 §6.5.2)", () => {
  // RFC 9113 §6.5.2: SETTINGS_ENABLE_PUSH=0 forbids PUSH_PROMISE.
  const client = new H2Connection({ settings: { [SettingCode.ENABLE_PUSH]: 0 } });
  const server = new H2Connection({ clientSide: false });
  client.initiateConnection();
  server.initiateConnection();
  client.sendHeaders(1, REQUEST, { endStream: true });
  pump(client, server);
  assert.throws(() => server.pushStream(1, 2, REQUEST), ProtocolError);
});

Deno.test("H2Connection applies a larger INITIAL_WINDOW_SIZE to open streams once acknowledged (RFC 9113 §6.9.2)", () => {
  // RFC 9113 §6.9.2: a SETTINGS change adjusts every stream window by the difference.
  const { client, server } = pair();
  client.sendHeaders(1, [[":method", "POST"], ...REQUEST.slice(1)]);
  pump(client, server);
  assert.equal(server.remoteFlowControlWindow(1), 65_535);
  server.updateSettings({ [SettingCode.INITIAL_WINDOW_SIZE]: 100_000 });
  assert.equal(server.remoteFlowControlWindow(1), 65_535, "pending until the ACK");
  const seen = pump(client, server);
  assert.ok(seen.server.some((e) => e instanceof SettingsAcknowledged));
  assert.equal(server.remoteFlowControlWindow(1), 65_535, "the connection window caps it");
  server.incrementFlowControlWindow(100_000);
  assert.equal(server.remoteFlowControlWindow(1), 100_000);
  pump(client, server);
  assert.equal(client.localFlowControlWindow(1), 100_000);
});

Deno.test("H2Connection reports RFC 9218 PRIORITY_UPDATE urgency and incremental (RFC 9218 §7.1)", () => {
  // RFC 9218 §7.1: PRIORITY_UPDATE carries a Priority Field Value for a request stream.
  const server = new H2Connection({ clientSide: false });
  server.initiateConnection();
  const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = Uint8Array.of(0, 0, 0, 4, 0, 0, 0, 0, 0);
  const value = new TextEncoder().encode("u=1, i");
  const update = Uint8Array.of(0, 0, 4 + value.length, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, ...value);
  const events = server.receiveData(Uint8Array.of(...preface, ...settings, ...update));
  const priority = events.find((e) => e instanceof PriorityUpdated);
  assert.equal(priority?.streamId, 1);
  assert.equal(priority?.urgency, 1);
  assert.equal(priority?.incremental, true);
});

Deno.test("ClosedStreams remembers how the most recent closed streams closed and forgets only older ids (RFC 9113 §5.1)", () => {
  // RFC 9113 §5.1 "closed": the reaction to a late frame depends on how the stream closed.
  for (const limit of [1, 4, 16, 100]) {
    for (let seed = 1; seed <= 20; seed++) {
      let state = seed * 7919 + limit;
      const rand = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const closed = new ClosedStreams(limit);
      const model = new Map<number, number>();
      const next = [2, 1];
      const high = [0, 0];
      const open: number[] = [];
      for (let step = 0; step < 2000; step++) {
        if (rand() < 0.5 || open.length === 0) {
          const parity = rand() < 0.5 ? 1 : 0;
          next[parity]! += 2 * (rand() < 0.1 ? 1 + Math.floor(rand() * 50) : 1);
          open.push(next[parity]! - 2);
        } else {
          const id = open.splice(Math.floor(rand() * open.length), 1)[0]!;
          const how = Math.floor(rand() * 4);
          closed.set(id, how);
          model.set(id, how);
          high[id & 1] = Math.max(high[id & 1]!, id);
        }
        const probe = 1 + Math.floor(rand() * (Math.max(...next) + 4));
        const got = closed.get(probe);
        const want = model.get(probe);
        const msg = `seed ${seed}, limit ${limit}, id ${probe}`;
        if (got !== undefined) assert.equal(got, want, msg);
        if (want !== undefined && (high[probe & 1]! - probe) / 2 < limit) {
          assert.equal(got, want, msg);
        }
      }
    }
  }
});

Deno.test("H2Connection negotiates extended CONNECT before :protocol is used (RFC 8441 §3, §4)", () => {
  // RFC 8441 §4: ":protocol" only after the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL=1.
  const websocket: HeaderField[] = [
    [":method", "CONNECT"],
    [":protocol", "websocket"],
    [":scheme", "https"],
    [":authority", "example.com"],
    [":path", "/chat"],
  ];
  const client = new H2Connection();
  const server = new H2Connection({
    clientSide: false,
    settings: { [SettingCode.ENABLE_CONNECT_PROTOCOL]: 1 },
  });
  client.initiateConnection();
  server.initiateConnection();
  assert.throws(() => client.sendHeaders(1, websocket), ProtocolError);
  pump(client, server);
  assert.equal(client.remoteSettings.enableConnectProtocol, 1);
  client.sendHeaders(1, websocket);
  const seen = pump(client, server);
  const request = seen.server.find((e) => e instanceof RequestReceived);
  assert.deepEqual(request?.headers, websocket);
});

Deno.test("H2Connection refuses a :protocol request when extended CONNECT is off, as a stream error (RFC 8441 §4)", () => {
  // RFC 8441 §4 and RFC 9113 §8.1.1: a malformed request is a stream error; the connection lives.
  const client = new H2Connection({ validateOutboundHeaders: false });
  const server = new H2Connection({ clientSide: false });
  client.initiateConnection();
  server.initiateConnection();
  pump(client, server);
  // Pretend the server enabled it, so the client sends :protocol anyway.
  client.receiveData(Uint8Array.of(0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 1));
  client.dataToSend();
  client.sendHeaders(1, [
    [":method", "CONNECT"],
    [":protocol", "websocket"],
    [":scheme", "https"],
    [":authority", "example.com"],
    [":path", "/chat"],
  ]);
  const events = server.receiveData(client.dataToSend());
  const reset = events.find((e) => e instanceof StreamReset);
  assert.equal(reset?.errorCode, ErrorCode.PROTOCOL_ERROR);
  assert.equal(reset?.remoteReset, false);
  client.sendHeaders(3, REQUEST, { endStream: true });
  assert.ok(server.receiveData(client.dataToSend()).some((e) => e instanceof RequestReceived));
});

Deno.test("H2Connection does not spend glitches on full-size DATA in flight after it reset an upload (RFC 9113 §5.1)", () => {
  // RFC 9113 §5.1 "closed": frames in flight after our RST_STREAM are discarded; their DATA still
  // counts toward the connection window, and a cut-short upload is not abuse.
  const client = new H2Connection();
  const server = new H2Connection({ clientSide: false, limits: { glitchBurst: 2 } });
  client.initiateConnection();
  server.initiateConnection();
  pump(client, server);
  client.sendHeaders(1, [[":method", "POST"], ...REQUEST.slice(1)]);
  server.receiveData(client.dataToSend());
  server.sendHeaders(1, [[":status", "413"]], { endStream: true });
  server.resetStream(1, ErrorCode.NO_ERROR);
  for (let i = 0; i < 3; i++) client.sendData(1, new Uint8Array(16_384));
  const events = server.receiveData(client.dataToSend());
  assert.deepEqual(events, []);
  // The dropped octets were credited back to the connection window.
  assert.ok(server.inboundFlowControlWindow > 65_535 - 3 * 16_384);
  // Small frames are another matter: a flood of them trips the glitch budget.
  assert.throws(() => {
    for (let i = 0; i < 3; i++) server.receiveData(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1));
  }, (e: Error) => e.name === "DenialOfServiceError");
});
