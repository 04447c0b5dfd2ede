// RFC 9113 §5.2 and §6.9: flow control, both windows, both directions, both roles.
import assert from "node:assert/strict";
import { H2Error } from "../../lib/errors.ts";
import { bytes, frames } from "../_helpers/frames.ts";
import { type Peer, ready, type Role } from "../_helpers/peer.ts";

const ROLES: Role[] = ["server", "client"];

function sumIncrements(out: ReturnType<Peer["read"]>, stream: number): number {
  return out.filter((f) => f.type === "WINDOW_UPDATE" && f.stream === stream)
    .reduce((n, f) => n + (f.increment as number), 0);
}

function isError(name: string) {
  return (e: unknown) => e instanceof Error && e.name === name;
}

Deno.test("H2Connection refuses to send DATA beyond the peer's stream window with FlowControlError (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9.1: "A sender MUST NOT send a flow-controlled frame with a length that exceeds the space available"
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { settings: frames.settings().initialWindowSize(10) });
      peer.openStream(1);
      assert.equal(peer.conn.localFlowControlWindow(1), 10);
      assert.throws(() => peer.conn.sendData(1, new Uint8Array(11)), isError("FlowControlError"));
      peer.expectIdle();
      peer.conn.sendData(1, new Uint8Array(10));
      assert.equal(peer.conn.localFlowControlWindow(1), 0);
      assert.equal(peer.read().length, 1);
      peer.send(frames.windowUpdate(1, 5));
      const ev = peer.event("WindowUpdated");
      assert.deepEqual([ev.streamId, ev.delta], [1, 5]);
      assert.equal(peer.conn.localFlowControlWindow(1), 5);
    });
  }
});

Deno.test("H2Connection refuses to send DATA beyond the connection window across streams (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9: the connection window (65,535 at start, §6.9.2) bounds all streams together.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { settings: frames.settings().initialWindowSize(1_000_000) });
      peer.openStream(1);
      peer.openStream(3);
      for (let i = 0; i < 3; i++) peer.conn.sendData(1, new Uint8Array(16_384));
      peer.conn.sendData(3, new Uint8Array(65_535 - 3 * 16_384));
      assert.equal(peer.conn.localFlowControlWindow(1), 0);
      assert.equal(peer.conn.localFlowControlWindow(3), 0);
      assert.throws(() => peer.conn.sendData(3, new Uint8Array(1)), isError("FlowControlError"));
      peer.read();
      peer.send(frames.windowUpdate(0, 100));
      assert.deepEqual([peer.event("WindowUpdated").streamId, peer.event("WindowUpdated").delta], [
        0,
        100,
      ]);
      assert.equal(peer.conn.localFlowControlWindow(1), 100);
      assert.equal(peer.conn.localFlowControlWindow(3), 100);
    });
  }
});

Deno.test("H2Connection refuses DATA larger than the peer's MAX_FRAME_SIZE with FrameTooLargeError (RFC 9113 §4.2)", async (t) => {
  // RFC 9113 §4.2
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { settings: frames.settings().initialWindowSize(1_000_000) });
      peer.openStream(1);
      assert.throws(
        () => peer.conn.sendData(1, new Uint8Array(16_385)),
        isError("FrameTooLargeError"),
      );
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection tracks a stream window made negative by a smaller INITIAL_WINDOW_SIZE (RFC 9113 §6.9.2)", async (t) => {
  // RFC 9113 §6.9.2: "A sender MUST track the negative flow-control window"
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { settings: frames.settings().initialWindowSize(100) });
      peer.openStream(1);
      peer.conn.sendData(1, new Uint8Array(100));
      peer.read();
      peer.send(frames.settings().initialWindowSize(50));
      peer.expect(frames.settingsAck());
      assert.equal(peer.conn.localFlowControlWindow(1), -50);
      assert.throws(() => peer.conn.sendData(1, new Uint8Array(1)), isError("FlowControlError"));
      // "MUST NOT send new flow-controlled frames until [...] positive": an empty DATA neither.
      assert.throws(
        () => peer.conn.sendData(1, new Uint8Array(0), { endStream: true }),
        isError("FlowControlError"),
      );
      assert.throws(() => peer.conn.endStream(1), isError("FlowControlError"));
      peer.expectIdle();
      peer.send(frames.windowUpdate(1, 50));
      assert.equal(peer.conn.localFlowControlWindow(1), 0);
      // At zero an empty DATA frame exceeds nothing (§6.9.1): it may end the stream.
      peer.conn.sendData(1, new Uint8Array(0));
      assert.equal(peer.read().length, 1);
      peer.send(frames.windowUpdate(1, 10));
      assert.equal(peer.conn.localFlowControlWindow(1), 10);
      peer.send(frames.settings().initialWindowSize(1000));
      peer.expect(frames.settingsAck());
      assert.equal(peer.conn.localFlowControlWindow(1), 960);
      // A stream opened now starts at the new initial size.
      peer.openStream(3);
      assert.equal(peer.conn.localFlowControlWindow(3), Math.min(1000, 65_535 - 100));
    });
  }
});

