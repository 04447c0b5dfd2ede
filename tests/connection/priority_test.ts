// RFC 9113 §5.3, §6.3 (deprecated RFC 7540 priorities, still validated) and RFC 9218 PRIORITY_UPDATE.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { Peer, ready } from "../_helpers/peer.ts";

Deno.test("H2Connection reports a PRIORITY frame as PriorityUpdated with RFC 7540 fields (RFC 9113 §6.3)", async (t) => {
  // RFC 9113 §6.3: weight on the wire is weight - 1.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.send(frames.priority(1, { dependsOn: 0, weight: 256, exclusive: true }));
      // python h2 reports PRIORITY frames as PriorityUpdated
      const ev = peer.event("PriorityUpdated");
      assert.deepEqual([ev.streamId, ev.weight, ev.dependsOn, ev.exclusive], [1, 256, 0, true]);
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection accepts PRIORITY for an idle stream without opening it (RFC 9113 §5.1, §6.3)", () => {
  // RFC 9113 §5.1: PRIORITY may be received in any state, including idle.
  const peer = ready("server");
  peer.send(frames.priority(9, { dependsOn: 0 }));
  peer.expectIdle();
  // stream 9 is still idle: a request on 3 (lower) is legal
  peer.send(frames.headers(3).request("GET", "/").endStream());
  assert.equal(peer.event("RequestReceived").streamId, 3);
});

Deno.test("H2Connection rejects PRIORITY frames that depend on themselves or have the wrong length, as stream errors (RFC 9113 §5.3.1, §6.3)", async (t) => {
  // RFC 9113 §6.3: "A PRIORITY frame with a length other than 5 octets MUST be treated as a stream error ... FRAME_SIZE_ERROR"; §5.3.1: self-dependency → stream error PROTOCOL_ERROR.
  const cases: [string, () => Uint8Array, string][] = [
    [
      "a self-dependent PRIORITY",
      () => frames.priority(1, { dependsOn: 1 }).toBytes(),
      "PROTOCOL_ERROR",
    ],
    [
      "a 4-octet PRIORITY",
      () => frames.priority(1).rawPayload(0, 0, 0, 0).toBytes(),
      "FRAME_SIZE_ERROR",
    ],
  ];
  for (const role of Peer.both()) {
    for (const [name, make, code] of cases) {
      await t.step(`${role}: ${name} → stream ${code}`, () => {
        const peer = ready(role);
        peer.openStream(1);
        peer.trySend(make());
        peer.expectStreamError(1, code as "PROTOCOL_ERROR");
      });
    }
  }
});

Deno.test("H2Connection (server) rejects a HEADERS frame that depends on its own stream as a stream PROTOCOL_ERROR (RFC 9113 §5.3.1)", () => {
  // RFC 9113 §5.3.1: "A stream cannot depend on itself. An endpoint MUST treat this as a stream error of type PROTOCOL_ERROR."
  const peer = ready("server");
  peer.trySend(
    frames.headers(1).request("GET", "/", [["x-a", "1"]]).priority({ dependsOn: 1, weight: 16 })
      .endStream(),
  );
  peer.expectStreamError(1, "PROTOCOL_ERROR");
  // the block was still decoded: the connection goes on
  peer.send(frames.headers(3).request("GET", "/").endStream());
  assert.equal(peer.event("RequestReceived").streamId, 3);
});

Deno.test("H2Connection (server) attaches HEADERS priority fields to RequestReceived.priorityUpdated (RFC 9113 §6.2)", () => {
  // RFC 9113 §6.2: the PRIORITY flag carries Exclusive, Stream Dependency and Weight.
  const peer = ready("server");
  peer.send(
    frames.headers(3).request("GET", "/").priority({ dependsOn: 0, weight: 32 }).endStream(),
  );
  const req = peer.event("RequestReceived");
  assert.deepEqual([req.priorityUpdated?.streamId, req.priorityUpdated?.weight], [3, 32]);
  assert.ok(peer.eventTypes().includes("PriorityUpdated"), "the related event is also in the list");
});

