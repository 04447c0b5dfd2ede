// RFC 9113 §3.4, §5.2, §6.5–§6.9, §8: interop of our H2Connection with python-hyper h2 4.1.0
// (/usr/bin/python3, Debian's python3-h2) over real TCP sockets on 127.0.0.1, both ways:
// our engine as CLIENT against tests/interop/py/h2_server.py, and as SERVER (same routes,
// served below) against tests/interop/py/h2_client.py. Plus the h2 tutorial server
// (tests/tutorial_test.ts) compared frame by frame with python h2 running the same code.
//
// Run: deno test --allow-all tests/interop/python_h2_test.ts
// Every subprocess and wait is bounded; processes are killed and sockets closed in `finally`.
import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { SettingCode } from "../../lib/constants.ts";
import {
  ConnectionTerminated,
  DataReceived,
  type H2Event,
  type HeaderField,
  InformationalResponseReceived,
  PingAckReceived,
  PushedStreamReceived,
  RemoteSettingsChanged,
  RequestReceived,
  ResponseReceived,
  SettingsAcknowledged,
  StreamEnded,
  StreamReset,
  TrailersReceived,
  WindowUpdated,
} from "../../lib/events.ts";
import { bytes, frames, hpack, requestFields } from "../_helpers/frames.ts";
import {
  BlockDecoder,
  describeFrames,
  type FrameSummary,
  parseFrames,
} from "../_helpers/decode.ts";

const PYTHON = "/usr/bin/python3";
const PY_DIR = new URL("./py/", import.meta.url).pathname;
/** Upper bound for one scenario, python side included. */
const SCENARIO_TIMEOUT_MS = 60_000;
const TEN_MIB = 10 * 1024 * 1024;
/** 1 MiB stream windows and frames, as h2_server.py/h2_client.py --big-frames advertise. */
const BIG_FRAMES: Record<number, number> = {
  [SettingCode.INITIAL_WINDOW_SIZE]: 1 << 20,
  [SettingCode.MAX_FRAME_SIZE]: 1 << 20,
};
const BIG_CONNECTION_INCREMENT = 1 << 24;
const latin1 = new TextDecoder("latin1");

// ---------------------------------------------------------------------------
// Python processes

let pythonChecked: Promise<void> | undefined;
/** Fails with a clear message when /usr/bin/python3 has no h2. */
function requirePythonH2(): Promise<void> {
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

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A python child whose stdout/stderr are drained into strings. */
class PythonChild {
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

interface Response {
  informational: HeaderField[][];
  headers?: HeaderField[];
  body: Uint8Array[];
  trailers?: HeaderField[];
  ended: boolean;
  reset?: number;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return bytes([...parts]);
}

function text(parts: readonly Uint8Array[]): string {
  return latin1.decode(concat(parts));
}

class Endpoint {
  readonly events: H2Event[] = [];
  readonly responses = new Map<number, Response>();
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

  #response(streamId: number): Response {
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
  async response(streamId: number): Promise<Response> {
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

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const detail = (error as { detail?: string }).detail;
    return `${error.name}: ${error.message}${detail ? ` (detail ${detail})` : ""}`;
  }
  return String(error);
}

function header(fields: readonly HeaderField[] | undefined, name: string): string | undefined {
  return fields?.find(([n]) => n === name)?.[1];
}

/** The same 30 kB of letters as big_value() in the python scripts. */
function bigValue(size = 30_000): string {
  let out = "";
  for (let i = 0; i < size; i++) {
    out += String.fromCharCode(0x61 + (i * 7 + Math.floor(i / 26)) % 26);
  }
  return out;
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomBody(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(out.subarray(i, i + 65_536));
  return out;
}

// ---------------------------------------------------------------------------
// Our engine as CLIENT against python h2's server.

async function withPythonServer(
  fn: (client: Endpoint) => Promise<void>,
  options: ConstructorParameters<typeof H2Connection>[0] = {},
  serverArgs: string[] = [],
): Promise<void> {
  await requirePythonH2();
  const server = new PythonChild("h2_server.py", ["--port", "0", "--timeout", "90", ...serverArgs]);
  let client: Endpoint | undefined;
  try {
    const [, port] = await server.line(/LISTENING (\d+)/, 10_000);
    const sock = await timeout(
      Deno.connect({ hostname: "127.0.0.1", port: Number(port) }),
      5_000,
      "connect",
    );
    client = new Endpoint(sock, new H2Connection({ clientSide: true, ...options }));
    client.start();
    await timeout(fn(client), SCENARIO_TIMEOUT_MS, "scenario");
    assert.equal(client.error, undefined, `engine error: ${describeError(client.error)}`);
  } catch (error) {
    throw new Error(`${describeError(error)}\n-- python server stderr:\n${server.stderr}`, {
      cause: error,
    });
  } finally {
    await client?.close();
    await server.dispose();
  }
}

Deno.test({
  name: "H2Connection client GETs from python h2 and gets its JSON header echo",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.8.1/§8.8.2: a simple request and response.
      // Outbound normalisation (API.md §1, as h2): lowercase names, trimmed values, and
      // connection-specific fields dropped (§8.2.2) before python h2 validates them.
      const id = await client.request("GET", "/hello?x=1", {
        extra: [
          ["user-agent", "deno-h2"],
          ["Connection", "keep-alive"],
          ["X-Mixed-Case", " padded\t"],
          ["cookie", "a=b"],
          ["cookie", "c=d"],
        ],
      });
      assert.equal(id, 1);
      const r = await client.response(id);
      assert.equal(header(r.headers, ":status"), "200");
      assert.equal(header(r.headers, "content-type"), "application/json");
      const body = text(r.body);
      assert.equal(header(r.headers, "content-length"), String(body.length));
      // python h2 joined our two cookie fields (§8.2.3) and kept the rest in order.
      assert.deepEqual(JSON.parse(body), [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", "127.0.0.1"],
        [":path", "/hello?x=1"],
        ["user-agent", "deno-h2"],
        ["x-mixed-case", "padded"],
        ["cookie", "a=b; c=d"],
      ]);
    }),
});

Deno.test({
  name: "H2Connection client with outbound checks off gets python h2's GOAWAY for a bad field",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.2.2: connection-specific fields make a request malformed; python h2 turns
      // that into a connection PROTOCOL_ERROR (python-h2.md §5.1). With validation and
      // normalisation off our engine must send the field as given.
      await client.request("GET", "/", { extra: [["connection", "close"]] });
      await client.waitUntil(
        () => client.events.some((e) => e instanceof ConnectionTerminated),
        "ConnectionTerminated",
      );
      const goAway = client.events.find((e) => e instanceof ConnectionTerminated)!;
      assert.equal(goAway.errorCode, 1);
    }, { validateOutboundHeaders: false, normalizeOutboundHeaders: false }),
});