Deno.test("H2Connection rejects a WINDOW_UPDATE that overflows 2^31-1: stream → RST_STREAM, connection → GOAWAY (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9.1: "For streams, the sender sends a RST_STREAM with an error code of FLOW_CONTROL_ERROR; for the connection, a GOAWAY"
  for (const role of ROLES) {
    await t.step(`${role}: stream window`, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.trySend(frames.windowUpdate(1, 2 ** 31 - 1 - 65_535 + 1));
      peer.expectStreamError(1, "FLOW_CONTROL_ERROR", { event: true });
    });
    await t.step(`${role}: stream window reaching exactly 2^31-1 is fine`, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.send(frames.windowUpdate(1, 2 ** 31 - 1 - 65_535));
      peer.expectIdle();
      assert.equal(peer.conn.localFlowControlWindow(1), 65_535);
    });
    await t.step(`${role}: connection window`, () => {
      const peer = ready(role);
      peer.trySend(frames.windowUpdate(0, 2 ** 31 - 1 - 65_535 + 1));
      peer.expectConnectionError("FLOW_CONTROL_ERROR");
    });
  }
});

Deno.test("H2Connection counts received DATA, padding included, against both inbound windows (RFC 9113 §6.1, §6.9)", async (t) => {
  // RFC 9113 §6.1: "The entire DATA frame payload is included in flow control, including the Pad Length and Padding fields"
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1, { respond: true });
      assert.equal(peer.conn.remoteFlowControlWindow(1), 65_535);
      peer.send(frames.data(1, "hi").padded(10));
      const ev = peer.event("DataReceived");
      assert.equal(new TextDecoder().decode(ev.data), "hi");
      assert.equal(ev.flowControlledLength, 13);
      assert.equal(peer.conn.remoteFlowControlWindow(1), 65_535 - 13);
      peer.expectIdle(); // no automatic WINDOW_UPDATE before the application acknowledges
    });
  }
});

Deno.test("H2Connection rejects DATA beyond the inbound connection window with FLOW_CONTROL_ERROR (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9.1, §5.4.1
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { conn: { settings: { 4: 1_000_000 } } });
      peer.openStream(1, { respond: true });
      peer.openStream(3, { respond: true });
      peer.send(
        frames.data(1, 16_384),
        frames.data(1, 16_384),
        frames.data(3, 16_384),
        frames.data(3, 16_383),
      );
      peer.trySend(frames.data(3, 1));
      peer.expectConnectionError("FLOW_CONTROL_ERROR");
    });
  }
});

Deno.test("H2Connection rejects DATA beyond a stream's inbound window with FLOW_CONTROL_ERROR (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9: the receiver MAY use a stream or a connection error of type FLOW_CONTROL_ERROR.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { conn: { settings: { 4: 100 } } });
      peer.openStream(1, { respond: true });
      peer.send(frames.data(1, 100));
      peer.trySend(frames.data(1, 1));
      if (peer.error !== undefined) {
        peer.expectConnectionError("FLOW_CONTROL_ERROR");
      } else {
        peer.expectStreamError(1, "FLOW_CONTROL_ERROR");
      }
    });
  }
});

