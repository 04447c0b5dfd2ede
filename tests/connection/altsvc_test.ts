// RFC 7838 §4: the ALTSVC frame (sent by servers, acted on by clients).
import assert from "node:assert/strict";
import { bytes, frames } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

function altsvc(stream: number, origin: string, value: string) {
  return frames.unknown(0xa, stream, [
    (origin.length >> 8) & 0xff,
    origin.length & 0xff,
    origin,
    value,
  ]);
}

Deno.test("H2Connection (server) advertises an alternative service for an origin on stream 0 (RFC 7838 §4)", () => {
  // RFC 7838 §4: Origin-Len (16), Origin, Alt-Svc-Field-Value.
  const peer = ready("server");
  peer.conn.advertiseAlternativeService('h2=":8443"', { origin: "https://example.com" });
  const out = peer.read();
  assert.equal(out.length, 1);
  assert.deepEqual([out[0]!.type, out[0]!.stream], ["ALTSVC", 0]);
  const expected = bytes(0, 19, "https://example.com", 'h2=":8443"');
  assert.equal(
    out[0]!.payload,
    Array.from(expected, (b) => b.toString(16).padStart(2, "0")).join(""),
  );
});

Deno.test("H2Connection (client) reports ALTSVC on stream 0 as AlternativeServiceAvailable (RFC 7838 §4)", () => {
  // RFC 7838 §4
  const peer = ready("client");
  peer.send(altsvc(0, "https://example.com", 'h2=":8443"; ma=60'));
  const ev = peer.event("AlternativeServiceAvailable");
  assert.deepEqual([ev.origin, ev.fieldValue], ["https://example.com", 'h2=":8443"; ma=60']);
});

Deno.test("H2Connection (server) ignores ALTSVC frames (RFC 7838 §4)", () => {
  // RFC 7838 §4: "A device acting as a server MUST ignore it."
  const peer = ready("server");
  peer.send(altsvc(0, "https://example.com", 'h2=":8443"'));
  assert.ok(!peer.eventTypes().includes("AlternativeServiceAvailable"));
  peer.expectIdle();
});
