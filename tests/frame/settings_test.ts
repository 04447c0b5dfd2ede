import assert from "node:assert/strict";
import { FrameType, SettingCode } from "../../lib/constants.ts";
import { encodeFrame, FrameWriter } from "../../lib/frame/encoder.ts";
import { assertRoundTrip, decodeAll, raw, u16, u32 } from "./_raw.ts";

Deno.test("SETTINGS round-trips entries in order, duplicates and unknown ids kept, and ACK", () => {
  // RFC 9113 §6.5, §6.5.3: values are processed in the order they appear; unknown ids ignored
  // (by the connection, not the codec).
  const entries: Array<readonly [number, number]> = [
    [SettingCode.HEADER_TABLE_SIZE, 0],
    [SettingCode.ENABLE_PUSH, 1],
    [SettingCode.MAX_CONCURRENT_STREAMS, 2 ** 32 - 1],
    [SettingCode.INITIAL_WINDOW_SIZE, 2 ** 31 - 1],
    [SettingCode.MAX_FRAME_SIZE, 2 ** 24 - 1],
    [SettingCode.MAX_HEADER_LIST_SIZE, 65_536],
    [SettingCode.ENABLE_CONNECT_PROTOCOL, 1],
    [SettingCode.NO_RFC7540_PRIORITIES, 0],
    [0x7, 12_345],
    [0xffff, 2 ** 32 - 1],
    [SettingCode.HEADER_TABLE_SIZE, 8192],
  ];
  assertRoundTrip({ type: FrameType.SETTINGS, streamId: 0, ack: false, settings: entries });
  assertRoundTrip({ type: FrameType.SETTINGS, streamId: 0, ack: false, settings: [] });
  assertRoundTrip({ type: FrameType.SETTINGS, streamId: 0, ack: true, settings: [] });
});

Deno.test("SETTINGS parses hand-built bytes", () => {
  // RFC 9113 §6.5.1: Identifier (16) | Value (32), repeated.
  const bytes = raw(FrameType.SETTINGS, 0, 0, [...u16(3), ...u32(100), ...u16(5), ...u32(1 << 20)]);
  assert.deepEqual(decodeAll(bytes), [{
    type: FrameType.SETTINGS,
    streamId: 0,
    ack: false,
    settings: [[3, 100], [5, 1 << 20]],
  }]);
});

Deno.test("FrameWriter.settingsAck writes an empty SETTINGS with ACK and refuses entries with ACK", () => {
  // RFC 9113 §6.5: ACK "MUST" come with an empty payload.
  const w = new FrameWriter();
  w.settingsAck();
  assert.deepEqual(w.take(), raw(FrameType.SETTINGS, 0x1, 0));
  assert.throws(
    () => encodeFrame({ type: FrameType.SETTINGS, streamId: 0, ack: true, settings: [[1, 0]] }),
    RangeError,
  );
});