Deno.test("H2Connection (server) reports PRIORITY_UPDATE as PriorityUpdated with RFC 9218 urgency and incremental", async (t) => {
  // RFC 9218 §7.1 (frame), §4 (u=0..7 default 3, i default false)
  const cases: [string, string, number, boolean][] = [
    ["u=1, i", "u=1, i", 1, true],
    ["u=5", "u=5", 5, false],
    ["empty value: defaults", "", 3, false],
    ["unknown parameters are ignored", "u=2, foo=bar", 2, false],
  ];
  for (const [name, value, urgency, incremental] of cases) {
    await t.step(name, () => {
      const peer = ready("server");
      peer.openStream(1);
      peer.send(frames.priorityUpdate(1, value));
      const ev = peer.event("PriorityUpdated");
      assert.deepEqual([ev.streamId, ev.urgency, ev.incremental, ev.fieldValue], [
        1,
        urgency,
        incremental,
        value,
      ]);
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection rejects malformed PRIORITY_UPDATE frames as connection PROTOCOL_ERROR (RFC 9218 §7.1)", async (t) => {
  // RFC 9218 §7.1: on a stream other than 0, or naming stream 0 → connection PROTOCOL_ERROR; a client receiving it from a server too.
  const cases: [string, "server" | "client", () => Uint8Array][] = [
    [
      "PRIORITY_UPDATE on stream 1",
      "server",
      () => frames.priorityUpdate(1, "u=1").onStream(1).toBytes(),
    ],
    ["PRIORITY_UPDATE naming stream 0", "server", () => frames.priorityUpdate(0, "u=1").toBytes()],
    ["PRIORITY_UPDATE sent by a server", "client", () => frames.priorityUpdate(1, "u=1").toBytes()],
  ];
  for (const [name, role, make] of cases) {
    await t.step(name, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.trySend(make());
      peer.expectConnectionError("PROTOCOL_ERROR");
    });
  }
});

Deno.test("H2Connection.prioritize sends a PRIORITY frame with weight - 1 on the wire (RFC 9113 §6.3)", () => {
  // RFC 9113 §6.3; python h2 prioritize() defaults: weight 16, depends_on 0, exclusive false
  const peer = ready("client");
  peer.openStream(1);
  peer.conn.prioritize(1, { weight: 200, dependsOn: 0, exclusive: true });
  peer.expect(frames.priority(1, { weight: 200, dependsOn: 0, exclusive: true }));
  assert.throws(() => peer.conn.prioritize(1, { dependsOn: 1 }));
  assert.throws(() => peer.conn.prioritize(1, { weight: 0 }));
  assert.throws(() => peer.conn.prioritize(1, { weight: 257 }));
  peer.expectIdle();
});

Deno.test("H2Connection (client) sends priority fields on HEADERS when asked, and a server may not (RFC 9113 §6.2)", () => {
  // RFC 9113 §6.2 PRIORITY flag; python h2: priority kwargs are client-only.
  const peer = ready("client");
  peer.conn.sendHeaders(1, [[":method", "GET"], [":scheme", "https"], [":path", "/"], [
    ":authority",
    "a",
  ]], {
    endStream: true,
    priorityWeight: 32,
    priorityDependsOn: 0,
    priorityExclusive: true,
  });
  const [h] = peer.read();
  assert.deepEqual(h!.flags, ["END_STREAM", "END_HEADERS", "PRIORITY"]);
  assert.deepEqual(h!.priority, { dependsOn: 0, exclusive: true, weight: 32 });
});

Deno.test("H2Connection (server) refuses RFC 7540 priority signalling from a server (python h2 RFC1122Error)", () => {
  // RFC 9113 §5.3.2 deprecates the scheme; python h2 lets only clients send it.
  const peer = ready("server");
  peer.openStream(1, { endStream: true });
  assert.throws(() => peer.conn.prioritize(1, { weight: 10 }));
  assert.throws(() => peer.conn.sendHeaders(1, [[":status", "200"]], { priorityWeight: 10 }));
  peer.expectIdle();
});