Deno.test("H2Connection coalesces acknowledgeReceivedData into WINDOW_UPDATEs like python h2 (RFC 9113 §6.9)", async (t) => {
  // RFC 9113 §6.9: receivers avoid tiny increments; python h2 sends at half the window.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1, { respond: true });
      peer.send(frames.data(1, 16_384));
      peer.conn.acknowledgeReceivedData(16_384, 1);
      peer.expectIdle();
      peer.send(frames.data(1, 16_384));
      peer.conn.acknowledgeReceivedData(16_384, 1);
      const out = peer.read();
      assert.equal(sumIncrements(out, 0), 32_768);
      assert.equal(sumIncrements(out, 1), 32_768);
      assert.equal(out.length, 2);
      assert.equal(peer.conn.remoteFlowControlWindow(1), 65_535);
    });
  }
});

Deno.test("H2Connection never stalls a peer whose data is acknowledged as it arrives (RFC 9113 §6.9)", async (t) => {
  // RFC 9113 §6.9: the receiver sends WINDOW_UPDATE as it consumes data.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1, { respond: true });
      let connWindow = 65_535;
      let streamWindow = 65_535;
      for (let i = 0; i < 40; i++) {
        const n = Math.min(16_384, connWindow, streamWindow);
        assert.ok(n > 0, `stalled after ${i} frames`);
        peer.send(frames.data(1, n));
        connWindow -= n;
        streamWindow -= n;
        peer.conn.acknowledgeReceivedData(n, 1);
        const out = peer.read();
        connWindow += sumIncrements(out, 0);
        streamWindow += sumIncrements(out, 1);
        assert.ok(connWindow <= 2 ** 31 - 1 && streamWindow <= 2 ** 31 - 1);
      }
      assert.equal(peer.conn.remoteFlowControlWindow(1), Math.min(connWindow, streamWindow));
    });
  }
});

Deno.test("H2Connection credits the connection window for DATA on a stream it has reset (RFC 9113 §5.1, §6.9)", async (t) => {
  // RFC 9113 §5.1: "Flow-controlled frames (i.e., DATA) received after sending RST_STREAM are counted toward the connection flow-control window."
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1, { respond: true });
      peer.conn.resetStream(1, 0x8);
      peer.expectRstStream(1, "CANCEL");
      // Data the peer sent before it saw our RST_STREAM.
      peer.send(frames.data(1, 16_384), frames.data(1, 16_384), frames.data(1, 16_384));
      const credit = sumIncrements(peer.read(), 0);
      assert.ok(credit >= 32_768, `connection credit ${credit}`);
      // The peer can now use the credit on a new stream without a FLOW_CONTROL_ERROR.
      peer.openStream(3, { respond: true });
      const room = 65_535 - 3 * 16_384 + credit;
      let sent = 0;
      while (sent < room) {
        const n = Math.min(16_384, room - sent);
        peer.send(frames.data(3, n));
        peer.conn.acknowledgeReceivedData(n, 3);
        sent += n;
      }
    });
  }
});

Deno.test("H2Connection sends WINDOW_UPDATE for incrementFlowControlWindow and validates the increment (RFC 9113 §6.9)", async (t) => {
  // RFC 9113 §6.9: increments are 1..2^31-1; a window never exceeds 2^31-1 (§6.9.1).
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.conn.incrementFlowControlWindow(1000);
      peer.conn.incrementFlowControlWindow(500, 1);
      peer.expect(frames.windowUpdate(0, 1000), frames.windowUpdate(1, 500));
      assert.equal(peer.conn.remoteFlowControlWindow(1), 65_535 + 500);
      assert.throws(() => peer.conn.incrementFlowControlWindow(0), RangeError);
      assert.throws(() => peer.conn.incrementFlowControlWindow(2 ** 31), RangeError);
      assert.throws(
        () => peer.conn.incrementFlowControlWindow(2 ** 31 - 1, 1),
        (e: unknown) => e instanceof H2Error && e.name === "FlowControlError",
      );
      peer.expectIdle();
    });
  }
});

