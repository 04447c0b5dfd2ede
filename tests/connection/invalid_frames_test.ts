// RFC 9113 §4, §5.5, §6: malformed frames and illegal frame sequences.
import assert from "node:assert/strict";
import { H2Error } from "../../lib/errors.ts";
import { bytes, frames, hpack, rawFrame } from "../_helpers/frames.ts";
import { Peer, ready, type Role } from "../_helpers/peer.ts";

type Scope = "conn" | "stream";
interface Case {
  name: string;
  /** Open stream 1 first (and, for a client, 3 too) */
  open?: boolean;
  frames: () => Uint8Array;
  code: string;
  scope: Scope;
  roles?: Role[];
}

const OPEN_HEADERS = () => frames.headers(1).request("POST", "/").noEndHeaders().toBytes();

const CASES: Case[] = [
  // §6.1, §6.2, §6.3: stream 0 is forbidden
  {
    name: "DATA on stream 0",
    frames: () => frames.data(0, "x").toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "HEADERS on stream 0",
    frames: () => frames.headers(0).request("GET", "/").endStream().toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "PRIORITY on stream 0",
    frames: () => frames.priority(0).toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "CONTINUATION on stream 0",
    frames: () => frames.continuation(0).endHeaders().toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  // §5.1 idle
  {
    name: "DATA on idle stream 3",
    frames: () => frames.data(3, "x").toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "WINDOW_UPDATE on idle stream 3",
    frames: () => frames.windowUpdate(3, 1).toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "RST_STREAM on idle stream 3",
    frames: () => frames.rstStream(3).cancel().toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  // §6.9 WINDOW_UPDATE
  {
    name: "WINDOW_UPDATE of 3 octets",
    frames: () => frames.windowUpdate(0, 1).rawPayload(0, 0, 1).toBytes(),
    code: "FRAME_SIZE_ERROR",
    scope: "conn",
  },
  {
    name: "WINDOW_UPDATE of 5 octets on a stream",
    open: true,
    frames: () => frames.windowUpdate(1, 1).rawPayload(0, 0, 0, 1, 0).toBytes(),
    code: "FRAME_SIZE_ERROR",
    scope: "conn",
  },
  {
    name: "WINDOW_UPDATE increment 0 on stream 0",
    frames: () => frames.windowUpdate(0, 0).toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "WINDOW_UPDATE increment 0 on an open stream",
    open: true,
    frames: () => frames.windowUpdate(1, 0).toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "stream",
  },
  // §6.3 PRIORITY
  {
    name: "PRIORITY of 4 octets",
    open: true,
    frames: () => frames.priority(1).rawPayload(0, 0, 0, 0).toBytes(),
    code: "FRAME_SIZE_ERROR",
    scope: "stream",
  },
  {
    name: "PRIORITY of 6 octets",
    open: true,
    frames: () => frames.priority(1).rawPayload(0, 0, 0, 0, 15, 0).toBytes(),
    code: "FRAME_SIZE_ERROR",
    scope: "stream",
  },
  // §6.1, §6.2: padding must be shorter than the payload
  {
    name: "DATA whose padding equals the payload length",
    open: true,
    frames: () => frames.data(1).flags(0x8).rawPayload(3, "ab").toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "DATA whose padding exceeds the payload length",
    open: true,
    frames: () => frames.data(1).flags(0x8).rawPayload(200, "ab").toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "HEADERS whose padding exceeds the payload length",
    frames: () =>
      frames.headers(1).flags(0x8).rawPayload(250, hpack.encode([[":method", "GET"]])).toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  // §4.2: too short for mandatory fields (frames that carry a field block: connection error)
  {
    name: "HEADERS with the PRIORITY flag and a 3-octet payload",
    frames: () => frames.headers(1).flags(0x20).rawPayload(0, 0, 0).toBytes(),
    code: "FRAME_SIZE_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  // §6.10, §4.3: nothing may interleave a field block
  {
    name: "DATA inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.data(1, "x")),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "PING inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.ping()),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "HEADERS on another stream inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.headers(3).request("GET", "/").endStream()),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "CONTINUATION on another stream inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.continuation(3).endHeaders()),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "an unknown frame type inside a header block (§5.5)",
    frames: () => bytes(OPEN_HEADERS(), frames.unknown(0xfa, 0, "hello")),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "PRIORITY inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.priority(1, { dependsOn: 0 })),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "CONTINUATION after DATA",
    open: true,
    frames: () => bytes(frames.data(1, "x"), frames.continuation(1, [["x-a", "b"]]).endHeaders()),
    code: "PROTOCOL_ERROR",
    scope: "conn",
  },
  {
    name: "CONTINUATION after a HEADERS that had END_HEADERS",
    frames: () =>
      bytes(
        frames.headers(1).request("POST", "/"),
        frames.continuation(1, [["x-a", "b"]]).endHeaders(),
      ),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "two WINDOW_UPDATEs together overflowing the connection window",
    frames: () => bytes(frames.windowUpdate(0, 2 ** 30), frames.windowUpdate(0, 2 ** 30)),
    code: "FLOW_CONTROL_ERROR",
    scope: "conn",
  },
  {
    name: "SETTINGS inside a header block",
    frames: () => bytes(OPEN_HEADERS(), frames.settings()),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  // §5.1.1 stream identifiers
  {
    name: "HEADERS from a client on an even stream",
    frames: () => frames.headers(2).request("GET", "/").endStream().toBytes(),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
  {
    name: "HEADERS opening a stream lower than one already opened",
    frames: () =>
      bytes(
        frames.headers(5).request("GET", "/").endStream(),
        frames.headers(3).request("GET", "/").endStream(),
      ),
    code: "PROTOCOL_ERROR",
    scope: "conn",
    roles: ["server"],
  },
];

Deno.test("H2Connection rejects malformed frames and frame sequences with the RFC 9113 error code and scope", async (t) => {
  // RFC 9113 §4.2, §5.1, §5.1.1, §6.1–§6.10 (each case names its rule)
  for (const c of CASES) {
    for (const role of c.roles ?? Peer.both()) {
      await t.step(`${role}: ${c.name} → ${c.scope} ${c.code}`, () => {
        const peer = ready(role);
        if (c.open) peer.openStream(1, { respond: true });
        peer.trySend(c.frames());
        if (c.scope === "conn") {
          peer.expectConnectionError(c.code as "PROTOCOL_ERROR");
        } else {
          peer.expectStreamError(1, c.code as "PROTOCOL_ERROR");
          peer.send(frames.ping("liveness"));
          peer.expect(frames.ping("liveness").ack());
        }
      });
    }
  }
});

Deno.test("H2Connection rejects a frame larger than MAX_FRAME_SIZE as soon as its 9-octet header arrives (RFC 9113 §4.2)", async (t) => {
  // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the size defined in SETTINGS_MAX_FRAME_SIZE"; checked before the payload is buffered.
  const cases: [string, number, number][] = [
    ["DATA on an open stream", 0x0, 1],
    ["HEADERS", 0x1, 3],
    ["SETTINGS", 0x4, 0],
    ["an unknown type", 0xfa, 0],
  ];
  for (const role of Peer.both()) {
    for (const [name, type, stream] of cases) {
      await t.step(`${role}: ${name}`, () => {
        const peer = ready(role);
        peer.openStream(1);
        // header only: length 16385, no payload yet
        peer.trySend(rawFrame(type, 0, stream, new Uint8Array(), 16_385));
        peer.expectConnectionError("FRAME_SIZE_ERROR");
      });
    }
  }
});

Deno.test("H2Connection rejects a 16 MiB frame header without waiting for the payload (RFC 9113 §4.2)", () => {
  // RFC 9113 §4.2
  const peer = ready("server");
  peer.trySend(rawFrame(0x0, 0, 1, new Uint8Array(100), 2 ** 24 - 1));
  peer.expectConnectionError("FRAME_SIZE_ERROR");
});

Deno.test("H2Connection accepts a frame of exactly MAX_FRAME_SIZE octets (RFC 9113 §4.2)", () => {
  // RFC 9113 §4.2: "the size defined in SETTINGS_MAX_FRAME_SIZE" is inclusive.
  const peer = ready("server");
  peer.openStream(1);
  peer.send(frames.data(1, 16_384));
  assert.equal(peer.event("DataReceived").data.length, 16_384);
});

Deno.test("H2Connection reports unknown frame types as UnknownFrameReceived and otherwise ignores them (RFC 9113 §5.5)", async (t) => {
  // RFC 9113 §5.5: "Implementations MUST ignore unknown or unsupported values in all extensible protocol elements"
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.send(frames.unknown(0xfa, 7, "opaque", 0xff));
      const ev = peer.event("UnknownFrameReceived");
      assert.equal(ev.frame.frameType, 0xfa);
      assert.equal(ev.frame.streamId, 7);
      assert.equal(ev.frame.flags, 0xff);
      assert.deepEqual(ev.frame.payload, bytes("opaque"));
      peer.expectIdle();
      // stream 7 was not opened by the unknown frame: a request on 1 is still fine for a server
      if (role === "server") {
        peer.send(frames.headers(1).request("GET", "/").endStream());
        assert.equal(peer.event("RequestReceived").streamId, 1);
      }
    });
  }
});

Deno.test("H2Connection ignores undefined flags and the reserved stream-id bit (RFC 9113 §4.1)", () => {
  // RFC 9113 §4.1: unused flags "MUST be ignored on receipt"; the reserved bit "MUST be ignored when receiving".
  const peer = ready("server");
  const h = frames.headers(1).request("POST", "/").flags(0x02 | 0x10 | 0x40 | 0x80).toBytes()
    .slice();
  h[5]! |= 0x80; // reserved bit set on stream 1
  peer.send(h);
  assert.equal(peer.event("RequestReceived").streamId, 1);
  peer.send(frames.data(1, "x").flags(0x02 | 0x04 | 0x20).endStream());
  assert.deepEqual(peer.eventTypes(), ["DataReceived", "StreamEnded"]);
});

Deno.test("H2Connection reassembles a header block split across HEADERS and CONTINUATION at every offset (RFC 9113 §4.3, §6.10)", () => {
  // RFC 9113 §4.3: a field block may be split into fragments at any octet.
  const block = frames.headers(1).request("GET", "/split", [["x-a", "1"], ["x-b", "two"]])
    .headerBlock();
  for (let at = 0; at <= block.length; at++) {
    const peer = ready("server");
    peer.send(
      frames.headers(1).block(block.subarray(0, at)).noEndHeaders().endStream(),
      frames.continuation(1, block.subarray(at)).endHeaders(),
    );
    const ev = peer.event("RequestReceived");
    assert.deepEqual(
      ev.headers.find(([n]) => n === ":path"),
      [":path", "/split"],
      `split at ${at}`,
    );
    assert.deepEqual(ev.headers.at(-1), ["x-b", "two"]);
    assert.ok(peer.eventTypes().includes("StreamEnded"));
  }
});

Deno.test("H2Connection applies END_STREAM of a HEADERS frame only once its CONTINUATION ends the block (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: "a HEADERS frame with the END_STREAM flag set can be followed by CONTINUATION frames"
  const peer = ready("server");
  const block = frames.headers(1).request("GET", "/").headerBlock();
  assert.deepEqual(
    peer.send(frames.headers(1).block(block.subarray(0, 4)).noEndHeaders().endStream()),
    [],
  );
  peer.send(frames.continuation(1, block.subarray(4, 6)));
  assert.deepEqual(peer.events, []);
  peer.send(frames.continuation(1, block.subarray(6)).endHeaders());
  assert.deepEqual(peer.eventTypes(), ["RequestReceived", "StreamEnded"]);
});

