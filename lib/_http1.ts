/**
 * What `server.ts` does with a new connection's first bytes before HTTP/2
 * starts: tell the client preface (RFC 9113 §3.4) from an HTTP/1.x request
 * head, parse that head, check an h2c upgrade request (RFC 7540 §3.2) and
 * turn it into the HTTP/2 fields of stream 1, or build the short HTTP/1.1
 * response that refuses it. Pure: the reads come through a reader the caller
 * passes, and the caller writes the bytes built here.
 *
 * @module
 */

import type { HeaderField } from "./events.ts";
import { SERVER_NAME } from "./tutorial.ts";

const encoder = new TextEncoder();

/** What {@link sniff} found at the start of a connection. */
export type Sniffed =
  | { kind: "h2"; data: Uint8Array }
  | { kind: "http1"; head: Http1Head; rest: Uint8Array }
  | { kind: "bad" }
  | { kind: "eof" };

/** A parsed HTTP/1.1 request head. */
export interface Http1Head {
  method: string;
  target: string;
  version: string;
  fields: [string, string][];
}

const PREFACE = encoder.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const MAX_HTTP1_HEAD = 16_384;

/** Reads until the bytes are either the HTTP/2 preface or a complete HTTP/1.x head. */
export async function sniff(
  reader: { read(): Promise<ReadableStreamReadResult<Uint8Array>> },
): Promise<Sniffed> {
  let data: Uint8Array = new Uint8Array(0);
  while (true) {
    const { value, done } = await reader.read();
    if (done) return { kind: "eof" };
    data = concat(data, value);
    const compared = Math.min(data.length, PREFACE.length);
    let isPreface = true;
    for (let i = 0; i < compared; i++) {
      if (data[i] !== PREFACE[i]) {
        isPreface = false;
        break;
      }
    }
    if (isPreface) {
      if (data.length >= PREFACE.length) return { kind: "h2", data };
      continue;
    }
    const end = indexOfHeadEnd(data);
    if (end < 0) {
      if (data.length > MAX_HTTP1_HEAD) return { kind: "bad" };
      continue;
    }
    const head = parseHttp1Head(new TextDecoder("latin1").decode(data.subarray(0, end)));
    return head === undefined
      ? { kind: "bad" }
      : { kind: "http1", head, rest: data.subarray(end + 4) };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfHeadEnd(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 13 && data[i + 3] === 10) return i;
  }
  return -1;
}

function parseHttp1Head(text: string): Http1Head | undefined {
  const lines = text.split("\r\n");
  const request = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? "");
  if (request === null) return undefined;
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { method: request[1]!, target: request[2]!, version: request[3]!, fields };
}

/** Fields of an HTTP/1.1 request that do not carry over to HTTP/2 (RFC 9113 §8.2.2). */
const HOP_BY_HOP = new Set([
  "connection",
  "upgrade",
  "http2-settings",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "host",
]);

/**
 * RFC 7540 §3.2: the request asks for h2c, carries exactly one HTTP2-Settings
 * (§3.2.1) named in Connection, and has no body (we do not read HTTP/1.1
 * bodies, so such a request is answered in HTTP/1.1 instead).
 */
export function upgradeSettings(head: Http1Head): string | undefined {
  const values = (name: string) => head.fields.filter(([n]) => n === name).map(([, v]) => v);
  const tokens = (name: string) =>
    values(name).flatMap((v) => v.split(",")).map((t) => t.trim().toLowerCase());
  const settings = values("http2-settings");
  const hasBody = values("transfer-encoding").length > 0 ||
    values("content-length").some((v) => v !== "0");
  if (
    head.version !== "HTTP/1.1" || settings.length !== 1 || hasBody ||
    !tokens("upgrade").includes("h2c") || !tokens("connection").includes("http2-settings") ||
    !isSettingsPayload(settings[0]!)
  ) return undefined;
  return settings[0];
}

/**
 * RFC 7540 §3.2.1: HTTP2-Settings is a base64url SETTINGS payload, so whole
 * 6-octet entries. Checked before the 101 goes out: after it, a bad header
 * could only end the connection.
 */
function isSettingsPayload(value: string): boolean {
  const digits = value.replace(/=+$/, "");
  return /^[A-Za-z0-9_-]*$/.test(digits) && digits.length % 4 !== 1 &&
    Math.floor(digits.length * 3 / 4) % 6 === 0;
}

/** The upgraded request as HTTP/2 fields for stream 1 (RFC 7540 §3.2). */
export function upgradedRequestFields(head: Http1Head): HeaderField[] {
  const host = head.fields.find(([name]) => name === "host")?.[1] ?? "";
  const fields: HeaderField[] = [
    [":method", head.method],
    [":scheme", "http"],
    [":authority", host],
    [":path", head.target],
  ];
  for (const field of head.fields) if (!HOP_BY_HOP.has(field[0])) fields.push(field);
  return fields;
}

/** Body of the `505` that tells a plain HTTP/1.x client this server needs HTTP/2. */
export const HTTP2_REQUIRED_BODY = encoder.encode(
  "This server speaks HTTP/2 only: use prior knowledge (h2c), Upgrade: h2c, or TLS with ALPN h2.\n",
);

/**
 * A complete HTTP/1.1 response: status line, `server`, plain-text type and
 * length, the `extra` field lines, then `body`.
 */
export function http1Response(status: string, body: Uint8Array, extra = ""): Uint8Array {
  return concat(
    encoder.encode(
      `HTTP/1.1 ${status}\r\nserver: ${SERVER_NAME}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${body.length}\r\n${extra}\r\n`,
    ),
    body,
  );
}
