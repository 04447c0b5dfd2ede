// RFC 9113 §5.1: every stream state × every received frame type, both roles.
//
// Each row drives a fresh connection into one state, has the peer send one
// frame on that stream, and classifies the outcome:
//   "ok"            no error (and `event`, when given, was reported)
//   "ignore"        no error and no message event for the stream
//   "stream:CODE"   RST_STREAM(CODE) on the stream, connection lives on (§5.4.2)
//   "conn:CODE"     receiveData threw a connection error and queued GOAWAY(CODE) (§5.4.1)
// Where RFC 9113 allows several outcomes ("MAY"), the row lists all of them.
import assert from "node:assert/strict";
import { H2Error } from "../../lib/errors.ts";
import { codeName } from "../_helpers/decode.ts";
import { type FrameBuilder, frames } from "../_helpers/frames.ts";
import { type Peer, ready, request, type Role } from "../_helpers/peer.ts";

type Kind =
  | "DATA"
  | "HEADERS"
  | "PRIORITY"
  | "RST_STREAM"
  | "WINDOW_UPDATE"
  | "CONTINUATION"
  | "PUSH_PROMISE";
const KINDS: Kind[] = [
  "DATA",
  "HEADERS",
  "PRIORITY",
  "RST_STREAM",
  "WINDOW_UPDATE",
  "CONTINUATION",
  "PUSH_PROMISE",
];

interface StateSetup {
  /** Drive the connection; return the stream id now in the state. */
  enter(peer: Peer): number;
}

const PE = "conn:PROTOCOL_ERROR";
const CLOSED = ["stream:STREAM_CLOSED", "conn:STREAM_CLOSED"];
const DISCARD = ["ignore", "stream:STREAM_CLOSED"];

function respond(peer: Peer, id: number, endStream: boolean): void {
  peer.conn.sendHeaders(id, [[":status", "200"]], { endStream });
  peer.read();
}

// ---- states of a SERVER connection (the peer plays the client) -------------
const SERVER_STATES: Record<string, StateSetup> = {
  "idle": { enter: () => 1 },
  "reserved (local)": {
    enter(peer) {
      peer.openStream(1, { endStream: true });
      peer.conn.pushStream(1, 2, request("GET", "/pushed"));
      peer.read();
      return 2;
    },
  },
  "open": { enter: (peer) => (peer.openStream(1), 1) },
  "half-closed (local)": {
    enter(peer) {
      peer.openStream(1);
      respond(peer, 1, true);
      return 1;
    },
  },
  "half-closed (remote)": { enter: (peer) => (peer.openStream(1, { endStream: true }), 1) },
  "closed (END_STREAM both ways)": {
    enter(peer) {
      peer.openStream(1, { endStream: true });
      respond(peer, 1, true);
      return 1;
    },
  },
  "closed (RST_STREAM sent)": {
    enter(peer) {
      peer.openStream(1);
      peer.conn.resetStream(1, 0x8);
      peer.read();
      return 1;
    },
  },
  "closed (RST_STREAM received)": {
    enter(peer) {
      peer.openStream(1);
      peer.send(frames.rstStream(1).cancel());
      return 1;
    },
  },
};

// ---- states of a CLIENT connection (the peer plays the server) -------------
const CLIENT_STATES: Record<string, StateSetup> = {
  "idle": { enter: () => 1 },
  "reserved (remote)": {
    enter(peer) {
      peer.openStream(1, { endStream: true });
      peer.send(frames.pushPromise(1, 2).request("GET", "/pushed"));
      return 2;
    },
  },
  "open": {
    enter(peer) {
      peer.openStream(1);
      peer.send(frames.headers(1).response(200));
      return 1;
    },
  },
  "half-closed (local)": {
    enter(peer) {
      peer.openStream(1, { endStream: true });
      peer.send(frames.headers(1).response(200));
      return 1;
    },
  },
  "half-closed (remote)": {
    enter(peer) {
      peer.openStream(1);
      peer.send(frames.headers(1).response(200).endStream());
      return 1;
    },
  },
  "closed (END_STREAM both ways)": {
    enter(peer) {
      peer.openStream(1, { endStream: true });
      peer.send(frames.headers(1).response(200).endStream());
      return 1;
    },
  },
  "closed (RST_STREAM sent)": {
    enter(peer) {
      peer.openStream(1);
      peer.conn.resetStream(1, 0x8);
      peer.read();
      return 1;
    },
  },
  "closed (RST_STREAM received)": {
    enter(peer) {
      peer.openStream(1);
      peer.send(frames.rstStream(1).cancel());
      return 1;
    },
  },
};

