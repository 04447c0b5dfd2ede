/**
 * The events `H2Connection.receiveData` returns, one class per event as in
 * python `h2` (`h2.events`), fields in camelCase. Every event has a readonly
 * `type` equal to its class name, so both `event instanceof DataReceived` and
 * `event.type === "DataReceived"` work, and `H2Event` is their union.
 *
 * @module
 */

import type { UnknownFrame } from "./frame/types.ts";

/**
 * A header field: `[name, value]` as byte strings (each char code 0–255), so
 * `new Headers(fields)` works.
 */
export type HeaderField = readonly [name: string, value: string];

/** One setting that changed: what it was and what it is now. */
export interface ChangedSetting {
  /** The setting identifier (a `SettingCode` or an unknown id). */
  readonly setting: number;
  /** The value before the change; undefined when it had never been set. */
  readonly originalValue: number | undefined;
  /** The value now in force. */
  readonly newValue: number;
}

/** Fields shared by the header-block events. */
export interface HeaderEventInit {
  /** The stream the block arrived on. */
  streamId: number;
  /** The decoded fields in wire order (after inbound normalisation). */
  headers: HeaderField[];
  /** Names the peer sent as never-indexed literals (RFC 7541 §6.2.3). */
  sensitiveHeaders?: string[];
  /** The `StreamEnded` event that the same frame caused, if any. */
  streamEnded?: StreamEnded | undefined;
  /** The `PriorityUpdated` event the same HEADERS frame carried, if any. */
  priorityUpdated?: PriorityUpdated | undefined;
}

/** Base class of the header-block events: the fields they share. */
export abstract class HeaderEvent {
  /** The stream the block arrived on. */
  readonly streamId: number;
  /** The decoded fields in wire order. */
  readonly headers: HeaderField[];
  /** Names the peer sent never-indexed (RFC 7541 §6.2.3). */
  readonly sensitiveHeaders: string[];
  /** The related `StreamEnded` event when END_STREAM came with the block. */
  readonly streamEnded: StreamEnded | undefined;
  /** The related `PriorityUpdated` event when the HEADERS frame carried priority. */
  readonly priorityUpdated: PriorityUpdated | undefined;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: HeaderEventInit) {
    this.streamId = init.streamId;
    this.headers = init.headers;
    this.sensitiveHeaders = init.sensitiveHeaders ?? [];
    this.streamEnded = init.streamEnded;
    this.priorityUpdated = init.priorityUpdated;
  }
}

/**
 * A request header block arrived (server side).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestReceived } from "./events.ts";
 * const event = new RequestReceived({ streamId: 1, headers: [[":method", "GET"]] });
 * assert.equal(event.type, "RequestReceived");
 * assert.deepEqual(event.headers, [[":method", "GET"]]);
 * assert.equal(event.streamEnded, undefined);
 * ```
 */
export class RequestReceived extends HeaderEvent {
  /** Discriminant. */
  readonly type = "RequestReceived" as const;
}

/** The final response header block arrived (client side, also on pushed streams). */
export class ResponseReceived extends HeaderEvent {
  /** Discriminant. */
  readonly type = "ResponseReceived" as const;
}

/** A trailing header block arrived; it always ends the stream. */
export class TrailersReceived extends HeaderEvent {
  /** Discriminant. */
  readonly type = "TrailersReceived" as const;
}

/** A 1xx informational response arrived (client side). */
export class InformationalResponseReceived extends HeaderEvent {
  /** Discriminant. */
  readonly type = "InformationalResponseReceived" as const;
}

/**
 * A DATA frame arrived. Call `acknowledgeReceivedData(flowControlledLength, streamId)`
 * once the data is consumed, or the peer stalls when the window runs out.
 */
export class DataReceived {
  /** Discriminant. */
  readonly type = "DataReceived" as const;
  /** The stream. */
  readonly streamId: number;
  /** The payload (a view; copy it to keep it past the next `receiveData`). */
  readonly data: Uint8Array;
  /** Octets counted against flow control: data plus padding (§6.1). */
  readonly flowControlledLength: number;
  /** The related `StreamEnded` event when the frame carried END_STREAM. */
  readonly streamEnded: StreamEnded | undefined;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: {
    streamId: number;
    data: Uint8Array;
    flowControlledLength: number;
    streamEnded?: StreamEnded | undefined;
  }) {
    this.streamId = init.streamId;
    this.data = init.data;
    this.flowControlledLength = init.flowControlledLength;
    this.streamEnded = init.streamEnded;
  }
}

