// Regression (reported 21:46 UTC in /tmp/h2-bugs.md): a second HEADERS block on a
// stream ignored after our GOAWAY was taken for a stream-id regression
// (connection PROTOCOL_ERROR) instead of being ignored, RFC 9113 §6.8.
import assert from "node:assert/strict";
import { bytes, frames, hpack } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

Deno.test("H2Connection ignores trailers on a stream above its GOAWAY's last stream id, after decoding them (RFC 9113 §6.8, §4.3)", () => {
  // RFC 9113 §6.8: frames on streams above the last stream identifier are ignored; field blocks are still decoded.
  const peer = ready("server");
  peer.send(frames.headers(1).request("POST", "/"));
  peer.conn.closeConnection();
  peer.expectGoAway(1, "NO_ERROR");
  peer.send(frames.headers(3).request("POST", "/"));
  peer.trySend(
    bytes(
      frames.data(3, "body"),
      frames.headers(3).block(hpack.literalIndexed("x-sync", "2")).endStream(),
    ),
  );
  peer.expectNoError();
  peer.expectIdle();
  peer.send(frames.headers(1).block(hpack.indexed(62)).endStream());
  assert.deepEqual(peer.event("TrailersReceived").headers, [["x-sync", "2"]]);
});

Deno.test("H2Connection ignores trailers on a stream above its graceful-shutdown GOAWAY (RFC 9113 §6.8)", () => {
  // RFC 9113 §6.8: after the final GOAWAY of startGracefulShutdown the same rule applies.
  const peer = ready("server");
  peer.send(frames.headers(1).request("POST", "/"));
  peer.conn.startGracefulShutdown();
  const ping = peer.read().find((f) => f.type === "PING")!;
  const data = new Uint8Array((ping.data as string).match(/../g)!.map((x) => parseInt(x, 16)));
  peer.send(frames.ping(data).ack());
  peer.expectGoAway(1, "NO_ERROR");
  peer.send(frames.headers(3).request("POST", "/"));
  peer.trySend(frames.headers(3).fields([["x-t", "1"]]).endStream());
  peer.expectNoError();
  assert.deepEqual(peer.events, []);
});