Deno.test({
  name: "H2Connection client POSTs 10 MiB to python h2 and receives the same 10 MiB back",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §5.2, §6.9: both directions only progress through WINDOW_UPDATEs.
      const data = randomBody(TEN_MIB);
      const id = await client.request("POST", "/echo", {
        extra: [["content-length", String(TEN_MIB)]],
        body: data,
      });
      const r = await client.response(id);
      assert.equal(r.reset, undefined);
      assert.equal(header(r.headers, "content-length"), String(TEN_MIB));
      const received = concat(r.body);
      assert.equal(received.length, TEN_MIB);
      assert.equal(await sha256(received), await sha256(data));
      assert.ok(client.events.some((e) => e instanceof WindowUpdated), "no WINDOW_UPDATE seen");
    }),
});

Deno.test("H2Connection client moves 10 MiB each way in 1 MiB frames with python h2", () =>
  withPythonServer(
    async (client) => {
      // RFC 9113 §4.2, §6.5.2, §6.9.2: larger MAX_FRAME_SIZE and INITIAL_WINDOW_SIZE both ways;
      // each side may use the other's frame size once it has the SETTINGS (ours once ACKed).
      client.conn.incrementFlowControlWindow(BIG_CONNECTION_INCREMENT);
      await client.flush();
      await client.waitUntil(
        () => client.conn.maxOutboundFrameSize === 1 << 20,
        "python's MAX_FRAME_SIZE",
      );
      const data = randomBody(TEN_MIB);
      const r = await client.response(await client.request("POST", "/echo", { body: data }));
      const received = concat(r.body);
      assert.equal(await sha256(received), await sha256(data));
      assert.ok(Number(header(r.headers, "x-max-data-frame")) > 16_384, "python got big frames");
      const sizes = client.events.filter((e): e is DataReceived => e instanceof DataReceived)
        .map((e) => e.flowControlledLength);
      assert.ok(Math.max(...sizes) > 16_384, "we got big frames");
    },
    { settings: BIG_FRAMES },
    ["--big-frames"],
  ));

Deno.test("H2Connection client sends and receives 1 MiB of padded DATA with python h2", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.1: "The entire DATA frame payload is included in flow control, including
    // the Pad Length and Padding fields if present." Both sides pad; the windows must agree.
    const data = randomBody(1024 * 1024);
    const id = await client.request("POST", "/padded-echo", { body: data, padLength: 100 });
    const r = await client.response(id);
    const received = concat(r.body);
    assert.equal(received.length, data.length);
    assert.equal(await sha256(received), await sha256(data));
    const padded = client.events.filter((e): e is DataReceived => e instanceof DataReceived);
    assert.ok(padded.every((e) => e.flowControlledLength === e.data.length + 65), "pad 64 + 1");
  }));

