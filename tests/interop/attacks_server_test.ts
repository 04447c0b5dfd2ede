/**
 * The attack catalogue of issue #5 against the real `server.ts`, over TCP on
 * 127.0.0.1 with raw bytes (no HTTP/2 library on our side). For each attack:
 * the outcome on the wire (GOAWAY/RST_STREAM code), that the server closes the
 * attacking connection, that fresh connections are still served promptly
 * (a GET answered within 2 s) while the attack runs on other connections, and
 * that the server's peak RSS (VmHWM) stays bounded. Plus slowloris: the
 * preface timeout closes connections that never finish the preface.
 *
 * Run with `deno test --allow-all tests/interop/attacks_server_test.ts`. The
 * harness (server subprocess, raw-frame client, probe) is in `_attacks_server.ts`.
 */

import assert from "node:assert/strict";
import * as w from "../attacks/_wire.ts";
import {
  assertRssWithinBudget,
  HELLO,
  memory,
  MiB,
  probe,
  PROBE_DEADLINE_MS,
  Raw,
  SIEGE_MS,
  sleep,
  startServer,
} from "./_attacks_server.ts";

// --- attacks ------------------------------------------------------------------------------

interface Attack {
  name: string;
  /** Frames sent right after the preface. */
  setup?: Uint8Array;
  /** The i-th attack unit. */
  unit: (i: number) => Uint8Array;
  /** Units per write. */
  batch: number;
  /** Units per connection at most. */
  maxUnits: number;
  /** Whether the attacker reads while attacking (it always reads at the end, to see the outcome). */
  reads: boolean;
  /** Accepted GOAWAY codes; the server must then close the connection. */
  goaway: readonly number[];
  /** If set, the first RST_STREAM must carry one of these codes. */
  firstReset?: readonly number[];
}

interface AttackResult {
  goaway: w.GoAwayInfo | undefined;
  goaways: number;
  closed: boolean;
  firstReset: [number, number] | undefined;
  units: number;
}

/** One attacking connection: sends until the server closes it or `maxUnits`/`deadlineMs` are reached. */
async function attackOnce(port: number, a: Attack, deadlineMs = 8_000): Promise<AttackResult> {
  const raw = await Raw.open(port, { autoAck: a.reads });
  const stop = Date.now() + deadlineMs;
  let units = 0;
  try {
    if (a.reads) raw.startReading();
    let ok = await raw.write(a.setup ? w.concat([HELLO, a.setup]) : HELLO);
    while (ok && units < a.maxUnits && Date.now() < stop && !raw.closed && !raw.goAway()) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < a.batch && units < a.maxUnits; i++) parts.push(a.unit(units++));
      ok = await raw.write(w.concat(parts), Math.max(1, stop - Date.now()));
    }
    // Now read whatever the server said, and whether it closes.
    await raw.until(() => raw.closed, Math.max(2_000, stop - Date.now()));
    const firstReset = w.resets(raw.frames)[0];
    return {
      goaway: raw.goAway(),
      goaways: w.goAways(raw.frames).length,
      closed: raw.closed,
      firstReset,
      units,
    };
  } finally {
    await raw.finish();
  }
}

/** Attackers reconnecting for `ms` on `parallel` connections. */
async function siege(port: number, a: Attack, ms: number, parallel = 2): Promise<number> {
  const end = Date.now() + ms;
  let connections = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (Date.now() < end) {
      connections++;
      await attackOnce(port, a, Math.max(200, end - Date.now()));
      await sleep(10); // at most ~100 attacking connections a second per attacker
    }
  }));
  return connections;
}

