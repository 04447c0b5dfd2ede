/**
 * Output-side attacks against the engine: data dribble (CVE-2019-9511) and
 * internal data buffering (CVE-2019-9517). The engine never sends beyond the
 * flow-control windows the peer granted, never buffers data behind the
 * application's back, and keeps no per-frame state, so an adapter that stops
 * reading above `maxOutboundBuffer` bounds the whole connection.
 */

import assert from "node:assert/strict";
import { FlowControlError, H2Error } from "../../lib/errors.ts";
import { DEFAULT_LIMITS } from "../../lib/limits.ts";
import { attack, MiB, server } from "./_harness.ts";
import * as w from "./_wire.ts";

Deno.test("Data dribble (CVE-2019-9511): 1-byte windows give 1-byte DATA frames, never more than granted", () => {
  // RFC 9113 §6.9: "the sender MUST NOT send a flow-controlled frame with a length that exceeds the space
  // available in either of the flow-control windows advertised by the receiver."
  const conn = server();
  conn.receiveData(w.concat([w.settings([[4, 1]]), w.request(1, true)]));
  conn.sendHeaders(1, [[":status", "200"]]);
  let remaining = 1 * MiB;
  let granted = 1;
  const body = new Uint8Array(1 * MiB);
  const send = () => {
    // python h2's naming: localFlowControlWindow is what we may send, min(connection, stream).
    const window = conn.localFlowControlWindow(1);
    if (window <= 0 || remaining === 0) return;
    const n = Math.min(window, remaining);
    conn.sendData(1, body.subarray(0, n));
    remaining -= n;
  };
  send();
  // The application may not push more than the window: it is refused, not buffered.
  const before = conn.outboundBufferSize;
  assert.throws(
    () => conn.sendData(1, body.subarray(0, 2)),
    (e) => e instanceof FlowControlError || e instanceof H2Error || e instanceof RangeError,
  );
  assert.equal(conn.outboundBufferSize, before);
  const outcome = attack(conn, 30_000, () => {
    granted += 1;
    return w.windowUpdate(1, 1);
  }, {
    drainEvery: 1_000,
    onEvents: () => send(),
  });
  assert.equal(outcome.error, undefined, `connection error ${outcome.error?.detail}`);
  const dataFrames = outcome.frames.filter((f) => f.type === w.T.DATA);
  const sent = dataFrames.reduce((n, f) => n + f.payload.length, 0);
  assert.ok(sent <= granted, `sent ${sent} octets with ${granted} granted`);
  assert.ok(dataFrames.every((f) => f.payload.length <= 1));
  // Ten octets of output per thirteen-octet WINDOW_UPDATE: no amplification, no per-frame state kept.
  assert.ok(outcome.maxOutbound <= 1_000 * 10 + 512, `output grew to ${outcome.maxOutbound}`);
  assert.ok(outcome.heapDelta < 16 * MiB, `heap grew ${outcome.heapDelta}`);
});

Deno.test("Internal data buffering (CVE-2019-9517): outboundBufferSize reports exactly what is queued", () => {
  // RFC 9113 §5.2: windows wide open but the socket unread; the engine only holds what the app handed it,
  // and exposes it so the adapter can stop reading above DEFAULT_LIMITS.maxOutboundBuffer (512 KiB).
  const conn = server();
  conn.receiveData(w.concat([
    w.settings([[4, 2 ** 31 - 1]]),
    w.windowUpdate(0, 2 ** 31 - 1 - 65_535),
    w.request(1, true),
  ]));
  conn.dataToSend();
  conn.sendHeaders(1, [[":status", "200"]]);
  const headerBytes = conn.outboundBufferSize;
  // One sendData call per frame of the peer's SETTINGS_MAX_FRAME_SIZE (python h2's contract).
  const chunk = new Uint8Array(conn.maxOutboundFrameSize);
  let handed = 0;
  while (conn.outboundBufferSize <= DEFAULT_LIMITS.maxOutboundBuffer) {
    conn.sendData(1, chunk);
    handed += chunk.length;
  }
  // Exactly the DATA frames handed in, 9 octets of header each, nothing else.
  assert.equal(conn.outboundBufferSize, headerBytes + handed + (handed / chunk.length) * 9);
  // Incoming control traffic does not make the engine produce data on its own.
  const outcome = attack(conn, 1_000, (i) => w.windowUpdate(1, 1 + i));
  assert.equal(outcome.error, undefined);
  const dataOctets = outcome.frames.filter((f) => f.type === w.T.DATA).reduce(
    (n, f) => n + f.payload.length,
    0,
  );
  assert.equal(dataOctets, handed);
});
