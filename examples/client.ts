/**
 * A command-line HTTP/2 client on `lib/client.ts`, replacing the `hyper`
 * CLI the h2 tutorial used (it no longer exists):
 *
 * ```sh
 * deno run --allow-net examples/client.ts http://localhost:8080/
 * deno run --allow-net examples/client.ts -v -X POST -d 'hello' -H 'x-a: 1' http://127.0.0.1:8080/
 * deno run --allow-net --allow-read examples/client.ts --cacert ca.pem https://localhost:8443/
 * ```
 *
 * `http://` URLs speak h2c with prior knowledge (RFC 9113 §3.3) over
 * `Deno.connect`; `https://` URLs use TLS with ALPN `h2` (`Deno.connectTls`).
 * The body goes to stdout. `-v` prints every frame in both directions to
 * stderr the way `nghttp -v` does, header blocks HPACK-decoded:
 *
 * ```text
 * [  0.003] send HEADERS frame <length=38, flags=0x05, stream_id=1>
 *           ; END_STREAM | END_HEADERS
 *           :method: GET
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect, trailers } from "../lib/client.ts";
import { CONNECTION_PREFACE, FrameType, SettingCode } from "../lib/constants.ts";
import { ErrorCode } from "../lib/errors.ts";
import { FrameDecoder } from "../lib/frame/decoder.ts";
import type { Frame } from "../lib/frame/types.ts";
import { HpackDecoder } from "../lib/hpack/decoder.ts";
import type { H2Transport } from "../lib/web_streams.ts";

const USAGE = `Usage: deno run --allow-net examples/client.ts [options] URL

Sends one HTTP/2 request and writes the response body to stdout.
http:// is h2c with prior knowledge; https:// is TLS with ALPN h2.

Options:
  -X, --request METHOD   request method (default GET, or POST with -d)
  -d, --data DATA        request body; @FILE reads it from FILE (needs --allow-read)
  -H, --header 'N: V'    add a request header (repeatable)
  -i, --include          print the status line and response headers before the body
  -v, --verbose          print the frames sent and received to stderr, like nghttp -v
      --cacert FILE      trust the PEM certificate(s) in FILE for https:// (needs --allow-read)
  -k, --insecure         not supported: Deno.connectTls cannot skip verification; use --cacert
  -h, --help             show this help
`;

const FLAG_NAMES: Record<number, [number, string][]> = {
  [FrameType.DATA]: [[0x1, "END_STREAM"], [0x8, "PADDED"]],
  [FrameType.HEADERS]: [[0x1, "END_STREAM"], [0x4, "END_HEADERS"], [0x8, "PADDED"], [
    0x20,
    "PRIORITY",
  ]],
  [FrameType.SETTINGS]: [[0x1, "ACK"]],
  [FrameType.PING]: [[0x1, "ACK"]],
  [FrameType.PUSH_PROMISE]: [[0x4, "END_HEADERS"], [0x8, "PADDED"]],
  [FrameType.CONTINUATION]: [[0x4, "END_HEADERS"]],
};

const FRAME_NAMES = invert(FrameType);
const SETTING_NAMES = invert(SettingCode);
const ERROR_NAMES = invert(ErrorCode);

function invert(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}

function hex(value: number, width = 2): string {
  return `0x${value.toString(16).padStart(width, "0")}`;
}

function errorName(code: number): string {
  return `${ERROR_NAMES.get(code) ?? "UNKNOWN"}(${hex(code)})`;
}

function bytesHex(data: Uint8Array): string {
  return Array.from(data, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Decodes one direction of a connection's bytes into `nghttp -v` style lines:
 * splits the stream into frames itself (to print the raw length and flags),
 * parses each with `FrameDecoder` and HPACK-decodes header blocks.
 */
class FrameTracer {
  #direction: "send" | "recv";
  #print: (line: string) => void;
  #elapsed: () => number;
  #buffer = new Uint8Array(0);
  #prefaceLeft: number;
  #decoder = new FrameDecoder({ maxFrameSize: 16_777_215 });
  #hpack = new HpackDecoder({ maxHeaderListSize: 16_777_216, maxAllowedTableSize: 65_536 });
  #block: { streamId: number; parts: Uint8Array[] } | undefined;
  #failed = false;

