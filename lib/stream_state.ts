/**
 * The RFC 9113 §5.1 stream state machine as a table, after python h2's
 * `_transitions` and hyperium's `state.rs`:
 *
 * ```text
 *                              +--------+
 *                      send PP |        | recv PP
 *                     ,--------+  idle  +--------.
 *                    /         |        |         \
 *                   v          +--------+          v
 *            +----------+          |           +----------+
 *            |          |          | send H /  |          |
 *     ,------+ reserved |          | recv H    | reserved +------.
 *     |      | (local)  |          |           | (remote) |      |
 *     |      +---+------+          v           +------+---+      |
 *     |          |             +--------+             |          |
 *     |          |     recv ES |        | send ES     |          |
 *     |   send H |     ,-------+  open  +-------.     | recv H   |
 *     |          |    /        |        |        \    |          |
 *     |          v   v         +---+----+         v   v          |
 *     |      +----------+          |           +----------+      |
 *     |      |   half-  |          |           |   half-  |      |
 *     |      |  closed  |          | send R /  |  closed  |      |
 *     |      | (remote) |          | recv R    | (local)  |      |
 *     |      +----+-----+          |           +-----+----+      |
 *     |           |                |                 |           |
 *     |           | send ES /      |       recv ES / |           |
 *     |           |  send R /      v        send R / |           |
 *     |           |  recv R    +--------+   recv R   |           |
 *     | send R /  `----------->|        |<-----------'  send R / |
 *     | recv R                 | closed |               recv R   |
 *     `----------------------->|        |<-----------------------'
 *                              +--------+
 *
 *   send:   endpoint sends this frame
 *   recv:   endpoint receives this frame
 *   H:  HEADERS frame (with implied CONTINUATION frames)
 *   PP: PUSH_PROMISE frame (with implied CONTINUATION frames)
 *   ES: END_STREAM flag
 *   R:  RST_STREAM frame
 * ```
 *
 * `StreamState × StreamInput → { next, effect? }`, one row per line. A pair
 * with no row is not allowed: for a received frame the connection treats it
 * as a connection error of type PROTOCOL_ERROR (§5.1: "the receipt of a
 * frame that is not expressly permitted ... MUST be treated as a connection
 * error"), for an action of ours it throws. PRIORITY is legal in every state
 * and never consults the table. END_STREAM is its own input, applied after
 * the HEADERS or DATA input that carried it.
 *
 * @module
 */

/** Stream states, RFC 9113 §5.1. */
export const StreamState = {
  IDLE: 0,
  RESERVED_LOCAL: 1,
  RESERVED_REMOTE: 2,
  OPEN: 3,
  HALF_CLOSED_LOCAL: 4,
  HALF_CLOSED_REMOTE: 5,
  CLOSED: 6,
} as const;
/** A stream state. */
export type StreamStateValue = typeof StreamState[keyof typeof StreamState];

/** Human names of the states, as RFC 9113 §5.1 spells them (for messages). */
export const STREAM_STATE_NAMES: readonly string[] = [
  "idle",
  "reserved (local)",
  "reserved (remote)",
  "open",
  "half-closed (local)",
  "half-closed (remote)",
  "closed",
];

/** What happens to a stream: frames sent and received, and h2c upgrade. */
export const StreamInput = {
  SEND_HEADERS: 0,
  SEND_INFORMATIONAL_HEADERS: 1,
  SEND_PUSH_PROMISE: 2,
  SEND_DATA: 3,
  SEND_END_STREAM: 4,
  SEND_RST_STREAM: 5,
  SEND_WINDOW_UPDATE: 6,
  RECV_HEADERS: 7,
  RECV_INFORMATIONAL_HEADERS: 8,
  RECV_PUSH_PROMISE: 9,
  RECV_DATA: 10,
  RECV_END_STREAM: 11,
  RECV_RST_STREAM: 12,
  RECV_WINDOW_UPDATE: 13,
  /** A stream promised by a PUSH_PROMISE we send (idle → reserved (local)). */
  SEND_PROMISE: 14,
  /** A stream promised by a PUSH_PROMISE we receive (idle → reserved (remote)). */
  RECV_PROMISE: 15,
  /** h2c: the client's upgraded request is stream 1 (RFC 7540 §3.2). */
  UPGRADE_CLIENT: 16,
  /** h2c: the server's upgraded request is stream 1 (RFC 7540 §3.2). */
  UPGRADE_SERVER: 17,
} as const;
/** A stream input. */
export type StreamInputValue = typeof StreamInput[keyof typeof StreamInput];

