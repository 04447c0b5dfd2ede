/**
 * SETTINGS bookkeeping (RFC 9113 §6.5): the values in force on each side,
 * the local batches awaiting an ACK, value validation and the h2c
 * `HTTP2-Settings` header codec (RFC 7540 §3.2.1). The connection owns one
 * {@linkcode Settings} for the local side and one for the remote side.
 *
 * @module
 */

import { FrameType, MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, SettingCode } from "./constants.ts";
import { ErrorCode, InvalidSettingsValueError, ProtocolError } from "./errors.ts";
import type { ChangedSetting } from "./events.ts";
import { FrameDecoder } from "./frame/decoder.ts";

/** The setting ids this engine understands. */
const KNOWN_SETTINGS: ReadonlySet<number> = new Set(Object.values(SettingCode));
/** How many unknown setting ids are remembered. */
const MAX_UNKNOWN_SETTINGS = 32;

/** The RFC 9113 §6.5.2 initial values (unlimited settings are absent). */
const RFC_DEFAULTS: ReadonlyMap<number, number> = new Map([
  [SettingCode.HEADER_TABLE_SIZE, 4_096],
  [SettingCode.ENABLE_PUSH, 1],
  [SettingCode.INITIAL_WINDOW_SIZE, 65_535],
  [SettingCode.MAX_FRAME_SIZE, 16_384],
  [SettingCode.ENABLE_CONNECT_PROTOCOL, 0],
  [SettingCode.NO_RFC7540_PRIORITIES, 0],
]);

/**
 * The settings of one side of a connection: the values in force plus, for
 * the local side, the batches sent but not yet acknowledged (RFC 9113 §6.5.3:
 * a value takes effect for the receiver of SETTINGS at once, for the sender
 * when the ACK arrives). Unknown setting ids are kept (the first 32).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Settings } from "./settings.ts";
 * import { SettingCode } from "./constants.ts";
 * const local = new Settings();
 * local.queue([[SettingCode.INITIAL_WINDOW_SIZE, 1_000]]);
 * assert.equal(local.initialWindowSize, 65_535);
 * const changed = local.acknowledge();
 * assert.equal(local.initialWindowSize, 1_000);
 * assert.equal(changed.get(SettingCode.INITIAL_WINDOW_SIZE)?.originalValue, 65_535);
 * ```
 */
export class Settings {
  /** The values in force: {@link RFC_DEFAULTS} itself (shared, never written) until a change. */
  #current = RFC_DEFAULTS as Map<number, number>;
  readonly #pending: Array<Array<readonly [number, number]>> = [];

  /**
   * Starts from the RFC 9113 §6.5.2 initial values.
   *
   * @param initial Values in force from the start (e.g. the limits we enforce before any ACK).
   */
  constructor(initial: Iterable<readonly [number, number]> = []) {
    for (const [code, value] of initial) this.#set(code, value);
  }

  #set(code: number, value: number): void {
    if (this.#current === RFC_DEFAULTS) this.#current = new Map(RFC_DEFAULTS);
    this.#current.set(code, value);
  }

  /**
   * The value in force.
   *
   * @param code A setting id.
   * @returns The value, or undefined when unset and unlimited.
   */
  get(code: number): number | undefined {
    return this.#current.get(code);
  }