async function checkAttack(a: Attack): Promise<void> {
  const server = await startServer();
  try {
    await probe(server.port); // warm up (JIT, first allocation)
    const baseline = memory(server.pid).rss;
    const first = await attackOnce(server.port, a);
    assert.ok(first.goaway, `no GOAWAY after ${first.units} units (closed: ${first.closed})`);
    assert.ok(
      a.goaway.includes(first.goaway.errorCode),
      `GOAWAY code ${first.goaway.errorCode} (${first.goaway.debug}), expected one of ${a.goaway}`,
    );
    assert.ok(first.closed, "the server kept the attacking connection open after its GOAWAY");
    // RFC 9113 §5.4.1: one GOAWAY, then the transport is closed.
    assert.equal(first.goaways, 1, `${first.goaways} GOAWAYs`);
    if (a.firstReset) {
      assert.ok(first.firstReset, "no RST_STREAM before the GOAWAY");
      assert.ok(
        a.firstReset.includes(first.firstReset[1]),
        `RST_STREAM code ${first.firstReset[1]}`,
      );
    }
    // While attackers keep coming back, fresh connections are served promptly.
    const sieging = siege(server.port, a, SIEGE_MS);
    let connections = 0;
    void sieging.then((n) => connections = n);
    const times: number[] = [];
    await sleep(100);
    while (times.length < 3) times.push(await probe(server.port));
    await sieging;
    times.push(await probe(server.port));
    for (const ms of times) assert.ok(ms < PROBE_DEADLINE_MS, `probe took ${ms} ms`);
    const { hwm } = memory(server.pid);
    console.log(
      `${a.name}: ${first.units} units → GOAWAY ${first.goaway.errorCode} "${first.goaway.debug}", ` +
        `first RST ${JSON.stringify(first.firstReset)}, closed ${first.closed}; ` +
        `${connections} attacking connections during probes of ` +
        `${times.map((t) => t.toFixed(0)).join("/")} ms; peak RSS +${
          ((hwm - baseline) / MiB).toFixed(1)
        } MiB`,
    );
    assertRssWithinBudget(hwm, baseline);
  } finally {
    await server.stop();
  }
}

const REFS_1900 = (() => {
  const out: number[] = [];
  for (let i = 0; i < 1_900; i++) out.push(...w.indexed(62));
  return Uint8Array.from(out);
})();
const HPACK_BOMB = (() => {
  const out = [...w.literalIndexed("x-bomb", "a".repeat(4_000))];
  for (let i = 0; i < 4_000; i++) out.push(...w.indexed(62));
  return w.concat([w.block(w.GET), Uint8Array.from(out)]);
})();
const EMPTY_FIELDS = (() => {
  const out: number[] = [];
  for (let i = 0; i < 4_000; i++) out.push(...w.literal("", ""));
  return w.concat([w.block(w.GET), Uint8Array.from(out)]);
})();
const sid = (i: number) => 2 * i + 1;
const EYC = [w.E.ENHANCE_YOUR_CALM] as const;

