/**
 * The typed frame model shared by the frame decoder, the frame encoder and
 * the connection. A frame is a plain readonly object discriminated by `type`
 * (a `FrameType` code); flags are typed booleans, reserved bits are already
 * masked, and payload views (`data`, `fragment`, …) may alias the decoder's
 * input, so copy them before keeping them past the next `receiveData` call.
 *
 * @module
 */

import type { FrameType } from "../constants.ts";

/** RFC 7540 priority fields carried by HEADERS (PRIORITY flag) and PRIORITY frames (§5.3.2, §6.3). */
export interface PriorityFields {
  /** The stream this one depends on (31 bits). */
  readonly dependsOn: number;
  /** Weight 1..256 (the wire carries weight − 1). */
  readonly weight: number;
  /** The E bit. */
  readonly exclusive: boolean;
}

/** DATA, RFC 9113 §6.1. */
export interface DataFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.DATA;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** The payload octets (a view). */
  readonly data: Uint8Array;
  /** END_STREAM flag. */
  readonly endStream: boolean;
  /** Pad Length when the PADDED flag is set, else undefined. */
  readonly padLength: number | undefined;
}

/** HEADERS, RFC 9113 §6.2. The fragment is HPACK-encoded and possibly continued. */
export interface HeadersFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.HEADERS;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** Field block fragment (HPACK-encoded). */
  readonly fragment: Uint8Array;
  /** END_STREAM flag. */
  readonly endStream: boolean;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;
  /** Pad Length when the PADDED flag is set, else undefined. */
  readonly padLength: number | undefined;
  /** Present when the PRIORITY flag is set. */
  readonly priority: PriorityFields | undefined;
}

/** PRIORITY, RFC 9113 §6.3 (deprecated scheme, still parsed and validated). */
export interface PriorityFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.PRIORITY;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** RFC 7540 priority fields. */
  readonly priority: PriorityFields;
}

/** RST_STREAM, RFC 9113 §6.4. */
export interface RstStreamFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.RST_STREAM;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** Error code (RFC 9113 §7; unknown codes kept). */
  readonly errorCode: number;
}

/** SETTINGS, RFC 9113 §6.5. Entries in wire order, duplicates kept. */
export interface SettingsFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.SETTINGS;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: 0;
  /** ACK flag. */
  readonly ack: boolean;
  /** Setting entries `[id, value]` in wire order. */
  readonly settings: ReadonlyArray<readonly [id: number, value: number]>;
}

/** PUSH_PROMISE, RFC 9113 §6.6. */
export interface PushPromiseFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.PUSH_PROMISE;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** The promised stream identifier. */
  readonly promisedStreamId: number;
  /** Field block fragment (HPACK-encoded). */
  readonly fragment: Uint8Array;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;
  /** Pad Length when the PADDED flag is set, else undefined. */
  readonly padLength: number | undefined;
}

/** PING, RFC 9113 §6.7. `data` is exactly 8 octets. */
export interface PingFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.PING;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: 0;
  /** ACK flag. */
  readonly ack: boolean;
  /** The payload octets (a view). */
  readonly data: Uint8Array;
}

/** GOAWAY, RFC 9113 §6.8. */
export interface GoAwayFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.GOAWAY;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: 0;
  /** Last stream identifier processed by the sender. */
  readonly lastStreamId: number;
  /** Error code (RFC 9113 §7; unknown codes kept). */
  readonly errorCode: number;
  /** Additional debug data. */
  readonly debugData: Uint8Array;
}

/** WINDOW_UPDATE, RFC 9113 §6.9. An increment of 0 is rejected by the decoder. */
export interface WindowUpdateFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.WINDOW_UPDATE;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** Window size increment, 1..2^31-1. */
  readonly increment: number;
}

/** CONTINUATION, RFC 9113 §6.10. */
export interface ContinuationFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.CONTINUATION;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** Field block fragment (HPACK-encoded). */
  readonly fragment: Uint8Array;
  /** END_HEADERS flag. */
  readonly endHeaders: boolean;
}

/** ALTSVC, RFC 7838 §4. Origin and field value are byte strings (char codes 0–255). */
export interface AltSvcFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.ALTSVC;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** The origin (byte string). */
  readonly origin: string;
  /** Field value (byte string). */
  readonly fieldValue: string;
}

/** ORIGIN, RFC 8336 §2. Origins as ASCII serialisations. */
export interface OriginFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.ORIGIN;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** The origins. */
  readonly origins: readonly string[];
}

/** PRIORITY_UPDATE, RFC 9218 §7.1: on stream 0, naming the prioritized stream. */
export interface PriorityUpdateFrame {
  /** Discriminant: the frame type code. */
  readonly type: typeof FrameType.PRIORITY_UPDATE;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: 0;
  /** The stream the priority applies to. */
  readonly prioritizedStreamId: number;
  /** The Priority Field Value (RFC 9218 §4), e.g. `"u=1, i"`. */
  readonly fieldValue: string;
}

/** Any other frame type, kept opaque (RFC 9113 §5.5). */
export interface UnknownFrame {
  /** Discriminant: not a known type. */
  readonly type: "unknown";
  /** The raw type code (never one of the known ones). */
  readonly frameType: number;
  /** Stream identifier (31 bits, R bit masked). */
  readonly streamId: number;
  /** The raw flag octet. */
  readonly flags: number;
  /** The raw payload. */
  readonly payload: Uint8Array;
}

/** Every frame the codec understands. */
export type KnownFrame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoAwayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | AltSvcFrame
  | OriginFrame
  | PriorityUpdateFrame;

/** A decoded frame: a known one, or an opaque extension frame. */
export type Frame = KnownFrame | UnknownFrame;