Deno.test("H2Connection keeps a connection window opened while received data is unacknowledged (RFC 9113 §6.9)", () => {
  // A WINDOW_UPDATE is a promise of room: the window must refill to its new size afterwards.
  // (python h2 raises the refill target only when the window overflows it, so an increment made
  // while data is outstanding was taken back by the next acknowledgements.)
  const peer = ready("server");
  peer.openStream(1);
  peer.openStream(3);
  const chunk = new Uint8Array(10_000);
  for (let i = 0; i < 4; i++) peer.send(frames.data(1, chunk));
  peer.conn.incrementFlowControlWindow(100_000);
  peer.expect(frames.windowUpdate(0, 100_000));
  assert.equal(peer.conn.remoteFlowControlWindow(0), 65_535 - 40_000 + 100_000);
  for (let i = 0; i < 5; i++) peer.send(frames.data(3, chunk));
  peer.conn.acknowledgeReceivedData(40_000, 1);
  peer.conn.acknowledgeReceivedData(50_000, 3);
  // 90,000 processed ≥ half of 165,535: all of it is credited back, filling the window.
  assert.equal(sumIncrements(peer.read(), 0), 90_000);
  assert.equal(peer.conn.remoteFlowControlWindow(0), 165_535);
});

Deno.test("H2Connection lets a zero-length END_STREAM DATA frame through a zero window (RFC 9113 §6.9.1)", async (t) => {
  // RFC 9113 §6.9.1: only the payload length is flow controlled; an empty frame consumes nothing.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role, { settings: frames.settings().initialWindowSize(0) });
      peer.openStream(1);
      assert.equal(peer.conn.localFlowControlWindow(1), 0);
      peer.conn.sendData(1, new Uint8Array(0), { endStream: true });
      peer.expect(frames.data(1, "").endStream());
    });
  }
});

Deno.test("H2Connection counts outbound padding against the windows (RFC 9113 §6.1)", async (t) => {
  // RFC 9113 §6.1: padding is flow controlled.
  for (const role of ROLES) {
    await t.step(role, () => {
      const peer = ready(role);
      peer.openStream(1);
      peer.conn.sendData(1, new TextEncoder().encode("hello"), { padLength: 10 });
      peer.expect(frames.data(1, "hello").padded(10));
      assert.equal(peer.conn.localFlowControlWindow(1), 65_535 - 16);
    });
  }
});

