/**
 * The seeded CI pass of the structure-aware `receiveData` fuzzer (see
 * `_fuzzer.ts` for the generator and the properties). `FUZZ_SEED` and
 * `FUZZ_RUNS` override the seed and the number of inputs per role; a failure
 * prints the seed, the input index, the input's own seed and its hex.
 * `deno task fuzz` (bench/fuzz.ts) runs the same fuzzer for longer.
 */

import assert from "node:assert/strict";
import { fuzzCounters, runFuzz } from "./_fuzzer.ts";

function env(name: string): string | undefined {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted"
    ? Deno.env.get(name)
    : undefined;
}

const SEED = Number(env("FUZZ_SEED") ?? 20_261_125) >>> 0;
const RUNS = Number(env("FUZZ_RUNS") ?? 100_000);

for (const role of ["server", "client"] as const) {
  Deno.test(
    `H2Connection (${role}) turns ${RUNS} fuzzed conversations into events or one GOAWAY, with bounded output`,
    () => {
      // RFC 9113 §5.4.1: a connection error ends with exactly one GOAWAY; anything else is an event.
      const syncBefore = fuzzCounters.hpackSyncChecks;
      const windowBefore = fuzzCounters.windowChecks;
      const sendBefore = fuzzCounters.sendWindowChecks;
      const stats = runFuzz({ role, seed: SEED, runs: RUNS });
      const syncChecks = fuzzCounters.hpackSyncChecks - syncBefore;
      const windowChecks = fuzzCounters.windowChecks - windowBefore;
      const sendChecks = fuzzCounters.sendWindowChecks - sendBefore;
      // The model-based properties must actually be exercised.
      if (RUNS >= 1_000) {
        assert.ok(syncChecks > RUNS / 100, `only ${syncChecks} HPACK sync checks`);
        assert.ok(windowChecks > RUNS / 50, `only ${windowChecks} window checks`);
        assert.ok(sendChecks > RUNS / 200, `only ${sendChecks} send-window checks`);
      }
      assert.equal(stats.inputs, RUNS);
      // The generator must keep reaching both outcomes, or the pass proves little.
      assert.ok(
        stats.connectionErrors > RUNS / 20,
        `only ${stats.connectionErrors} connection errors`,
      );
      assert.ok(
        stats.connectionErrors < RUNS * 0.95,
        `${stats.connectionErrors} connection errors`,
      );
      const top = [...stats.details].sort((a, b) => b[1] - a[1]).slice(0, 12);
      console.log(
        `fuzz ${role}: seed ${SEED}, ${stats.inputs} inputs, ${stats.bytes} bytes, ` +
          `${stats.events} events, ${stats.connectionErrors} connection errors, ` +
          `${syncChecks} HPACK sync checks, ${windowChecks} window checks, ${sendChecks} send-window checks in ` +
          `${(stats.ms / 1000).toFixed(1)} s; top details: ${
            top.map(([k, n]) => `${k}=${n}`).join(" ")
          }`,
      );
    },
  );
}