  constructor(
    direction: "send" | "recv",
    print: (line: string) => void,
    elapsed: () => number,
  ) {
    this.#direction = direction;
    this.#print = print;
    this.#elapsed = elapsed;
    // RFC 9113 §3.4: the client connection preface precedes our first frame.
    this.#prefaceLeft = direction === "send" ? CONNECTION_PREFACE.length : 0;
  }

  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    try {
      this.#push(chunk);
    } catch (error) {
      this.#failed = true;
      this.#print(`${this.#stamp()} ${this.#direction} (cannot trace further: ${error})`);
    }
  }

  #push(chunk: Uint8Array): void {
    if (this.#prefaceLeft > 0) {
      const skip = Math.min(this.#prefaceLeft, chunk.length);
      this.#prefaceLeft -= skip;
      chunk = chunk.subarray(skip);
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    let offset = 0;
    while (joined.length - offset >= 9) {
      const length = (joined[offset]! << 16) | (joined[offset + 1]! << 8) | joined[offset + 2]!;
      if (joined.length - offset < 9 + length) break;
      const bytes = joined.subarray(offset, offset + 9 + length);
      offset += 9 + length;
      this.#decoder.push(bytes);
      const frame = this.#decoder.next();
      if (frame !== undefined) this.#frame(frame, length, bytes[4]!);
    }
    this.#buffer = joined.slice(offset);
  }

  #stamp(): string {
    const ms = Math.round(this.#elapsed());
    return `[${String(Math.floor(ms / 1000)).padStart(3)}.${String(ms % 1000).padStart(3, "0")}]`;
  }

  #frame(frame: Frame, length: number, flags: number): void {
    const type = frame.type === "unknown" ? frame.frameType : frame.type;
    const name = FRAME_NAMES.get(type) ?? `UNKNOWN(${hex(type)})`;
    const details: string[] = [];
    const names = (FLAG_NAMES[type] ?? []).filter(([bit]) => flags & bit).map(([, n]) => n);
    if (names.length > 0) details.push(`; ${names.join(" | ")}`);
    let fields: string[] | undefined;
    switch (frame.type) {
      case FrameType.DATA:
        if (frame.padLength !== undefined) details.push(`(padlen=${frame.padLength})`);
        break;
      case FrameType.HEADERS: {
        const priority = frame.priority;
        details.push(
          priority === undefined
            ? `(padlen=${frame.padLength ?? 0})`
            : `(padlen=${frame.padLength ?? 0}, dep_stream_id=${priority.dependsOn}, ` +
              `weight=${priority.weight}, exclusive=${priority.exclusive ? 1 : 0})`,
        );
        fields = this.#fragment(frame.streamId, frame.fragment, frame.endHeaders);
        break;
      }
      case FrameType.PUSH_PROMISE:
        details.push(
          `(padlen=${frame.padLength ?? 0}, promised_stream_id=${frame.promisedStreamId})`,
        );
        fields = this.#fragment(frame.streamId, frame.fragment, frame.endHeaders);
        break;
      case FrameType.CONTINUATION:
        fields = this.#fragment(frame.streamId, frame.fragment, frame.endHeaders);
        break;
      case FrameType.PRIORITY:
        details.push(
          `(dep_stream_id=${frame.priority.dependsOn}, weight=${frame.priority.weight}, ` +
            `exclusive=${frame.priority.exclusive ? 1 : 0})`,
        );
        break;
      case FrameType.RST_STREAM:
        details.push(`(error_code=${errorName(frame.errorCode)})`);
        break;
      case FrameType.SETTINGS:
        details.push(`(niv=${frame.settings.length})`);
        for (const [id, value] of frame.settings) {
          details.push(`[SETTINGS_${SETTING_NAMES.get(id) ?? "UNKNOWN"}(${hex(id)}):${value}]`);
        }
        break;
      case FrameType.PING:
        details.push(`(opaque_data=${bytesHex(frame.data)})`);
        break;
      case FrameType.GOAWAY:
        details.push(
          `(last_stream_id=${frame.lastStreamId}, error_code=${errorName(frame.errorCode)}, ` +
            `opaque_data(${frame.debugData.length})=[${
              new TextDecoder().decode(frame.debugData)
            }])`,
        );
        break;
      case FrameType.WINDOW_UPDATE:
        details.push(`(window_size_increment=${frame.increment})`);
        break;
    }
    const line = `${this.#stamp()} ${this.#direction} ${name} frame ` +
      `<length=${length}, flags=${hex(flags)}, stream_id=${frame.streamId}>`;
    const indent = " ".repeat(10);
    if (this.#direction === "recv" && fields !== undefined) {
      // nghttp prints received fields first, each on its own stamped line.
      for (const field of fields) {
        this.#print(`${this.#stamp()} recv (stream_id=${frame.streamId}) ${field}`);
      }
      fields = undefined;
    }
    this.#print(line);
    for (const detail of details) this.#print(indent + detail);
    for (const field of fields ?? []) this.#print(indent + field);
  }

  /** Collects a header block; decodes it at END_HEADERS (RFC 9113 §4.3). */
  #fragment(streamId: number, fragment: Uint8Array, endHeaders: boolean): string[] | undefined {
    if (this.#block === undefined) this.#block = { streamId, parts: [] };
    this.#block.parts.push(fragment.slice());
    if (!endHeaders) return undefined;
    const parts = this.#block.parts;
    this.#block = undefined;
    const size = parts.reduce((sum, part) => sum + part.length, 0);
    const block = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      block.set(part, offset);
      offset += part.length;
    }
    return this.#hpack.decode(block).map(([name, value]) => `${name}: ${value}`);
  }
}

