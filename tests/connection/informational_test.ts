// RFC 9113 §8.1: interim (1xx) responses.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

Deno.test("H2Connection (client) reports any number of 1xx responses before the final one (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: "a server MAY send any number of interim responses before the HEADERS frame containing a final response"
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(
    frames.headers(1).response(100),
    frames.headers(1).response(103, [["link", "</a.css>; rel=preload"]]),
    frames.headers(1).response(103),
    frames.headers(1).response(200),
    frames.data(1, "ok").endStream(),
  );
  assert.deepEqual(peer.eventTypes(), [
    "InformationalResponseReceived",
    "InformationalResponseReceived",
    "InformationalResponseReceived",
    "ResponseReceived",
    "DataReceived",
    "StreamEnded",
  ]);
  assert.deepEqual(peer.eventsOf("InformationalResponseReceived")[1]!.headers, [
    [":status", "103"],
    ["link", "</a.css>; rel=preload"],
  ]);
});

Deno.test("H2Connection (client) rejects a 1xx response carrying END_STREAM as stream PROTOCOL_ERROR (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: "A HEADERS frame with the END_STREAM flag set that carries an informational status code is malformed"
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.trySend(frames.headers(1).response(103).endStream());
  peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
});

Deno.test("H2Connection (client) rejects a header block without END_STREAM after the final response (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1: a HEADERS frame without END_STREAM after a final status code is malformed.
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(frames.headers(1).response(200));
  peer.trySend(frames.headers(1).response(100));
  peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
});

Deno.test("H2Connection (server) sends 1xx responses and refuses END_STREAM on them (RFC 9113 §8.1)", () => {
  // RFC 9113 §8.1
  const peer = ready("server");
  peer.openStream(1);
  peer.conn.sendHeaders(1, [[":status", "100"]]);
  peer.conn.sendHeaders(1, [[":status", "103"], ["link", "</x>"]]);
  assert.throws(() => peer.conn.sendHeaders(1, [[":status", "103"]], { endStream: true }));
  peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
  peer.expect(
    frames.headers(1).response(100),
    frames.headers(1).response(103, [["link", "</x>"]]),
    frames.headers(1).response(200).endStream(),
  );
});
