/**
 * A raw HTTP/2 test client and the verdict functions of h2spec
 * (`spec/connection.go`, `spec/verifier.go`), ported: one TCP connection,
 * frames written verbatim, every frame the server sends surfaced as an event,
 * and a read timeout per wait (h2spec's `--timeout`, 2 s here).
 *
 * @module
 */

import {
  concat,
  describe,
  E,
  errorName,
  type Frame,
  frameErrorCode,
  parseFrames,
  PREFACE,
  S,
  settings,
  settingsAck,
  settingsEntries,
  T,
} from "./wire.ts";

/** What a wait can produce: a frame, the connection closing, or a timeout. */
export type Event =
  | { readonly kind: "frame"; readonly frame: Frame }
  | { readonly kind: "closed"; readonly reason: string }
  | { readonly kind: "timeout" };

/** A failed expectation, with h2spec's "expected / actual" wording. */
export class CaseFailure extends Error {
  /**
   * @param expected The outcomes that would have passed.
   * @param actual What happened.
   */
  constructor(readonly expected: string[], readonly actual: string) {
    super(`expected: ${expected.join(" | ")}\n  actual: ${actual}`);
    this.name = "CaseFailure";
  }
}

/**
 * Describes an event for messages.
 *
 * @param ev The event (or undefined when nothing happened).
 * @returns Text.
 */
export function show(ev: Event | undefined): string {
  if (ev === undefined) return "nothing";
  if (ev.kind === "frame") return describe(ev.frame);
  if (ev.kind === "closed") return `Connection closed (${ev.reason})`;
  return "Timeout";
}

/** Per-wait read timeout, like h2spec's default `--timeout 2`. */
export const WAIT_MS = 2_000;

/** One raw connection to the server under test. */
export class RawConn {
  /** The server's SETTINGS (from the handshake). */
  readonly settings: Map<number, number> = new Map();
  /** h2spec's `Closed`: set once EOF, a reset or a timeout was seen. */
  closed = false;
  /** Everything received so far, for diagnostics. */
  readonly received: Frame[] = [];
  /** Notes for the report (e.g. "closed without GOAWAY"). */
  readonly notes: string[] = [];
  /** `frame`: one `write` per frame (h2spec); `step`: one per `send`; `byte`: one per octet. */
  writes: "frame" | "step" | "byte" = "frame";

