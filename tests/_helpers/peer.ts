/**
 * A scripted peer around an `H2Connection` under test (hyperium's
 * `mock::Handle`, Go's `testConnFramer`). The peer writes frames built with
 * `frames.ts` into `conn.receiveData`, records the events or the error, and
 * reads what `conn.dataToSend()` produced with its own parser (`decode.ts`),
 * comparing decoded frames so a failure prints a readable diff.
 *
 * ```ts
 * const peer = Peer.server();          // the connection under test is a server
 * peer.handshake();
 * peer.send(frames.headers(1).request("GET", "/").endStream());
 * peer.conn.sendHeaders(1, [[":status", "200"]], { endStream: true });
 * peer.expect(frames.headers(1).response(200).endStream());
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import {
  BlockDecoder,
  describeFrames,
  type FrameSummary,
  parseFrames,
  startsWithPreface,
} from "./decode.ts";
import {
  bytes,
  type ByteSource,
  type CodeName,
  CODES,
  type Field,
  frames,
  PREFACE_TEXT,
  type SettingsBuilder,
} from "./frames.ts";

/** Options for `Peer.server()` / `Peer.client()`, passed through to `new H2Connection`. */
export type PeerOptions = Record<string, unknown>;

/** What `send()` accepts: builders, raw octets, or lists of them. */
export type Sendable = ByteSource;

/** Which H2Connection role is under test. */
export type Role = "server" | "client";

function codeOf(code: number | CodeName): number {
  return typeof code === "number" ? code : CODES[code];
}

function expectedSummaries(items: Sendable[]): FrameSummary[] {
  return describeFrames(parseFrames(bytes(...items)), new BlockDecoder());
}

/** Drop fields the expectation leaves open (empty GOAWAY debug data). */
function normalise(actual: FrameSummary[], expected: FrameSummary[]): FrameSummary[] {
  return actual.map((a, i) => {
    const e = expected[i];
    if (e && a.type === "GOAWAY" && e.type === "GOAWAY" && e.debug === "") {
      return { ...a, debug: "" };
    }
    return a;
  });
}

/** A scripted peer driving one `H2Connection`. */
export class Peer {
  /** The connection under test. */
  readonly conn: H2Connection;
  /** The role of `conn`. */
  readonly role: Role;
  /** Events returned by the last `send()`/`trySend()`. */
  events: H2Event[] = [];
  /** The error thrown by the last `trySend()`, if any. */
  error: unknown = undefined;
  /** Every frame read from the connection so far. */
  readonly log: FrameSummary[] = [];
  /** The first SETTINGS frame the connection sent (after `handshake()`). */
  initialSettings: FrameSummary | undefined;
  #decoder = new BlockDecoder();
  #prefaceSeen = false;

  constructor(role: Role, options: PeerOptions = {}) {
    this.role = role;
    // deno-lint-ignore no-explicit-any
    this.conn = new H2Connection({ clientSide: role === "client", ...options } as any);
  }

  /** A peer for a connection under test in the server role (the peer plays the client). */
  static server(options: PeerOptions = {}): Peer {
    return new Peer("server", options);
  }

  /** A peer for a connection under test in the client role (the peer plays the server). */
  static client(options: PeerOptions = {}): Peer {
    return new Peer("client", options);
  }

  /** Both roles, for tests that apply to either. */
  static both(): Role[] {
    return ["server", "client"];
  }

  /** Feed octets; any error thrown by `receiveData` fails the test. Returns the events. */
  send(...items: Sendable[]): H2Event[] {
    const error = this.trySend(...items);
    if (error !== undefined) {
      const e = error as Error;
      const code = error instanceof H2Error
        ? ` (errorCode ${error.errorCode}, detail "${error.detail}")`
        : "";
      throw new assert.AssertionError({
        message: `receiveData threw ${e?.name}: ${e?.message}${code}`,
      });
    }
    return this.events;
  }

  /** Feed octets and capture a thrown error (returned and kept in `error`). */
  trySend(...items: Sendable[]): unknown {
    this.events = [];
    this.error = undefined;
    try {
      this.events = this.conn.receiveData(bytes(...items));
    } catch (e) {
      this.error = e;
    }
    return this.error;
  }