const ATTACKS: Attack[] = [
  {
    name: "Rapid Reset (CVE-2023-44487)",
    unit: (i) => w.concat([w.request(sid(i), true), w.rstStream(sid(i), w.E.CANCEL)]),
    batch: 200,
    maxUnits: 100_000,
    reads: true,
    goaway: EYC,
  },
  {
    name: "MadeYouReset (CVE-2025-8671) with WINDOW_UPDATE 0",
    unit: (i) => w.concat([w.request(sid(i), true), w.windowUpdate(sid(i), 0)]),
    batch: 200,
    maxUnits: 100_000,
    reads: true,
    goaway: EYC,
    firstReset: [w.E.PROTOCOL_ERROR],
  },
  {
    name: "CONTINUATION flood",
    setup: w.headers(1, w.block(w.GET), { endHeaders: false, endStream: true }),
    unit: () => w.continuation(1, new Uint8Array(16_000).fill(0x41)),
    batch: 4,
    maxUnits: 100_000,
    reads: true,
    goaway: EYC,
  },
  {
    name: "HPACK bomb (CVE-2016-6581)",
    unit: (i) => w.headers(sid(i), HPACK_BOMB, { endStream: true }),
    batch: 1,
    maxUnits: 10_000,
    reads: true,
    goaway: [w.E.ENHANCE_YOUR_CALM, w.E.COMPRESSION_ERROR],
  },
  {
    name: "Ping flood (CVE-2019-9512), attacker never reading",
    unit: (i) => w.ping(i),
    batch: 2_000,
    maxUnits: 2_000_000,
    reads: false,
    goaway: EYC,
  },
  {
    name: "Settings flood (CVE-2019-9515), attacker never reading",
    unit: () => w.settings([[4, 65_535]]),
    batch: 2_000,
    maxUnits: 2_000_000,
    reads: false,
    goaway: EYC,
  },
  {
    name: "SETTINGS with 33 entries (CVE-2020-11080)",
    unit: () => w.settings(Array.from({ length: 33 }, () => [1, 4096] as const)),
    batch: 1,
    maxUnits: 1,
    reads: true,
    goaway: EYC,
  },
  {
    name: "Empty DATA frames flood (CVE-2019-9518)",
    setup: w.request(1, false),
    unit: () => w.data(1, 0),
    batch: 500,
    maxUnits: 1_000_000,
    reads: true,
    goaway: EYC,
  },
  {
    name: "Reset flood (CVE-2019-9514): malformed requests",
    unit: (i) => w.headers(sid(i), w.block([...w.GET, ["X-Bad", "1"]]), { endStream: true }),
    batch: 200,
    maxUnits: 100_000,
    reads: true,
    goaway: EYC,
    firstReset: [w.E.PROTOCOL_ERROR],
  },
  {
    name: "HTTP/2 Bomb (CVE-2026-49975): 1900 references per request, zero window",
    setup: w.concat([
      w.settings([[4, 0]]),
      w.headers(1, w.concat([w.block(w.GET), Uint8Array.from(w.literalIndexed("a", ""))]), {
        endStream: true,
      }),
    ]),
    unit: (i) => w.headers(sid(i + 1), w.concat([w.block(w.GET), REFS_1900]), { endStream: true }),
    batch: 20,
    maxUnits: 100_000,
    reads: true,
    goaway: EYC,
    firstReset: [w.E.ENHANCE_YOUR_CALM],
  },
  {
    name: "Zero-length headers (CVE-2019-9516)",
    unit: (i) => w.headers(sid(i), EMPTY_FIELDS, { endStream: true }),
    batch: 4,
    maxUnits: 100_000,
    reads: true,
    goaway: [w.E.ENHANCE_YOUR_CALM, w.E.PROTOCOL_ERROR],
  },
  {
    name: "PRIORITY resource loop (CVE-2019-9513)",
    unit: (i) => w.priority(sid(i + 1), sid(i), 1 + (i % 256), i % 2 === 0),
    batch: 500,
    maxUnits: 1_000_000,
    reads: true,
    goaway: EYC,
  },
  {
    name: "Stream-id jump to 2^31-1, then a lower id",
    unit: (i) => (i === 0 ? w.request(2 ** 31 - 1, true) : w.request(3, true)),
    batch: 1,
    maxUnits: 2,
    reads: true,
    goaway: [w.E.PROTOCOL_ERROR],
  },
  {
    name: "WINDOW_UPDATE overflowing the connection window",
    unit: () => w.windowUpdate(0, 2 ** 31 - 1),
    batch: 1,
    maxUnits: 1,
    reads: true,
    goaway: [w.E.FLOW_CONTROL_ERROR],
  },
  {
    name: "SETTINGS_INITIAL_WINDOW_SIZE of 2^31",
    unit: () => w.settings([[4, 2 ** 31]]),
    batch: 1,
    maxUnits: 1,
    reads: true,
    goaway: [w.E.FLOW_CONTROL_ERROR],
  },
  {
    name: "Oversized frame header (2^24-1 octets announced)",
    unit: (
      i,
    ) => (i === 0
      ? w.frame(w.T.DATA, 0, 1, new Uint8Array(0), 2 ** 24 - 1)
      : new Uint8Array(65_536)),
    batch: 1,
    maxUnits: 300,
    reads: true,
    goaway: [w.E.FRAME_SIZE_ERROR],
  },
];

for (const a of ATTACKS) {
  Deno.test({
    name: `server.ts survives ${a.name}: GOAWAY, closed, others served, RSS bounded`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => checkAttack(a),
  });
}

