// RFC 9113 §4.1: frames arrive over a byte stream; any split must give the same events.
import assert from "node:assert/strict";
import { bytes, frames } from "../_helpers/frames.ts";
import { Peer, ready, type Role } from "../_helpers/peer.ts";
import type { H2Event } from "../../lib/events.ts";

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b_79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function summary(events: H2Event[]): string[] {
  return events.map((e) => {
    if (e.type === "DataReceived") {
      return `Data(${e.streamId},${
        new TextDecoder("latin1").decode(e.data)
      },${e.flowControlledLength})`;
    }
    if ("headers" in e && "streamId" in e) {
      return `${e.type}(${e.streamId},${JSON.stringify(e.headers)})`;
    }
    if ("streamId" in e) return `${e.type}(${e.streamId})`;
    return e.type;
  });
}

function exchange(role: Role): Uint8Array {
  if (role === "server") {
    return bytes(
      frames.headers(1).request("POST", "/upload", [["content-length", "11"]]).padded(3),
      frames.data(1, "hello ").padded(5),
      frames.ping("pingpong"),
      frames.headers(3).request("GET", "/other").priority({ dependsOn: 0, weight: 7 }).endStream(),
      frames.data(1, "world"),
      frames.headers(1).fields([["x-trailer", "t"]]).noEndHeaders().endStream(),
      frames.continuation(1, [["x-more", "m"]]).endHeaders(),
      frames.windowUpdate(0, 1000),
    );
  }
  return bytes(
    frames.headers(1).response(103),
    frames.headers(1).response(200, [["content-length", "6"]]).noEndHeaders(),
    frames.continuation(1, [["x-c", "1"]]).endHeaders(),
    frames.data(1, "abc").padded(2),
    frames.ping("pingpong"),
    frames.data(1, "def").endStream(),
    frames.headers(3).response(204).endStream(),
  );
}

Deno.test("H2Connection reports the same events however the input is chunked (RFC 9113 §4.1, seeded)", async (t) => {
  // RFC 9113 §4.1: a frame can span reads; seeds are printed on failure.
  for (const role of Peer.both()) {
    await t.step(role, () => {
      const setup = () => {
        const peer = ready(role);
        if (role === "client") {
          peer.openStream(1, { endStream: true });
          peer.openStream(3, { endStream: true });
        }
        return peer;
      };
      const wire = exchange(role);
      const reference = setup();
      const want = summary(reference.send(wire));
      const wantOut = reference.read();
      assert.ok(want.length >= 6, `${want}`);
      for (let seed = 1; seed <= 200; seed++) {
        const rnd = mulberry32(seed);
        const peer = setup();
        // events.ts: DataReceived.data is a view valid until the next receiveData, so summarise per call
        const got: string[] = [];
        let at = 0;
        while (at < wire.length) {
          const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 4 : 40));
          got.push(...summary(peer.send(wire.subarray(at, at + n))));
          at += n;
        }
        assert.deepEqual(got, want, `seed ${seed}`);
        assert.deepEqual(peer.read(), wantOut, `seed ${seed}`);
      }
    });
  }
});

Deno.test("H2Connection treats an empty chunk as nothing (RFC 9113 §4.1)", () => {
  // RFC 9113 §4.1
  const peer = ready("server");
  assert.deepEqual(peer.send(new Uint8Array()), []);
  peer.expectIdle();
});
