/**
 * GOAWAY bookkeeping (RFC 9113 §6.8), after hyperium's `go_away.rs`: what we
 * sent (the last stream id may only go down), what we received, and the
 * two-step graceful shutdown (GOAWAY with 2^31-1, one PING round trip, then
 * the final GOAWAY with the real last stream id).
 *
 * @module
 */

import { MAX_STREAM_ID } from "./constants.ts";
import { ErrorCode } from "./errors.ts";

/**
 * The GOAWAY state of a connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GoAwayState } from "./goaway.ts";
 * const state = new GoAwayState();
 * assert.equal(state.clampLastStreamId(7), 7);
 * state.recordSent(7, 0);
 * assert.equal(state.clampLastStreamId(9), 7); // §6.8: never increase it
 * assert.ok(state.acceptsInbound(5));
 * assert.equal(state.acceptsInbound(9), false);
 * ```
 */
export class GoAwayState {
  /** The lowest last-stream-id we sent, or undefined before any GOAWAY. */
  sentLastStreamId: number | undefined;
  /** The error code of the last GOAWAY we sent. */
  sentErrorCode: number | undefined;
  /** The lowest last-stream-id the peer sent, or undefined. */
  receivedLastStreamId: number | undefined;
  /** The error code of the last GOAWAY received. */
  receivedErrorCode: number | undefined;
  /** A graceful shutdown sent its first GOAWAY and awaits the PING ACK. */
  shutdownPending = false;

  /**
   * The last stream id to send: §6.8 "Endpoints MUST NOT increase the value
   * they send in the last stream identifier".
   *
   * @param wanted The id the caller asked for.
   * @returns The id to put on the wire.
   */
  clampLastStreamId(wanted: number): number {
    const sent = this.sentLastStreamId;
    return sent === undefined || wanted < sent ? wanted : sent;
  }

  /**
   * Records a GOAWAY we queued.
   *
   * @param lastStreamId The id sent.
   * @param errorCode The code sent.
   */
  recordSent(lastStreamId: number, errorCode: number): void {
    this.sentLastStreamId = lastStreamId;
    this.sentErrorCode = errorCode;
  }

  /**
   * Records a GOAWAY received.
   *
   * @param lastStreamId The id received (a later, lower one wins).
   * @param errorCode The code received.
   */
  recordReceived(lastStreamId: number, errorCode: number): void {
    const prior = this.receivedLastStreamId;
    this.receivedLastStreamId = prior === undefined ? lastStreamId : Math.min(prior, lastStreamId);
    this.receivedErrorCode = errorCode;
  }

  /** A GOAWAY was sent or received. */
  get isGoingAway(): boolean {
    return this.sentLastStreamId !== undefined || this.receivedLastStreamId !== undefined;
  }

  /** A GOAWAY with an error code went either way: the connection is dead. */
  get isErrored(): boolean {
    return (this.sentErrorCode !== undefined && this.sentErrorCode !== ErrorCode.NO_ERROR) ||
      (this.receivedErrorCode !== undefined && this.receivedErrorCode !== ErrorCode.NO_ERROR);
  }

  /**
   * Whether a new stream the peer opens is processed: §6.8 "the sender will
   * ignore frames sent on streams initiated by the receiver if the stream has
   * an identifier higher than the included last stream identifier".
   *
   * @param streamId The new stream's id.
   * @returns False when it must be ignored.
   */
  acceptsInbound(streamId: number): boolean {
    return this.sentLastStreamId === undefined || streamId <= this.sentLastStreamId;
  }

  /** The id a graceful shutdown announces first. */
  static readonly SHUTDOWN_LAST_STREAM_ID: number = MAX_STREAM_ID;
}