function frameFor(role: Role, state: string, kind: Kind, id: number): FrameBuilder {
  switch (kind) {
    case "DATA":
      return frames.data(id, "x");
    case "HEADERS":
      if (state === "idle") {
        return role === "server"
          ? frames.headers(id).request("GET", "/").endStream()
          : frames.headers(id).response(200);
      }
      if (state.startsWith("reserved")) {
        return role === "client"
          ? frames.headers(id).response(200)
          : frames.headers(id).request("GET", "/").endStream();
      }
      // a trailer block: the only HEADERS legal after the opening block (§8.1)
      return frames.headers(id).fields([["x-trailer", "1"]]).endStream();
    case "PRIORITY":
      return frames.priority(id, { dependsOn: 0, weight: 16 });
    case "RST_STREAM":
      return frames.rstStream(id).cancel();
    case "WINDOW_UPDATE":
      return frames.windowUpdate(id, 1);
    case "CONTINUATION":
      return frames.continuation(id, [["x-a", "b"]]).endHeaders();
    case "PUSH_PROMISE":
      return frames.pushPromise(id, 100).request("GET", "/p");
  }
}

type Outcome = string | string[];
interface Expect {
  outcome: Outcome;
  event?: string;
}
const ok = (
  event?: string,
): Expect => (event === undefined ? { outcome: "ok" } : { outcome: "ok", event });
const ex = (outcome: Outcome): Expect => ({ outcome });

