/**
 * SETTINGS frames, RFC 9113 §6.5: parse with the frame-local checks (stream
 * 0 only, ACK without payload, length a multiple of 6) and the value ranges of
 * §6.5.2 (plus RFC 8441 §3 and RFC 9218 §2.1), and write. Entries are kept in
 * wire order with duplicates and unknown ids: applying them is the
 * connection's job (§6.5.3: "processed in the order in which they appear").
 *
 * @module
 */

import { FrameFlag, FrameType, SettingCode } from "../constants.ts";
import {
  ErrorCode,
  FrameDataMissingError,
  InvalidSettingsValueError,
  ProtocolError,
} from "../errors.ts";
import { type ByteSink, readUint32, writeUint16, writeUint32 } from "./_bytes.ts";
import { assertPayloadLength, assertUint32, writeFrameHeader } from "./header.ts";
import type { SettingsFrame } from "./types.ts";

/** One row of the value-range table: which values are valid, and what an invalid one costs. */
interface SettingRule {
  readonly name: string;
  readonly isValid: (value: number) => boolean;
  readonly errorCode: number;
}

const isBoolean = (value: number): boolean => value === 0 || value === 1;

/** RFC 9113 §6.5.2 value ranges, keyed by setting id; ids not listed accept any value. */
const SETTING_RULES: ReadonlyMap<number, SettingRule> = new Map([
  // "Any value other than 0 or 1 MUST be treated as a connection error
  // (Section 5.4.1) of type PROTOCOL_ERROR."
  [SettingCode.ENABLE_PUSH, {
    name: "enable_push",
    isValid: isBoolean,
    errorCode: ErrorCode.PROTOCOL_ERROR,
  }],
  // "Values above the maximum flow-control window size of 2^31-1 MUST be
  // treated as a connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR."
  [SettingCode.INITIAL_WINDOW_SIZE, {
    name: "initial_window_size",
    isValid: (value: number) => value <= 2 ** 31 - 1,
    errorCode: ErrorCode.FLOW_CONTROL_ERROR,
  }],
  // "Values outside this range MUST be treated as a connection error
  // (Section 5.4.1) of type PROTOCOL_ERROR." (2^14 … 2^24-1)
  [SettingCode.MAX_FRAME_SIZE, {
    name: "max_frame_size",
    isValid: (value: number) => value >= 2 ** 14 && value <= 2 ** 24 - 1,
    errorCode: ErrorCode.PROTOCOL_ERROR,
  }],
  // RFC 8441 §3: the value is 0 or 1; anything else is treated like a bad
  // ENABLE_PUSH (PROTOCOL_ERROR).
  [SettingCode.ENABLE_CONNECT_PROTOCOL, {
    name: "enable_connect_protocol",
    isValid: isBoolean,
    errorCode: ErrorCode.PROTOCOL_ERROR,
  }],
  // RFC 9218 §2.1: a value other than 0 or 1 is a connection error of type
  // PROTOCOL_ERROR.
  [SettingCode.NO_RFC7540_PRIORITIES, {
    name: "no_rfc7540_priorities",
    isValid: isBoolean,
    errorCode: ErrorCode.PROTOCOL_ERROR,
  }],
]);

/**
 * Parses a SETTINGS payload.
 *
 * @throws {ProtocolError} When not on stream 0.
 * @throws {FrameDataMissingError} On ACK with payload or a length not a multiple of 6.
 * @throws {InvalidSettingsValueError} On a value outside its range (code per setting).
 */
export function parseSettings(flags: number, streamId: number, payload: Uint8Array): SettingsFrame {
  // RFC 9113 §6.5: "If an endpoint receives a SETTINGS frame whose Stream
  // Identifier field is anything other than 0x00, the endpoint MUST respond
  // with a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId !== 0) {
    throw new ProtocolError(`SETTINGS frame on stream "${streamId}"`, {
      detail: "settings_not_on_stream_0",
    });
  }
  const ack = (flags & FrameFlag.ACK) !== 0;
  // RFC 9113 §6.5: "Receipt of a SETTINGS frame with the ACK flag set and a
  // length field value other than 0 MUST be treated as a connection error
  // (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (ack && payload.length !== 0) {
    throw new FrameDataMissingError(`SETTINGS ACK with "${payload.length}" octets of payload`, {
      detail: "settings_ack_with_payload",
    });
  }
  // RFC 9113 §6.5: "A SETTINGS frame with a length other than a multiple of 6
  // octets MUST be treated as a connection error (Section 5.4.1) of type
  // FRAME_SIZE_ERROR."
  if (payload.length % 6 !== 0) {
    throw new FrameDataMissingError(
      `SETTINGS frame of "${payload.length}" octets is not a multiple of 6`,
      { detail: "settings_bad_length" },
    );
  }
  const settings: Array<readonly [number, number]> = [];
  for (let at = 0; at < payload.length; at += 6) {
    const id = (payload[at]! << 8) | payload[at + 1]!;
    const value = readUint32(payload, at + 2);
    const rule = SETTING_RULES.get(id);
    if (rule !== undefined && !rule.isValid(value)) {
      throw new InvalidSettingsValueError(
        `SETTINGS value "${value}" is invalid for setting "${id}"`,
        { errorCode: rule.errorCode, detail: `settings_${rule.name}_invalid` },
      );
    }
    settings.push([id, value]);
  }
  return { type: FrameType.SETTINGS, streamId: 0, ack, settings };
}

/**
 * Writes a SETTINGS frame (or, with `ack`, an empty SETTINGS ACK).
 * Values are not range-checked beyond 32 bits: what to announce is the
 * connection's decision.
 *
 * @throws {RangeError} On an id outside 0..0xffff, a value outside 32 bits, or entries with ACK.
 */
export function writeSettings(
  sink: ByteSink,
  entries: ReadonlyArray<readonly [number, number]>,
  ack: boolean,
): void {
  if (ack && entries.length > 0) {
    throw new RangeError("Cannot send SETTINGS ACK with entries");
  }
  for (const [id, value] of entries) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
      throw new RangeError(`Invalid setting id "${id}": must be an integer in 0..65535`);
    }
    assertUint32(value, "setting value");
  }
  const length = entries.length * 6;
  assertPayloadLength(length, "SETTINGS");
  let at = sink.reserve(9 + length);
  const out = sink.bytes;
  writeFrameHeader(out, at, length, FrameType.SETTINGS, ack ? FrameFlag.ACK : 0, 0);
  at += 9;
  for (const [id, value] of entries) {
    writeUint16(out, at, id);
    writeUint32(out, at + 2, value);
    at += 6;
  }
}