/**
 * Wraps a transport so that every byte each way is also traced.
 *
 * @param transport The connection.
 * @param print Where lines go.
 * @returns A transport carrying the same bytes.
 */
export function traceTransport(
  transport: H2Transport,
  print: (line: string) => void,
): H2Transport {
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const recv = new FrameTracer("recv", print, elapsed);
  const send = new FrameTracer("send", print, elapsed);
  const readable = transport.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        recv.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  const outbound = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      send.push(chunk);
      controller.enqueue(chunk);
    },
  });
  void outbound.readable.pipeTo(transport.writable).catch(() => {});
  return { readable, writable: outbound.writable };
}

/** Opens the connection: h2c with prior knowledge, or TLS with ALPN h2. */
async function open(url: URL, hostname: string, cacert: string | undefined): Promise<Deno.Conn> {
  if (url.protocol === "http:") {
    return await Deno.connect({ hostname, port: Number(url.port || 80) });
  }
  const caCerts = cacert === undefined ? undefined : [await Deno.readTextFile(cacert)];
  const tls = await Deno.connectTls({
    hostname,
    port: Number(url.port || 443),
    alpnProtocols: ["h2"],
    ...(caCerts === undefined ? {} : { caCerts }),
  });
  const { alpnProtocol } = await tls.handshake();
  if (alpnProtocol !== "h2") {
    tls.close();
    throw new Error(`the server did not negotiate h2 with ALPN (got ${alpnProtocol ?? "none"})`);
  }
  return tls;
}

function fail(message: string, code = 2): never {
  console.error(`client: ${message}`);
  Deno.exit(code);
}

async function main(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        request: { type: "string", short: "X" },
        data: { type: "string", short: "d" },
        header: { type: "string", short: "H", multiple: true },
        include: { type: "boolean", short: "i" },
        verbose: { type: "boolean", short: "v" },
        cacert: { type: "string" },
        insecure: { type: "boolean", short: "k" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`client: ${(error as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.insecure) {
    fail("--insecure is not supported (Deno.connectTls always verifies); pass --cacert FILE");
  }
  if (positionals.length !== 1) fail(`expected one URL\n\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(positionals[0]!);
  } catch {
    fail(`invalid URL "${positionals[0]}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail(`unsupported scheme "${url.protocol}": use http:// or https://`);
  }

  const headers = new Headers();
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0) fail(`invalid header "${header}": expected 'name: value'`);
    headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
  }
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (values.data !== undefined) {
    body = values.data.startsWith("@")
      ? await Deno.readFile(values.data.slice(1))
      : new TextEncoder().encode(values.data);
    // As curl -d does.
    if (!headers.has("content-type")) {
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
  }
  const method = values.request ?? (body === undefined ? "GET" : "POST");

  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const verbose = values.verbose === true;
  let conn: Deno.Conn;
  try {
    conn = await open(url, hostname, values.cacert);
  } catch (error) {
    fail(`cannot connect to ${url.host}: ${(error as Error).message}`, 1);
  }
  const print = (line: string) => console.error(line);
  if (verbose) print(`[  0.000] Connected`);
  const session = connect(verbose ? traceTransport(conn, print) : conn);
  try {
    const response = await session.request(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    if (values.include) {
      const lines = [`HTTP/2 ${response.status}`];
      for (const [name, value] of response.headers) lines.push(`${name}: ${value}`);
      await Deno.stdout.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    }
    if (response.body !== null) {
      await response.body.pipeTo(Deno.stdout.writable, { preventClose: true });
    }
    const fields = await trailers(response);
    if (values.include) {
      for (const [name, value] of fields) {
        await Deno.stdout.write(new TextEncoder().encode(`${name}: ${value}\r\n`));
      }
    }
  } catch (error) {
    console.error(`client: ${error instanceof Error ? error.message : error}`);
    await session.destroy(ErrorCode.CANCEL);
    Deno.exit(1);
  }
  // Graceful close (GOAWAY, PING round trip, final GOAWAY), but never wait on a silent server.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), 5_000));
  if (await Promise.race([session.close(), late]) === "late") await session.destroy();
  clearTimeout(timer);
  try {
    conn.close();
  } catch {
    // Already closed by the session.
  }
}

if (import.meta.main) await main(Deno.args);