// RFC 9113 §5.1 as a table. Notes per state:
//  idle: "Receiving any frame other than HEADERS or PRIORITY ... connection error PROTOCOL_ERROR"
//  reserved (local): only RST_STREAM, PRIORITY, WINDOW_UPDATE may be received, else connection PROTOCOL_ERROR
//  reserved (remote): only HEADERS, RST_STREAM, PRIORITY, else connection PROTOCOL_ERROR
//  half-closed (remote): anything but WINDOW_UPDATE, PRIORITY, RST_STREAM → stream error STREAM_CLOSED
//  closed: MAY be a connection STREAM_CLOSED; after sending RST_STREAM, frames are minimally processed and discarded
//  CONTINUATION without a preceding open header block: connection PROTOCOL_ERROR (§6.10) in every state
//  PUSH_PROMISE received by a server: connection PROTOCOL_ERROR (§8.4); by a client only on an
//    "open"/"half-closed (local)" stream, else connection PROTOCOL_ERROR (§6.6)
const SERVER_TABLE: Record<string, Record<Kind, Expect>> = {
  "idle": {
    DATA: ex(PE),
    HEADERS: ok("RequestReceived"),
    PRIORITY: ok(),
    RST_STREAM: ex(PE),
    WINDOW_UPDATE: ex(PE),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "reserved (local)": {
    DATA: ex(PE),
    HEADERS: ex(PE),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok(),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "open": {
    DATA: ok("DataReceived"),
    HEADERS: ok("TrailersReceived"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok("WindowUpdated"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "half-closed (local)": {
    DATA: ok("DataReceived"),
    HEADERS: ok("TrailersReceived"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok(),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "half-closed (remote)": {
    DATA: ex("stream:STREAM_CLOSED"),
    HEADERS: ex("stream:STREAM_CLOSED"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok("WindowUpdated"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "closed (END_STREAM both ways)": {
    DATA: ex(CLOSED),
    HEADERS: ex(CLOSED),
    PRIORITY: ok(),
    RST_STREAM: ex("ignore"),
    WINDOW_UPDATE: ex("ignore"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "closed (RST_STREAM sent)": {
    DATA: ex(DISCARD),
    HEADERS: ex(DISCARD),
    PRIORITY: ok(),
    RST_STREAM: ex("ignore"),
    WINDOW_UPDATE: ex("ignore"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "closed (RST_STREAM received)": {
    DATA: ex(CLOSED),
    HEADERS: ex(CLOSED),
    PRIORITY: ok(),
    RST_STREAM: ex(["ignore", ...CLOSED]),
    WINDOW_UPDATE: ex(["ignore", ...CLOSED]),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
};

const CLIENT_TABLE: Record<string, Record<Kind, Expect>> = {
  "idle": {
    DATA: ex(PE),
    HEADERS: ex(PE), // a server cannot open a stream with HEADERS (§5.1.1, §8.4)
    PRIORITY: ok(),
    RST_STREAM: ex(PE),
    WINDOW_UPDATE: ex(PE),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "reserved (remote)": {
    DATA: ex(PE),
    HEADERS: ok("ResponseReceived"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ex(PE),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "open": {
    DATA: ok("DataReceived"),
    HEADERS: ok("TrailersReceived"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok("WindowUpdated"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ok("PushedStreamReceived"),
  },
  "half-closed (local)": {
    DATA: ok("DataReceived"),
    HEADERS: ok("TrailersReceived"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok(),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ok("PushedStreamReceived"),
  },
  "half-closed (remote)": {
    DATA: ex("stream:STREAM_CLOSED"),
    HEADERS: ex("stream:STREAM_CLOSED"),
    PRIORITY: ok(),
    RST_STREAM: ok("StreamReset"),
    WINDOW_UPDATE: ok("WindowUpdated"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex(PE),
  },
  "closed (END_STREAM both ways)": {
    DATA: ex(CLOSED),
    HEADERS: ex(CLOSED),
    PRIORITY: ok(),
    RST_STREAM: ex("ignore"),
    WINDOW_UPDATE: ex("ignore"),
    CONTINUATION: ex(PE),
    PUSH_PROMISE: ex([PE, "conn:STREAM_CLOSED"]),
  },
  "closed (RST_STREAM sent)": {
    DATA: ex(DISCARD),
    HEADERS: ex(DISCARD),
    PRIORITY: ok(),
    RST_STREAM: ex("ignore"),
    WINDOW_UPDATE: ex("ignore"),
    CONTINUATION: ex(PE),
    // §6.6: "an endpoint that has sent RST_STREAM on the associated stream MUST handle PUSH_PROMISE frames"
    PUSH_PROMISE: ex([
      "ok",
      "ignore",
      "stream:STREAM_CLOSED",
      "stream:REFUSED_STREAM",
      "stream:CANCEL",
    ]),
  },
  "closed (RST_STREAM received)": {
    DATA: ex(CLOSED),
    HEADERS: ex(CLOSED),
    PRIORITY: ok(),
    RST_STREAM: ex(["ignore", ...CLOSED]),
    WINDOW_UPDATE: ex(["ignore", ...CLOSED]),
    CONTINUATION: ex(PE),
    // §6.6 makes this a connection PROTOCOL_ERROR, but §5.1 lets an endpoint minimally process
    // frames on any closed stream, so a stream-level answer is also conformant.
    PUSH_PROMISE: ex([PE, "conn:STREAM_CLOSED", "stream:STREAM_CLOSED", "ignore"]),
  },
};

const MESSAGE_EVENTS = [
  "RequestReceived",
  "ResponseReceived",
  "TrailersReceived",
  "DataReceived",
  "PushedStreamReceived",
];

function classify(peer: Peer, id: number): { result: string; detail: string } {
  const err = peer.error;
  if (err !== undefined) {
    if (err instanceof H2Error && err.streamId === undefined) {
      const out = peer.read();
      const last = out.at(-1);
      assert.ok(last?.type === "GOAWAY", `connection error without GOAWAY: ${JSON.stringify(out)}`);
      assert.equal(last.errorCode, codeName(err.errorCode), "GOAWAY carries the thrown code");
      return { result: `conn:${codeName(err.errorCode)}`, detail: `${err.name} ${err.detail}` };
    }
    return { result: "threw", detail: String(err) };
  }
  const out = peer.read();
  assert.ok(
    !out.some((f) => f.type === "GOAWAY"),
    `GOAWAY without a thrown error: ${JSON.stringify(out)}`,
  );
  const rst = out.filter((f) => f.type === "RST_STREAM");
  if (rst.length > 0) {
    // The RST_STREAM on the stream under test decides; others (e.g. a refused promise) are noted.
    const own = rst.find((f) => f.stream === id);
    if (own) {
      return {
        result: `stream:${own.errorCode}`,
        detail: `RST on ${rst.map((f) => f.stream)}`,
      };
    }
    return {
      result: rst.map((f) => `stream:${f.errorCode}`).join(","),
      detail: `RST on ${rst.map((f) => f.stream)}`,
    };
  }
  const messages = peer.eventsOf("DataReceived").length +
    peer.events.filter((e) => MESSAGE_EVENTS.includes(e.type)).length;
  return {
    result: messages === 0 ? "ignore" : "ok",
    detail: JSON.stringify(peer.eventTypes()) + ` on ${id}`,
  };
}

function runMatrix(
  role: Role,
  states: Record<string, StateSetup>,
  table: Record<string, Record<Kind, Expect>>,
) {
  return async (t: Deno.TestContext) => {
    for (const [state, setup] of Object.entries(states)) {
      for (const kind of KINDS) {
        const want = table[state]![kind];
        const allowed = Array.isArray(want.outcome) ? want.outcome : [want.outcome];
        await t.step(`${state} × ${kind} → ${allowed.join(" | ")}`, () => {
          // A client connection advertises ENABLE_PUSH=1 by default; the peer (a client) allows push too.
          const peer = ready(role);
          const id = setup.enter(peer);
          peer.expectIdle();
          peer.trySend(frameFor(role, state, kind, id));
          const { result, detail } = classify(peer, id);
          const accepted = allowed.includes(result) ||
            (result === "ignore" && allowed.includes("ok"));
          assert.ok(accepted, `got ${result} (${detail}), expected ${allowed.join(" | ")}`);
          if (want.event) {
            assert.ok(
              peer.eventTypes().includes(want.event),
              `expected ${want.event}, got ${peer.eventTypes()}`,
            );
          }
          if (!result.startsWith("conn:")) {
            // §5.4.2: after a stream error (or none) the connection lives on.
            peer.send(frames.ping("liveness"));
            peer.expect(frames.ping("liveness").ack());
          }
        });
      }
    }
  };
}

Deno.test(
  "H2Connection (server) handles every stream state × received frame type as RFC 9113 §5.1 prescribes",
  runMatrix("server", SERVER_STATES, SERVER_TABLE),
);

Deno.test(
  "H2Connection (client) handles every stream state × received frame type as RFC 9113 §5.1 prescribes",
  runMatrix("client", CLIENT_STATES, CLIENT_TABLE),
);