  /**
   * The newest value sent for a setting: the last pending one, else the value in force.
   *
   * @param code A setting id.
   * @returns The value, or undefined when unset.
   */
  latest(code: number): number | undefined {
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const batch = this.#pending[i]!;
      for (let j = batch.length - 1; j >= 0; j--) {
        if (batch[j]![0] === code) return batch[j]![1];
      }
    }
    return this.#current.get(code);
  }

  /** SETTINGS_HEADER_TABLE_SIZE in force. */
  get headerTableSize(): number {
    return this.#current.get(SettingCode.HEADER_TABLE_SIZE)!;
  }
  /** SETTINGS_ENABLE_PUSH in force. */
  get enablePush(): number {
    return this.#current.get(SettingCode.ENABLE_PUSH)!;
  }
  /** SETTINGS_MAX_CONCURRENT_STREAMS in force (`Infinity` when unset). */
  get maxConcurrentStreams(): number {
    return this.#current.get(SettingCode.MAX_CONCURRENT_STREAMS) ?? Infinity;
  }
  /** SETTINGS_INITIAL_WINDOW_SIZE in force. */
  get initialWindowSize(): number {
    return this.#current.get(SettingCode.INITIAL_WINDOW_SIZE)!;
  }
  /** SETTINGS_MAX_FRAME_SIZE in force. */
  get maxFrameSize(): number {
    return this.#current.get(SettingCode.MAX_FRAME_SIZE)!;
  }
  /** SETTINGS_MAX_HEADER_LIST_SIZE in force (`Infinity` when unset). */
  get maxHeaderListSize(): number {
    return this.#current.get(SettingCode.MAX_HEADER_LIST_SIZE) ?? Infinity;
  }
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL in force (RFC 8441). */
  get enableConnectProtocol(): number {
    return this.#current.get(SettingCode.ENABLE_CONNECT_PROTOCOL)!;
  }
  /** SETTINGS_NO_RFC7540_PRIORITIES in force (RFC 9218). */
  get noRfc7540Priorities(): number {
    return this.#current.get(SettingCode.NO_RFC7540_PRIORITIES)!;
  }
  /** Number of local SETTINGS frames sent and not yet acknowledged. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * The settings in force.
   *
   * @returns The `[id, value]` pairs.
   */
  entries(): IterableIterator<[number, number]> {
    return this.#current.entries();
  }

  /**
   * Iterates the settings in force.
   *
   * @returns The `[id, value]` pairs.
   */
  [Symbol.iterator](): IterableIterator<[number, number]> {
    return this.#current.entries();
  }

  /**
   * Applies received values at once (the remote side, §6.5.3).
   *
   * @param entries Settings in wire order (a later duplicate wins).
   * @returns What changed, keyed by setting id.
   */
  apply(entries: ReadonlyArray<readonly [number, number]>): Map<number, ChangedSetting> {
    const changed = new Map<number, ChangedSetting>();
    for (const [setting, newValue] of entries) {
      const prior = changed.get(setting);
      const originalValue = prior === undefined ? this.#current.get(setting) : prior.originalValue;
      // Unknown ids are reported and kept, but only up to a bound: a peer cycling through
      // 65,536 ids must not grow this map (RFC 9113 §6.5.2: unknown settings are ignored).
      if (
        KNOWN_SETTINGS.has(setting) || this.#current.has(setting) ||
        this.#current.size < KNOWN_SETTINGS.size + MAX_UNKNOWN_SETTINGS
      ) {
        this.#set(setting, newValue);
      }
      changed.set(setting, { setting, originalValue, newValue });
    }
    return changed;
  }

  /**
   * Records a batch we sent; it takes effect on {@linkcode Settings.acknowledge}.
   *
   * @param entries The settings sent.
   */
  queue(entries: ReadonlyArray<readonly [number, number]>): void {
    this.#pending.push(entries.slice());
  }

  /**
   * Applies the oldest pending batch (a SETTINGS ACK arrived).
   *
   * @returns What changed; empty for an unsolicited ACK (as python h2).
   */
  acknowledge(): Map<number, ChangedSetting> {
    const batch = this.#pending.shift();
    return batch === undefined ? new Map() : this.apply(batch);
  }
}

/**
 * Checks a setting value we are about to send (python h2's `_validate_setting`).
 *
 * @param code The setting id.
 * @param value The value.
 * @throws {RangeError} If the value is not an integer in 0..2^32-1.
 * @throws {InvalidSettingsValueError} If RFC 9113 §6.5.2 (or RFC 8441/9218) forbids the value;
 *   `errorCode` is the code a receiver would use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateSetting } from "./settings.ts";
 * import { InvalidSettingsValueError } from "./errors.ts";
 * assert.throws(() => validateSetting(2, 2), InvalidSettingsValueError);
 * validateSetting(4, 1_000);
 * ```
 */
export function validateSetting(code: number, value: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new RangeError(`Setting id "${code}" is not an integer in 0..65535`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`Setting "${code}" value "${value}" is not an integer in 0..2^32-1`);
  }
  const rule = SETTING_RULES.get(code);
  if (rule === undefined) return;
  const [isValid, errorCode, detail] = rule;
  if (!isValid(value)) {
    throw new InvalidSettingsValueError(`Invalid value "${value}" for setting "${code}"`, {
      errorCode,
      detail,
    });
  }
}

const isBoolean = (value: number) => value <= 1;

