/**
 * Minimal reproductions of what the `receiveData` fuzzer (and the attack
 * runs) found, one test each, named after the property that failed. The
 * input seed that found each case is in its comment; the frames are written
 * out by hand so the case survives generator changes.
 */

import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import * as w from "../attacks/_wire.ts";

function server(): H2Connection {
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  conn.receiveData(w.concat([w.PREFACE, w.settings(), w.settingsAck()]));
  conn.dataToSend();
  return conn;
}

/** Feeds bytes; returns the events (or the connection error) and the frames sent in reply. */
function feed(conn: H2Connection, bytes: Uint8Array): {
  events: H2Event[];
  error: H2Error | undefined;
  frames: w.WireFrame[];
} {
  let events: H2Event[] = [];
  let error: H2Error | undefined;
  try {
    events = conn.receiveData(bytes);
  } catch (e) {
    if (!(e instanceof H2Error)) throw e;
    error = e;
  }
  return { events, error, frames: w.parseFrames(conn.dataToSend()) };
}

Deno.test("A PRIORITY stream error on an idle stream sends no RST_STREAM for the idle stream and never reports a request on a reset stream", async (t) => {
  // RFC 9113 §6.4: "RST_STREAM frames MUST NOT be sent for a stream in the "idle" state."
  // Found by the fuzzer: FUZZ_SEED=20261125 index 3279 (server input seed 2744655268).
  const cases: Array<[string, Uint8Array]> = [
    ["PRIORITY depending on itself (§5.3.1)", w.priority(1, 1)],
    ["PRIORITY of 4 octets (§6.3)", w.frame(w.T.PRIORITY, 0, 1, new Uint8Array(4))],
  ];
  for (const [name, priority] of cases) {
    await t.step(name, () => {
      const conn = server();
      const first = feed(conn, priority);
      if (first.error !== undefined) {
        // A connection error is a valid way out: then it ends there.
        assert.equal(w.goAways(first.frames).length, 1);
        return;
      }
      assert.deepEqual(w.resets(first.frames), [], "RST_STREAM sent for an idle stream");
      const second = feed(conn, w.request(1, true));
      const reset = first.events.some((e) => e.type === "StreamReset" && e.streamId === 1);
      const request = second.events.some((e) => e.type === "RequestReceived" && e.streamId === 1);
      assert.ok(!(reset && request), "StreamReset(1) was reported, then RequestReceived(1)");
    });
  }
});

Deno.test("A server ignores a malformed ALTSVC frame instead of closing the connection", () => {
  // RFC 7838 §4: "The ALTSVC frame is intended for receipt by clients. A device acting as a server
  // MUST ignore it." Found by the fuzzer (server role, chaos 0, "altsvc_origin_overflow").
  const conn = server();
  const originLength = Uint8Array.of(0x79, 0x6c); // 31084 octets announced, 13 present
  const altsvc = w.frame(
    0xa,
    0,
    0,
    w.concat([originLength, new TextEncoder().encode('h2=":443"abcd')]),
  );
  const outcome = feed(conn, w.concat([altsvc, w.request(1, true)]));
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  assert.ok(outcome.events.some((e) => e.type === "RequestReceived"));
});
