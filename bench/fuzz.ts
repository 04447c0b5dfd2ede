/**
 * The long, by-hand run of the `receiveData` fuzzer (`deno task fuzz`).
 *
 * Usage: `deno run -A bench/fuzz.ts [--runs N] [--seed S] [--role server|client|both]
 * [--minutes M]`. Runs batches of inputs from successive seeds until `--runs`
 * inputs per role or `--minutes` have passed, printing progress; a failure
 * prints the seed, input index and input hex and exits 1.
 */

import { parseArgs } from "node:util";
import { FuzzFailure, runFuzz } from "../tests/fuzz/_fuzzer.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "1000000" },
    seed: { type: "string", default: String(Date.now() >>> 0) },
    role: { type: "string", default: "both" },
    minutes: { type: "string", default: "10" },
  },
});

const runs = Number(values.runs);
const deadline = performance.now() + Number(values.minutes) * 60_000;
const roles = values.role === "both"
  ? ["server", "client"] as const
  : [values.role as "server" | "client"];
const BATCH = 20_000;
let seed = Number(values.seed) >>> 0;
console.log(`fuzz: seed ${seed}, up to ${runs} inputs per role, ${values.minutes} min`);

const totals = new Map<string, { inputs: number; errors: number; ms: number }>();
try {
  for (let done = 0; done < runs && performance.now() < deadline; done += BATCH) {
    for (const role of roles) {
      const stats = runFuzz({ role, seed, runs: Math.min(BATCH, runs - done) });
      const t = totals.get(role) ?? { inputs: 0, errors: 0, ms: 0 };
      t.inputs += stats.inputs;
      t.errors += stats.connectionErrors;
      t.ms += stats.ms;
      totals.set(role, t);
    }
    seed = (seed + 1) >>> 0;
    console.log(
      [...totals].map(([role, t]) =>
        `${role}: ${t.inputs} inputs (${t.errors} conn errors, ${(t.ms / 1000).toFixed(0)} s)`
      )
        .join("; "),
    );
  }
} catch (e) {
  if (e instanceof FuzzFailure) {
    console.error(e.message);
    Deno.exit(1);
  }
  throw e;
}
console.log("fuzz: no property violated");