/** RFC 9113 §6.5.2 (and RFC 8441 §3, RFC 9218 §2.1) value rules: `[isValid, errorCode, detail]`. */
type SettingRule = readonly [
  isValid: (value: number) => boolean,
  errorCode: number,
  detail: string,
];
const SETTING_RULES: ReadonlyMap<number, SettingRule> = new Map<number, SettingRule>([
  [SettingCode.ENABLE_PUSH, [isBoolean, ErrorCode.PROTOCOL_ERROR, "invalid_setting_boolean"]],
  [
    SettingCode.ENABLE_CONNECT_PROTOCOL,
    [isBoolean, ErrorCode.PROTOCOL_ERROR, "invalid_setting_boolean"],
  ],
  [
    SettingCode.NO_RFC7540_PRIORITIES,
    [isBoolean, ErrorCode.PROTOCOL_ERROR, "invalid_setting_boolean"],
  ],
  // "Values above the maximum flow-control window size of 2^31-1 MUST be treated as a
  // connection error of type FLOW_CONTROL_ERROR."
  [
    SettingCode.INITIAL_WINDOW_SIZE,
    [(v) => v <= MAX_WINDOW_SIZE, ErrorCode.FLOW_CONTROL_ERROR, "invalid_initial_window"],
  ],
  // "between this initial value and the maximum allowed frame size (2^24-1 octets), inclusive"
  [
    SettingCode.MAX_FRAME_SIZE,
    [
      (v) => v >= 16_384 && v <= MAX_MAX_FRAME_SIZE,
      ErrorCode.PROTOCOL_ERROR,
      "invalid_max_frame_size",
    ],
  ],
]);

/**
 * Encodes settings as a SETTINGS payload in base64url without padding: the
 * value of the h2c `HTTP2-Settings` request header (RFC 7540 §3.2.1).
 *
 * @param entries The settings.
 * @returns The header value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSettingsHeader, encodeSettingsHeader } from "./settings.ts";
 * const value = encodeSettingsHeader([[3, 100], [4, 65_535]]);
 * assert.equal(value, "AAMAAABkAAQAAP__");
 * assert.deepEqual(decodeSettingsHeader(value), [[3, 100], [4, 65_535]]);
 * ```
 */
export function encodeSettingsHeader(entries: ReadonlyArray<readonly [number, number]>): string {
  const bytes = new Uint8Array(entries.length * 6);
  const view = new DataView(bytes.buffer);
  entries.forEach(([code, value], i) => {
    view.setUint16(i * 6, code);
    view.setUint32(i * 6 + 2, value);
  });
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes an h2c `HTTP2-Settings` header value (base64url, padding optional)
 * and checks it like a received SETTINGS frame.
 *
 * @param value The header value.
 * @returns The settings in wire order.
 * @throws {ProtocolError} If the value is not base64url (`detail: "invalid_http2_settings"`).
 * @throws {H2Error} The SETTINGS frame errors (a length not a multiple of 6, bad values).
 */
export function decodeSettingsHeader(value: string): Array<[number, number]> {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(trimmed)) {
    throw new ProtocolError("HTTP2-Settings header is not base64url", {
      detail: "invalid_http2_settings",
    });
  }
  let b64 = trimmed.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/");
  while (b64.length % 4 !== 0) b64 += "=";
  let binary: string;
  try {
    binary = atob(b64);
  } catch (cause) {
    throw new ProtocolError("HTTP2-Settings header is not base64url", {
      detail: "invalid_http2_settings",
      cause,
    });
  }
  // Reuse the frame decoder's SETTINGS checks: wrap the payload in a frame header.
  const frame = new Uint8Array(9 + binary.length);
  frame[0] = (binary.length >>> 16) & 0xff;
  frame[1] = (binary.length >>> 8) & 0xff;
  frame[2] = binary.length & 0xff;
  frame[3] = FrameType.SETTINGS;
  for (let i = 0; i < binary.length; i++) frame[9 + i] = binary.charCodeAt(i);
  const decoder = new FrameDecoder({ maxFrameSize: MAX_MAX_FRAME_SIZE });
  decoder.push(frame);
  const decoded = decoder.next();
  if (decoded === undefined || decoded.type !== FrameType.SETTINGS) {
    throw new ProtocolError("HTTP2-Settings header is not a SETTINGS payload", {
      detail: "invalid_http2_settings",
    });
  }
  return decoded.settings.map(([code, v]) => [code, v]);
}
