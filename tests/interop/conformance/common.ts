/**
 * What every case table shares: the case shape and h2spec's stock header
 * lists (`spec.CommonHeaders`, `spec.DummyHeaders`).
 *
 * @module
 */

import type { RawConn } from "./client.ts";
import { type Field } from "./wire.ts";

/** Where the server under test listens. */
export interface Env {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** `127.0.0.1:PORT` (or `localhost:PORT` over TLS), the `:authority` h2spec sends. */
  readonly authority: string;
  /** `http` (h2c with prior knowledge) or `https` (TLS, ALPN `h2`), h2spec's `-t`. */
  readonly scheme: "http" | "https";
  /** PEM CA certificate to trust when `scheme` is `https`. */
  readonly caCert?: string;
}

/** One h2spec test case. */
export interface Case {
  /** h2spec's id, e.g. `http2/6.9.1/2` or `generic/3.1/1`. */
  readonly id: string;
  /** h2spec's description. */
  readonly desc: string;
  /** The RFC requirement checked, with its section (RFC 9113 numbering where it moved). */
  readonly rfc: string;
  /** h2spec marks it `Strict` (run only with `-S`): a SHOULD, not a MUST. */
  readonly strict?: boolean;
  /** Runs on a fresh connection; throws `CaseFailure` on a wrong reaction. */
  run(c: RawConn, env: Env): Promise<void>;
}

/**
 * h2spec's `CommonHeaders` (a server on a non-default port).
 *
 * @param env The server under test.
 * @param method `:method`.
 * @returns `:method`, `:scheme`, `:path` (`/`), `:authority`.
 */
export function commonHeaders(env: Env, method = "GET"): Field[] {
  return [[":method", method], [":scheme", env.scheme], [":path", "/"], [
    ":authority",
    env.authority,
  ]];
}

/** h2spec's default `--max-header-length` (the value length of dummy fields). */
export const MAX_HEADER_LEN = 4_000;

/**
 * h2spec's `DummyHeaders(c, n)`.
 *
 * @param n How many fields.
 * @returns `x-dummyI: xxxx…`, each value 4000 octets.
 */
export function dummyHeaders(n: number): Field[] {
  return Array.from({ length: n }, (_, i) => [`x-dummy${i}`, "x".repeat(MAX_HEADER_LEN)] as Field);
}

/** 8 zero octets, h2spec's `[8]byte{}`. */
export const ZERO8: Uint8Array = new Uint8Array(8);

/** `h2spec` padded to 8 octets, h2spec's PING payload. */
export const H2SPEC8: Uint8Array = Uint8Array.of(0x68, 0x32, 0x73, 0x70, 0x65, 0x63, 0, 0);
