// Shared helpers for the python-hyper h2 interop tests (RFC 9113 §3.4, §5.2, §6.5–§6.9, §8):
// spawning /usr/bin/python3 scripts from tests/interop/py/ (Debian's python3-h2 4.1.0), and
// `Endpoint`, our H2Connection driven over a real Deno.Conn on 127.0.0.1.
//
// The tests that use them:
// - python_h2_client_test.ts: our engine as CLIENT against tests/interop/py/h2_server.py;
// - python_h2_server_test.ts: our engine as SERVER (same routes) against h2_client.py;
// - python_h2_tutorial_test.ts: the h2 tutorial server, ours and python h2's, frame by frame.
//
// Every subprocess and wait is bounded; processes are killed and sockets closed in `finally`.
import type { H2Connection } from "../../lib/connection.ts";
import { SettingCode } from "../../lib/constants.ts";
import {
  DataReceived,
  type H2Event,
  type HeaderField,
  InformationalResponseReceived,
  PushedStreamReceived,
  RemoteSettingsChanged,
  ResponseReceived,
  StreamEnded,
  StreamReset,
  TrailersReceived,
  WindowUpdated,
} from "../../lib/events.ts";
import { bytes } from "../_helpers/frames.ts";

/** The interpreter with python-hyper h2 (Debian's python3-h2). */
export const PYTHON = "/usr/bin/python3";
/** Where the python scripts live (tests/interop/py/). */
export const PY_DIR = new URL("./py/", import.meta.url).pathname;
/** Upper bound for one scenario, python side included. */
export const SCENARIO_TIMEOUT_MS = 60_000;
/** The body size of the large transfers. */
export const TEN_MIB = 10 * 1024 * 1024;
/** 1 MiB stream windows and frames, as h2_server.py/h2_client.py --big-frames advertise. */
export const BIG_FRAMES: Record<number, number> = {
  [SettingCode.INITIAL_WINDOW_SIZE]: 1 << 20,
  [SettingCode.MAX_FRAME_SIZE]: 1 << 20,
};
/** The connection-window increment that goes with BIG_FRAMES. */
export const BIG_CONNECTION_INCREMENT = 1 << 24;
/** Bytes to text, one character per octet. */
export const latin1 = new TextDecoder("latin1");

// ---------------------------------------------------------------------------
// Python processes

let pythonChecked: Promise<void> | undefined;
/** Fails with a clear message when /usr/bin/python3 has no h2. */
export function requirePythonH2(): Promise<void> {
  pythonChecked ??= (async () => {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(PYTHON, {
        args: ["-c", "import h2, hpack; print(h2.__version__)"],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      throw new Error(`${PYTHON} cannot be run (${error}); install python3 and python3-h2`);
    }
    if (!out.success) {
      throw new Error(
        `${PYTHON} lacks the h2 package (apt-get install python3-h2): ${
          new TextDecoder().decode(out.stderr).trim()
        }`,
      );
    }
  })();
  return pythonChecked;
}

/** Rejects after `ms` unless `promise` settles first; the timer is always cleared. */
export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A python child whose stdout/stderr are drained into strings. */
export class PythonChild {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly #drained: Promise<unknown>;
  #lineWaiters: (() => void)[] = [];

  constructor(script: string, args: string[]) {
    this.child = new Deno.Command(PYTHON, {
      args: [`${PY_DIR}${script}`, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#drained = Promise.all([
      this.#drain(this.child.stdout, (s) => {
        this.stdout += s;
        for (const wake of this.#lineWaiters.splice(0)) wake();
      }),
      this.#drain(this.child.stderr, (s) => this.stderr += s),
    ]);
  }

  async #drain(stream: ReadableStream<Uint8Array>, sink: (s: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    for (const wake of this.#lineWaiters.splice(0)) wake();
  }

  /** Waits for a stdout line matching `pattern`. */
  async line(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) {
        throw new Error(`python printed no ${pattern} in ${ms} ms; stderr: ${this.stderr}`);
      }
      await timeout(
        new Promise<void>((resolve) => this.#lineWaiters.push(resolve)),
        deadline - Date.now() + 1,
        "python output",
      ).catch(() => {});
    }
  }

  /** Waits for the exit (bounded), killing the child on timeout. */
  async exit(ms: number): Promise<Deno.CommandStatus> {
    try {
      return await timeout(this.child.status, ms, "python exit");
    } catch (error) {
      this.kill();
      throw new Error(`${error}; stdout: ${this.stdout.slice(-2000)}; stderr: ${this.stderr}`);
    }
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already exited */ }
  }

  async dispose(): Promise<void> {
    this.kill();
    await this.child.status;
    await this.#drained;
  }
}