Deno.test("H2Connection errors thrown by receiveData are H2Errors, never plain exceptions, for truncated garbage (RFC 9113 §4.1)", () => {
  // RFC 9113 §4.1: any octets must produce frames or a protocol error, never a crash.
  let seed = 0x1234;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fff_ffff) & 0xff;
  for (let i = 0; i < 300; i++) {
    const peer = ready("server");
    const junk = new Uint8Array(5 + (i % 60)).map(() => rnd());
    junk[0] = 0;
    junk[1] = 0; // keep lengths small
    const err = peer.trySend(junk);
    assert.ok(
      err === undefined || err instanceof H2Error,
      `seed iteration ${i}: ${String(err)} for ${junk}`,
    );
  }
});

Deno.test("H2Connection (client) rejects HEADERS on an idle even stream that was never promised (RFC 9113 §5.1.1, §8.4)", () => {
  // RFC 9113 §5.1: HEADERS from a server cannot open a stream; idle stream → connection PROTOCOL_ERROR.
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.trySend(frames.headers(2).response(200).endStream());
  peer.expectConnectionError("PROTOCOL_ERROR");
});

Deno.test("H2Connection ignores the reserved bit of WINDOW_UPDATE increments and GOAWAY stream ids (RFC 9113 §6.8, §6.9)", async (t) => {
  // RFC 9113 §6.9: "Reserved: A reserved 1-bit field. The semantics of this bit are undefined, and the bit MUST remain unset (0) when sending and MUST be ignored when receiving."
  await t.step("WINDOW_UPDATE 0x80000005 is an increment of 5", () => {
    const peer = ready("server");
    peer.openStream(1);
    peer.send(frames.windowUpdate(1, 0).rawPayload(0x80, 0, 0, 5));
    assert.equal(peer.event("WindowUpdated").delta, 5);
  });
  await t.step("WINDOW_UPDATE 0x80000000 is an increment of 0 (stream error)", () => {
    const peer = ready("server");
    peer.openStream(1);
    peer.trySend(frames.windowUpdate(1, 0).rawPayload(0x80, 0, 0, 0));
    peer.expectStreamError(1, "PROTOCOL_ERROR");
  });
  await t.step("GOAWAY with the reserved bit on the last stream id", () => {
    const peer = ready("client");
    peer.send(frames.goAway(0).rawPayload(0x80, 0, 0, 7, 0, 0, 0, 0));
    assert.equal(peer.event("ConnectionTerminated").lastStreamId, 7);
  });
});
