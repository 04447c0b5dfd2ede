/**
 * The RFC 9113 §7 error codes and the `H2Error` hierarchy shared by every
 * layer. Names follow python `h2`'s exceptions in camelCase.
 *
 * An `H2Error` is a protocol error caused by the peer (or an HPACK failure).
 * It carries the `ErrorCode` to put on the wire and a short, stable `detail`
 * token (e.g. `"data_on_stream_0"`) for tests and metrics. When RFC 9113
 * scopes the error to one stream (§5.4.2) `streamId` is set; otherwise it is
 * a connection error (§5.4.1). Misuse of the API by the caller is never an
 * `H2Error`: it is a `TypeError` or `RangeError`.
 *
 * @module
 */

/**
 * HTTP/2 error codes, RFC 9113 §7.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode } from "./errors.ts";
 * assert.equal(ErrorCode.ENHANCE_YOUR_CALM, 0xb);
 * ```
 */
export const ErrorCode = {
  /** Graceful shutdown or no error. */
  NO_ERROR: 0x0,
  /** Unspecific protocol error. */
  PROTOCOL_ERROR: 0x1,
  /** Unexpected internal error. */
  INTERNAL_ERROR: 0x2,
  /** Flow-control protocol violated (§5.2). */
  FLOW_CONTROL_ERROR: 0x3,
  /** SETTINGS not acknowledged in time (§6.5.3). */
  SETTINGS_TIMEOUT: 0x4,
  /** Frame received on a half-closed stream (§5.1). */
  STREAM_CLOSED: 0x5,
  /** Frame with an invalid size (§4.2). */
  FRAME_SIZE_ERROR: 0x6,
  /** Stream refused before any application processing (§8.7). */
  REFUSED_STREAM: 0x7,
  /** Stream no longer needed. */
  CANCEL: 0x8,
  /** Field section compression context cannot be maintained (§4.3). */
  COMPRESSION_ERROR: 0x9,
  /** A CONNECT tunnel was reset or closed abnormally (§8.5). */
  CONNECT_ERROR: 0xa,
  /** The peer exhibits behaviour that might be generating excessive load. */
  ENHANCE_YOUR_CALM: 0xb,
  /** The transport does not meet minimum security requirements (§9.2). */
  INADEQUATE_SECURITY: 0xc,
  /** The endpoint requires HTTP/1.1 instead of HTTP/2. */
  HTTP_1_1_REQUIRED: 0xd,
} as const;
/** A known error code. Unknown codes received from the wire are plain numbers. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];

const ERROR_NAMES = new Map<number, string>(
  Object.entries(ErrorCode).map(([name, code]) => [code, name]),
);

/**
 * The RFC name of an error code, or `UNKNOWN_ERROR_0x…` for codes outside §7.
 *
 * @param code An error code as received on the wire.
 * @returns The name, e.g. `"PROTOCOL_ERROR"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorCodeName } from "./errors.ts";
 * assert.equal(errorCodeName(3), "FLOW_CONTROL_ERROR");
 * assert.equal(errorCodeName(0xff), "UNKNOWN_ERROR_0xff");
 * ```
 */
export function errorCodeName(code: number): string {
  return ERROR_NAMES.get(code) ?? `UNKNOWN_ERROR_0x${code.toString(16)}`;
}

