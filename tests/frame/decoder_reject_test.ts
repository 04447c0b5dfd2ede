/**
 * The table of every frame-local rejection of RFC 9113 §6 (plus RFC 7838,
 * RFC 8336, RFC 9218): expected error class, code, `detail` token and scope,
 * each checked in one chunk and one octet at a time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FrameType, SettingCode } from "../../lib/constants.ts";
import {
  ErrorCode,
  FrameDataMissingError,
  H2Error,
  InvalidSettingsValueError,
  ProtocolError,
} from "../../lib/errors.ts";
import { FrameDecoder } from "../../lib/frame/decoder.ts";
import { ascii, concat, raw, u16, u32 } from "./_raw.ts";

const T = FrameType;
const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 };
const PING = raw(T.PING, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]);

interface RejectCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly errorCode: number;
  readonly detail: string;
  /** The stream the error is scoped to (§5.4.2), or undefined for a connection error. */
  readonly streamId?: number;
  readonly errorClass: typeof H2Error;
}

const FSE = ErrorCode.FRAME_SIZE_ERROR;
const PE = ErrorCode.PROTOCOL_ERROR;
const setting = (id: number, value: number) => raw(T.SETTINGS, 0, 0, [...u16(id), ...u32(value)]);

const REJECTS: readonly RejectCase[] = [
  // §6.1 DATA
  {
    name: "DATA on stream 0",
    bytes: raw(T.DATA, 0, 0, [1]),
    errorCode: PE,
    detail: "data_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "DATA PADDED without Pad Length",
    bytes: raw(T.DATA, F.PADDED, 1),
    errorCode: FSE,
    detail: "data_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "DATA padding equal to the payload length",
    bytes: raw(T.DATA, F.PADDED, 1, [5, 0, 0, 0, 0]),
    errorCode: PE,
    detail: "data_pad_too_long",
    errorClass: ProtocolError,
  },
  {
    name: "DATA pad length 255 in 10 octets",
    bytes: raw(T.DATA, F.PADDED, 1, [255, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    errorCode: PE,
    detail: "data_pad_too_long",
    errorClass: ProtocolError,
  },
  // §6.2 HEADERS
  {
    name: "HEADERS on stream 0",
    bytes: raw(T.HEADERS, F.END_HEADERS, 0, [0x82]),
    errorCode: PE,
    detail: "headers_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "HEADERS PRIORITY with 4 octets",
    bytes: raw(T.HEADERS, F.PRIORITY, 1, [0, 0, 0, 3]),
    errorCode: FSE,
    detail: "headers_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "HEADERS PADDED with 0 octets",
    bytes: raw(T.HEADERS, F.PADDED, 1),
    errorCode: FSE,
    detail: "headers_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "HEADERS PADDED|PRIORITY with 5 octets",
    bytes: raw(T.HEADERS, F.PADDED | F.PRIORITY, 1, [0, 0, 0, 0, 3]),
    errorCode: FSE,
    detail: "headers_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "HEADERS padding longer than the fragment room",
    bytes: raw(T.HEADERS, F.PADDED | F.PRIORITY, 1, [2, 0, 0, 0, 3, 15, 0]),
    errorCode: PE,
    detail: "headers_pad_too_long",
    errorClass: ProtocolError,
  },
  {
    name: "HEADERS padding equal to the payload length",
    bytes: raw(T.HEADERS, F.PADDED, 1, [3, 0, 0]),
    errorCode: PE,
    detail: "headers_pad_too_long",
    errorClass: ProtocolError,
  },
  // §6.3 PRIORITY
  {
    name: "PRIORITY on stream 0",
    bytes: raw(T.PRIORITY, 0, 0, [0, 0, 0, 1, 15]),
    errorCode: PE,
    detail: "priority_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "PRIORITY of 4 octets",
    bytes: raw(T.PRIORITY, 0, 3, [0, 0, 0, 1]),
    errorCode: FSE,
    detail: "priority_bad_length",
    streamId: 3,
    errorClass: FrameDataMissingError,
  },
  {
    name: "PRIORITY of 6 octets",
    bytes: raw(T.PRIORITY, 0, 3, [0, 0, 0, 1, 15, 0]),
    errorCode: FSE,
    detail: "priority_bad_length",
    streamId: 3,
    errorClass: FrameDataMissingError,
  },
  {
    name: "PRIORITY depending on itself (RFC 7540 §5.3.1)",
    bytes: raw(T.PRIORITY, 0, 3, [0x80, 0, 0, 3, 15]),
    errorCode: PE,
    detail: "priority_self_dependency",
    streamId: 3,
    errorClass: ProtocolError,
  },
  // §6.4 RST_STREAM
  {
    name: "RST_STREAM on stream 0",
    bytes: raw(T.RST_STREAM, 0, 0, u32(0)),
    errorCode: PE,
    detail: "rst_stream_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "RST_STREAM of 3 octets",
    bytes: raw(T.RST_STREAM, 0, 1, [0, 0, 0]),
    errorCode: FSE,
    detail: "rst_stream_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "RST_STREAM of 5 octets",
    bytes: raw(T.RST_STREAM, 0, 1, [0, 0, 0, 0, 0]),
    errorCode: FSE,
    detail: "rst_stream_bad_length",
    errorClass: FrameDataMissingError,
  },
  // §6.5 SETTINGS
  {
    name: "SETTINGS on stream 1",
    bytes: raw(T.SETTINGS, 0, 1),
    errorCode: PE,
    detail: "settings_not_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "SETTINGS ACK with a payload",
    bytes: raw(T.SETTINGS, F.ACK, 0, [...u16(1), ...u32(0)]),
    errorCode: FSE,
    detail: "settings_ack_with_payload",
    errorClass: FrameDataMissingError,
  },
  {
    name: "SETTINGS of 5 octets",
    bytes: raw(T.SETTINGS, 0, 0, [0, 1, 0, 0, 0]),
    errorCode: FSE,
    detail: "settings_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "SETTINGS of 7 octets",
    bytes: raw(T.SETTINGS, 0, 0, [0, 1, 0, 0, 0, 0, 0]),
    errorCode: FSE,
    detail: "settings_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "SETTINGS_ENABLE_PUSH 2",
    bytes: setting(SettingCode.ENABLE_PUSH, 2),
    errorCode: PE,
    detail: "settings_enable_push_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_INITIAL_WINDOW_SIZE 2^31",
    bytes: setting(SettingCode.INITIAL_WINDOW_SIZE, 2 ** 31),
    errorCode: ErrorCode.FLOW_CONTROL_ERROR,
    detail: "settings_initial_window_size_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_INITIAL_WINDOW_SIZE 2^32-1",
    bytes: setting(SettingCode.INITIAL_WINDOW_SIZE, 2 ** 32 - 1),
    errorCode: ErrorCode.FLOW_CONTROL_ERROR,
    detail: "settings_initial_window_size_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_MAX_FRAME_SIZE 2^14-1",
    bytes: setting(SettingCode.MAX_FRAME_SIZE, 2 ** 14 - 1),
    errorCode: PE,
    detail: "settings_max_frame_size_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_MAX_FRAME_SIZE 2^24",
    bytes: setting(SettingCode.MAX_FRAME_SIZE, 2 ** 24),
    errorCode: PE,
    detail: "settings_max_frame_size_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_ENABLE_CONNECT_PROTOCOL 2",
    bytes: setting(SettingCode.ENABLE_CONNECT_PROTOCOL, 2),
    errorCode: PE,
    detail: "settings_enable_connect_protocol_invalid",
    errorClass: InvalidSettingsValueError,
  },
  {
    name: "SETTINGS_NO_RFC7540_PRIORITIES 2",
    bytes: setting(SettingCode.NO_RFC7540_PRIORITIES, 2),
    errorCode: PE,
    detail: "settings_no_rfc7540_priorities_invalid",
    errorClass: InvalidSettingsValueError,
  },
  // §6.6 PUSH_PROMISE
  {
    name: "PUSH_PROMISE on stream 0",
    bytes: raw(T.PUSH_PROMISE, F.END_HEADERS, 0, u32(2)),
    errorCode: PE,
    detail: "push_promise_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "PUSH_PROMISE of 3 octets",
    bytes: raw(T.PUSH_PROMISE, F.END_HEADERS, 1, [0, 0, 2]),
    errorCode: FSE,
    detail: "push_promise_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "PUSH_PROMISE PADDED of 4 octets",
    bytes: raw(T.PUSH_PROMISE, F.PADDED, 1, [0, 0, 0, 2]),
    errorCode: FSE,
    detail: "push_promise_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "PUSH_PROMISE padding past the fragment room",
    bytes: raw(T.PUSH_PROMISE, F.PADDED, 1, [2, ...u32(2), 0]),
    errorCode: PE,
    detail: "push_promise_pad_too_long",
    errorClass: ProtocolError,
  },
  {
    name: "PUSH_PROMISE promising stream 0",
    bytes: raw(T.PUSH_PROMISE, F.END_HEADERS, 1, u32(0)),
    errorCode: PE,
    detail: "push_promise_promised_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "PUSH_PROMISE promising stream 0 with the R bit set",
    bytes: raw(T.PUSH_PROMISE, 0, 1, u32(0x8000_0000)),
    errorCode: PE,
    detail: "push_promise_promised_stream_0",
    errorClass: ProtocolError,
  },
  // §6.7 PING
  {
    name: "PING on stream 1",
    bytes: raw(T.PING, 0, 1, new Uint8Array(8)),
    errorCode: PE,
    detail: "ping_not_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "PING of 7 octets",
    bytes: raw(T.PING, 0, 0, new Uint8Array(7)),
    errorCode: FSE,
    detail: "ping_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "PING ACK of 9 octets",
    bytes: raw(T.PING, F.ACK, 0, new Uint8Array(9)),
    errorCode: FSE,
    detail: "ping_bad_length",
    errorClass: FrameDataMissingError,
  },
  // §6.8 GOAWAY
  {
    name: "GOAWAY on stream 1",
    bytes: raw(T.GOAWAY, 0, 1, new Uint8Array(8)),
    errorCode: PE,
    detail: "goaway_not_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "GOAWAY of 7 octets",
    bytes: raw(T.GOAWAY, 0, 0, new Uint8Array(7)),
    errorCode: FSE,
    detail: "goaway_too_short",
    errorClass: FrameDataMissingError,
  },
  // §6.9 WINDOW_UPDATE
  {
    name: "WINDOW_UPDATE of 3 octets on stream 0",
    bytes: raw(T.WINDOW_UPDATE, 0, 0, [0, 0, 1]),
    errorCode: FSE,
    detail: "window_update_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "WINDOW_UPDATE of 5 octets on stream 1",
    bytes: raw(T.WINDOW_UPDATE, 0, 1, [0, 0, 0, 1, 0]),
    errorCode: FSE,
    detail: "window_update_bad_length",
    errorClass: FrameDataMissingError,
  },
  {
    name: "WINDOW_UPDATE increment 0 on stream 0",
    bytes: raw(T.WINDOW_UPDATE, 0, 0, u32(0)),
    errorCode: PE,
    detail: "window_update_zero_increment",
    errorClass: ProtocolError,
  },
  {
    name: "WINDOW_UPDATE increment 0 on stream 3",
    bytes: raw(T.WINDOW_UPDATE, 0, 3, u32(0)),
    errorCode: PE,
    detail: "window_update_zero_increment",
    streamId: 3,
    errorClass: ProtocolError,
  },
  {
    name: "WINDOW_UPDATE of only the R bit on stream 3",
    bytes: raw(T.WINDOW_UPDATE, 0, 3, u32(0x8000_0000)),
    errorCode: PE,
    detail: "window_update_zero_increment",
    streamId: 3,
    errorClass: ProtocolError,
  },
  // §6.10 CONTINUATION
  {
    name: "CONTINUATION on stream 0",
    bytes: raw(T.CONTINUATION, F.END_HEADERS, 0, [0x82]),
    errorCode: PE,
    detail: "continuation_on_stream_0",
    errorClass: ProtocolError,
  },
  // RFC 9218 §7.1 PRIORITY_UPDATE
  {
    name: "PRIORITY_UPDATE on stream 1",
    bytes: raw(T.PRIORITY_UPDATE, 0, 1, [...u32(1), ...ascii("u=1")]),
    errorCode: PE,
    detail: "priority_update_not_on_stream_0",
    errorClass: ProtocolError,
  },
  {
    name: "PRIORITY_UPDATE of 3 octets",
    bytes: raw(T.PRIORITY_UPDATE, 0, 0, [0, 0, 1]),
    errorCode: FSE,
    detail: "priority_update_too_short",
    errorClass: FrameDataMissingError,
  },
  {
    name: "PRIORITY_UPDATE naming stream 0",
    bytes: raw(T.PRIORITY_UPDATE, 0, 0, [...u32(0x8000_0000), ...ascii("u=1")]),
    errorCode: PE,
    detail: "priority_update_stream_0",
    errorClass: ProtocolError,
  },
];

Deno.test("FrameDecoder rejects every frame-local violation with the right code and scope", async (t) => {
  // RFC 9113 §6 (each frame's MUSTs), §5.4.1 connection vs §5.4.2 stream errors.
  for (const c of REJECTS) {
    await t.step(
      `${c.name} → ${c.streamId === undefined ? "connection" : "stream"} error`,
      () => {
        for (const chunkSize of [c.bytes.length + PING.length, 1]) {
          const decoder = new FrameDecoder();
          const input = concat(c.bytes, PING);
          let error: unknown;
          let at = 0;
          while (at < input.length && error === undefined) {
            decoder.push(input.subarray(at, at + chunkSize));
            at += chunkSize;
            try {
              assert.equal(decoder.next(), undefined, "no frame before the error");
            } catch (e) {
              error = e;
            }
          }
          assert.ok(error instanceof c.errorClass, `expected ${c.errorClass.name}, got ${error}`);
          assert.ok(error instanceof H2Error);
          assert.equal(error.errorCode, c.errorCode);
          assert.equal(error.detail, c.detail);
          assert.equal(error.streamId, c.streamId);
          if (c.streamId === undefined) {
            // Connection error: the decoder is done.
            decoder.push(PING);
            assert.throws(() => decoder.next(), (e) => e === error);
          } else {
            // Stream error: the frame was consumed, decoding goes on.
            for (; at < input.length; at += chunkSize) {
              assert.equal(decoder.next(), undefined);
              decoder.push(input.subarray(at, at + chunkSize));
            }
            assert.equal(decoder.next()?.type, T.PING);
            assert.equal(decoder.next(), undefined);
          }
        }
      },
    );
  }
});