Deno.test({
  name: "H2Connection client runs 200 concurrent streams against python h2",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §5.1.2: python's server advertises MAX_CONCURRENT_STREAMS 1000 here.
      await client.waitUntil(
        () => client.events.some((e) => e instanceof RemoteSettingsChanged),
        "the server SETTINGS",
      );
      const ids: number[] = [];
      let maxOpen = 0;
      for (let i = 0; i < 200; i++) {
        // Open all 200 in one go: sendHeaders only queues bytes, nothing is read meanwhile.
        ids.push(client.conn.getNextAvailableStreamId());
        client.conn.sendHeaders(ids[i]!, [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", "127.0.0.1"],
          [":path", `/item/${i}`],
          ["x-index", String(i)],
        ], { endStream: true });
        maxOpen = Math.max(maxOpen, client.conn.openOutboundStreams);
      }
      assert.equal(maxOpen, 200, "all 200 streams open at once (python allows 1000)");
      await client.flush();
      const responses = await Promise.all(ids.map((id) => client.response(id)));
      responses.forEach((r, i) => {
        assert.equal(header(r.headers, ":status"), "200", `stream ${ids[i]}`);
        assert.deepEqual(JSON.parse(text(r.body))[3], [":path", `/item/${i}`]);
      });
      assert.equal(new Set(ids).size, 200);
      assert.equal(ids.at(-1), 399);
    }),
});

Deno.test({
  name: "H2Connection client sends request trailers to python h2 and receives response trailers",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.1: a trailer section is a HEADERS frame with END_STREAM after the DATA.
      const id = await client.request("POST", "/trailers", {
        extra: [["te", "trailers"]],
        body: new TextEncoder().encode("hello"),
        trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
      });
      const r = await client.response(id);
      assert.deepEqual(JSON.parse(text(r.body)), {
        body: "hello",
        trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
      });
      assert.deepEqual(r.trailers, [["x-trailer-one", "1"], ["grpc-status", "0"]]);
      assert.ok(client.events.some((e) => e instanceof TrailersReceived));
    }),
});

Deno.test({
  name: "H2Connection client receives a stream pushed by python h2",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §8.4: PUSH_PROMISE on the request stream, the response on the even stream.
      const id = await client.request("GET", "/push");
      const r = await client.response(id);
      assert.equal(header(r.headers, ":status"), "200");
      assert.deepEqual([...client.pushed.keys()], [2]);
      assert.deepEqual(client.pushed.get(2), {
        parent: id,
        headers: [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", "127.0.0.1"],
          [":path", "/pushed"],
        ],
      });
      const pushed = await client.response(2);
      assert.equal(header(pushed.headers, ":status"), "200");
      assert.equal(text(pushed.body), "pushed body");
    }),
});

Deno.test({
  name: "H2Connection client PINGs python h2 and answers python's PING",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §6.7: "Receivers of a PING frame ... MUST send a PING frame with the ACK flag".
      client.conn.ping(new TextEncoder().encode("tsclient"));
      await client.flush();
      await client.waitUntil(
        () =>
          client.events.some((e) =>
            e instanceof PingAckReceived && latin1.decode(e.pingData) === "tsclient"
          ),
        "the PING ACK",
      );
      // The server pings us and answers only once our engine has ACKed it.
      const r = await client.response(await client.request("GET", "/ping"));
      assert.deepEqual(JSON.parse(text(r.body)), { pingAck: "pyping01" });
    }),
});

Deno.test({
  name: "H2Connection client sees python h2's GOAWAY with the last stream id",
  fn: () =>
    withPythonServer(async (client) => {
      // RFC 9113 §6.8: GOAWAY carries the last processed stream id and NO_ERROR.
      await client.response(await client.request("GET", "/first"));
      const id = await client.request("GET", "/goaway");
      await client.waitUntil(
        () => client.events.some((e) => e instanceof ConnectionTerminated),
        "ConnectionTerminated",
      );
      const r = client.responses.get(id)!;
      assert.equal(text(r.body), "bye");
      assert.equal(r.ended, true);
      const goAway = client.events.find((e) => e instanceof ConnectionTerminated)!;
      assert.equal(goAway.errorCode, 0);
      assert.equal(goAway.lastStreamId, id);
      await client.waitUntil(() => client.closed, "the server to close the socket");
    }),
});

Deno.test("H2Connection client receives python h2's 103 before the final response", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §8.1: zero or more 1xx HEADERS, then the final response.
    const r = await client.response(await client.request("GET", "/informational"));
    assert.deepEqual(r.informational, [[[":status", "103"], [
      "link",
      "</style.css>; rel=preload",
    ]]]);
    assert.deepEqual(r.headers, [[":status", "200"]]);
    assert.equal(text(r.body), "final");
    assert.ok(client.events.some((e) => e instanceof InformationalResponseReceived));
  }));