  /** Feed octets in chunks of the given sizes (the rest as a last chunk); events accumulate. */
  sendSplit(data: Uint8Array, sizes: number[]): H2Event[] {
    const all: H2Event[] = [];
    let at = 0;
    for (const n of [...sizes, data.length]) {
      if (at >= data.length) break;
      all.push(...this.send(data.subarray(at, Math.min(data.length, at + n))));
      at += n;
    }
    this.events = all;
    return all;
  }

  /** The `type` of each event from the last send. */
  eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }

  /** The events of one type from the last send. */
  eventsOf<K extends H2Event["type"]>(type: K): Extract<H2Event, { type: K }>[] {
    return this.events.filter((e) => e.type === type) as Extract<H2Event, { type: K }>[];
  }

  /** The single event of `type` from the last send (fails unless exactly one). */
  event<K extends H2Event["type"]>(type: K): Extract<H2Event, { type: K }> {
    const found = this.eventsOf(type);
    assert.equal(
      found.length,
      1,
      `expected one ${type}, got events ${JSON.stringify(this.eventTypes())}`,
    );
    return found[0]!;
  }

  /** Raw octets the connection queued (drained). For a client, the preface is checked and stripped once. */
  readRaw(): Uint8Array {
    let out: Uint8Array = this.conn.dataToSend();
    if (this.role === "client" && !this.#prefaceSeen && out.length > 0) {
      assert.ok(startsWithPreface(out), "a client connection must start with the preface (§3.4)");
      this.#prefaceSeen = true;
      out = out.subarray(PREFACE_TEXT.length);
    }
    return out;
  }

  /** Decode every frame the connection queued (drains `dataToSend()`). */
  read(): FrameSummary[] {
    const summaries = describeFrames(parseFrames(this.readRaw()), this.#decoder);
    this.log.push(...summaries);
    return summaries;
  }

  /** Assert the connection queued exactly these frames (and nothing else). */
  expect(...expected: Sendable[]): FrameSummary[] {
    const want = expectedSummaries(expected);
    const got = this.read();
    assert.deepStrictEqual(normalise(got, want), want);
    return got;
  }

  /** Alias of `expect`. */
  expectFrames(...expected: Sendable[]): FrameSummary[] {
    return this.expect(...expected);
  }

  /** Assert nothing is queued. */
  expectIdle(): void {
    assert.deepStrictEqual(this.read(), []);
  }

  /** Assert exactly one GOAWAY with this last stream id and code is queued. */
  expectGoAway(lastStreamId: number, code: number | CodeName): void {
    this.expect(frames.goAway(lastStreamId).code(codeOf(code)));
  }

  /** Assert exactly one RST_STREAM with this code is queued. */
  expectRstStream(streamId: number, code: number | CodeName): void {
    this.expect(frames.rstStream(streamId).code(codeOf(code)));
  }

  /**
   * Assert the last `trySend` was a connection error (§5.4.1): an `H2Error`
   * without `streamId` and the code, and the queued output ends with a GOAWAY
   * carrying the same code (and `lastStreamId`, when given).
   */
  expectConnectionError(code: number | CodeName, lastStreamId?: number): void {
    const want = codeOf(code);
    const err = this.error;
    assert.ok(
      err instanceof H2Error,
      `expected receiveData to throw an H2Error (${codeName(want)}), got ${
        err === undefined ? `no error, events ${JSON.stringify(this.eventTypes())}` : String(err)
      }`,
    );
    assert.equal(codeName(err.errorCode), codeName(want), `error: ${err.message} (${err.detail})`);
    assert.equal(err.streamId, undefined, "a connection error has no streamId");
    const out = this.read();
    const last = out[out.length - 1];
    assert.ok(last && last.type === "GOAWAY", `expected a GOAWAY last, got ${JSON.stringify(out)}`);
    assert.equal(last.errorCode, codeName(want));
    if (lastStreamId !== undefined) assert.equal(last.lastStreamId, lastStreamId);
    assert.equal(this.conn.isClosed, true, "the connection is closed after a connection error");
  }

  /** Tell the HPACK decoder what table size we (the peer) advertised. */
  setHeaderTableSize(size: number): void {
    this.#decoder.maxTableSize = size;
  }

  /** Octets in the connection's HPACK dynamic table as our decoder mirrors it (RFC 7541 §4.1). */
  get hpackTableSize(): number {
    return this.#decoder.tableSize;
  }

  /**
   * Assert the last `trySend` was a stream error (§5.4.2): no throw, an
   * RST_STREAM(streamId, code) queued, no GOAWAY. With `event`, also a
   * `StreamReset(remoteReset: false)` event with the code.
   */
  expectStreamError(
    streamId: number,
    code: number | CodeName,
    options: { event?: boolean } = {},
  ): void {
    const want = codeOf(code);
    const err = this.error as Error | undefined;
    assert.equal(
      err,
      undefined,
      `expected a stream error, but receiveData threw ${err?.name}: ${err?.message} ${
        err instanceof H2Error ? `(${codeName(err.errorCode)}, ${err.detail})` : ""
      }`,
    );
    const out = this.read();
    const rst = out.filter((f) => f.type === "RST_STREAM");
    assert.deepStrictEqual(
      rst.map((f) => [f.stream, f.errorCode]),
      [[streamId, codeName(want)]],
      `expected RST_STREAM(${streamId}, ${codeName(want)}), output ${JSON.stringify(out)}`,
    );
    assert.ok(!out.some((f) => f.type === "GOAWAY"), "a stream error must not send GOAWAY");
    if (options.event) {
      const resets = this.eventsOf("StreamReset");
      assert.ok(
        resets.some((r) =>
          r.streamId === streamId && r.errorCode === want && r.remoteReset === false
        ),
        `expected StreamReset(${streamId}, ${codeName(want)}, remoteReset false), got ${
          JSON.stringify(this.eventTypes())
        }`,
      );
    }
  }

  /** Assert the last `trySend` threw nothing. */
  expectNoError(): void {
    const err = this.error as Error | undefined;
    assert.equal(err, undefined, `receiveData threw ${err?.name}: ${err?.message}`);
  }

  /**
   * Preface + SETTINGS exchange for either role, ending with both sides'
   * SETTINGS acknowledged and nothing queued. `settings` is what the peer sends.
   */
  handshake(settings: SettingsBuilder = frames.settings()): void {
    this.conn.initiateConnection();
    const first = this.read();
    assert.ok(
      first.length >= 1 && first[0]!.type === "SETTINGS",
      `first frame must be SETTINGS: ${JSON.stringify(first)}`,
    );
    assert.deepStrictEqual(first[0]!.flags, []);
    this.initialSettings = first[0];
    if (this.role === "server") this.send(frames.preface(), settings);
    else this.send(settings);
    this.expect(frames.settingsAck());
    this.send(frames.settingsAck());
    assert.ok(this.eventTypes().includes("SettingsAcknowledged"), `events: ${this.eventTypes()}`);
    this.expectIdle();
  }

  /**
   * Open stream `streamId` with a request. Server role: the peer sends HEADERS
   * (the event must be RequestReceived). Client role: the connection sends them
   * and, with `respond`, the peer answers with response headers (no END_STREAM).
   */
  openStream(
    streamId: number,
    options: { endStream?: boolean; method?: string; extra?: Field[]; respond?: boolean } = {},
  ): void {
    const method = options.method ?? (options.endStream ? "GET" : "POST");
    const h = frames.headers(streamId).request(method, "/", options.extra ?? []);
    if (options.endStream) h.endStream();
    if (this.role === "server") {
      this.send(h);
      this.event("RequestReceived");
    } else {
      this.conn.sendHeaders(streamId, [
        [":method", method],
        [":scheme", "https"],
        [":path", "/"],
        [":authority", "example.com"],
        ...(options.extra ?? []),
      ], { endStream: options.endStream ?? false });
      const out = this.read();
      assert.equal(out[0]?.type, "HEADERS");
      if (options.respond) {
        // The peer (a server) answers with response headers, so DATA may follow (§8.1).
        this.send(frames.headers(streamId).response(200));
        this.event("ResponseReceived");
      }
    }
  }
}

/** The RFC name of a code. */
export function codeName(code: number): string {
  for (const [k, v] of Object.entries(CODES)) if (v === code) return k;
  return `0x${code.toString(16)}`;
}

/** A client request as fields. */
export function request(method = "GET", path = "/", extra: Field[] = []): Field[] {
  return [
    [":method", method],
    [":scheme", "https"],
    [":path", path],
    [":authority", "example.com"],
    ...extra,
  ];
}

/** A peer whose connection (in `role`) has completed the handshake. */
export function ready(
  role: Role,
  options: { conn?: PeerOptions; settings?: SettingsBuilder } = {},
): Peer {
  const peer = new Peer(role, options.conn ?? {});
  peer.handshake(options.settings ?? frames.settings());
  return peer;
}