Deno.test({
  name: "server.ts refuses an oversized header list with RST_STREAM and keeps the connection",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §10.5.1: a 70 KB literal list exceeds the advertised 64 KiB: a stream error, 431-style.
    const server = await startServer();
    try {
      const raw = await Raw.open(server.port);
      const big: Array<readonly [string, string]> = [...w.GET];
      for (let i = 0; i < 5; i++) big.push([`x-${i}`, "v".repeat(14_000)]);
      const fragment = w.block(big);
      const parts: Uint8Array[] = [HELLO];
      for (let at = 0; at < fragment.length; at += 16_384) {
        const piece = fragment.subarray(at, at + 16_384);
        const last = at + 16_384 >= fragment.length;
        parts.push(
          at === 0
            ? w.headers(1, piece, { endStream: true, endHeaders: last })
            : w.continuation(1, piece, last),
        );
      }
      parts.push(w.request(3, true));
      raw.startReading();
      await raw.write(w.concat(parts));
      const answered = await raw.until(
        () => raw.frames.some((f) => f.streamId === 3 && (f.flags & w.F.END_STREAM) !== 0),
        PROBE_DEADLINE_MS,
      );
      const refusal = raw.frames.find((f) =>
        f.streamId === 1 && (f.type === w.T.RST_STREAM || f.type === w.T.HEADERS)
      );
      assert.ok(refusal, "stream 1 got neither RST_STREAM nor a (431) response");
      assert.equal(raw.goAway(), undefined);
      assert.ok(answered, "the next request on the same connection was not answered");
      await raw.finish();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "server.ts bounds memory under data dribble (CVE-2019-9511): 1-byte windows on 20 × 64 MiB bodies",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §6.9: the server may only send what the windows allow; it must not buffer the bodies.
    const server = await startServer();
    try {
      await probe(server.port);
      const baseline = memory(server.pid).rss;
      const raw = await Raw.open(server.port);
      raw.startReading();
      const requests: Uint8Array[] = [HELLO, w.settings([[4, 1]])];
      for (let i = 0; i < 20; i++) {
        requests.push(
          w.headers(
            sid(i),
            w.block([...w.GET.slice(0, 2), [":path", "/bytes/67108864"], [":authority", "x"]]),
            { endStream: true },
          ),
        );
      }
      await raw.write(w.concat(requests));
      let batches = 0;
      const dribble = (async () => {
        const end = Date.now() + SIEGE_MS;
        while (Date.now() < end && !raw.closed) {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < 20; i++) parts.push(w.windowUpdate(sid(i), 1));
          if (!(await raw.write(w.concat(parts)))) break;
          batches++;
          await sleep(5);
        }
      })();
      const times: number[] = [];
      while (times.length < 3) times.push(await probe(server.port));
      await dribble;
      for (const ms of times) assert.ok(ms < PROBE_DEADLINE_MS, `probe took ${ms} ms`);
      const dataFrames = raw.frames.filter((f) => f.type === w.T.DATA);
      const sent = dataFrames.reduce((n, f) => n + f.payload.length, 0);
      // Each stream was granted its initial 1 octet plus 1 per batch of WINDOW_UPDATEs.
      const granted = 20 * (1 + batches);
      assert.ok(sent <= granted, `server sent ${sent} octets, granted ${granted}`);
      assert.ok(sent > 0, "the server sent nothing at all");
      const { hwm } = memory(server.pid);
      console.log(
        `data dribble: ${sent} octets sent of ${granted} granted, ${
          times.map((t) => t.toFixed(0)).join("/")
        } ms probes, peak RSS +${((hwm - baseline) / MiB).toFixed(1)} MiB`,
      );
      assertRssWithinBudget(hwm, baseline);
      await raw.finish();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "server.ts bounds memory when the client never reads (CVE-2019-9517): 10 × 64 MiB, windows wide open",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §5.2: flow control allows it all; only output backpressure (512 KiB soft cap) bounds it.
    const server = await startServer();
    try {
      await probe(server.port);
      const baseline = memory(server.pid).rss;
      const raw = await Raw.open(server.port, { autoAck: false });
      const parts: Uint8Array[] = [
        HELLO,
        w.settings([[4, 2 ** 31 - 1]]),
        w.windowUpdate(0, 2 ** 31 - 1 - 65_535),
      ];
      for (let i = 0; i < 10; i++) {
        parts.push(
          w.headers(
            sid(i),
            w.block([...w.GET.slice(0, 2), [":path", "/bytes/67108864"], [":authority", "x"]]),
            { endStream: true },
          ),
        );
      }
      await raw.write(w.concat(parts));
      await sleep(SIEGE_MS);
      const times: number[] = [];
      while (times.length < 3) times.push(await probe(server.port));
      for (const ms of times) assert.ok(ms < PROBE_DEADLINE_MS, `probe took ${ms} ms`);
      const { hwm } = memory(server.pid);
      console.log(
        `unread output: ${times.map((t) => t.toFixed(0)).join("/")} ms probes, peak RSS +${
          ((hwm - baseline) / MiB).toFixed(1)
        } MiB`,
      );
      assertRssWithinBudget(hwm, baseline);
      await raw.finish();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "server.ts closes slowloris connections (no preface, or a byte a second) at the preface timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §3.4: the preface must come first; Go and h2o give it 10 s. Here --preface-timeout 1.
    const server = await startServer(["--preface-timeout", "1", "--idle-timeout", "30"]);
    try {
      const silent = await Promise.all(Array.from({ length: 50 }, () => Raw.open(server.port)));
      const dribblers = await Promise.all(Array.from({ length: 10 }, () => Raw.open(server.port)));
      const started = Date.now();
      const drip = Promise.all(dribblers.map(async (raw) => {
        for (let i = 0; i < HELLO.length && !raw.closed; i++) {
          if (!(await raw.write(HELLO.subarray(i, i + 1)))) break;
          await sleep(400);
        }
      }));
      // Meanwhile, a real client is served.
      assert.ok((await probe(server.port)) < PROBE_DEADLINE_MS);
      for (const raw of [...silent, ...dribblers]) {
        assert.ok(
          await raw.until(() => raw.closed, 5_000),
          "connection still open past the preface timeout",
        );
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 5_000, `closed after ${elapsed} ms`);
      await drip;
      // A dribbler never got its preface through (24 octets at 2.5/s > 1 s): nothing was acked.
      for (const raw of dribblers) {
        assert.ok(!raw.frames.some((f) => f.type === w.T.SETTINGS && (f.flags & w.F.ACK) !== 0));
      }
      for (const raw of [...silent, ...dribblers]) await raw.finish();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "server.ts refuses streams beyond MAX_CONCURRENT_STREAMS 100 with REFUSED_STREAM and serves others",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §5.1.2: streams over the advertised limit are refused (REFUSED_STREAM, retryable).
    const server = await startServer();
    try {
      await probe(server.port);
      const baseline = memory(server.pid).rss;
      const raw = await Raw.open(server.port);
      raw.startReading();
      const post = (id: number) =>
        w.headers(
          id,
          w.block([[":method", "POST"], [":scheme", "http"], [":path", "/echo-size"], [
            ":authority",
            "x",
          ]]),
          { endStream: false },
        );
      const parts: Uint8Array[] = [HELLO];
      for (let i = 0; i < 150; i++) parts.push(post(sid(i)));
      await raw.write(w.concat(parts));
      const refused = () => w.resets(raw.frames).filter(([, code]) => code === w.E.REFUSED_STREAM);
      await raw.until(() => refused().length >= 50, PROBE_DEADLINE_MS);
      assert.equal(refused().length, 50);
      for (const [id] of refused()) {
        assert.ok(id > sid(99), `stream ${id} refused within the limit`);
      }
      assert.ok((await probe(server.port)) < PROBE_DEADLINE_MS);
      const { hwm } = memory(server.pid);
      assertRssWithinBudget(hwm, baseline);
      await raw.finish();
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "server.ts closes an idle connection after the preface with GOAWAY(NO_ERROR) at the idle timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // RFC 9113 §6.8: an endpoint closing an idle connection says so with GOAWAY(NO_ERROR) first.
    const server = await startServer(["--idle-timeout", "1", "--preface-timeout", "5"]);
    try {
      const idle = await Promise.all(Array.from({ length: 20 }, () => Raw.open(server.port)));
      const started = Date.now();
      for (const raw of idle) {
        raw.startReading();
        await raw.write(HELLO);
      }
      for (const raw of idle) {
        assert.ok(await raw.until(() => raw.closed, 5_000), "idle connection left open");
        assert.equal(raw.goAway()?.errorCode, w.E.NO_ERROR);
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 5_000, `closed after ${elapsed} ms`);
      assert.ok((await probe(server.port)) < PROBE_DEADLINE_MS);
      for (const raw of idle) await raw.finish();
    } finally {
      await server.stop();
    }
  },
});
