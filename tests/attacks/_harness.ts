/**
 * Shared driver for the engine-level attack tests: builds a server (or
 * client) `H2Connection` past the preface, feeds attack bytes, catches the
 * connection error, decodes what went on the wire and measures memory.
 *
 * @module
 */

import { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import * as w from "./_wire.ts";

/** Options accepted by `H2Connection` (the engine's own type). */
export type ConnOptions = NonNullable<ConstructorParameters<typeof H2Connection>[0]>;

/** A server connection that has read the client preface and an empty SETTINGS and acked ours. */
export function server(options: Omit<ConnOptions, "clientSide"> = {}): H2Connection {
  const conn = new H2Connection({ ...options, clientSide: false });
  conn.initiateConnection();
  conn.receiveData(w.concat([w.PREFACE, w.settings(), w.settingsAck()]));
  conn.dataToSend();
  return conn;
}

/** What one feeding produced. */
export interface Outcome {
  events: H2Event[];
  /** The connection error thrown by receiveData, if any. */
  error: H2Error | undefined;
  /** Attack units fed before the error (or all of them). */
  fed: number;
  /** Every frame the engine queued during the attack (drained at the end). */
  frames: w.WireFrame[];
  /** The largest `outboundBufferSize` seen. */
  maxOutbound: number;
  /** `Deno.memoryUsage().heapUsed` after minus before (bytes; GC-noisy). */
  heapDelta: number;
}

/**
 * Feeds `units` attack units made by `unit(i)` (each one `receiveData` call),
 * stopping at the first thrown `H2Error`. Anything else thrown propagates.
 * `drainEvery` drains `dataToSend()` every that many units (0: never, like a
 * peer that does not read).
 */
export function attack(
  conn: H2Connection,
  units: number,
  unit: (i: number) => Uint8Array,
  options: { drainEvery?: number; onEvents?: (events: H2Event[], i: number) => void } = {},
): Outcome {
  const drainEvery = options.drainEvery ?? 0;
  const drained: Uint8Array[] = [];
  const events: H2Event[] = [];
  let error: H2Error | undefined;
  let fed = 0;
  let maxOutbound = conn.outboundBufferSize;
  const heapBefore = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < units; i++) {
    let got: H2Event[];
    try {
      got = conn.receiveData(unit(i));
    } catch (e) {
      if (!(e instanceof H2Error)) throw e;
      error = e;
      fed = i + 1;
      break;
    }
    fed = i + 1;
    if (options.onEvents) options.onEvents(got, i);
    // Keep only a bounded sample of events so the harness itself stays small.
    if (events.length < 10_000) events.push(...got.slice(0, 10_000 - events.length));
    maxOutbound = Math.max(maxOutbound, conn.outboundBufferSize);
    if (drainEvery > 0 && (i + 1) % drainEvery === 0) drained.push(conn.dataToSend());
  }
  maxOutbound = Math.max(maxOutbound, conn.outboundBufferSize);
  const heapDelta = Deno.memoryUsage().heapUsed - heapBefore;
  drained.push(conn.dataToSend());
  return { events, error, fed, frames: w.parseFrames(w.concat(drained)), maxOutbound, heapDelta };
}

/**
 * Asserts the outcome of a connection error: exactly one GOAWAY, last on the
 * wire, with `errorCode`; returns the thrown error for detail checks.
 */
export function expectGoAway(outcome: Outcome, errorCode: number): H2Error {
  const goaways = w.goAways(outcome.frames);
  if (outcome.error === undefined) {
    throw new Error(
      `Expected a connection error (GOAWAY ${errorCode}), got none after ${outcome.fed} units; ` +
        `${w.resets(outcome.frames).length} RST_STREAMs, ${outcome.frames.length} frames`,
    );
  }
  if (goaways.length !== 1) throw new Error(`Expected exactly one GOAWAY, got ${goaways.length}`);
  if (outcome.frames.at(-1)?.type !== w.T.GOAWAY) throw new Error("GOAWAY is not the last frame");
  if (goaways[0]!.errorCode !== errorCode || outcome.error.errorCode !== errorCode) {
    throw new Error(
      `Expected GOAWAY code ${errorCode}, got ${goaways[0]!.errorCode} ` +
        `(${outcome.error.name} ${outcome.error.detail}: ${outcome.error.message})`,
    );
  }
  return outcome.error;
}

/** A MiB. */
export const MiB = 1024 * 1024;

/** A fresh stream id for the n-th client stream (1, 3, 5, …). */
export function sid(n: number): number {
  return 2 * n + 1;
}
