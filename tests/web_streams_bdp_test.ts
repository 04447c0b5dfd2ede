/**
 * Tests of adaptive receive windows: the BDP estimator of `lib/_bdp.ts` on
 * its own (scripted samples, a fake clock), and `lib/web_streams.ts` growing
 * its windows while a client adapter uploads to a server adapter over
 * in-memory pipes, with every frame the server writes parsed off the wire.
 */

import assert from "node:assert/strict";
import { bounded } from "./interop/_server_helpers.ts";
import { BdpEstimator, isBdpPing } from "../lib/_bdp.ts";
import { H2StreamsConnection } from "../lib/web_streams.ts";
import type { H2StreamsConnectOptions, H2Transport } from "../lib/web_streams.ts";
import type { H2Event, HeaderField } from "../lib/events.ts";
import { parseFrames, type WireFrame } from "./_helpers/decode.ts";
import { patternSource, readPattern } from "./_helpers/pattern.ts";

const POST: HeaderField[] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "example.test"],
  [":path", "/upload"],
];
const KIB = 1024;
const MIB = 1024 * 1024;
/** Latency of the in-memory link each way: a 10 ms round trip. */
const ONE_WAY_MS = 5;

function estimator(
  streamWindow: number,
  connectionWindow: number,
  max: number,
  now?: () => number,
): BdpEstimator {
  return new BdpEstimator({
    streamWindow,
    connectionWindow,
    maxStreamWindow: max,
    maxConnectionWindow: max,
    now,
  });
}

/** Consumes 1 KiB at a time (each after a DATA frame) until a PING is due; returns it. */
function pingDue(bdp: BdpEstimator): Uint8Array {
  while (true) {
    bdp.received();
    const ping = bdp.consumed(KIB);
    if (ping !== undefined) return ping;
  }
}

/** One round trip: a PING, `octets` consumed (its first KiB prompted it), then its ACK. */
function roundTrip(bdp: BdpEstimator, octets: number): boolean {
  const ping = pingDue(bdp);
  bdp.consumed(octets - KIB);
  return bdp.acked(ping);
}

Deno.test("BdpEstimator doubles a window when one round trip consumes 2/3 of it (hyper's rule)", () => {
  const bdp = estimator(64 * KIB, 64 * KIB, 1 * MIB);
  assert.equal(roundTrip(bdp, 43 * KIB), true); // 43 KiB ≥ 2/3 × 64 KiB = 42.7 KiB
  assert.equal(bdp.streamWindow, 86 * KIB);
  assert.equal(bdp.connectionWindow, 86 * KIB);
  assert.equal(roundTrip(bdp, 86 * KIB), true);
  assert.equal(bdp.streamWindow, 172 * KIB);
  // A sample twice the ceiling stops at the ceiling, and then no PING is sent again.
  assert.equal(roundTrip(bdp, 2 * MIB), true);
  assert.equal(bdp.streamWindow, 1 * MIB);
  assert.equal(bdp.connectionWindow, 1 * MIB);
  assert.equal(bdp.done, true);
  for (let i = 0; i < 100; i++) {
    bdp.received();
    assert.equal(bdp.consumed(1 * MIB), undefined);
  }
  assert.equal(bdp.pingsSent, 3);
});

Deno.test("BdpEstimator grows the connection window on its own samples and keeps it ≥ the stream window", () => {
  const bdp = new BdpEstimator({
    streamWindow: 1 * MIB,
    connectionWindow: 16 * MIB,
    maxStreamWindow: 16 * MIB,
    maxConnectionWindow: 64 * MIB,
  });
  assert.equal(roundTrip(bdp, 1 * MIB), true); // a full stream window: the stream limits
  assert.deepEqual([bdp.streamWindow, bdp.connectionWindow], [2 * MIB, 16 * MIB]);
  assert.equal(roundTrip(bdp, 12 * MIB), true); // ≥ 2/3 of 16 MiB: both are limiting
  assert.deepEqual([bdp.streamWindow, bdp.connectionWindow], [16 * MIB, 24 * MIB]);
  assert.equal(roundTrip(bdp, 20 * MIB), true);
  assert.deepEqual([bdp.streamWindow, bdp.connectionWindow], [16 * MIB, 40 * MIB]);
  // A connection window started below the stream window is raised to it.
  const small = new BdpEstimator({
    streamWindow: 64 * KIB,
    connectionWindow: 64 * KIB,
    maxStreamWindow: 1 * MIB,
    maxConnectionWindow: 4 * MIB,
  });
  assert.equal(roundTrip(small, 64 * KIB), true);
  assert.deepEqual([small.streamWindow, small.connectionWindow], [128 * KIB, 128 * KIB]);
});

