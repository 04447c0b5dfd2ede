/**
 * Per-stream bookkeeping of the connection: the §5.1 state, both
 * flow-control windows, which header blocks went each way (request,
 * informational, final, trailers) and the content-length accounting of
 * RFC 9113 §8.1.1. The connection drives it; this module decides nothing
 * about frames on its own beyond the state table.
 *
 * @module
 */

import { WindowManager } from "./flow.ts";
import {
  StreamInput,
  type StreamInputValue,
  StreamState,
  type StreamStateValue,
  type Transition,
  transition,
} from "./stream_state.ts";

/** How a stream reached "closed": it decides how late frames are treated (§5.1). */
export const ClosedBy = {
  /** Both sides sent END_STREAM, ours last. */
  SEND_END_STREAM: 0,
  /** Both sides sent END_STREAM, the peer's last. */
  RECV_END_STREAM: 1,
  /** We sent RST_STREAM. */
  SEND_RST_STREAM: 2,
  /** The peer sent RST_STREAM (or refused it by GOAWAY). */
  RECV_RST_STREAM: 3,
} as const;
/** How a stream closed. */
export type ClosedByValue = typeof ClosedBy[keyof typeof ClosedBy];

const CLOSED_BY_INPUT: Partial<Record<StreamInputValue, ClosedByValue>> = {
  [StreamInput.SEND_END_STREAM]: ClosedBy.SEND_END_STREAM,
  [StreamInput.RECV_END_STREAM]: ClosedBy.RECV_END_STREAM,
  [StreamInput.SEND_RST_STREAM]: ClosedBy.SEND_RST_STREAM,
  [StreamInput.RECV_RST_STREAM]: ClosedBy.RECV_RST_STREAM,
};

/**
 * One HTTP/2 stream as the connection tracks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { H2Stream } from "./stream.ts";
 * import { StreamInput, StreamState } from "./stream_state.ts";
 * const stream = new H2Stream(1, 65_535, 65_535);
 * stream.apply(StreamInput.SEND_HEADERS);
 * stream.apply(StreamInput.SEND_END_STREAM);
 * assert.equal(stream.state, StreamState.HALF_CLOSED_LOCAL);
 * ```
 */
export class H2Stream {
  /** The stream identifier. */
  readonly id: number;
  /** The §5.1 state. */
  state: StreamStateValue = StreamState.IDLE;
  /** How it closed, once closed. */
  closedBy: ClosedByValue | undefined;
  /** What we may still send (may go negative after a SETTINGS decrease, §6.9.2). */
  outboundWindow: number;
  /** What the peer may still send. */
  readonly inbound: WindowManager;

  /** We sent a request or a final response (or the promise's request). */
  headersSent = false;
  /** We sent trailers. */
  trailersSent = false;
  /** A request or final response arrived. */
  headersReceived = false;
  /** Trailers arrived. */
  trailersReceived = false;
  /** The request method (ours as a client, the peer's as a server): `HEAD` expects no body. */
  method: string | undefined;
  /** The request's `:authority` (or `host`), for ALTSVC on a stream (RFC 7838 §4). */
  authority: string | undefined;
  /** The content-length the peer declared, or undefined. */
  expectedLength: number | undefined;
  /** Body octets received so far (padding excluded, §8.1.1). */
  receivedLength = 0;

  /**
   * Creates an idle stream.
   *
   * @param id The stream identifier.
   * @param outboundWindow The peer's SETTINGS_INITIAL_WINDOW_SIZE.
   * @param inboundWindow Our SETTINGS_INITIAL_WINDOW_SIZE in force.
   */
  constructor(id: number, outboundWindow: number, inboundWindow: number) {
    this.id = id;
    this.outboundWindow = outboundWindow;
    this.inbound = new WindowManager(inboundWindow);
  }

  /**
   * The row for an input in the current state, without applying it.
   *
   * @param input What happens.
   * @returns The row, or undefined when not allowed.
   */
  peek(input: StreamInputValue): Transition | undefined {
    return transition(this.state, input);
  }

  /**
   * Applies an input (the caller has checked the row exists).
   *
   * @param input What happens.
   * @returns The row applied, or undefined when the input is not allowed (state unchanged).
   */
  apply(input: StreamInputValue): Transition | undefined {
    const row = transition(this.state, input);
    if (row === undefined) return undefined;
    if (row.next === StreamState.CLOSED && this.state !== StreamState.CLOSED) {
      this.closedBy = CLOSED_BY_INPUT[input] ?? ClosedBy.SEND_RST_STREAM;
    }
    this.state = row.next;
    return row;
  }
}
