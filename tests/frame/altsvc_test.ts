import assert from "node:assert/strict";
import { FrameType } from "../../lib/constants.ts";
import { ascii, assertRoundTrip, decodeAll, raw, u16 } from "./_raw.ts";

Deno.test("ALTSVC round-trips on stream 0 with an origin and on a stream without", () => {
  // RFC 7838 §4: Origin-Len (16) | Origin | Alt-Svc-Field-Value.
  assertRoundTrip({
    type: FrameType.ALTSVC,
    streamId: 0,
    origin: "https://example.com",
    fieldValue: 'h2="alt.example.com:443"; ma=3600',
  });
  assertRoundTrip({ type: FrameType.ALTSVC, streamId: 3, origin: "", fieldValue: 'h2=":8443"' });
  assertRoundTrip({ type: FrameType.ALTSVC, streamId: 0, origin: "\xff\x00", fieldValue: "" });
});

Deno.test("ALTSVC parses hand-built bytes as byte strings", () => {
  // RFC 7838 §4: the field value is the Alt-Svc header field value (octets).
  const frames = decodeAll(raw(FrameType.ALTSVC, 0, 0, [...u16(3), ...ascii("a.b"), 0xe9]));
  assert.deepEqual(frames, [{
    type: FrameType.ALTSVC,
    streamId: 0,
    origin: "a.b",
    fieldValue: "\xe9",
  }]);
});
