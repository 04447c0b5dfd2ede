/**
 * A structure-aware fuzzer for `H2Connection.receiveData` (both roles), used
 * by the CI pass (`connection_fuzz_test.ts`, bounded and seeded) and by the
 * long manual run (`bench/fuzz.ts`).
 *
 * {@link runInput} builds one input from its seed: a peer conversation from
 * `_generator.ts` (chaos 0: well-formed; 1: occasionally invalid; 2: mutated
 * at frame level or random bytes), fed at random split points to an engine
 * with default or tiny limits, with or without a clock, interleaved with
 * random API calls and random (partial) drains. After every call and at the
 * end, `_properties.ts` checks: only events or `H2Error`s; well-formed output
 * frames; exactly one GOAWAY, last, after a connection error and none
 * otherwise; bounded replies between drains; stream caps and ordering; and,
 * for well-formed inputs, the HPACK table, the connection receive window and
 * the peer's send windows against independent models. A violation throws a
 * {@link FuzzFailure} naming the input seed and the input hex.
 *
 * @module
 */

import { H2Connection } from "../../lib/connection.ts";
import { H2Error } from "../../lib/errors.ts";
import type { H2Event } from "../../lib/events.ts";
import * as w from "../attacks/_wire.ts";
import {
  type Config,
  fail,
  FuzzFailure,
  type FuzzStats,
  inputSeed,
  Rng,
  type Role,
} from "./_common.ts";
import { Conversation, mutate } from "./_generator.ts";
import {
  checkConnectionWindow,
  checkEvents,
  checkHpackSync,
  checkInvariants,
  checkWire,
  drain,
  hex,
  modelWindows,
  randomAction,
  type RunState,
} from "./_properties.ts";

export { fuzzCounters, FuzzFailure, inputSeed, mulberry32 } from "./_common.ts";
export type { FuzzStats, Role } from "./_common.ts";

// --- configuration -----------------------------------------------------------

/** Tight budgets so that fuzz inputs of a few dozen frames actually reach every cap. */
const TINY_LIMITS = {
  maxConcurrentStreams: 3,
  maxHeaderListSize: 600,
  maxHeaderFields: 12,
  maxContinuationFrames: 2,
  maxHeaderBlockBytes: 1_200,
  resetBurst: 4,
  resetRatePerSecond: 1,
  glitchBurst: 6,
  glitchRatePerSecond: 1,
  maxQueuedAcks: 4,
  maxQueuedControlFrames: 12,
  maxSettingsEntries: 4,
  maxClosedStreams: 8,
  maxOutboundBuffer: 4_096,
};

/** Contract defaults (lib/limits.ts), used when no `limits` option is given. */
const DEFAULT_LIMITS = {
  maxConcurrentStreams: 100,
  maxQueuedControlFrames: 10_000,
};

function pickConfig(rng: Rng): Config {
  const clock = rng.chance(0.5) ? { t: 1_000_000 } : undefined;
  if (rng.chance(0.5)) {
    return {
      limits: undefined,
      maxConcurrentStreams: DEFAULT_LIMITS.maxConcurrentStreams,
      maxQueuedControlFrames: DEFAULT_LIMITS.maxQueuedControlFrames,
      clock,
    };
  }
  return {
    limits: TINY_LIMITS,
    maxConcurrentStreams: TINY_LIMITS.maxConcurrentStreams,
    maxQueuedControlFrames: TINY_LIMITS.maxQueuedControlFrames,
    clock,
  };
}

