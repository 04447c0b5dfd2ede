/**
 * Shared harness of `attacks_server_test.ts`: the `server.ts` subprocess (its
 * port, pid and peak RSS from /proc), `Raw`, a TCP connection speaking raw
 * frames built by `../attacks/_wire.ts` (no HTTP/2 library on our side), and
 * `probe`, the "is a fresh client still served promptly" check.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as w from "../attacks/_wire.ts";

/** 2^20 octets. */
export const MiB = 1024 * 1024;
/** Peak RSS growth allowed over the warmed-up baseline, per attack. */
export const RSS_BUDGET = 128 * MiB;

/** Asserts the server's peak RSS grew less than `RSS_BUDGET` over its warmed-up baseline. */
export function assertRssWithinBudget(hwm: number, baseline: number): void {
  assert.ok(
    hwm - baseline < RSS_BUDGET,
    `server peak RSS grew ${((hwm - baseline) / MiB).toFixed(1)} MiB`,
  );
}

/** A fresh GET must be answered within this, even under attack. */
export const PROBE_DEADLINE_MS = 2_000;
/** How long attackers keep reconnecting while probes run. */
export const SIEGE_MS = Number(Deno.env.get("ATTACK_SIEGE_MS") ?? 1_500);

// --- the server subprocess ------------------------------------------------------------

/** A `server.ts` child process listening on 127.0.0.1. */
export interface RunningServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `server.ts` on an ephemeral port (`extra`: more CLI flags); killed by `stop()`. */
export async function startServer(extra: string[] = []): Promise<RunningServer> {
  const root = new URL("../../", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "server.ts", "--port", "0", "--hostname", "127.0.0.1", ...extra],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  let port = 0;
  while (port === 0) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const match = text.match(/Listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    if (match) port = Number(match[1]);
  }
  clearTimeout(timer);
  // Keep draining stdout/stderr so the child never blocks on a full pipe.
  const drainOut = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const drainErr = child.stderr.pipeTo(new WritableStream());
  if (port === 0) {
    await child.status;
    throw new Error(`server.ts did not print its address: ${text}`);
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Promise.allSettled([drainOut, drainErr]);
    },
  };
}

/** The current and peak resident set (VmRSS, VmHWM) of a process, in octets. */
export function memory(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) =>
    Number(status.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- a raw HTTP/2 client ------------------------------------------------------------------

/** A TCP connection speaking raw frames. Reading starts only when asked (an attacker may never read). */
export class Raw {
  readonly frames: w.WireFrame[] = [];
  closed = false;
  bytesIn = 0;
  #pending = new Uint8Array(0);
  #reading: Promise<void> | undefined;
  #waiters = new Set<() => void>();
  #autoAck: boolean;

  private constructor(readonly conn: Deno.TcpConn, autoAck: boolean) {
    this.#autoAck = autoAck;
  }

  static async open(port: number, options: { autoAck?: boolean } = {}): Promise<Raw> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new Raw(conn, options.autoAck ?? true);
  }

  /** Writes everything; false when the server has closed or reset the connection. */
  async write(bytes: Uint8Array, timeoutMs = 5_000): Promise<boolean> {
    if (this.closed) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), timeoutMs)
    );
    const write = (async () => {
      try {
        let offset = 0;
        while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
        return true;
      } catch {
        return false;
      }
    })();
    const ok = await Promise.race([write, timeout]);
    clearTimeout(timer);
    return ok;
  }

  startReading(): void {
    this.#reading ??= (async () => {
      const buffer = new Uint8Array(64 * 1024);
      try {
        while (true) {
          const n = await this.conn.read(buffer);
          if (n === null) break;
          this.bytesIn += n;
          this.#parse(buffer.subarray(0, n));
        }
      } catch {
        // reset by the server: as closed as EOF
      }
      this.closed = true;
      this.#notify();
    })();
  }

  #parse(chunk: Uint8Array): void {
    const data = this.#pending.length ? w.concat([this.#pending, chunk]) : chunk;
    let offset = 0;
    while (data.length - offset >= 9) {
      const length = (data[offset]! << 16) | (data[offset + 1]! << 8) | data[offset + 2]!;
      if (data.length - offset - 9 < length) break;
      const type = data[offset + 3]!;
      const frame: w.WireFrame = {
        type,
        flags: data[offset + 4]!,
        streamId: new DataView(data.buffer, data.byteOffset + offset + 5, 4).getUint32(0) &
          0x7fff_ffff,
        // DATA payloads are not kept (an attack may pull megabytes); their length is.
        payload: type === w.T.DATA
          ? new Uint8Array(length)
          : data.slice(offset + 9, offset + 9 + length),
      };
      if (this.frames.length < 200_000 || type === w.T.GOAWAY) this.frames.push(frame);
      if (this.#autoAck && type === w.T.SETTINGS && (frame.flags & w.F.ACK) === 0) {
        void this.write(w.settingsAck());
      }
      offset += 9 + length;
    }
    this.#pending = data.slice(offset);
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters) wake();
  }

  /** Waits until `predicate` holds (checked on every frame and on close) or the timeout passes. */
  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    this.startReading();
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => wake = resolve);
      this.#waiters.add(wake);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([woken, new Promise((r) => timer = setTimeout(r, Math.min(left, 100)))]);
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
    return true;
  }

  goAway(): w.GoAwayInfo | undefined {
    return w.goAways(this.frames)[0];
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.closed = true;
  }

  async finish(): Promise<void> {
    this.close();
    await this.#reading;
  }
}

/** Client preface plus an empty SETTINGS (RFC 9113 §3.4). */
export const HELLO = w.concat([w.PREFACE, w.settings()]);

/** A normal GET on a fresh connection; resolves with the time to the end of the response. */
export async function probe(port: number): Promise<number> {
  const started = performance.now();
  const raw = await Raw.open(port);
  try {
    raw.startReading();
    await raw.write(
      w.concat([
        HELLO,
        w.headers(1, w.block([...w.GET.slice(0, 2), [":path", "/probe"], [":authority", "x"]]), {
          endStream: true,
        }),
      ]),
    );
    const done = await raw.until(
      () =>
        raw.frames.some((f) =>
          f.streamId === 1 && (f.flags & w.F.END_STREAM) !== 0 &&
          (f.type === w.T.DATA || f.type === w.T.HEADERS)
        ),
      PROBE_DEADLINE_MS,
    );
    const ms = performance.now() - started;
    const reset = raw.frames.find((f) => f.type === w.T.RST_STREAM || f.type === w.T.GOAWAY);
    assert.ok(
      done,
      `probe not answered within ${PROBE_DEADLINE_MS} ms (closed: ${raw.closed}, reset: ${reset?.type})`,
    );
    return ms;
  } finally {
    await raw.finish();
  }
}
