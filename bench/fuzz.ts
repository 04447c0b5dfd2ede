/**
 * The long, by-hand run of the `receiveData` fuzzer (`deno task fuzz`).
 *
 * Usage: `deno run -A bench/fuzz.ts [--runs N] [--seed S] [--role server|client|both]
 * [--minutes M] [--keep-going]`. Runs inputs from `--seed` until `--runs` inputs per role
 * or `--minutes` have passed, printing progress every 20,000 inputs. A property violation
 * prints the seed, input index, input seed and input hex and exits 1; with `--keep-going`
 * it is recorded and the run continues, and distinct failures are summarised at the end.
 */

import { parseArgs } from "node:util";
import { FuzzFailure, inputSeed, runInput } from "../tests/fuzz/_fuzzer.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "10000000" },
    seed: { type: "string", default: String(Date.now() >>> 0) },
    role: { type: "string", default: "both" },
    minutes: { type: "string", default: "10" },
    "keep-going": { type: "boolean", default: false },
  },
});

const runs = Number(values.runs);
const seed = Number(values.seed) >>> 0;
const deadline = performance.now() + Number(values.minutes) * 60_000;
const roles = values.role === "both"
  ? ["server", "client"] as const
  : [values.role as "server" | "client"];
console.log(`fuzz: FUZZ_SEED=${seed}, up to ${runs} inputs per role, ${values.minutes} min`);

const started = performance.now();
const counts = { server: 0, client: 0 };
const errors = { server: 0, client: 0 };
/** Distinct failures: message without seeds/hex → first reproduction. */
const failures = new Map<string, { count: number; first: string }>();
let index = 0;
outer: for (; index < runs; index++) {
  for (const role of roles) {
    if (performance.now() > deadline) break outer;
    try {
      const result = runInput(role, inputSeed(seed, index));
      counts[role]++;
      if (result.error !== undefined) errors[role]++;
    } catch (e) {
      if (!(e instanceof FuzzFailure)) throw e;
      counts[role]++;
      const message = `FUZZ_SEED=${seed} index ${index}: ${e.message}`;
      if (!values["keep-going"]) {
        console.error(message);
        Deno.exit(1);
      }
      const key = `${role}: ${
        e.message.split("\n")[0]!.replace(/^.*?\): /, "").replace(/\d+/g, "N")
      }`;
      const seen = failures.get(key);
      if (seen) seen.count++;
      else {
        failures.set(key, { count: 1, first: message });
        console.error(`new failure: ${key}\n${message.slice(0, 2_000)}`);
      }
    }
  }
  if ((index + 1) % 20_000 === 0) {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      `${index + 1} per role in ${s} s (server ${errors.server}, client ${errors.client} ` +
        `connection errors; ${failures.size} distinct failures)`,
    );
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(
  `fuzz: server ${counts.server}, client ${counts.client} inputs in ${seconds} s; ` +
    `${failures.size} distinct property violations`,
);
for (const [key, { count }] of failures) console.log(`  ${count} × ${key}`);
if (failures.size > 0) Deno.exit(1);
