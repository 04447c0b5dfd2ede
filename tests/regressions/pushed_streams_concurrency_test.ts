// Regression (reported 21:47 UTC, fixed in 1fa6e88): pushed streams did not count
// against SETTINGS_MAX_CONCURRENT_STREAMS once active, in either role (RFC 9113 §5.1.2).
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection (client) refuses a second active pushed stream over its limit of 1 (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: HEADERS that exceed the advertised limit → stream error PROTOCOL_ERROR or REFUSED_STREAM.
  const peer = ready("client", { conn: { limits: { maxConcurrentStreams: 1 } } });
  peer.openStream(1, { endStream: true });
  peer.send(
    frames.pushPromise(1, 2).request("GET", "/a"),
    frames.pushPromise(1, 4).request("GET", "/b"),
  );
  peer.send(frames.headers(2).response(200));
  peer.trySend(frames.headers(4).response(200));
  peer.expectNoError();
  const rst = peer.read().filter((f) => f.type === "RST_STREAM");
  assert.deepEqual(rst.map((f) => f.stream), [4]);
});

Deno.test("H2Connection (server) throws TooManyStreamsError for a second active push over the client's limit of 1 (RFC 9113 §5.1.2)", () => {
  // RFC 9113 §5.1.2: "Endpoints MUST NOT exceed the limit set by their peer."
  const peer = ready("server", { settings: frames.settings().maxConcurrentStreams(1) });
  peer.openStream(1, { endStream: true });
  peer.conn.pushStream(1, 2, request("GET", "/a"));
  peer.conn.pushStream(1, 4, request("GET", "/b"));
  peer.conn.sendHeaders(2, [[":status", "200"]]);
  peer.read();
  assert.throws(
    () => peer.conn.sendHeaders(4, [[":status", "200"]]),
    (e: Error) => e.name === "TooManyStreamsError",
  );
  peer.expectIdle();
});