/** Runs one generated input; returns its state or throws a FuzzFailure. */
export function runInput(
  role: Role,
  seed: number,
): { input: Uint8Array; error: H2Error | undefined; events: number; chaos: number } {
  const rng = new Rng(seed);
  const config = pickConfig(rng);
  const chaos = rng.pick([0, 0, 0, 1, 1, 1, 2, 2, 2, 2] as const);
  const conv = new Conversation(rng, role, chaos);
  conv.generate();
  mutate(conv.frames, rng, chaos);
  let input = w.concat(conv.frames);
  if (chaos === 2 && rng.chance(0.1)) {
    const head = role === "server" && rng.chance(0.8)
      ? w.concat([w.PREFACE, w.settings()])
      : new Uint8Array(0);
    input = w.concat([head, rng.bytes(rng.int(300))]);
  }
  const clock = config.clock;
  const options: ConstructorParameters<typeof H2Connection>[0] = { clientSide: role === "client" };
  if (config.limits !== undefined) options.limits = config.limits;
  if (clock !== undefined) options.now = () => clock.t;
  const conn = new H2Connection(options);
  const s: RunState = {
    conn,
    role,
    config,
    wire: [],
    replyBytes: 0,
    streams: new Set(),
    dataReceived: [],
    error: undefined,
    highestInbound: 0,
    events: 0,
    finished: new Set(),
    lastRequest: 0,
    largerFrames: false,
    tableTouched: false,
    peerWindows: chaos === 0 ? modelWindows(input, role) : undefined,
  };
  try {
    conn.initiateConnection();
    if (role === "client") {
      for (const [id, end] of [[1, true], [3, false], [5, false]] as const) {
        conn.sendHeaders(id, w.GET, { endStream: end });
        s.streams.add(id);
      }
    }
    if (rng.chance(0.7)) drain(s);
    let offset = 0;
    const oneByte = input.length <= 3_000 && rng.chance(0.05);
    while (offset < input.length) {
      const size = oneByte
        ? 1
        : rng.chance(0.3)
        ? input.length - offset
        : 1 + rng.int(input.length - offset);
      const chunk = input.subarray(offset, offset + size);
      offset += size;
      if (clock !== undefined) clock.t += rng.chance(0.8) ? rng.int(50) : rng.int(5_000);
      const before = conn.outboundBufferSize;
      let events: unknown;
      try {
        events = conn.receiveData(chunk);
      } catch (e) {
        if (!(e instanceof H2Error)) {
          fail(`receiveData threw a non-H2Error: ${(e as Error)?.stack ?? String(e)}`);
        }
        // The engine wraps its own crashes as INTERNAL_ERROR "internal_error": still a crash.
        if (
          e.detail === "internal_error" || e.cause !== undefined && !(e.cause instanceof H2Error)
        ) {
          const cause = e.cause as Error | undefined;
          fail(`receiveData crashed (${e.detail}): ${cause?.stack ?? String(cause)}`);
        }
        s.error = e;
        break;
      }
      s.replyBytes += conn.outboundBufferSize - before;
      s.peerWindows?.advance(offset);
      checkEvents(s, events);
      checkInvariants(s);
      if (rng.chance(0.3)) randomAction(s, rng);
      const d = rng.next();
      if (d < 0.4) drain(s);
      else if (d < 0.45) drain(s, rng.int(64));
    }
    if (s.error === undefined && chaos === 0 && !s.tableTouched) checkHpackSync(s, conv);
    if (s.error !== undefined) {
      // The transport would close now; a stray late read must be a no-op: no events, no
      // output, no second error (RFC 9113 §5.4.1: one GOAWAY, then nothing).
      const pending = conn.outboundBufferSize;
      let late: H2Event[];
      try {
        late = conn.receiveData(rng.bytes(1 + rng.int(40)));
      } catch (e) {
        return fail(
          `receiveData after the connection error threw ${(e as Error)?.stack ?? String(e)}`,
        );
      }
      if (late.length > 0) {
        fail(`receiveData after the connection error returned ${late.length} events`);
      }
      if (conn.outboundBufferSize !== pending) {
        fail("receiveData after the connection error queued output");
      }
      // Nor may the application put frames after the GOAWAY (checkWire: GOAWAY is last).
      for (let i = 0; i < 3; i++) randomAction(s, rng);
    }
    drain(s);
    checkWire(s);
    if (s.error === undefined && chaos === 0) checkConnectionWindow(s, input);
  } catch (e) {
    const reason = e instanceof FuzzFailure
      ? e.message
      : `harness: ${(e as Error)?.stack ?? String(e)}`;
    throw new FuzzFailure(
      `${role} input seed ${seed} (chaos ${chaos}, limits: ${
        config.limits ? "tiny" : "default"
      }, clock: ${!!clock}): ${reason}\n` +
        `input (${input.length} bytes): ${hex(input)}`,
      { cause: e },
    );
  }
  return { input, error: s.error, events: s.events, chaos };
}

/**
 * Runs `runs` inputs for one role from `seed`. Throws a FuzzFailure naming
 * `FUZZ_SEED`, the input index and the input hex on the first violation.
 */
export function runFuzz(
  options: { role: Role; seed: number; runs: number; deadlineMs?: number },
): FuzzStats {
  const started = performance.now();
  const stats: FuzzStats = {
    role: options.role,
    inputs: 0,
    bytes: 0,
    events: 0,
    connectionErrors: 0,
    details: new Map(),
    ms: 0,
  };
  for (let i = 0; i < options.runs; i++) {
    if (options.deadlineMs !== undefined && performance.now() - started > options.deadlineMs) break;
    let result;
    try {
      result = runInput(options.role, inputSeed(options.seed, i));
    } catch (e) {
      if (e instanceof FuzzFailure) {
        throw new FuzzFailure(`FUZZ_SEED=${options.seed} index ${i}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    stats.inputs++;
    stats.bytes += result.input.length;
    stats.events += result.events;
    if (result.error !== undefined) {
      stats.connectionErrors++;
      const key = `${result.error.name}:${result.error.detail}`;
      stats.details.set(key, (stats.details.get(key) ?? 0) + 1);
    }
  }
  stats.ms = performance.now() - started;
  return stats;
}