Deno.test("H2Connection client exchanges 30 kB header fields with python h2 (CONTINUATION)", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.10: blocks above MAX_FRAME_SIZE continue in CONTINUATION frames, both ways.
    const big = bigValue();
    const r = await client.response(
      await client.request("GET", "/big-headers", { extra: [["x-big", big]] }),
    );
    assert.equal(header(r.headers, ":status"), "200");
    assert.equal(header(r.headers, "x-big") === big, true, "response x-big differs");
    const echoed = new Map<string, string>(JSON.parse(text(r.body)));
    assert.equal(echoed.get("x-big") === big, true, "request x-big differs");
  }));

Deno.test("H2Connection client cancels a python h2 download and the connection window recovers", () =>
  withPythonServer(async (client) => {
    // RFC 9113 §6.9: DATA in flight on a reset stream still counts against the connection
    // window, so the engine must credit it back or the next download stalls.
    const first = await client.request("GET", "/bytes/1000000");
    await client.waitUntil(
      () => (client.responses.get(first)?.body.length ?? 0) > 0,
      "the first DATA",
    );
    client.conn.resetStream(first, 8); // CANCEL
    await client.flush();
    const second = await client.response(await client.request("GET", "/bytes/300000"));
    assert.equal(concat(second.body).length, 300_000);
    assert.equal(second.ended, true);
    assert.ok(concat(client.responses.get(first)!.body).length < 1_000_000);
  }));

Deno.test("H2Connection client shrinks then grows HEADER_TABLE_SIZE with python h2", () =>
  withPythonServer(async (client) => {
    // RFC 7541 §4.2: after a SETTINGS_HEADER_TABLE_SIZE change the encoder signals a dynamic
    // table size update; our decoder insists on it (§6.3), python's encoder must send it.
    const repeat = "r".repeat(3000);
    for (const size of [0, 65_536]) {
      const acks = client.events.filter((e) => e instanceof SettingsAcknowledged).length;
      client.conn.updateSettings({ [SettingCode.HEADER_TABLE_SIZE]: size });
      await client.flush();
      await client.waitUntil(
        () => client.events.filter((e) => e instanceof SettingsAcknowledged).length > acks,
        `the ACK of HEADER_TABLE_SIZE ${size}`,
      );
      for (let i = 0; i < 3; i++) {
        const r = await client.response(
          await client.request("GET", `/table/${size}/${i}`, { extra: [["x-repeat", repeat]] }),
        );
        assert.deepEqual(r.headers, [[":status", "200"], ["x-repeat", repeat]]);
      }
    }
  }));

Deno.test("H2Connection client opens an RFC 8441 tunnel through python h2", () =>
  withPythonServer(
    async (client) => {
      // RFC 8441 §4: ":protocol" on CONNECT once the server sent ENABLE_CONNECT_PROTOCOL=1;
      // :scheme and :path are then required (§5). DATA flows both ways on the stream.
      await client.waitUntil(
        () => client.conn.remoteSettings.enableConnectProtocol === 1,
        "SETTINGS_ENABLE_CONNECT_PROTOCOL",
      );
      const id = client.conn.getNextAvailableStreamId();
      client.conn.sendHeaders(id, [
        [":method", "CONNECT"],
        [":protocol", "websocket"],
        [":scheme", "http"],
        [":path", "/chat"],
        [":authority", "127.0.0.1"],
      ]);
      await client.flush();
      await client.waitUntil(
        () => client.responses.get(id)?.headers !== undefined,
        "the tunnel's 200",
      );
      assert.deepEqual(client.responses.get(id)!.headers, [[":status", "200"]]);
      client.conn.sendData(id, new TextEncoder().encode("hello tunnel"));
      await client.flush();
      await client.waitUntil(() => text(client.responses.get(id)!.body) === "hello tunnel", "echo");
      client.conn.endStream(id);
      await client.flush();
      const r = await client.response(id);
      assert.equal(r.ended, true);
      assert.equal(r.reset, undefined);
    },
    {},
    ["--connect-protocol"],
  ));

// ---------------------------------------------------------------------------
// Our engine as SERVER against python h2's client.