/** Options of every `H2Error` constructor. */
export interface H2ErrorOptions {
  /** The code to send; each class has its own default. */
  errorCode?: number;
  /** A short stable token naming the check that failed, e.g. `"data_on_stream_0"`. */
  detail?: string;
  /** The stream this error is scoped to (a stream error, §5.4.2); absent for a connection error. */
  streamId?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every HTTP/2 protocol error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode, H2Error, ProtocolError } from "./errors.ts";
 * const error = new ProtocolError("DATA on stream 0", { detail: "data_on_stream_0" });
 * assert.ok(error instanceof H2Error);
 * assert.equal(error.errorCode, ErrorCode.PROTOCOL_ERROR);
 * assert.equal(error.streamId, undefined);
 * ```
 */
export class H2Error extends Error {
  /** The RFC 9113 §7 code that goes into the GOAWAY or RST_STREAM. */
  readonly errorCode: number;
  /** A short stable token naming the failed check. */
  readonly detail: string;
  /** Set when the error is scoped to a single stream (§5.4.2). */
  readonly streamId: number | undefined;

  /**
   * Builds the error.
   *
   * @param message Human-readable description.
   * @param options Code, detail token, stream scope and cause.
   */
  constructor(message: string, options: H2ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errorCode = options.errorCode ?? this.defaultErrorCode();
    this.detail = options.detail ?? "";
    this.streamId = options.streamId;
  }

  /** The code used when the constructor is given none. */
  protected defaultErrorCode(): number {
    return ErrorCode.INTERNAL_ERROR;
  }
}

function withCode(options: H2ErrorOptions, errorCode: number): H2ErrorOptions {
  return options.errorCode === undefined ? { ...options, errorCode } : options;
}

/** A generic protocol violation: PROTOCOL_ERROR unless told otherwise. */
export class ProtocolError extends H2Error {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.PROTOCOL_ERROR;
  }
}

/** A frame longer than the receiver's SETTINGS_MAX_FRAME_SIZE (§4.2): FRAME_SIZE_ERROR. */
export class FrameTooLargeError extends ProtocolError {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.FRAME_SIZE_ERROR;
  }
}

/** A frame whose payload is too short or of the wrong fixed length (§4.2): FRAME_SIZE_ERROR. */
export class FrameDataMissingError extends ProtocolError {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.FRAME_SIZE_ERROR;
  }
}

/**
 * Opening a stream would exceed SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2).
 * Thrown by `sendHeaders` when the peer's limit is reached.
 */
export class TooManyStreamsError extends ProtocolError {}

/** A flow-control violation (§5.2, §6.9): FLOW_CONTROL_ERROR. */
export class FlowControlError extends ProtocolError {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.FLOW_CONTROL_ERROR;
  }
}

/** A stream id at or below one already used (§5.1.1). */
export class StreamIdTooLowError extends ProtocolError {
  /** The offending stream id. */
  readonly requestedStreamId: number;
  /** The highest stream id used so far in that direction. */
  readonly maxStreamId: number;

  /**
   * Builds the error.
   *
   * @param streamId The offending stream id.
   * @param maxStreamId The highest id already used.
   * @param options Error options.
   */
  constructor(streamId: number, maxStreamId: number, options: H2ErrorOptions = {}) {
    super(
      `Stream ID "${streamId}" is not higher than the highest used "${maxStreamId}"`,
      { detail: "stream_id_too_low", ...options },
    );
    this.requestedStreamId = streamId;
    this.maxStreamId = maxStreamId;
  }
}

/** Stream ids are exhausted (§5.1.1): open a new connection. */
export class NoAvailableStreamIdError extends ProtocolError {}

/** A frame or action names a stream that does not exist. */
export class NoSuchStreamError extends ProtocolError {
  /** The stream id that was not found. */
  readonly missingStreamId: number;

  /**
   * Builds the error.
   *
   * @param streamId The stream id that was not found.
   * @param options Error options.
   */
  constructor(streamId: number, options: H2ErrorOptions = {}) {
    super(`Stream "${streamId}" does not exist`, { detail: "no_such_stream", ...options });
    this.missingStreamId = streamId;
  }
}

/** A frame or action on a stream that is closed (§5.1): STREAM_CLOSED. */
export class StreamClosedError extends NoSuchStreamError {
  /**
   * Builds the error.
   *
   * @param streamId The closed stream.
   * @param options Error options.
   */
  constructor(streamId: number, options: H2ErrorOptions = {}) {
    super(streamId, withCode({ detail: "stream_closed", ...options }, ErrorCode.STREAM_CLOSED));
    this.message = `Stream "${streamId}" is closed`;
  }
}

/** A SETTINGS value outside its allowed range (§6.5.2); the code depends on the setting. */
export class InvalidSettingsValueError extends ProtocolError {}

/** A body whose length disagrees with its content-length (§8.1.1). */
export class InvalidBodyLengthError extends ProtocolError {
  /** The declared content-length. */
  readonly expectedLength: number;
  /** The number of body octets actually received so far. */
  readonly actualLength: number;

  /**
   * Builds the error.
   *
   * @param expected The declared content-length.
   * @param actual The octets received.
   * @param options Error options.
   */
  constructor(expected: number, actual: number, options: H2ErrorOptions = {}) {
    super(
      `Body length "${actual}" does not match content-length "${expected}"`,
      { detail: "content_length_mismatch", ...options },
    );
    this.expectedLength = expected;
    this.actualLength = actual;
  }
}

/**
 * The peer exhausted one of our denial-of-service budgets: ENHANCE_YOUR_CALM.
 * `detail` names the budget, e.g. `"rapid_reset"`, `"ping_flood"`.
 */
export class DenialOfServiceError extends ProtocolError {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.ENHANCE_YOUR_CALM;
  }
}

/** Base class of HPACK decoding failures (RFC 7541): COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends H2Error {
  /** The code used when the constructor is given none. */
  protected override defaultErrorCode(): number {
    return ErrorCode.COMPRESSION_ERROR;
  }
}

/** A malformed header block: truncated input, bad integer, bad Huffman code (RFC 7541). */
export class HpackDecodingError extends HpackError {}

/** An index outside the static and dynamic tables (RFC 7541 §2.3.3). */
export class InvalidTableIndexError extends HpackDecodingError {}

/** A dynamic table size update above the allowed maximum (RFC 7541 §4.2, §6.3). */
export class InvalidTableSizeError extends HpackDecodingError {}

/**
 * The decoded header list exceeds the allowed size or field count
 * (RFC 9113 §6.5.2, §10.5.1): ENHANCE_YOUR_CALM. The block was still decoded
 * to the end, so the dynamic table stays in sync and the connection may
 * continue with a stream error.
 */
export class OversizedHeaderListError extends HpackError {
  /** The size the full list would have had (name + value + 32 per field). */
  readonly listSize: number;
  /** The number of fields in the full list. */
  readonly fieldCount: number;

  /**
   * Builds the error.
   *
   * @param message Description.
   * @param sizes The size (name + value + 32 per field) and field count the whole list would have.
   * @param options Error options.
   */
  constructor(
    message: string,
    sizes: { listSize: number; fieldCount: number },
    options: H2ErrorOptions = {},
  ) {
    super(message, withCode({ detail: "header_list_too_large", ...options }, 0xb));
    this.listSize = sizes.listSize;
    this.fieldCount = sizes.fieldCount;
  }
}

/**
 * The `TypeError` for a string that is not a byte string: HTTP/2 carries
 * octets, so every char code must be 0–255 (as Fetch's ByteString).
 *
 * @param what What the string is, for the message (e.g. `"Header name"`).
 * @param value The string.
 * @param index Position of the first char code above 255.
 * @returns The error to throw.
 */
export function byteStringError(what: string, value: string, index: number): TypeError {
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return new TypeError(
    `${what} ${shown} is not a byte string: character code "${
      value.charCodeAt(index)
    }" at index "${index}" is above 255`,
  );
}

/**
 * Checks that a string is a byte string (every char code 0–255), as Fetch's
 * ByteString; HTTP/2 fields are octets.
 *
 * @param value The string to check.
 * @param what What the string is, for the message (e.g. `"Header name"`).
 * @throws {TypeError} When a char code is above 255.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertByteString } from "./errors.ts";
 * assertByteString("caf\xe9", "Header value");
 * assert.throws(() => assertByteString("\u20ac", "Header value"), TypeError);
 * ```
 */
export function assertByteString(value: string, what: string): void {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) throw byteStringError(what, value, i);
  }
}