/** The peer opened a flow-control window: stream 0 means the connection. */
export class WindowUpdated {
  /** Discriminant. */
  readonly type = "WindowUpdated" as const;
  /** The stream, or 0 for the connection window. */
  readonly streamId: number;
  /** The increment. */
  readonly delta: number;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { streamId: number; delta: number }) {
    this.streamId = init.streamId;
    this.delta = init.delta;
  }
}

/** The peer sent SETTINGS; they are applied and acknowledged already. */
export class RemoteSettingsChanged {
  /** Discriminant. */
  readonly type = "RemoteSettingsChanged" as const;
  /** What changed, keyed by setting id. */
  readonly changedSettings: Map<number, ChangedSetting>;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { changedSettings: Map<number, ChangedSetting> }) {
    this.changedSettings = init.changedSettings;
  }
}

/** The peer acknowledged our SETTINGS; they are in force now. */
export class SettingsAcknowledged {
  /** Discriminant. */
  readonly type = "SettingsAcknowledged" as const;
  /** What changed, keyed by setting id. */
  readonly changedSettings: Map<number, ChangedSetting>;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { changedSettings: Map<number, ChangedSetting> }) {
    this.changedSettings = init.changedSettings;
  }
}

/** The peer sent a PING; the ACK is queued already. */
export class PingReceived {
  /** Discriminant. */
  readonly type = "PingReceived" as const;
  /** The 8 opaque octets. */
  readonly pingData: Uint8Array;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { pingData: Uint8Array }) {
    this.pingData = init.pingData;
  }
}

/** The peer acknowledged one of our PINGs. */
export class PingAckReceived {
  /** Discriminant. */
  readonly type = "PingAckReceived" as const;
  /** The 8 opaque octets we sent. */
  readonly pingData: Uint8Array;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { pingData: Uint8Array }) {
    this.pingData = init.pingData;
  }
}

/** The peer ended its side of a stream (END_STREAM). */
export class StreamEnded {
  /** Discriminant. */
  readonly type = "StreamEnded" as const;
  /** The stream. */
  readonly streamId: number;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { streamId: number }) {
    this.streamId = init.streamId;
  }
}

/**
 * A stream was reset: by the peer (`remoteReset: true`, RST_STREAM received)
 * or by us because of a stream error the peer caused (`remoteReset: false`,
 * the RST_STREAM is queued already).
 */
export class StreamReset {
  /** Discriminant. */
  readonly type = "StreamReset" as const;
  /** The stream. */
  readonly streamId: number;
  /** The RFC 9113 §7 code (unknown codes kept as numbers). */
  readonly errorCode: number;
  /** True when the peer sent the RST_STREAM. */
  readonly remoteReset: boolean;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { streamId: number; errorCode: number; remoteReset?: boolean }) {
    this.streamId = init.streamId;
    this.errorCode = init.errorCode;
    this.remoteReset = init.remoteReset ?? true;
  }
}

/** The server promised a pushed stream (client side). */
export class PushedStreamReceived {
  /** Discriminant. */
  readonly type = "PushedStreamReceived" as const;
  /** The promised (even) stream id. */
  readonly pushedStreamId: number;
  /** The request stream the promise came on. */
  readonly parentStreamId: number;
  /** The promised request's fields. */
  readonly headers: HeaderField[];
  /** Names the peer sent never-indexed. */
  readonly sensitiveHeaders: string[];

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: {
    pushedStreamId: number;
    parentStreamId: number;
    headers: HeaderField[];
    sensitiveHeaders?: string[];
  }) {
    this.pushedStreamId = init.pushedStreamId;
    this.parentStreamId = init.parentStreamId;
    this.headers = init.headers;
    this.sensitiveHeaders = init.sensitiveHeaders ?? [];
  }
}