Deno.test("H2Connection credits the connection window for DATA on streams it refused, reset as malformed, or ignored after GOAWAY (RFC 9113 §6.8, §6.9)", async (t) => {
  // RFC 9113 §6.8: "DATA frames MUST be counted toward the connection flow-control window"; §5.1: the same after RST_STREAM.
  const drive = (peer: Peer, id: number) => {
    // 3 × 16384 octets the peer sent before it learnt the stream's fate
    peer.trySend(
      frames.data(id, 16_384),
      frames.data(id, 16_384),
      frames.data(id, 16_384).endStream(),
    );
    peer.expectNoError();
    const credit = sumIncrements(peer.read(), 0);
    assert.ok(credit >= 32_768, `connection credit ${credit}`);
    // the peer spends the credit on a fresh stream without a FLOW_CONTROL_ERROR
    const fresh = id + 2;
    peer.send(frames.headers(fresh).request("POST", "/"));
    let room = 65_535 - 3 * 16_384 + credit;
    while (room > 0) {
      const n = Math.min(16_384, room);
      peer.send(frames.data(fresh, n));
      peer.conn.acknowledgeReceivedData(n, fresh);
      room -= n;
    }
  };
  await t.step("a stream refused over MAX_CONCURRENT_STREAMS", () => {
    const peer = ready("server", { conn: { limits: { maxConcurrentStreams: 1 } } });
    peer.openStream(1);
    peer.trySend(frames.headers(3).request("POST", "/"));
    peer.expectStreamError(3, "REFUSED_STREAM");
    peer.send(frames.rstStream(1).cancel());
    drive(peer, 3);
  });
  await t.step("a malformed request", () => {
    const peer = ready("server");
    peer.trySend(frames.headers(1).request("POST", "/", [["connection", "close"]]));
    peer.expectStreamError(1, "PROTOCOL_ERROR");
    drive(peer, 1);
  });
  await t.step("a stream above our GOAWAY's last stream id", () => {
    const peer = ready("server");
    peer.openStream(1);
    peer.conn.closeConnection();
    peer.read();
    peer.send(frames.headers(3).request("POST", "/"));
    peer.read();
    peer.trySend(frames.data(3, 16_384), frames.data(3, 16_384), frames.data(3, 16_384));
    peer.expectNoError();
    const credit = sumIncrements(peer.read(), 0);
    assert.ok(credit >= 32_768, `connection credit ${credit}`);
    // stream 1 (≤ last) can still receive a full window's worth
    let room = 65_535 - 3 * 16_384 + credit;
    while (room > 0) {
      const n = Math.min(16_384, room);
      peer.send(frames.data(1, n));
      peer.conn.acknowledgeReceivedData(n, 1);
      room -= n;
    }
  });
});

Deno.test("H2Connection counts padding in the frame length checked against MAX_FRAME_SIZE and validates padLength (RFC 9113 §4.2, §6.1)", () => {
  // RFC 9113 §4.2: the frame length covers the whole payload, padding included; §6.1: Pad Length is one octet.
  const peer = ready("server", { settings: frames.settings().initialWindowSize(1_000_000) });
  peer.openStream(1, { endStream: true });
  peer.conn.sendHeaders(1, [[":status", "200"]]);
  peer.read();
  assert.throws(
    () => peer.conn.sendData(1, new Uint8Array(16_380), { padLength: 10 }),
    isError("FrameTooLargeError"),
  );
  for (const pad of [256, -1, 1.5]) {
    assert.throws(
      () => peer.conn.sendData(1, new Uint8Array(1), { padLength: pad }),
      RangeError,
      `padLength ${pad}`,
    );
  }
  peer.expectIdle();
  peer.conn.sendData(1, new Uint8Array(16_383 - 255), { padLength: 255 });
  assert.deepEqual(peer.read().map((f) => [f.type, f.padLength]), [["DATA", 255]]);
});

Deno.test("H2Connection counts the Pad Length octet exactly at the window boundary, both directions (RFC 9113 §6.1)", async (t) => {
  // RFC 9113 §6.1: flow-controlled size = Pad Length octet + data + padding.
  await t.step("inbound: 2 data + 10 padding + 1 fills a 13-octet window", () => {
    const peer = ready("server", { conn: { settings: { 4: 13 } } });
    peer.openStream(1);
    peer.send(frames.data(1, "hi").padded(10));
    assert.equal(peer.conn.remoteFlowControlWindow(1), 0);
    peer.trySend(frames.data(1, "x"));
    if (peer.error !== undefined) peer.expectConnectionError("FLOW_CONTROL_ERROR");
    else peer.expectStreamError(1, "FLOW_CONTROL_ERROR");
  });
  await t.step(
    "outbound: 5 data + 10 padding + 1 fits a 16-octet window, one more octet does not",
    () => {
      const peer = ready("client", { settings: frames.settings().initialWindowSize(16) });
      peer.openStream(1);
      assert.throws(
        () => peer.conn.sendData(1, bytes("hello!"), { padLength: 10 }),
        isError("FlowControlError"),
      );
      peer.conn.sendData(1, bytes("hello"), { padLength: 10 });
      assert.equal(peer.conn.localFlowControlWindow(1), 0);
    },
  );
});