Deno.test("BdpEstimator keeps one PING outstanding and ignores stale or foreign ACKs", () => {
  const bdp = estimator(64 * KIB, 64 * KIB, 1 * MIB);
  bdp.received();
  const ping = bdp.consumed(16 * KIB)!;
  assert.ok(isBdpPing(ping));
  for (let i = 0; i < 10; i++) {
    bdp.received();
    assert.equal(bdp.consumed(16 * KIB), undefined);
  }
  assert.equal(bdp.pingsSent, 1);
  const forged = ping.slice();
  forged[7]! ^= 1; // another sequence number
  assert.equal(bdp.acked(forged), false);
  assert.equal(bdp.acked(new TextEncoder().encode("h2-drain")), false);
  assert.equal(bdp.acked(ping), true); // 176 KiB in the round trip
  assert.equal(bdp.acked(ping), false); // already answered
  assert.equal(bdp.streamWindow, 352 * KIB);
  // The octets that prompted the PING are part of its sample.
  // The next round trip is the peer's to learn the new window: its octets are not sampled.
  bdp.received();
  assert.equal(bdp.consumed(176 * KIB), undefined);
  const next = bdp.consumed(300 * KIB)!;
  assert.equal(bdp.acked(next), true);
  assert.equal(bdp.streamWindow, 600 * KIB);
});

Deno.test("BdpEstimator pings only after DATA that arrived since the last ACK (grpc-go counts bare PINGs)", () => {
  const bdp = estimator(64 * KIB, 64 * KIB, 1 * MIB);
  assert.equal(bdp.consumed(16 * KIB), undefined); // consuming alone, no DATA seen: no PING
  bdp.received();
  const ping = bdp.consumed(16 * KIB)!;
  bdp.received(); // DATA before the ACK was sent before the peer saw the PING: it does not count
  assert.equal(bdp.acked(ping), false);
  bdp.received(); // arrived after the ACK (the flat sample's wait is one stream window)
  assert.equal(bdp.consumed(64 * KIB), undefined);
  assert.ok(bdp.consumed(1) !== undefined);
  // Buffered octets consumed after an ACK, with no DATA since, start nothing.
  const fresh = estimator(64 * KIB, 64 * KIB, 1 * MIB);
  fresh.received();
  fresh.acked(fresh.consumed(64 * KIB)!);
  for (let i = 0; i < 100; i++) assert.equal(fresh.consumed(64 * KIB), undefined);
  assert.equal(fresh.pingsSent, 1);
});

Deno.test("BdpEstimator waits 1, 2, 4 … 64 stream windows of consumed octets after flat samples", () => {
  const bdp = estimator(64 * KIB, 64 * KIB, 1 * MIB);
  const gaps: number[] = [];
  bdp.received();
  let ping = bdp.consumed(1)!;
  for (let sample = 0; sample < 8; sample++) {
    bdp.consumed(1 * KIB); // a slow reader: 1 KiB per round trip
    assert.equal(bdp.acked(ping), false);
    let gap = 0;
    let next: Uint8Array | undefined;
    while (bdp.received(), (next = bdp.consumed(16 * KIB)) === undefined) gap += 16 * KIB;
    gaps.push(gap / (64 * KIB));
    ping = next;
  }
  assert.deepEqual(gaps, [1, 2, 4, 8, 16, 32, 64, 64]);
  assert.equal(bdp.streamWindow, 64 * KIB);
  // A growing sample resets the wait to one round trip: one sample's octets (16 + 64 KiB).
  bdp.consumed(64 * KIB);
  assert.equal(bdp.acked(ping), true);
  bdp.received();
  assert.equal(bdp.consumed(80 * KIB), undefined);
  assert.ok(bdp.consumed(1) !== undefined);
});

Deno.test("BdpEstimator with a clock grows only while the measured bandwidth is the highest yet", () => {
  let time = 0;
  const bdp = estimator(64 * KIB, 64 * KIB, 16 * MIB, () => time);
  const trip = (octets: number, ms: number): boolean => {
    const ping = pingDue(bdp);
    bdp.consumed(octets - KIB);
    time += ms;
    return bdp.acked(ping);
  };
  assert.equal(trip(64 * KIB, 10), true); // 6.4 KiB/ms
  assert.equal(bdp.streamWindow, 128 * KIB);
  // Twice the octets over a round trip twenty times as long (queues filled): no growth.
  assert.equal(trip(128 * KIB, 200), false);
  assert.equal(bdp.streamWindow, 128 * KIB);
  // Without a clock the same samples grow the window.
  const blind = estimator(64 * KIB, 64 * KIB, 16 * MIB);
  assert.equal(roundTrip(blind, 64 * KIB), true);
  assert.equal(roundTrip(blind, 128 * KIB), true);
  assert.equal(blind.streamWindow, 256 * KIB);
});