// ---------------------------------------------------------------------------
// Our engine over a Deno.Conn: a small read/write loop.

/** What an `Endpoint` saw on one stream. */
export interface PeerResponse {
  informational: HeaderField[][];
  headers?: HeaderField[];
  body: Uint8Array[];
  trailers?: HeaderField[];
  ended: boolean;
  reset?: number;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return bytes([...parts]);
}

/** The latin1 text of concatenated byte arrays. */
export function text(parts: readonly Uint8Array[]): string {
  return latin1.decode(concat(parts));
}

/** Our H2Connection over a Deno.Conn: a small read/write loop that records events per stream. */
export class Endpoint {
  readonly events: H2Event[] = [];
  readonly responses = new Map<number, PeerResponse>();
  readonly pushed = new Map<number, { parent: number; headers: HeaderField[] }>();
  /** Counts WindowUpdated/RemoteSettingsChanged: something that may open a window. */
  flowSignals = 0;
  closed = false;
  error: unknown;
  onEvent: (event: H2Event) => void = () => {};
  #waiters = new Set<() => void>();
  #writing: Promise<void> = Promise.resolve();
  #reading: Promise<void> | undefined;

  constructor(readonly sock: Deno.Conn, readonly conn: H2Connection) {}

  start(): void {
    this.conn.initiateConnection();
    this.flush();
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        // A fresh buffer per read: DATA payloads may be views of the pushed chunk.
        const buffer = new Uint8Array(65_536);
        const n = await this.sock.read(buffer);
        if (n === null) break;
        let events: H2Event[];
        try {
          events = this.conn.receiveData(buffer.subarray(0, n));
        } catch (error) {
          this.error ??= error;
          await this.flush();
          break;
        }
        for (const event of events) {
          this.events.push(event);
          this.#track(event);
          try {
            this.onEvent(event);
          } catch (error) {
            this.error ??= error;
          }
        }
        this.flush();
        this.#wake();
      }
    } catch (error) {
      if (!this.closed) this.error ??= error;
    }
    this.closed = true;
    this.#wake();
  }

  #response(streamId: number): PeerResponse {
    let response = this.responses.get(streamId);
    if (response === undefined) {
      response = { informational: [], body: [], ended: false };
      this.responses.set(streamId, response);
    }
    return response;
  }

  #track(event: H2Event): void {
    if (event instanceof ResponseReceived) {
      this.#response(event.streamId).headers = event.headers;
    } else if (event instanceof InformationalResponseReceived) {
      this.#response(event.streamId).informational.push(event.headers);
    } else if (event instanceof DataReceived) {
      this.#response(event.streamId).body.push(event.data.slice());
      // python-h2.md §6.1: tell the engine the bytes were consumed, or the window stalls.
      this.conn.acknowledgeReceivedData(event.flowControlledLength, event.streamId);
    } else if (event instanceof TrailersReceived) {
      this.#response(event.streamId).trailers = event.headers;
    } else if (event instanceof StreamEnded) {
      this.#response(event.streamId).ended = true;
    } else if (event instanceof StreamReset) {
      this.#response(event.streamId).reset = event.errorCode;
    } else if (event instanceof PushedStreamReceived) {
      this.pushed.set(event.pushedStreamId, {
        parent: event.parentStreamId,
        headers: event.headers,
      });
    } else if (event instanceof WindowUpdated || event instanceof RemoteSettingsChanged) {
      this.flowSignals++;
    }
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Writes whatever the engine has queued; writes are serialised. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const data = this.conn.dataToSend();
      let offset = 0;
      while (offset < data.length) offset += await this.sock.write(data.subarray(offset));
    }).catch((error) => {
      if (!this.closed) this.error ??= error;
    });
    return this.#writing;
  }

  /** Resolves once `condition()` holds; rejects on timeout, engine error or EOF. */
  waitUntil(condition: () => boolean, what: string, ms = SCENARIO_TIMEOUT_MS): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        let done = false;
        try {
          done = condition();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (done) {
          finish();
          resolve();
        } else if (this.error !== undefined) {
          finish();
          reject(new Error(`Engine error while waiting for ${what}: ${describeError(this.error)}`));
        } else if (this.closed) {
          finish();
          reject(new Error(`Connection closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends a body within the flow-control windows and the peer's frame size (§5.2, §6.9). */
  async sendBody(
    streamId: number,
    data: Uint8Array,
    options: { endStream: boolean; trailers?: HeaderField[]; padLength?: number },
  ): Promise<void> {
    // §6.1: padding (and its length octet) counts against the windows and the frame size.
    const overhead = options.padLength === undefined ? 0 : options.padLength + 1;
    let offset = 0;
    const isReset = () => this.responses.get(streamId)?.reset !== undefined;
    while (offset < data.length) {
      if (isReset()) return; // the peer cancelled the stream (RST_STREAM)
      const window = Math.min(
        this.conn.localFlowControlWindow(streamId),
        this.conn.maxOutboundFrameSize,
      );
      if (window <= overhead) {
        const seen = this.flowSignals;
        await this.waitUntil(
          () => this.flowSignals > seen || isReset(),
          `a window on stream ${streamId}`,
        );
        continue;
      }
      const chunk = data.subarray(offset, offset + window - overhead);
      offset += chunk.length;
      const last = offset === data.length && options.trailers === undefined;
      const endStream = options.endStream && last;
      this.conn.sendData(
        streamId,
        chunk,
        options.padLength === undefined
          ? { endStream }
          : { endStream, padLength: options.padLength },
      );
      await this.flush();
    }
    if (isReset()) return;
    if (options.trailers !== undefined) {
      this.conn.sendHeaders(streamId, options.trailers, { endStream: true });
    } else if (data.length === 0 && options.endStream) {
      this.conn.endStream(streamId);
    }
    await this.flush();
  }

  /** Client side: sends a request and resolves with the stream id once the body is out. */
  async request(
    method: string,
    path: string,
    options: {
      extra?: HeaderField[];
      body?: Uint8Array;
      trailers?: HeaderField[];
      padLength?: number;
    } = {},
  ): Promise<number> {
    const streamId = this.conn.getNextAvailableStreamId();
    const hasBody = options.body !== undefined || options.trailers !== undefined;
    this.conn.sendHeaders(streamId, [
      [":method", method],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", path],
      ...(options.extra ?? []),
    ], { endStream: !hasBody });
    this.#response(streamId);
    await this.flush();
    if (hasBody) {
      const sendOptions: { endStream: boolean; trailers?: HeaderField[]; padLength?: number } = {
        endStream: true,
      };
      if (options.trailers !== undefined) sendOptions.trailers = options.trailers;
      if (options.padLength !== undefined) sendOptions.padLength = options.padLength;
      await this.sendBody(streamId, options.body ?? new Uint8Array(), sendOptions);
    }
    return streamId;
  }

  /** Waits for the end (or reset) of a stream's response. */
  async response(streamId: number): Promise<PeerResponse> {
    await this.waitUntil(() => {
      const r = this.responses.get(streamId);
      return r !== undefined && (r.ended || r.reset !== undefined);
    }, `the response on stream ${streamId}`);
    return this.responses.get(streamId)!;
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      this.sock.close();
    } catch { /* already closed */ }
    await this.#reading;
    await this.#writing;
  }
}

/** An error as one line, with its `detail` token when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const detail = (error as { detail?: string }).detail;
    return `${error.name}: ${error.message}${detail ? ` (detail ${detail})` : ""}`;
  }
  return String(error);
}

/** The value of the first field named `name`. */
export function header(
  fields: readonly HeaderField[] | undefined,
  name: string,
): string | undefined {
  return fields?.find(([n]) => n === name)?.[1];
}

/** The same 30 kB of letters as big_value() in the python scripts. */
export function bigValue(size = 30_000): string {
  let out = "";
  for (let i = 0; i < size; i++) {
    out += String.fromCharCode(0x61 + (i * 7 + Math.floor(i / 26)) % 26);
  }
  return out;
}

/** The hex SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `size` random octets. */
export function randomBody(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(out.subarray(i, i + 65_536));
  return out;
}