/** Human names of the inputs' frames (for messages). */
export const STREAM_INPUT_NAMES: readonly string[] = [
  "HEADERS",
  "HEADERS",
  "PUSH_PROMISE",
  "DATA",
  "END_STREAM",
  "RST_STREAM",
  "WINDOW_UPDATE",
  "HEADERS",
  "HEADERS",
  "PUSH_PROMISE",
  "DATA",
  "END_STREAM",
  "RST_STREAM",
  "WINDOW_UPDATE",
  "PUSH_PROMISE",
  "PUSH_PROMISE",
  "upgrade",
  "upgrade",
];

/** Side effects the connection must apply for a transition. */
export const StreamEffect = {
  /** Nothing beyond the state change. */
  NONE: 0,
  /**
   * The frame arrived on a half-closed (remote) stream: stream error
   * STREAM_CLOSED (§5.1 "half-closed (remote)").
   */
  STREAM_CLOSED: 1,
  /**
   * The frame arrived on a closed stream: minimal processing, and the
   * connection decides from how the stream closed (§5.1 "closed").
   */
  ON_CLOSED: 2,
  /** Legal but without effect (WINDOW_UPDATE or RST_STREAM on a closed stream). */
  IGNORE: 3,
} as const;
/** A stream effect. */
export type StreamEffectValue = typeof StreamEffect[keyof typeof StreamEffect];

/** One row's outcome. */
export interface Transition {
  /** The state after the input. */
  readonly next: StreamStateValue;
  /** What the connection must do besides. */
  readonly effect: StreamEffectValue;
}

const S = StreamState;
const I = StreamInput;
const E = StreamEffect;

/** The rows: `[state, input, next, effect?]`. */
const ROWS: ReadonlyArray<
  readonly [StreamStateValue, StreamInputValue, StreamStateValue, StreamEffectValue?]
