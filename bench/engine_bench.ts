/**
 * The engine's own ceiling (issue #6): `H2Connection` request/response round
 * trips in memory, a client connection and a server connection exchanging
 * bytes with no sockets, no Web Streams and no event loop in between.
 *
 * One round trip: client `sendHeaders(GET, endStream)` → bytes → server
 * `receiveData` → `RequestReceived` → `sendHeaders(200)` + `sendData(body,
 * endStream)` → bytes → client `receiveData` → `ResponseReceived`,
 * `DataReceived` (acknowledged, as a real client must, or the connection
 * window runs dry after ~4,000 responses), `StreamEnded`.
 *
 * Target: ≥ 300,000 requests/s on one core.
 *
 * - `deno bench bench/engine_bench.ts`: `Deno.bench` cases (time per iteration;
 *   the batch case does 100 requests per iteration).
 * - `deno run bench/engine_bench.ts [seconds]`: a timed loop per case that
 *   prints requests/s directly (what docs/benchmarks.md quotes).
 *
 * @module
 */
import { H2Connection } from "../lib/connection.ts";
import { FrameWriter } from "../lib/frame/encoder.ts";
import type { HeaderField } from "../lib/events.ts";

/** What h2load sends for `GET /`. */
const REQUEST: HeaderField[] = [
  [":method", "GET"],
  [":path", "/"],
  [":scheme", "http"],
  [":authority", "127.0.0.1:8080"],
  ["user-agent", "h2load nghttp2/1.52.0"],
];
/** The demo server's answer to it (API.md §4). */
const BODY = new TextEncoder().encode(
  '{":method":"GET",":path":"/",":scheme":"http",":authority":"127.0.0.1:8080","user-agent":"h2load nghttp2/1.52.0"}',
);
const RESPONSE: HeaderField[] = [
  [":status", "200"],
  ["content-type", "application/json"],
  ["content-length", String(BODY.length)],
  ["server", "basic-h2-server/1.0"],
];

/** Counts of what the client saw, so a broken engine cannot look fast. */
interface Tally {
  responses: number;
  ended: number;
  bytes: number;
}

/** A connected client/server pair (prefaces and SETTINGS exchanged and acknowledged). */
class Pair {
  readonly client = new H2Connection({ clientSide: true });
  readonly server = new H2Connection({ clientSide: false });
  readonly tally: Tally = { responses: 0, ended: 0, bytes: 0 };

  constructor() {
    this.client.initiateConnection();
    this.server.initiateConnection();
    // Two rounds: prefaces + SETTINGS, then the SETTINGS ACKs.
    for (let i = 0; i < 3; i++) {
      this.#toServer();
      this.#toClient();
    }
  }

  /** Sends `count` requests in one flight, answers them all, delivers the answers. */
  roundTrip(count: number): void {
    const client = this.client;
    for (let i = 0; i < count; i++) {
      client.sendHeaders(client.getNextAvailableStreamId(), REQUEST, { endStream: true });
    }
    this.#toServer();
    this.#toClient();
  }

  #toServer(): void {
    const bytes = this.client.dataToSend();
    if (bytes.length === 0) return;
    const server = this.server;
    for (const event of server.receiveData(bytes)) {
      if (event.type === "RequestReceived") {
        server.sendHeaders(event.streamId, RESPONSE);
        server.sendData(event.streamId, BODY, { endStream: true });
      }
    }
    FrameWriter.recycle(bytes);
  }

  #toClient(): void {
    const bytes = this.server.dataToSend();
    if (bytes.length === 0) return;
    const client = this.client;
    const tally = this.tally;
    for (const event of client.receiveData(bytes)) {
      switch (event.type) {
        case "ResponseReceived":
          tally.responses++;
          break;
        case "DataReceived":
          tally.bytes += event.data.length;
          client.acknowledgeReceivedData(event.flowControlledLength, event.streamId);
          break;
        case "StreamEnded":
          tally.ended++;
          break;
      }
    }
    FrameWriter.recycle(bytes);
  }
}