/**
 * A stream's priority was signalled: RFC 7540 fields (PRIORITY frame or
 * HEADERS with the PRIORITY flag: `weight`, `dependsOn`, `exclusive`) or an
 * RFC 9218 PRIORITY_UPDATE frame (`urgency`, `incremental`, `fieldValue`).
 */
export class PriorityUpdated {
  /** Discriminant. */
  readonly type = "PriorityUpdated" as const;
  /** The prioritized stream. */
  readonly streamId: number;
  /** RFC 7540 weight 1..256, when the signal was RFC 7540. */
  readonly weight: number | undefined;
  /** RFC 7540 dependency, when the signal was RFC 7540. */
  readonly dependsOn: number | undefined;
  /** RFC 7540 exclusive bit, when the signal was RFC 7540. */
  readonly exclusive: boolean | undefined;
  /** RFC 9218 urgency 0..7 (default 3), when the signal was RFC 9218. */
  readonly urgency: number | undefined;
  /** RFC 9218 incremental flag (default false), when the signal was RFC 9218. */
  readonly incremental: boolean | undefined;
  /** The raw RFC 9218 Priority Field Value, when the signal was RFC 9218. */
  readonly fieldValue: string | undefined;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: {
    streamId: number;
    weight?: number;
    dependsOn?: number;
    exclusive?: boolean;
    urgency?: number;
    incremental?: boolean;
    fieldValue?: string;
  }) {
    this.streamId = init.streamId;
    this.weight = init.weight;
    this.dependsOn = init.dependsOn;
    this.exclusive = init.exclusive;
    this.urgency = init.urgency;
    this.incremental = init.incremental;
    this.fieldValue = init.fieldValue;
  }
}

/** The peer sent GOAWAY. Streams above `lastStreamId` were not processed and may be retried. */
export class ConnectionTerminated {
  /** Discriminant. */
  readonly type = "ConnectionTerminated" as const;
  /** The RFC 9113 §7 code. */
  readonly errorCode: number;
  /** The highest stream the peer may have processed. */
  readonly lastStreamId: number;
  /** The debug data, or undefined when empty. */
  readonly additionalData: Uint8Array | undefined;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: {
    errorCode: number;
    lastStreamId: number;
    additionalData?: Uint8Array | undefined;
  }) {
    this.errorCode = init.errorCode;
    this.lastStreamId = init.lastStreamId;
    this.additionalData = init.additionalData;
  }
}

/** The server advertised an alternative service (RFC 7838), client side. */
export class AlternativeServiceAvailable {
  /** Discriminant. */
  readonly type = "AlternativeServiceAvailable" as const;
  /** The origin the service applies to (byte string). */
  readonly origin: string;
  /** The Alt-Svc field value, unparsed (byte string). */
  readonly fieldValue: string;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { origin: string; fieldValue: string }) {
    this.origin = init.origin;
    this.fieldValue = init.fieldValue;
  }
}

/** The server sent an ORIGIN frame (RFC 8336), client side. */
export class OriginReceived {
  /** Discriminant. */
  readonly type = "OriginReceived" as const;
  /** The origins the server says it is authoritative for. */
  readonly origins: readonly string[];

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { origins: readonly string[] }) {
    this.origins = init.origins;
  }
}

/** A frame of a type this engine does not know (RFC 9113 §5.5: otherwise ignored). */
export class UnknownFrameReceived {
  /** Discriminant. */
  readonly type = "UnknownFrameReceived" as const;
  /** The opaque frame. */
  readonly frame: UnknownFrame;

  /**
   * Builds the event.
   *
   * @param init The event fields.
   */
  constructor(init: { frame: UnknownFrame }) {
    this.frame = init.frame;
  }
}

/** Every event `receiveData` can return. */
export type H2Event =
  | RequestReceived
  | ResponseReceived
  | TrailersReceived
  | InformationalResponseReceived
  | DataReceived
  | WindowUpdated
  | RemoteSettingsChanged
  | SettingsAcknowledged
  | PingReceived
  | PingAckReceived
  | StreamEnded
  | StreamReset
  | PushedStreamReceived
  | PriorityUpdated
  | ConnectionTerminated
  | AlternativeServiceAvailable
  | OriginReceived
  | UnknownFrameReceived;