Deno.test("BdpEstimator rejects windows outside 1..2^31-1", () => {
  assert.throws(() => estimator(0, 64 * KIB, MIB), RangeError);
  assert.throws(() => estimator(64 * KIB, 64 * KIB, 2 ** 31), RangeError);
  assert.throws(() => estimator(64 * KIB, 1.5, MIB), RangeError);
});

// ---------------------------------------------------------------- the adapter on the wire

/** Frames the server writes, parsed as they pass (a tap on the server → client pipe). */
class Tap {
  readonly frames: WireFrame[] = [];
  #pending = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    const all = new Uint8Array(this.#pending.length + chunk.length);
    all.set(this.#pending);
    all.set(chunk, this.#pending.length);
    let end = 0;
    while (all.length - end >= 9) {
      const length = (all[end]! << 16) | (all[end + 1]! << 8) | all[end + 2]!;
      if (all.length - end - 9 < length) break;
      end += 9 + length;
    }
    this.frames.push(...parseFrames(all.subarray(0, end)));
    this.#pending = all.slice(end);
  }

  /** The INITIAL_WINDOW_SIZE values of the server's SETTINGS frames, in order. */
  streamWindows(): number[] {
    const out: number[] = [];
    for (const frame of this.frames) {
      if (frame.type !== 0x4 || (frame.flags & 1) !== 0) continue;
      const p = frame.payload;
      for (let i = 0; i + 6 <= p.length; i += 6) {
        if (((p[i]! << 8) | p[i + 1]!) === 4) {
          out.push(((p[i + 2]! << 24) | (p[i + 3]! << 16) | (p[i + 4]! << 8) | p[i + 5]!) >>> 0);
        }
      }
    }
    return out;
  }

  /** Indexes (in `frames`) of the server's BDP PINGs. */
  bdpPings(): number[] {
    return this.frames.flatMap((frame, i) =>
      frame.type === 0x6 && (frame.flags & 1) === 0 && isBdpPing(frame.payload) ? [i] : []
    );
  }
}

/**
 * A pipe that delivers each chunk `ms` after it was written, in order, with
 * no bandwidth limit: a long fat network in memory. (A plain `TransformStream`
 * has no round trip at all, so no window would ever be the bottleneck.)
 */
function delayPipe(ms: number, tap?: Tap): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      tap?.push(chunk);
      setTimeout(() => {
        try {
          controller.enqueue(chunk);
        } catch {
          // The reading side closed while the chunk was on its way: drop it, as a network would.
        }
      }, ms);
    },
    flush: () => new Promise((resolve) => setTimeout(resolve, ms + 1)),
  });
}

/** A server adapter under test and a client adapter uploading to it, the server's output tapped. */
function tappedPair(
  serverOptions: H2StreamsConnectOptions,
): { client: H2StreamsConnection; server: H2StreamsConnection; tap: Tap } {
  const tap = new Tap();
  const up = delayPipe(ONE_WAY_MS);
  const down = delayPipe(ONE_WAY_MS, tap);
  const serverSide: H2Transport = { readable: up.readable, writable: down.writable };
  const server = H2StreamsConnection.server(serverSide, serverOptions);
  const client = H2StreamsConnection.client({ readable: down.readable, writable: up.writable });
  return { client, server, tap };
}

/** Uploads `size` patterned octets; the server reads the body with `read` and answers 200. */
async function upload(
  size: number,
  serverOptions: H2StreamsConnectOptions,
  read: (body: ReadableStream<Uint8Array>) => Promise<number>,
  onRequest?: (server: H2StreamsConnection) => void,
): Promise<{ tap: Tap; events: H2Event[]; received: number; client: H2StreamsConnection }> {
  const events: H2Event[] = [];
  let received = -1;
  const { client, server, tap } = tappedPair({
    ...serverOptions,
    onEvent(event) {
      events.push(event);
      if (event.type !== "RequestReceived") return;
      onRequest?.(server);
      void (async () => {
        received = await read(server.requestBody(event.streamId));
        await server.respond(event.streamId, [[":status", "200"]]);
      })();
    },
  });
  const { streamId } = client.request(POST, patternSource(size).stream);
  for await (const event of client) {
    if (event.type === "ResponseReceived" && event.streamId === streamId) break;
  }
  await client.close();
  await server.closed;
  return { tap, events, received, client };
}