  #conn: Deno.Conn;
  #queue: Event[] = [];
  #wake: (() => void) | undefined;
  #pump: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#pump = this.#read();
  }

  /**
   * Opens a TCP connection, or a TLS one negotiating ALPN `h2` when `caCert`
   * is given (h2spec's `-t`).
   *
   * @param port The server's port on 127.0.0.1.
   * @param caCert PEM CA certificate for TLS; cleartext (h2c) when undefined.
   * @returns The connection.
   * @throws {Error} Over TLS, when the server does not select `h2`.
   */
  static async dial(port: number, caCert?: string): Promise<RawConn> {
    if (caCert === undefined) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      return new RawConn(conn);
    }
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port,
      caCerts: [caCert],
      alpnProtocols: ["h2"],
    });
    const { alpnProtocol } = await conn.handshake();
    if (alpnProtocol !== "h2") {
      conn.close();
      throw new Error(`ALPN negotiated ${alpnProtocol}, not h2`);
    }
    return new RawConn(conn);
  }

  async #read(): Promise<void> {
    let pending: Uint8Array = new Uint8Array(0);
    const buf = new Uint8Array(65_536);
    let reason = "EOF";
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        pending = concat(pending, buf.subarray(0, n));
        const { frames, rest } = parseFrames(pending);
        pending = rest;
        for (const f of frames) {
          this.received.push(f);
          this.#queue.push({ kind: "frame", frame: f });
        }
        if (frames.length > 0) this.#wake?.();
      }
    } catch (err) {
      reason = err instanceof Error ? err.name : String(err);
    }
    this.#queue.push({ kind: "closed", reason });
    this.#wake?.();
  }

  /**
   * Writes the parts back to back, without waiting in between, as
   * {@link RawConn.writes} says: one `write` per part (h2spec's framer: one
   * syscall per frame), all parts in one `write` (the server reads them
   * together), or one `write` per octet (every frame split across reads).
   * Write errors are swallowed as h2spec does (the verdict then sees the
   * close).
   *
   * @param parts Frames or raw byte strings, in order.
   */
  async send(...parts: Uint8Array[]): Promise<void> {
    const all = this.writes === "frame" ? parts : [concat(...parts)];
    try {
      for (const part of all) {
        if (this.writes === "byte") {
          for (let i = 0; i < part.length; i++) await this.#conn.write(part.subarray(i, i + 1));
          continue;
        }
        let at = 0;
        while (at < part.length) at += await this.#conn.write(part.subarray(at));
      }
    } catch (err) {
      this.notes.push(`write failed: ${err instanceof Error ? err.name : err}`);
    }
  }

  /**
   * The next event, h2spec's `WaitEvent`: a frame, the close, or a timeout
   * after `ms` without any frame (a timeout marks the connection closed).
   *
   * @param ms Read timeout.
   * @returns The event.
   */
  async waitEvent(ms: number = WAIT_MS): Promise<Event> {
    const deadline = performance.now() + ms;
    while (this.#queue.length === 0 && !this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve; // called when a frame or the close is queued
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    const ev = this.#queue.shift();
    if (ev === undefined) {
      this.closed = true;
      return { kind: "timeout" };
    }
    if (ev.kind === "closed") {
      this.closed = true;
      this.#queue.unshift(ev); // stays closed
    }
    return ev;
  }

  /**
   * h2spec's `WaitEventByType`: waits until a frame of `type` arrives.
   *
   * @param type Frame type.
   * @param match Further condition on the frame (e.g. its stream).
   * @returns The frame, or undefined, with the last other event seen.
   */
  async waitFrame(
    type: number,
    match: (f: Frame) => boolean = () => true,
  ): Promise<{ frame?: Frame; last: Event | undefined }> {
    let last: Event | undefined;
    while (!this.closed) {
      const ev = await this.waitEvent();
      if (ev.kind === "frame" && ev.frame.type === type && match(ev.frame)) {
        return { frame: ev.frame, last: ev };
      }
      if (ev.kind === "timeout" && last !== undefined) break;
      last = ev;
    }
    return { last };
  }

  /**
   * h2spec's `Handshake`: preface + SETTINGS(INITIAL_WINDOW_SIZE=65535), then
   * reads until the server's SETTINGS (acknowledged) and its ACK of ours.
   *
   * @throws {CaseFailure} When the handshake does not complete.
   */
  async handshake(): Promise<void> {
    await this.send(PREFACE, settings([S.INITIAL_WINDOW_SIZE, 65_535]));
    let local = false, remote = false;
    while (!(local && remote)) {
      const ev = await this.waitEvent();
      if (ev.kind !== "frame") {
        throw new CaseFailure(["handshake: SETTINGS and SETTINGS ACK"], show(ev));
      }
      if (ev.frame.type !== T.SETTINGS) continue;
      if (ev.frame.flags & 0x1) local = true;
      else {
        remote = true;
        for (const [id, value] of settingsEntries(ev.frame)) this.settings.set(id, value);
        await this.send(settingsAck());
      }
    }
  }

  /** Server's SETTINGS_MAX_FRAME_SIZE (16384 if not sent). */
  get maxFrameSize(): number {
    return this.settings.get(S.MAX_FRAME_SIZE) ?? 16_384;
  }

  /** Closes the socket and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#pump;
  }
}

// ---------------------------------------------------------------------------
// Verdicts (spec/verifier.go)

function codeList(codes: number[]): string {
  return codes.map(errorName).join("|");
}

/**
 * h2spec's `VerifyConnectionClose`: passes when the connection closes.
 *
 * @param conn The connection.
 * @throws {CaseFailure} On timeout.
 */
export async function verifyConnectionClose(conn: RawConn): Promise<void> {
  let actual: Event | undefined;
  while (!conn.closed) {
    const ev = await conn.waitEvent();
    if (ev.kind === "closed") return;
    if (ev.kind === "timeout" && actual !== undefined) break;
    actual = ev;
  }
  throw new CaseFailure(["Connection closed"], show(actual));
}

/**
 * h2spec's `VerifyConnectionError`: GOAWAY with one of `codes`, or the
 * connection closing. Stricter than h2spec in one point: a GOAWAY with another
 * code fails even if the close follows (h2spec would pass on the close).
 *
 * @param conn The connection.
 * @param codes Acceptable error codes.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyConnectionError(conn: RawConn, ...codes: number[]): Promise<void> {
  await verifyError(conn, codes, false);
}

/**
 * h2spec's `VerifyStreamError`: RST_STREAM or GOAWAY with one of `codes`, or
 * the connection closing (same strictness on a wrong GOAWAY code as above).
 *
 * @param conn The connection.
 * @param codes Acceptable error codes.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyStreamError(conn: RawConn, ...codes: number[]): Promise<void> {
  await verifyError(conn, codes, true);
}

/**
 * Diagnostic only (h2spec does not check it): RFC 9113 §5.4.1 "After sending
 * the GOAWAY frame for an error condition, the endpoint MUST close the TCP
 * connection." Notes a connection still open 1 s after the GOAWAY.
 */
async function noteIfStillOpen(conn: RawConn): Promise<void> {
  while (!conn.closed) {
    const ev = await conn.waitEvent(1_000);
    if (ev.kind === "timeout") {
      conn.notes.push("TCP connection still open 1 s after the error GOAWAY (RFC 9113 §5.4.1)");
    }
  }
}

async function verifyError(conn: RawConn, codes: number[], stream: boolean): Promise<void> {
  let actual: Event | undefined;
  let wrongGoAway: Event | undefined;
  let sawGoAway = false;
  while (!conn.closed) {
    const ev = await conn.waitEvent();
    if (ev.kind === "closed") {
      if (wrongGoAway !== undefined) break;
      if (!sawGoAway) conn.notes.push("connection closed without a GOAWAY");
      return;
    }
    if (ev.kind === "frame" && ev.frame.type === T.GOAWAY) {
      sawGoAway = true;
      if (codes.includes(frameErrorCode(ev.frame))) {
        await noteIfStillOpen(conn);
        return;
      }
      wrongGoAway = ev;
    }
    if (stream && ev.kind === "frame" && ev.frame.type === T.RST_STREAM) {
      if (codes.includes(frameErrorCode(ev.frame))) return;
    }
    if (ev.kind === "timeout" && actual !== undefined) break;
    actual = ev;
  }
  const expected = [`GOAWAY(${codeList(codes)})`];
  if (stream) expected.push(`RST_STREAM(${codeList(codes)})`);
  expected.push("Connection closed");
  throw new CaseFailure(expected, show(wrongGoAway ?? actual));
}

/**
 * h2spec's `VerifyStreamClose`: a DATA or HEADERS frame with END_STREAM, or
 * RST_STREAM(NO_ERROR).
 *
 * @param conn The connection.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyStreamClose(conn: RawConn): Promise<void> {
  let actual: Event | undefined;
  while (!conn.closed) {
    const ev = await conn.waitEvent();
    if (ev.kind === "frame") {
      const f = ev.frame;
      if ((f.type === T.DATA || f.type === T.HEADERS) && f.flags & 0x1) return;
      if (f.type === T.RST_STREAM && frameErrorCode(f) === E.NO_ERROR) return;
    }
    if (ev.kind === "timeout" && actual !== undefined) break;
    actual = ev;
  }
  throw new CaseFailure(["Stream closed"], show(actual));
}

/**
 * h2spec's `VerifyHeadersFrame`: a HEADERS frame on `streamId` (the response).
 *
 * @param conn The connection.
 * @param streamId The request's stream.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyHeadersFrame(conn: RawConn, streamId: number): Promise<void> {
  const { frame, last } = await conn.waitFrame(T.HEADERS);
  if (frame !== undefined && frame.streamId === streamId) return;
  throw new CaseFailure(
    [`HEADERS(stream=${streamId})`],
    frame !== undefined ? describe(frame) : show(last),
  );
}

/**
 * h2spec's `VerifyEventType`: any frame of `type` arrives.
 *
 * @param conn The connection.
 * @param type Frame type.
 * @param what Its name for the message.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyFrameType(conn: RawConn, type: number, what: string): Promise<void> {
  const { frame, last } = await conn.waitFrame(type);
  if (frame === undefined) throw new CaseFailure([`${what} frame`], show(last));
}

/**
 * h2spec's `VerifyPingFrameWithAck`: a PING with ACK and exactly `data`.
 * Used for every "the connection stays usable" outcome.
 *
 * @param conn The connection.
 * @param data The 8 octets sent.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyPingAck(conn: RawConn, data: Uint8Array): Promise<void> {
  const { frame, last } = await conn.waitFrame(T.PING);
  if (frame !== undefined && frame.flags & 0x1 && sameBytes(frame.payload, data)) return;
  throw new CaseFailure(
    [`PING(ACK, data=${Array.from(data).join(",")})`],
    frame !== undefined ? describe(frame) : show(last),
  );
}

/**
 * h2spec's `VerifyPingFrameOrConnectionClose`.
 *
 * @param conn The connection.
 * @param data The 8 octets sent.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyPingAckOrClose(conn: RawConn, data: Uint8Array): Promise<void> {
  let actual: Event | undefined;
  while (!conn.closed) {
    const ev = await conn.waitEvent();
    if (ev.kind === "closed") return;
    if (
      ev.kind === "frame" && ev.frame.type === T.PING && ev.frame.flags & 0x1 &&
      sameBytes(ev.frame.payload, data)
    ) return;
    if (ev.kind === "timeout" && actual !== undefined) break;
    actual = ev;
  }
  throw new CaseFailure(["Connection closed", "PING(ACK)"], show(actual));
}

/**
 * h2spec's `VerifySettingsFrameWithAck`.
 *
 * @param conn The connection.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifySettingsAck(conn: RawConn): Promise<void> {
  const { frame, last } = await conn.waitFrame(T.SETTINGS);
  if (frame !== undefined && frame.flags & 0x1) return;
  throw new CaseFailure(
    ["SETTINGS(ACK)"],
    frame !== undefined ? describe(frame) : show(last),
  );
}

/**
 * Waits for the first DATA frame and checks its length (the flow-control
 * cases of §6.5.3, §6.9.1, §6.9.2).
 *
 * @param conn The connection.
 * @param length Expected payload length.
 * @param streamId Its stream.
 * @throws {CaseFailure} Otherwise.
 */
export async function verifyDataLength(
  conn: RawConn,
  length: number,
  streamId: number,
): Promise<void> {
  const { frame, last } = await conn.waitFrame(T.DATA);
  if (frame !== undefined && frame.payload.length === length) return;
  throw new CaseFailure(
    [`DATA(stream=${streamId}, length=${length})`],
    frame !== undefined ? describe(frame) : show(last),
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