/** Serves h2_server.py's routes with our engine. */
function serveRoutes(server: Endpoint): void {
  const conn = server.conn;
  const requests = new Map<
    number,
    { headers: HeaderField[]; body: Uint8Array[]; trailers: HeaderField[]; maxFrame: number }
  >();
  const pingWaiters: number[] = [];
  const enc = new TextEncoder();
  const spawn = (work: Promise<void>) => {
    work.catch((error) => server.error ??= error);
  };
  const respond = (
    streamId: number,
    headers: HeaderField[],
    body: Uint8Array,
    trailers?: HeaderField[],
    padLength?: number,
  ) => {
    conn.sendHeaders(streamId, headers);
    const options: { endStream: boolean; trailers?: HeaderField[]; padLength?: number } = {
      endStream: true,
    };
    if (trailers !== undefined) options.trailers = trailers;
    if (padLength !== undefined) options.padLength = padLength;
    spawn(server.sendBody(streamId, body, options));
  };
  const route = (streamId: number) => {
    const request = requests.get(streamId)!;
    const path = header(request.headers, ":path");
    if (path === "/echo") {
      const body = concat(request.body);
      respond(streamId, [
        [":status", "200"],
        ["content-type", "application/octet-stream"],
        ["content-length", String(body.length)],
        ["x-max-data-frame", String(request.maxFrame)],
      ], body);
    } else if (path === "/padded-echo") {
      respond(streamId, [[":status", "200"]], concat(request.body), undefined, 64);
    } else if (path === "/trailers") {
      const json = JSON.stringify({
        body: text(request.body),
        trailers: request.trailers,
      });
      respond(
        streamId,
        [[":status", "200"], ["content-type", "application/json"]],
        enc.encode(json),
        [["x-trailer-one", "1"], ["grpc-status", "0"]],
      );
    } else if (path === "/push") {
      const promised = conn.getNextAvailableStreamId();
      conn.pushStream(streamId, promised, [
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", header(request.headers, ":authority") ?? "127.0.0.1"],
        [":path", "/pushed"],
      ]);
      respond(
        promised,
        [[":status", "200"], ["content-type", "text/plain"]],
        enc.encode("pushed body"),
      );
      respond(
        streamId,
        [[":status", "200"], ["content-type", "application/json"]],
        enc.encode(JSON.stringify(request.headers)),
      );
    } else if (path === "/ping") {
      conn.ping(enc.encode("tsping01"));
      pingWaiters.push(streamId);
    } else if (path?.startsWith("/bytes/")) {
      const size = Number(path.slice("/bytes/".length));
      respond(
        streamId,
        [[":status", "200"], ["content-length", String(size)]],
        new Uint8Array(size).fill(0x78),
      );
    } else if (path?.startsWith("/table/")) {
      const repeat = header(request.headers, "x-repeat") ?? "";
      respond(streamId, [[":status", "200"], ["x-repeat", repeat]], new Uint8Array());
    } else if (path === "/informational") {
      conn.sendHeaders(streamId, [[":status", "103"], ["link", "</style.css>; rel=preload"]]);
      respond(streamId, [[":status", "200"]], enc.encode("final"));
    } else if (path === "/big-headers") {
      respond(
        streamId,
        [[":status", "200"], ["x-big", bigValue()]],
        enc.encode(JSON.stringify(request.headers)),
      );
    } else if (path === "/goaway") {
      conn.sendHeaders(streamId, [[":status", "200"]]);
      conn.sendData(streamId, enc.encode("bye"), { endStream: true });
      conn.closeConnection(0, { lastStreamId: streamId });
      server.flush();
    } else {
      const body = enc.encode(JSON.stringify(request.headers));
      respond(streamId, [
        [":status", "200"],
        ["content-type", "application/json"],
        ["content-length", String(body.length)],
      ], body);
    }
  };
  const tunnels = new Set<number>();
  server.onEvent = (event) => {
    if (event instanceof RequestReceived && header(event.headers, ":method") === "CONNECT") {
      // RFC 8441 §5: the tunnel opens with a 2xx response; DATA is echoed until END_STREAM.
      tunnels.add(event.streamId);
      conn.sendHeaders(event.streamId, [[":status", "200"]]);
    } else if (event instanceof DataReceived && tunnels.has(event.streamId)) {
      conn.sendData(event.streamId, event.data.slice());
    } else if (event instanceof StreamEnded && tunnels.has(event.streamId)) {
      conn.endStream(event.streamId);
    } else if (event instanceof RequestReceived) {
      requests.set(event.streamId, {
        headers: event.headers,
        body: [],
        trailers: [],
        maxFrame: 0,
      });
    } else if (event instanceof DataReceived) {
      const request = requests.get(event.streamId);
      if (request) {
        request.body.push(event.data.slice());
        request.maxFrame = Math.max(request.maxFrame, event.flowControlledLength);
      }
    } else if (event instanceof TrailersReceived) {
      const request = requests.get(event.streamId);
      if (request) request.trailers = event.headers;
    } else if (event instanceof StreamEnded) {
      if (requests.has(event.streamId)) route(event.streamId);
    } else if (event instanceof PingAckReceived) {
      for (const streamId of pingWaiters.splice(0)) {
        const body = JSON.stringify({ pingAck: latin1.decode(event.pingData) });
        respond(streamId, [[":status", "200"]], enc.encode(body));
      }
    }
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

async function withPythonClient(
  scenario: string,
  options: {
    clientArgs?: string[];
    settings?: Record<number, number>;
    windowIncrement?: number;
  } = {},
): Promise<Json> {
  await requirePythonH2();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = new PythonChild("h2_client.py", [
    "--port",
    String(listener.addr.port),
    "--scenario",
    scenario,
    "--timeout",
    "50",
    ...(options.clientArgs ?? []),
  ]);
  let server: Endpoint | undefined;
  try {
    const sock = await timeout(listener.accept(), 10_000, "python client to connect");
    server = new Endpoint(
      sock,
      new H2Connection({
        clientSide: false,
        limits: { maxConcurrentStreams: 1000 },
        settings: options.settings ?? {},
      }),
    );
    serveRoutes(server);
    server.start();
    if (options.windowIncrement !== undefined) {
      server.conn.incrementFlowControlWindow(options.windowIncrement);
      await server.flush();
    }
    await client.exit(SCENARIO_TIMEOUT_MS);
    const line = client.stdout.trim().split("\n").at(-1) ?? "";
    let result: Json;
    try {
      result = JSON.parse(line);
    } catch {
      throw new Error(`python client printed no JSON: ${client.stdout}`);
    }
    assert.equal(
      result.error,
      undefined,
      `python client failed: ${result.error}; events ${JSON.stringify(result.events)}; ` +
        `engine error: ${describeError(server.error)}`,
    );
    assert.equal(server.error, undefined, `engine error: ${describeError(server.error)}`);
    return result;
  } catch (error) {
    throw new Error(`${describeError(error)}\n-- python client stderr:\n${client.stderr}`, {
      cause: error,
    });
  } finally {
    await server?.close();
    listener.close();
    await client.dispose();
  }
}

Deno.test({
  name: "python h2 client GETs from H2Connection server and gets the JSON header echo",
  fn: async () => {
    // RFC 9113 §8.2.3: python sends two cookie fields; our inbound normalisation joins them.
    const result = await withPythonClient("get");
    assert.equal(result.streamId, 1);
    assert.deepEqual(result.response.headers.slice(0, 2), [
      [":status", "200"],
      ["content-type", "application/json"],
    ]);
    assert.equal(result.response.ended, true);
    assert.deepEqual(JSON.parse(result.response.body), [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", "/hello?x=1"],
      ["user-agent", "python-h2-interop"],
      ["accept", "*/*"],
      ["cookie", "a=b; c=d"],
    ]);
  },
});

Deno.test({
  name: "python h2 client POSTs 10 MiB to H2Connection server and receives it back intact",
  fn: async () => {
    // RFC 9113 §5.2: our server acknowledges consumed DATA; python chunks to our windows.
    const result = await withPythonClient("post");
    assert.equal(result.reset, null);
    assert.equal(result.receivedLength, TEN_MIB);
    assert.equal(result.receivedSha256, result.sentSha256);
    assert.ok(result.events.includes("WindowUpdated"));
  },
});

Deno.test("python h2 client moves 10 MiB each way in 1 MiB frames with H2Connection", async () => {
  // RFC 9113 §4.2, §6.5.2: both sides advertise MAX_FRAME_SIZE and INITIAL_WINDOW_SIZE of 1 MiB.
  const result = await withPythonClient("post", {
    clientArgs: ["--big-frames"],
    settings: BIG_FRAMES,
    windowIncrement: BIG_CONNECTION_INCREMENT,
  });
  assert.equal(result.receivedSha256, result.sentSha256);
  assert.ok(Number(new Map(result.headers).get("x-max-data-frame")) > 16_384, "we got big frames");
  assert.ok(result.maxDataFrameReceived > 16_384, "python got big frames");
});

Deno.test("python h2 client sends and receives 1 MiB of padded DATA with H2Connection", async () => {
  // RFC 9113 §6.1: padding counts against flow control in both directions.
  const result = await withPythonClient("padded");
  assert.equal(result.reset, null);
  assert.equal(result.receivedLength, 1024 * 1024);
  assert.equal(result.receivedSha256, result.sentSha256);
});

Deno.test({
  name: "python h2 client runs 200 concurrent streams against H2Connection server",
  fn: async () => {
    // RFC 9113 §5.1.2: the server was built with limits.maxConcurrentStreams 1000.
    const result = await withPythonClient("concurrent");
    assert.equal(result.remoteMaxConcurrentStreams, 1000);
    assert.equal(result.maxOpen, 200);
    assert.equal(result.ok, 200);
  },
});

Deno.test({
  name: "python h2 client exchanges trailers with H2Connection server",
  fn: async () => {
    // RFC 9113 §8.1: trailers both ways.
    const result = await withPythonClient("trailers");
    assert.deepEqual(JSON.parse(result.response.body), {
      body: "hello",
      trailers: [["x-checksum", "abc123"], ["x-count", "5"]],
    });
    assert.deepEqual(result.response.trailers, [["x-trailer-one", "1"], ["grpc-status", "0"]]);
  },
});

Deno.test({
  name: "python h2 client receives a stream pushed by H2Connection server",
  fn: async () => {
    // RFC 9113 §8.4: the promised request is a complete, safe request (§8.4.1).
    const result = await withPythonClient("push");
    assert.equal(result.pushed.length, 1);
    const [pushed] = result.pushed;
    assert.equal(pushed.streamId, 2);
    assert.equal(pushed.parent, 1);
    assert.deepEqual(pushed.request, [
      [":method", "GET"],
      [":scheme", "http"],
      [":authority", "127.0.0.1"],
      [":path", "/pushed"],
    ]);
    assert.equal(pushed.response.body, "pushed body");
    assert.equal(result.response.ended, true);
  },
});

Deno.test({
  name: "python h2 client and H2Connection server PING each other",
  fn: async () => {
    // RFC 9113 §6.7: each side ACKs the other's PING with the same 8 octets.
    const result = await withPythonClient("ping");
    assert.deepEqual(result.pingAcks, ["pyclient"]);
    assert.deepEqual(result.pingsReceived, ["tsping01"]);
    assert.deepEqual(JSON.parse(result.response.body), { pingAck: "tsping01" });
  },
});

Deno.test({
  name: "python h2 client sees H2Connection server's GOAWAY with the last stream id",
  fn: async () => {
    // RFC 9113 §6.8.
    const result = await withPythonClient("goaway");
    assert.equal(result.response.body, "bye");
    assert.deepEqual(result.terminated, { errorCode: 0, lastStreamId: 3, additionalData: "" });
  },
});

Deno.test({
  name: "python h2 client's malformed requests cost a stream each, not the H2Connection",
  fn: async () => {
    // RFC 9113 §8.1.1: "Malformed requests or responses that are detected MUST be treated as a
    // stream error (Section 5.4.2) of type PROTOCOL_ERROR." (python h2 itself sends GOAWAY.)
    // python sends, with its validation off: an uppercase name (§8.2), a connection-specific
    // field (§8.2.2) and a body shorter than its content-length (§8.1.1).
    const result = await withPythonClient("malformed");
    assert.deepEqual(result.resets, [1, 1, 1]);
    assert.equal(result.terminated, null);
    assert.equal(result.after.ended, true);
    assert.equal(JSON.parse(result.after.body)[3][1], "/after");
  },
});

Deno.test("python h2 client receives H2Connection server's 103 before the final response", async () => {
  // RFC 9113 §8.1: informational responses precede the final one on the same stream.
  const result = await withPythonClient("informational");
  assert.deepEqual(result.informational, [[[":status", "103"], [
    "link",
    "</style.css>; rel=preload",
  ]]]);
  assert.deepEqual(result.response.headers, [[":status", "200"]]);
  assert.equal(result.response.body, "final");
});

Deno.test("python h2 client exchanges 30 kB header fields with H2Connection server", async () => {
  // RFC 9113 §6.10: HEADERS + CONTINUATION both ways, under MAX_HEADER_LIST_SIZE 65536.
  const result = await withPythonClient("big");
  assert.deepEqual(result, {
    status: "200",
    responseBigOk: true,
    requestBigEchoedOk: true,
    events: result.events,
  });
});

Deno.test("python h2 client cancels a download from H2Connection server and carries on", async () => {
  // RFC 9113 §5.4.2, §6.4: RST_STREAM ends one stream; our server stops sending its body and
  // the connection (and its window) serve the next request in full.
  const result = await withPythonClient("reset");
  assert.ok(result.cancelledAt > 0 && result.cancelledAt < 1_000_000);
  assert.equal(result.secondLength, 300_000);
  assert.equal(result.secondEnded, true);
  assert.equal(result.terminated, null);
});

Deno.test("python h2 client shrinks then grows HEADER_TABLE_SIZE with H2Connection", async () => {
  // RFC 7541 §4.2, §6.3: our encoder signals each change at the start of the next block.
  const result = await withPythonClient("table");
  assert.deepEqual(result.statuses, ["200", "200", "200", "200", "200", "200"]);
  assert.equal(result.terminated, null);
});

Deno.test("python h2 client opens an RFC 8441 tunnel through H2Connection server", async () => {
  // RFC 8441 §3: our server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL=1, so ":protocol" is
  // accepted on CONNECT with :scheme, :path and :authority.
  const result = await withPythonClient("connect", {
    settings: { [SettingCode.ENABLE_CONNECT_PROTOCOL]: 1 },
  });
  assert.deepEqual(result.response, {
    headers: [[":status", "200"]],
    body: "hello tunnel",
    trailers: null,
    ended: true,
    reset: null,
  });
});

// ---------------------------------------------------------------------------
// The tutorial server: our port (as in tests/tutorial_test.ts) against python h2's own.

function pyJsonDumps(headers: readonly HeaderField[]): string {
  const dict = new Map<string, string>();
  for (const [name, value] of headers) dict.set(name, value);
  const str = (s: string) =>
    JSON.stringify(s).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return `{${[...dict].map(([k, v]) => `${str(k)}: ${str(v)}`).join(", ")}}`;
}

function ourTutorialServer(chunks: Iterable<Uint8Array>): Uint8Array {
  const out: Uint8Array[] = [];
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  out.push(conn.dataToSend());
  for (const data of chunks) {
    for (const event of conn.receiveData(data)) {
      if (event instanceof RequestReceived) {
        const responseData = new TextEncoder().encode(pyJsonDumps(event.headers));
        conn.sendHeaders(event.streamId, [
          [":status", "200"],
          ["server", "basic-h2-server/1.0"],
          ["content-length", String(responseData.length)],
          ["content-type", "application/json"],
        ]);
        conn.sendData(event.streamId, responseData, { endStream: true });
      }
    }
    const dataToSend = conn.dataToSend();
    if (dataToSend.length > 0) out.push(dataToSend);
  }
  return bytes(out);
}

async function pythonTutorialServer(input: Uint8Array, chunk: number): Promise<Uint8Array> {
  await requirePythonH2();
  const child = new Deno.Command(PYTHON, {
    args: [`${PY_DIR}tutorial_server.py`, "--chunk", String(chunk)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
    const out = await timeout(child.output(), 20_000, "tutorial_server.py");
    if (!out.success) {
      throw new Error(`tutorial_server.py failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return out.stdout;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    throw error;
  }
}

/** Settings in effect after a SETTINGS frame: absent entries take the §6.5.2 initial values. */
function effectiveSettings(summary: FrameSummary): Record<string, number | string> {
  const values: Record<string, number | string> = {
    HEADER_TABLE_SIZE: 4096,
    ENABLE_PUSH: "0 or absent",
    MAX_CONCURRENT_STREAMS: Infinity,
    INITIAL_WINDOW_SIZE: 65_535,
    MAX_FRAME_SIZE: 16_384,
    MAX_HEADER_LIST_SIZE: Infinity,
    ENABLE_CONNECT_PROTOCOL: 0,
  };
  for (const [name, value] of summary.settings as [string, number][]) {
    values[name] = name === "ENABLE_PUSH" && value === 0 ? "0 or absent" : value;
  }
  return values;
}

/** Frame shapes to compare: HEADERS lengths depend on HPACK choices, so compare decoded fields. */
function shape(output: Uint8Array): { frames: FrameSummary[]; lengths: string[] } {
  const wire = parseFrames(output);
  const summaries = describeFrames(wire, new BlockDecoder());
  const lengths = wire.map((f, i) => {
    const type = summaries[i]!.type;
    // HPACK choices differ (h2 indexes content-length, our encoder does not), so HEADERS
    // blocks are compared decoded, not by length.
    return f.type === 0x1 ? type : `${type}:${f.payload.length}`;
  });
  const framesOut = summaries.map((s, i): FrameSummary => {
    if (s.type === "SETTINGS" && (s.flags as string[]).length === 0) {
      return { ...s, settings: effectiveSettings(s) };
    }
    if (s.type === "DATA") return { ...s, data: latin1.decode(wire[i]!.payload) };
    return s;
  });
  return { frames: framesOut, lengths };
}

Deno.test({
  name: "The tutorial server on H2Connection sends the same frames as on python h2",
  fn: async (t) => {
    // RFC 9113 §3.4, §6.5, §8.8: same input, same frames (type, flags, stream, DATA lengths),
    // same decoded header fields and bodies, same effective SETTINGS.
    const large = hpack.encode(requestFields("GET", "/large", [["x-pad", "p".repeat(20_000)]]));
    const input = bytes(
      frames.preface(),
      frames.settings().initialWindowSize(1_048_576).maxFrameSize(32_768),
      frames.settingsAck(),
      frames.headers(1).block(
        hpack.indexed(2),
        hpack.indexed(6),
        hpack.literalIndexed(":authority", "localhost:8080"),
        hpack.indexed(4),
        hpack.literal("user-agent", "hand-made/1.0"),
        hpack.literal("accept", "*/*"),
      ).endStream(),
      frames.ping("abcdefgh"),
      frames.headers(3).block(
        hpack.indexed(3),
        hpack.indexed(6),
        hpack.indexed(62),
        hpack.literal(":path", "/form?a=1"),
        hpack.literal("x-dup", "one"),
        hpack.literal("x-dup", "two"),
        hpack.literal("cookie", "only=one"),
      ).endStream(),
      // A 20 kB block in HEADERS + CONTINUATION (§6.10); the answer needs the client's
      // MAX_FRAME_SIZE of 32768 to fit in one DATA frame.
      frames.headers(5).block(large.subarray(0, 10_000)).noEndHeaders().endStream(),
      frames.continuation(5, large.subarray(10_000)).endHeaders(),
    );
    for (const chunk of [65_535, 7]) {
      await t.step(`client bytes delivered in ${chunk}-byte chunks`, async () => {
        const ours = shape(ourTutorialServer(
          Array.from(
            { length: Math.ceil(input.length / chunk) },
            (_, i) => input.subarray(i * chunk, (i + 1) * chunk),
          ),
        ));
        const theirs = shape(await pythonTutorialServer(input, chunk));
        assert.deepEqual(ours.frames, theirs.frames);
        assert.deepEqual(ours.lengths, theirs.lengths);
      });
    }
  },
});