Deno.test(
  "H2StreamsConnection grows its receive windows while a fast reader takes a large upload",
  bounded(async () => {
    const own = new TextEncoder().encode("app-ping");
    const { tap, events, received } = await upload(
      8 * MIB,
      {
        adaptiveWindow: true,
        streamWindow: 65_535,
        connectionWindow: 65_535,
        maxStreamWindow: 256 * KIB,
        maxConnectionWindow: 256 * KIB,
      },
      readPattern,
      (server) => server.connection.ping(own),
    );
    assert.equal(received, 8 * MIB);
    const windows = tap.streamWindows();
    // The preface advertises the starting window; each growth is a SETTINGS of its own.
    assert.equal(windows[0], 65_535);
    assert.ok(windows.length >= 3, `the stream window grew more than once: ${windows}`);
    for (let i = 1; i < windows.length; i++) {
      assert.ok(windows[i]! > windows[i - 1]!, `windows only grow: ${windows}`);
    }
    assert.equal(windows.at(-1), 256 * KIB, `the window reaches its ceiling: ${windows}`);
    // The connection window grew in step: WINDOW_UPDATE(0) increments beyond the octets consumed.
    let connectionCredit = 0;
    for (const frame of tap.frames) {
      if (frame.type === 0x8 && frame.streamId === 0) {
        const p = frame.payload;
        connectionCredit += ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) & 0x7fff_ffff;
      }
    }
    // Initial 65,535 + credit = window now + octets received, and the window now is between
    // half the grown window (acknowledgements are sent per half window) and all of it.
    assert.ok(65_535 + connectionCredit > 8 * MIB + 128 * KIB, `credit ${connectionCredit}`);
    assert.ok(65_535 + connectionCredit <= 8 * MIB + 256 * KIB, `credit ${connectionCredit}`);
    // PINGs are measurements, not chatter: none after the last growth, and their ACKs stay inside.
    const pings = tap.bdpPings();
    assert.ok(pings.length >= windows.length - 1);
    const lastSettings = tap.frames.findLastIndex((f) => f.type === 0x4 && (f.flags & 1) === 0);
    assert.ok(pings.at(-1)! < lastSettings, "no BDP PING once the windows are at their ceilings");
    // The application's own PING is answered as usual.
    const acks = events.flatMap((e) => e.type === "PingAckReceived" ? [e.pingData] : []);
    assert.deepEqual(acks, [own]);
  }),
);

Deno.test(
  "H2StreamsConnection keeps its receive windows when the reader is slower than the peer",
  bounded(async () => {
    const slowRead = async (body: ReadableStream<Uint8Array>): Promise<number> => {
      let total = 0;
      for await (const chunk of body) {
        total += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return total;
    };
    const { tap, received } = await upload(1 * MIB, {
      adaptiveWindow: true,
      streamWindow: 65_535,
      connectionWindow: 65_535,
    }, slowRead);
    assert.equal(received, 1 * MIB);
    assert.deepEqual(tap.streamWindows(), [65_535]);
    // It did measure (the first PING goes out at the first consumed octets), then backed off.
    const pings = tap.bdpPings().length;
    // 1 MiB in 16 KiB frames is 64 round trips; with waits of 1, 2, 4, 8 windows: 5 PINGs.
    assert.ok(pings >= 1 && pings <= 6, `${pings} BDP PINGs`);
    const updates = tap.frames.filter((f) => f.type === 0x8 && f.streamId === 0);
    for (const frame of updates) {
      const increment = new DataView(frame.payload.buffer).getUint32(0) & 0x7fff_ffff;
      assert.ok(increment <= 65_535, `connection WINDOW_UPDATE of ${increment}`);
    }
  }),
);

Deno.test(
  "H2StreamsConnection sends no BDP PING when the caller chose the windows",
  bounded(async () => {
    const { tap, received } = await upload(4 * MIB, { streamWindow: 65_535 }, readPattern);
    assert.equal(received, 4 * MIB);
    assert.deepEqual(tap.streamWindows(), [65_535]);
    assert.deepEqual(tap.bdpPings(), []);
  }),
);

Deno.test(
  "H2StreamsConnection sends no BDP PING on a connection without request bodies (no PING per request)",
  bounded(async () => {
    const { client, server, tap } = tappedPair({
      onEvent(event) {
        if (event.type === "RequestReceived") {
          void server.respond(event.streamId, [[":status", "200"]], new Uint8Array(100));
        }
      },
    });
    const get: HeaderField[] = [[":method", "GET"], ...POST.slice(1, 3), [":path", "/"]];
    const ids = new Set<number>();
    for (let i = 0; i < 50; i++) ids.add(client.request(get).streamId);
    let bodies = 0;
    for await (const event of client) {
      if (event.type !== "ResponseReceived") continue;
      assert.equal((await new Response(client.responseBody(event.streamId)).bytes()).length, 100);
      if (++bodies === ids.size) break;
    }
    await client.close();
    await server.closed;
    assert.deepEqual(tap.bdpPings(), []);
    assert.deepEqual(tap.streamWindows(), [1 * MIB]); // the default window, adaptive but unneeded
  }),
);
