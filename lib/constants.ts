/**
 * Protocol constants shared by every layer: the connection preface, frame
 * types and flag bits, setting identifiers and the RFC's default and maximum
 * values. Nothing here depends on any other module.
 *
 * @module
 */

/**
 * The client connection preface, RFC 9113 §3.4:
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (24 octets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONNECTION_PREFACE } from "./constants.ts";
 * assert.equal(CONNECTION_PREFACE.length, 24);
 * ```
 */
export const CONNECTION_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/**
 * Frame type codes, RFC 9113 §6 plus the extension frames we understand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameType } from "./constants.ts";
 * assert.equal(FrameType.WINDOW_UPDATE, 0x8);
 * ```
 */
export const FrameType = {
  /** RFC 9113 §6.1 */
  DATA: 0x0,
  /** RFC 9113 §6.2 */
  HEADERS: 0x1,
  /** RFC 9113 §6.3 */
  PRIORITY: 0x2,
  /** RFC 9113 §6.4 */
  RST_STREAM: 0x3,
  /** RFC 9113 §6.5 */
  SETTINGS: 0x4,
  /** RFC 9113 §6.6 */
  PUSH_PROMISE: 0x5,
  /** RFC 9113 §6.7 */
  PING: 0x6,
  /** RFC 9113 §6.8 */
  GOAWAY: 0x7,
  /** RFC 9113 §6.9 */
  WINDOW_UPDATE: 0x8,
  /** RFC 9113 §6.10 */
  CONTINUATION: 0x9,
  /** RFC 7838 §4 */
  ALTSVC: 0xa,
  /** RFC 8336 §2 */
  ORIGIN: 0xc,
  /** RFC 9218 §7.1 */
  PRIORITY_UPDATE: 0x10,
} as const;
/** A known frame type code. */
export type FrameTypeCode = typeof FrameType[keyof typeof FrameType];

/**
 * Frame flag bits, RFC 9113 §6. Several share a bit and differ by frame type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameFlag } from "./constants.ts";
 * assert.equal(FrameFlag.END_HEADERS, 0x4);
 * ```
 */
export const FrameFlag = {
  /** DATA, HEADERS: RFC 9113 §6.1, §6.2 */
  END_STREAM: 0x1,
  /** SETTINGS, PING: RFC 9113 §6.5, §6.7 */
  ACK: 0x1,
  /** HEADERS, PUSH_PROMISE, CONTINUATION: RFC 9113 §6.2 */
  END_HEADERS: 0x4,
  /** DATA, HEADERS, PUSH_PROMISE: RFC 9113 §6.1 */
  PADDED: 0x8,
  /** HEADERS: RFC 9113 §6.2 */
  PRIORITY: 0x20,
} as const;

/**
 * SETTINGS parameter identifiers, RFC 9113 §6.5.2 plus RFC 8441 and RFC 9218.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SettingCode } from "./constants.ts";
 * assert.equal(SettingCode.INITIAL_WINDOW_SIZE, 4);
 * ```
 */
export const SettingCode = {
  /** RFC 9113 §6.5.2 */
  HEADER_TABLE_SIZE: 0x1,
  /** RFC 9113 §6.5.2 */
  ENABLE_PUSH: 0x2,
  /** RFC 9113 §6.5.2 */
  MAX_CONCURRENT_STREAMS: 0x3,
  /** RFC 9113 §6.5.2 */
  INITIAL_WINDOW_SIZE: 0x4,
  /** RFC 9113 §6.5.2 */
  MAX_FRAME_SIZE: 0x5,
  /** RFC 9113 §6.5.2 */
  MAX_HEADER_LIST_SIZE: 0x6,
  /** RFC 8441 §3 */
  ENABLE_CONNECT_PROTOCOL: 0x8,
  /** RFC 9218 §2.1 */
  NO_RFC7540_PRIORITIES: 0x9,
} as const;
/** A known setting identifier. */
export type SettingCodeValue = typeof SettingCode[keyof typeof SettingCode];

/** Length of the fixed frame header, RFC 9113 §4.1. */
export const FRAME_HEADER_LENGTH = 9;
/** Initial SETTINGS_HEADER_TABLE_SIZE, RFC 9113 §6.5.2. */
export const DEFAULT_HEADER_TABLE_SIZE = 4_096;
/** Initial SETTINGS_INITIAL_WINDOW_SIZE and connection window, RFC 9113 §6.9.2. */
export const DEFAULT_INITIAL_WINDOW_SIZE = 65_535;
/** Initial SETTINGS_MAX_FRAME_SIZE, and its lower bound, RFC 9113 §6.5.2. */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** Upper bound of SETTINGS_MAX_FRAME_SIZE, RFC 9113 §6.5.2. */
export const MAX_MAX_FRAME_SIZE = 2 ** 24 - 1;
/** Largest flow-control window, RFC 9113 §6.9.1. */
export const MAX_WINDOW_SIZE = 2 ** 31 - 1;
/** Largest stream identifier, RFC 9113 §5.1.1. */
export const MAX_STREAM_ID = 2 ** 31 - 1;