/**
 * Checks that `count` round trips really produced `count` complete responses.
 *
 * @param pair The pair.
 * @param count Requests sent so far.
 * @throws {Error} When responses are missing.
 */
function verify(pair: Pair, count: number): void {
  const { responses, ended, bytes } = pair.tally;
  if (responses !== count || ended !== count || bytes !== count * BODY.length) {
    throw new Error(
      `engine lost responses: ${count} requests, ${responses} responses, ${ended} ended, ${bytes} body bytes`,
    );
  }
}

/**
 * Streams per connection before the runner starts a fresh pair: 20,000 is what
 * each of W1's 10 connections carries (`-n 200000 -c 10`).
 */
const PAIR_BUDGET = 20_000;
/** Where the long-lived case starts: past `H2Limits.maxClosedStreams` (65,536). */
const LONG_LIVED_START = 65_536 + 1_000;
/** And how far it goes before it starts again (W3 carries 100,000 streams on one connection). */
const LONG_LIVED_END = LONG_LIVED_START + 100_000;

function makeRunner(batch: number, budget = PAIR_BUDGET): () => void {
  let pair = new Pair();
  let sent = 0;
  return () => {
    if (sent + batch > budget) {
      verify(pair, sent);
      pair = new Pair();
      sent = 0;
    }
    pair.roundTrip(batch);
    sent += batch;
  };
}

/** One connection that has already carried `LONG_LIVED_START` streams. */
function makeLongLivedRunner(): () => void {
  let pair: Pair | undefined;
  let sent = 0;
  return () => {
    if (pair === undefined || sent >= LONG_LIVED_END) {
      pair = new Pair();
      for (let i = 0; i < LONG_LIVED_START; i += 100) pair.roundTrip(100);
      sent = LONG_LIVED_START;
    }
    pair.roundTrip(1);
    sent++;
  };
}

// Sanity check before anything is timed.
{
  const pair = new Pair();
  pair.roundTrip(1);
  pair.roundTrip(100);
  verify(pair, 101);
}

Deno.bench({
  name: "H2Connection round trip, 1 request per exchange",
  group: "round trip",
  baseline: true,
  fn: makeRunner(1),
});

Deno.bench({
  name: "H2Connection round trip, 100 concurrent streams per exchange (100 requests/iter)",
  group: "round trip",
  fn: makeRunner(100),
});

Deno.bench({
  name: "H2Connection round trip, 1 request, connection past 66,536 streams",
  group: "round trip",
  fn: makeLongLivedRunner(),
});

Deno.bench({
  name: "H2Connection connection setup (prefaces + SETTINGS + ACKs)",
  fn: () => {
    new Pair();
  },
});

/**
 * Runs `fn` (doing `perCall` requests) for about `seconds` and returns requests/s.
 *
 * @param fn The runner.
 * @param perCall Requests per call.
 * @param seconds Measuring time.
 * @returns Requests per second.
 */
function timed(fn: () => void, perCall: number, seconds: number): number {
  const warmEnd = performance.now() + 500;
  while (performance.now() < warmEnd) fn();
  let calls = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 64; i++) fn();
    calls += 64;
    now = performance.now();
  }
  return (calls * perCall) / ((now - start) / 1000);
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? "3");
  const one = timed(makeRunner(1), 1, seconds);
  const hundred = timed(makeRunner(100), 100, seconds);
  const long = timed(makeLongLivedRunner(), 1, seconds);
  const rate = (n: number) => `${Math.round(n).toLocaleString("en")} requests/s`;
  console.log(`H2Connection in-memory round trip (${seconds} s each):`);
  console.log(`  1 request per exchange:                    ${rate(one)}`);
  console.log(`  100 streams per exchange:                  ${rate(hundred)}`);
  console.log(`  1 request, connection past 66,536 streams: ${rate(long)}`);
  console.log(
    `  target >= 300,000 requests/s (1 per exchange): ${one >= 300_000 ? "met" : "not met"}`,
  );
}