> = [
  // idle
  [S.IDLE, I.SEND_HEADERS, S.OPEN],
  [S.IDLE, I.RECV_HEADERS, S.OPEN],
  [S.IDLE, I.SEND_PROMISE, S.RESERVED_LOCAL],
  [S.IDLE, I.RECV_PROMISE, S.RESERVED_REMOTE],
  [S.IDLE, I.UPGRADE_CLIENT, S.HALF_CLOSED_LOCAL],
  [S.IDLE, I.UPGRADE_SERVER, S.HALF_CLOSED_REMOTE],
  // reserved (local): "the endpoint can send a HEADERS frame ... the stream opens in half-closed (remote)"
  [S.RESERVED_LOCAL, I.SEND_HEADERS, S.HALF_CLOSED_REMOTE],
  [S.RESERVED_LOCAL, I.SEND_INFORMATIONAL_HEADERS, S.HALF_CLOSED_REMOTE],
  [S.RESERVED_LOCAL, I.SEND_RST_STREAM, S.CLOSED],
  [S.RESERVED_LOCAL, I.RECV_RST_STREAM, S.CLOSED],
  [S.RESERVED_LOCAL, I.RECV_WINDOW_UPDATE, S.RESERVED_LOCAL],
  // reserved (remote)
  [S.RESERVED_REMOTE, I.RECV_HEADERS, S.HALF_CLOSED_LOCAL],
  [S.RESERVED_REMOTE, I.RECV_INFORMATIONAL_HEADERS, S.HALF_CLOSED_LOCAL],
  [S.RESERVED_REMOTE, I.SEND_RST_STREAM, S.CLOSED],
  [S.RESERVED_REMOTE, I.RECV_RST_STREAM, S.CLOSED],
  [S.RESERVED_REMOTE, I.SEND_WINDOW_UPDATE, S.RESERVED_REMOTE],
  // open
  [S.OPEN, I.SEND_HEADERS, S.OPEN],
  [S.OPEN, I.SEND_INFORMATIONAL_HEADERS, S.OPEN],
  [S.OPEN, I.SEND_PUSH_PROMISE, S.OPEN],
  [S.OPEN, I.SEND_DATA, S.OPEN],
  [S.OPEN, I.SEND_END_STREAM, S.HALF_CLOSED_LOCAL],
  [S.OPEN, I.SEND_RST_STREAM, S.CLOSED],
  [S.OPEN, I.SEND_WINDOW_UPDATE, S.OPEN],
  [S.OPEN, I.RECV_HEADERS, S.OPEN],
  [S.OPEN, I.RECV_INFORMATIONAL_HEADERS, S.OPEN],
  [S.OPEN, I.RECV_PUSH_PROMISE, S.OPEN],
  [S.OPEN, I.RECV_DATA, S.OPEN],
  [S.OPEN, I.RECV_END_STREAM, S.HALF_CLOSED_REMOTE],
  [S.OPEN, I.RECV_RST_STREAM, S.CLOSED],
  [S.OPEN, I.RECV_WINDOW_UPDATE, S.OPEN],
  // half-closed (local): we may only send WINDOW_UPDATE, PRIORITY, RST_STREAM
  [S.HALF_CLOSED_LOCAL, I.SEND_RST_STREAM, S.CLOSED],
  [S.HALF_CLOSED_LOCAL, I.SEND_WINDOW_UPDATE, S.HALF_CLOSED_LOCAL],
  [S.HALF_CLOSED_LOCAL, I.RECV_HEADERS, S.HALF_CLOSED_LOCAL],
  [S.HALF_CLOSED_LOCAL, I.RECV_INFORMATIONAL_HEADERS, S.HALF_CLOSED_LOCAL],
  [S.HALF_CLOSED_LOCAL, I.RECV_PUSH_PROMISE, S.HALF_CLOSED_LOCAL],
  [S.HALF_CLOSED_LOCAL, I.RECV_DATA, S.HALF_CLOSED_LOCAL],
  [S.HALF_CLOSED_LOCAL, I.RECV_END_STREAM, S.CLOSED],
  [S.HALF_CLOSED_LOCAL, I.RECV_RST_STREAM, S.CLOSED],
  [S.HALF_CLOSED_LOCAL, I.RECV_WINDOW_UPDATE, S.HALF_CLOSED_LOCAL],
  // half-closed (remote): frames other than WINDOW_UPDATE, PRIORITY, RST_STREAM → STREAM_CLOSED
  [S.HALF_CLOSED_REMOTE, I.SEND_HEADERS, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.SEND_INFORMATIONAL_HEADERS, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.SEND_PUSH_PROMISE, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.SEND_DATA, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.SEND_END_STREAM, S.CLOSED],
  [S.HALF_CLOSED_REMOTE, I.SEND_RST_STREAM, S.CLOSED],
  [S.HALF_CLOSED_REMOTE, I.SEND_WINDOW_UPDATE, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.RECV_RST_STREAM, S.CLOSED],
  [S.HALF_CLOSED_REMOTE, I.RECV_WINDOW_UPDATE, S.HALF_CLOSED_REMOTE],
  [S.HALF_CLOSED_REMOTE, I.RECV_HEADERS, S.CLOSED, E.STREAM_CLOSED],
  [S.HALF_CLOSED_REMOTE, I.RECV_INFORMATIONAL_HEADERS, S.CLOSED, E.STREAM_CLOSED],
  [S.HALF_CLOSED_REMOTE, I.RECV_DATA, S.CLOSED, E.STREAM_CLOSED],
  [S.HALF_CLOSED_REMOTE, I.RECV_END_STREAM, S.CLOSED, E.STREAM_CLOSED],
  // closed: WINDOW_UPDATE and RST_STREAM may still be in flight; the rest needs minimal processing
  [S.CLOSED, I.RECV_WINDOW_UPDATE, S.CLOSED, E.IGNORE],
  [S.CLOSED, I.RECV_RST_STREAM, S.CLOSED, E.IGNORE],
  [S.CLOSED, I.RECV_HEADERS, S.CLOSED, E.ON_CLOSED],
  [S.CLOSED, I.RECV_INFORMATIONAL_HEADERS, S.CLOSED, E.ON_CLOSED],
  [S.CLOSED, I.RECV_DATA, S.CLOSED, E.ON_CLOSED],
  [S.CLOSED, I.RECV_END_STREAM, S.CLOSED, E.ON_CLOSED],
  [S.CLOSED, I.RECV_PUSH_PROMISE, S.CLOSED, E.ON_CLOSED],
];

const INPUT_COUNT = Object.keys(StreamInput).length;
const TABLE: Array<Transition | undefined> = new Array(7 * INPUT_COUNT).fill(undefined);
for (const [state, input, next, effect] of ROWS) {
  TABLE[state * INPUT_COUNT + input] = Object.freeze({ next, effect: effect ?? E.NONE });
}

/**
 * Looks up a transition.
 *
 * @param state The current state.
 * @param input What happens.
 * @returns The row, or undefined when the input is not allowed in the state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamInput, StreamState, transition } from "./stream_state.ts";
 * assert.equal(transition(StreamState.OPEN, StreamInput.SEND_END_STREAM)?.next, StreamState.HALF_CLOSED_LOCAL);
 * assert.equal(transition(StreamState.HALF_CLOSED_LOCAL, StreamInput.SEND_DATA), undefined);
 * ```
 */
export function transition(
  state: StreamStateValue,
  input: StreamInputValue,
): Transition | undefined {
  return TABLE[state * INPUT_COUNT + input];
}

/**
 * Whether a state counts against SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2: "open" or either "half-closed").
 *
 * @param state A state.
 * @returns True for open and half-closed states.
 */
export function isActiveState(state: StreamStateValue): boolean {
  return state >= S.OPEN && state <= S.HALF_CLOSED_REMOTE;
}
