/**
 * Load benchmark: our `server.ts` against `node:http2` and `Deno.serve`
 * (`bench/peers/`), side by side, with h2load (issue #6).
 *
 * Each server runs alone, pinned to core 0 (`taskset -c 0`), freshly started
 * for every measurement; h2load runs pinned to core 1. Every measurement is a
 * warm-up run (a tenth of the requests), a reset of the peak-RSS counter
 * (`/proc/PID/clear_refs`), then the measured run; peak RSS is VmHWM of the
 * server process. Each workload is repeated (3 times by default), servers
 * interleaved in rotating order, and the table shows medians with ratios to
 * `node:http2`. Results go to `bench/results/latest.{json,md,svg}` (`--quick`
 * runs to `bench/results/quick.*`, so a smoke run never replaces real numbers;
 * `--name NAME` picks another name).
 *
 * Workloads (HTTP/2 with prior knowledge over 127.0.0.1):
 * - W1 `-n 200000 -c 10 -m 10 /`, W2 `-n 50000 -c 50 -m 1 /`,
 *   W3 `-n 100000 -c 1 -m 100 /` (req/s);
 * - W4 `-n 2000 -c 4 -m 4 /bytes/1048576`, W5 `-n 2000 -c 4 -m 4 -d <1 MiB> /echo-size`
 *   (payload MB/s = req/s × 1 MiB / 10^6);
 * - W6: 10,000 idle connections (preface + SETTINGS + SETTINGS ACK) opened by
 *   `bench/_load_idle.ts` on core 1; (RSS after − RSS before) / connections.
 *
 * Usage: `deno run -A bench/load.ts [--quick] [--servers ours,node,deno]
 * [--workloads W1,W2,...] [--repeats 3] [--nice -20] [--quiet-wait S] [--retries N]`.
 * `--quick` divides every count by 10.
 *
 * The machine is shared, so the harness defends its measurements:
 * - `--nice -20` (default; needs root): the server, h2load and the idle client
 *   run at nice -20, and so does the harness's session autogroup (with
 *   `kernel.sched_autogroup_enabled`, CPU is shared between sessions first);
 *   other work then hardly takes CPU from them. `--nice 0` turns this off.
 * - Before each measurement it waits (up to `--quiet-wait` seconds: 5 at raised
 *   priority, else 20; 0 = never) for less than 10 % of the CPUs to be busy,
 *   and records what it saw (`busyBefore`).
 * - During each measured h2load run it counts the CPU time of everything but
 *   the server, h2load and itself (`foreignCores`) and, at default priority,
 *   measures again (up to `--retries`, default 4) when that exceeded 0.1 core.
 * - Only one harness runs at a time (`/tmp/h2-bench-load.lock`; a second one
 *   waits up to `--lock-wait` seconds).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type H2loadResult, parseH2load } from "./_load_h2load.ts";
import {
  capture,
  CLOCK_TICKS,
  followTicks,
  kernelNetTicks,
  killAll,
  memoryOf,
  openFileLimits,
  processTicks,
  raisePriority,
  resetPeak,
  serverPid,
  spawn,
  type Spawned,
  stop,
  takeLock,
  totalBusyTicks,
  waitForQuiet,
  withTimeout,
} from "./_load_procs.ts";
import { type Panel, renderChart } from "./_load_svg.ts";

const ROOT = new URL("../", import.meta.url);
const RESULTS = new URL("./results/", import.meta.url);
const path = (rel: string) => new URL(rel, ROOT).pathname;
const SERVER_CORE = "0";
const LOAD_CORE = "1";
const MIB = 1024 * 1024;
/** `nice -n N` in front of every child when `--nice` is permitted (see `raisePriority`). */
let PRIORITY: string[] = [];

/** A server under test. */
interface ServerSpec {
  key: string;
  label: string;
  argv: (port: number) => string[];
  /** Why it cannot run, or undefined. */
  unavailable: () => string | undefined;
}

const SERVERS: readonly ServerSpec[] = [
  {
    key: "ours",
    label: "ours (server.ts)",
    argv: (
      port,
    ) => ["deno", "run", "-A", path("server.ts"), "--port", `${port}`, "--hostname", "127.0.0.1"],
    unavailable: () => exists(path("server.ts")) ? undefined : "server.ts is not in the tree yet",
  },
  {
    key: "node",
    label: "node:http2",
    argv: (port) => [
      "node",
      path("bench/peers/node_server.mjs"),
      "--port",
      `${port}`,
      "--hostname",
      "127.0.0.1",
    ],
    unavailable: () => undefined,
  },
  {
    key: "deno",
    label: "Deno.serve",
    argv: (port) => [
      "deno",
      "run",
      "--allow-net",
      path("bench/peers/deno_serve.ts"),
      "--port",
      `${port}`,
      "--hostname",
      "127.0.0.1",
    ],
    unavailable: () => undefined,
  },
];

/** A workload: an h2load run or the idle-connection census. */
interface Workload {
  id: string;
  caption: string;
  kind: "h2load" | "idle";
  n: number;
  c: number;
  m: number;
  path: string;
  /** Payload bytes per request for MB/s (download or upload); 0 = report req/s. */
  payload: number;
  upload: boolean;
}

const WORKLOADS: readonly Workload[] = [
  {
    id: "W1",
    caption: "-c 10 -m 10 /",
    kind: "h2load",
    n: 200_000,
    c: 10,
    m: 10,
    path: "/",
    payload: 0,
    upload: false,
  },
  {
    id: "W2",
    caption: "-c 50 -m 1 /",
    kind: "h2load",
    n: 50_000,
    c: 50,
    m: 1,
    path: "/",
    payload: 0,
    upload: false,
  },
  {
    id: "W3",
    caption: "-c 1 -m 100 /",
    kind: "h2load",
    n: 100_000,
    c: 1,
    m: 100,
    path: "/",
    payload: 0,
    upload: false,
  },
  {
    id: "W4",
    caption: "1 MiB GET -c 4 -m 4",
    kind: "h2load",
    n: 2_000,
    c: 4,
    m: 4,
    path: "/bytes/1048576",
    payload: MIB,
    upload: false,
  },
  {
    id: "W5",
    caption: "1 MiB POST -c 4 -m 4",
    kind: "h2load",
    n: 2_000,
    c: 4,
    m: 4,
    path: "/echo-size",
    payload: MIB,
    upload: true,
  },
  {
    id: "W6",
    caption: "idle conns",
    kind: "idle",
    n: 10_000,
    c: 0,
    m: 0,
    path: "",
    payload: 0,
    upload: false,
  },
];

/** One measurement. */
interface Run {
  rep: number;
  workload: string;
  server: string;
  ok: boolean;
  error?: string;
  h2load?: H2loadResult;
  /** req/s (W1–W3) or payload MB/s (W4, W5) or KiB per connection (W6). */
  value?: number;
  peakRssKiB?: number;
  rssKiB?: number;
  baselineRssKiB?: number;
  connections?: number;
  connectFailures?: number;
  peakResetWorked?: boolean;
  serverExit?: number | null;
  /** Fraction of all CPUs busy just before the server started (other work on the machine). */
  busyBefore?: number;
  /** Cores other work kept busy during the measured h2load run (0 = clean). */
  foreignCores?: number;
  /** Measured h2load runs (more than 1 when other work disturbed one). */
  attempts?: number;
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

function exists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function log(message: string): void {
  console.error(`[load ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a server pinned to the server core and waits for its `Listening on` line. */
async function startServer(
  spec: ServerSpec,
): Promise<{ proc: Spawned; port: number; pid: number }> {
  let resolveLine: (port: number) => void = () => {};
  const line = new Promise<number>((resolve) => (resolveLine = resolve));
  const proc = spawn([...PRIORITY, "taskset", "-c", SERVER_CORE, ...spec.argv(0)], {
    onStdoutLine: (text) => {
      const m = /Listening on https?:\/\/[^/]*:(\d+)\//.exec(text);
      if (m) resolveLine(Number(m[1]));
    },
  });
  try {
    const port = await withTimeout(
      Promise.race([
        line,
        proc.exited.then((s) =>
          Promise.reject(new Error(`exited with ${s.code} before listening`))
        ),
      ]),
      60_000,
      "no 'Listening on' line within 60 s",
    );
    // Let the runtime settle (deno compiles and caches on first start).
    await sleep(200);
    return { proc, port, pid: serverPid(proc.child.pid) };
  } catch (error) {
    await stop(proc, 500);
    throw new Error(`${spec.label}: ${(error as Error).message}\n${proc.tail()}`);
  }
}

/** Runs h2load pinned to the load core, bounded in time. */
/**
 * Runs h2load pinned to the load core, bounded in time. With `serverPid`, also
 * measures how many cores other work (not the server, h2load or this script)
 * kept busy during the run: the machine is shared, and such runs are retried.
 */
async function h2load(
  args: string[],
  timeoutMs: number,
  serverPid?: number,
): Promise<{ result: H2loadResult; foreignCores: number }> {
  const busy0 = totalBusyTicks();
  const server0 = serverPid === undefined ? 0 : processTicks(serverPid) ?? 0;
  const self0 = processTicks(Deno.pid) ?? 0;
  const net0 = kernelNetTicks();
  const t0 = performance.now();
  const proc = spawn([...PRIORITY, "taskset", "-c", LOAD_CORE, "h2load", ...args]);
  const loadTicks = followTicks(proc.child.pid);
  let status: Deno.CommandStatus;
  try {
    status = await withTimeout(proc.exited, timeoutMs, `h2load ran over ${timeoutMs / 1000} s`);
  } catch (error) {
    loadTicks.stop();
    await stop(proc, 500);
    throw error;
  }
  const ours = loadTicks.stop() +
    (serverPid === undefined ? 0 : (processTicks(serverPid) ?? server0) - server0) +
    ((processTicks(Deno.pid) ?? self0) - self0) + (kernelNetTicks() - net0);
  const seconds = (performance.now() - t0) / 1000;
  const foreignCores = Math.max(0, (totalBusyTicks() - busy0 - ours) / CLOCK_TICKS / seconds);
  const result = parseH2load(proc.tail());
  if (!status.success && result.succeeded === 0) throw new Error(`h2load failed:\n${proc.tail()}`);
  return { result, foreignCores: Math.round(foreignCores * 1000) / 1000 };
}

function h2loadArgs(w: Workload, n: number, port: number, uploadFile: string): string[] {
  const args = ["-n", `${n}`, "-c", `${w.c}`, "-m", `${w.m}`, "-t", "1"];
  if (w.upload) args.push("-d", uploadFile);
  args.push(`http://127.0.0.1:${port}${w.path}`);
  return args;
}

interface Options {
  quick: boolean;
  scale: number;
  timeoutMs: number;
  uploadFile: string;
  idleLimit: number;
  quietWaitMs: number;
  maxForeignCores: number;
  retries: number;
}

async function measureH2load(spec: ServerSpec, w: Workload, rep: number, o: Options): Promise<Run> {
  const run: Run = { rep, workload: w.id, server: spec.key, ok: false };
  const n = Math.max(w.c * w.m, Math.round(w.n / o.scale));
  const { proc, port, pid } = await startServer(spec);
  try {
    await h2load(
      h2loadArgs(w, Math.max(w.c * w.m, Math.round(n / 10)), port, o.uploadFile),
      o.timeoutMs,
    );
    // Other work on the machine steals CPU from the pinned cores: measure it
    // during the run and measure again (bounded) when it was more than a bit.
    let measured: { result: H2loadResult; foreignCores: number };
    run.attempts = 0;
    for (;;) {
      run.attempts++;
      run.peakResetWorked = resetPeak(pid);
      measured = await h2load(h2loadArgs(w, n, port, o.uploadFile), o.timeoutMs, pid);
      if (measured.foreignCores <= o.maxForeignCores || run.attempts > o.retries) break;
      log(`  (other work kept ${measured.foreignCores.toFixed(2)} cores busy; measuring again)`);
      if (o.quietWaitMs > 0) await waitForQuiet({ maxWaitMs: o.quietWaitMs });
    }
    const result = measured.result;
    run.foreignCores = measured.foreignCores;
    const mem = memoryOf(pid);
    run.h2load = result;
    run.value = w.payload > 0 ? (result.reqPerSec * w.payload) / 1e6 : result.reqPerSec;
    if (mem) {
      run.peakRssKiB = mem.peakKiB;
      run.rssKiB = mem.rssKiB;
    }
    run.ok = result.succeeded > 0;
    if (result.failed + result.errored + result.timeout + result.non2xx > 0) {
      run.error =
        `${result.failed} failed, ${result.errored} errored, ${result.timeout} timeout, ${result.non2xx} non-2xx`;
    }
  } catch (error) {
    run.error = (error as Error).message.slice(0, 2000);
  } finally {
    const exited = proc.exited.then((s) => s.code);
    await stop(proc);
    run.serverExit = await Promise.race([exited, sleep(100).then(() => null)]);
  }
  return run;
}

async function measureIdle(spec: ServerSpec, w: Workload, rep: number, o: Options): Promise<Run> {
  const run: Run = { rep, workload: w.id, server: spec.key, ok: false };
  const count = Math.min(o.idleLimit, Math.max(10, Math.round(w.n / o.scale)));
  const { proc, port, pid } = await startServer(spec);
  let idle: Spawned | undefined;
  try {
    // Warm the server up a little so lazily loaded code is not counted per connection.
    await h2load(
      ["-n", "2000", "-c", "10", "-m", "10", "-t", "1", `http://127.0.0.1:${port}/`],
      o.timeoutMs,
    );
    await sleep(300);
    const before = memoryOf(pid);
    let resolveLine: (line: string) => void = () => {};
    const line = new Promise<string>((resolve) => (resolveLine = resolve));
    idle = spawn([
      ...PRIORITY,
      "taskset",
      "-c",
      LOAD_CORE,
      "deno",
      "run",
      "--allow-net",
      path("bench/_load_idle.ts"),
      "--port",
      `${port}`,
      "--count",
      `${count}`,
      "--hold-ms",
      "120000",
    ], { stdin: "piped", onStdoutLine: (text) => text.startsWith("opened ") && resolveLine(text) });
    const text = await withTimeout(
      Promise.race([
        line,
        idle.exited.then(() => Promise.reject(new Error(`idle client exited:\n${idle?.tail()}`))),
      ]),
      90_000,
      "idle connections not open within 90 s",
    );
    const [, opened, failed] = text.split(" ");
    run.connections = Number(opened);
    run.connectFailures = Number(failed);
    await sleep(1000);
    const after = memoryOf(pid);
    if (before && after && run.connections > 0) {
      run.baselineRssKiB = before.rssKiB;
      run.rssKiB = after.rssKiB;
      run.peakRssKiB = after.peakKiB;
      run.value = (after.rssKiB - before.rssKiB) / run.connections;
      run.ok = true;
    }
    if (run.connectFailures > 0) run.error = text;
  } catch (error) {
    run.error = (error as Error).message.slice(0, 2000);
  } finally {
    if (idle) {
      await idle.child.stdin.close().catch(() => {});
      await stop(idle, 5000);
    }
    await stop(proc);
  }
  return run;
}

function formatValue(workload: Workload, value: number | undefined): string {
  if (value === undefined) return "n/a";
  if (workload.kind === "idle") return `${value.toFixed(1)} KiB/conn`;
  if (workload.payload > 0) return `${value.toFixed(0)} MB/s`;
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k req/s` : `${value.toFixed(0)} req/s`;
}

interface Summary {
  value?: number;
  peakRssMiB?: number;
  runs: number;
  problems: string[];
}

function summarise(runs: Run[], workloads: readonly Workload[], servers: readonly ServerSpec[]) {
  const table: Record<string, Record<string, Summary>> = {};
  for (const w of workloads) {
    table[w.id] = {};
    for (const s of servers) {
      const mine = runs.filter((r) => r.workload === w.id && r.server === s.key);
      const good = mine.filter((r) => r.ok);
      const summary: Summary = { runs: good.length, problems: [] };
      const value = median(good.map((r) => r.value ?? NaN));
      if (value !== undefined) summary.value = value;
      const peak = median(good.map((r) => r.peakRssKiB ?? NaN));
      if (peak !== undefined) summary.peakRssMiB = peak / 1024;
      for (const r of mine) {
        if (r.error) summary.problems.push(`rep ${r.rep}: ${r.error.split("\n")[0]}`);
      }
      table[w.id]![s.key] = summary;
    }
  }
  return table;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? "n/a" : `${(a / b).toFixed(2)}×`;
}

function markdown(
  table: ReturnType<typeof summarise>,
  workloads: readonly Workload[],
  servers: readonly ServerSpec[],
): string {
  const others = servers.filter((s) => s.key !== "node");
  const hasNode = servers.some((s) => s.key === "node");
  const head = [
    "Workload",
    ...servers.map((s) => s.label),
    ...(hasNode ? others.map((s) => `${s.key}/node`) : []),
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const w of workloads) {
    const row = table[w.id]!;
    lines.push(`| ${w.id} ${w.caption} | ${
      [
        ...servers.map((s) => formatValue(w, row[s.key]?.value)),
        ...(hasNode ? others.map((s) => ratio(row[s.key]?.value, row.node?.value)) : []),
      ].join(" | ")
    } |`);
  }
  lines.push(
    "",
    `| Peak RSS (VmHWM, MiB) | ${servers.map((s) => s.label).join(" | ")}${
      hasNode ? others.map((s) => ` | ${s.key}/node`).join("") : ""
    } |`,
  );
  lines.push(
    `|---|${servers.map(() => "---").join("|")}${
      hasNode ? others.map(() => "|---").join("") : ""
    }|`,
  );
  for (const w of workloads) {
    const row = table[w.id]!;
    const cell = (key: string) => row[key]?.peakRssMiB;
    lines.push(`| ${w.id} | ${
      [
        ...servers.map((s) => cell(s.key)?.toFixed(1) ?? "n/a"),
        ...(hasNode ? others.map((s) => ratio(cell(s.key), cell("node"))) : []),
      ].join(" | ")
    } |`);
  }
  const problems = workloads.flatMap((w) =>
    servers.flatMap((s) =>
      (table[w.id]![s.key]?.problems ?? []).map((p) => `- ${w.id} ${s.label} ${p}`)
    )
  );
  if (problems.length > 0) lines.push("", "Problems:", ...problems);
  return lines.join("\n") + "\n";
}

function chart(
  table: ReturnType<typeof summarise>,
  workloads: readonly Workload[],
  servers: readonly ServerSpec[],
  subtitle: string,
): string {
  const labels = Object.fromEntries(servers.map((s) => [s.key, s.label]));
  const bars = (
    w: Workload,
    pick: (s: Summary | undefined) => number | undefined,
    fmt: (v: number) => string,
  ) =>
    servers.map((s) => {
      const v = pick(table[w.id]![s.key]);
      const base = pick(table[w.id]!.node);
      return {
        server: s.key,
        ratio: v !== undefined && base !== undefined && base > 0 ? v / base : NaN,
        label: v === undefined ? "n/a" : fmt(v),
      };
    });
  const panels: Panel[] = [
    {
      title: "Throughput, relative to node:http2 (higher is better)",
      groups: workloads.filter((w) => w.kind === "h2load").map((w) => ({
        name: w.id,
        caption: w.caption,
        bars: bars(w, (s) => s?.value, (v) => formatValue(w, v)),
      })),
    },
    {
      title:
        "Memory, relative to node:http2 (lower is better): peak RSS; W6 RSS per idle connection",
      groups: workloads.map((w) => ({
        name: w.id,
        caption: w.kind === "idle" ? "KiB per conn" : "peak RSS",
        bars: w.kind === "idle"
          ? bars(w, (s) => s?.value, (v) => `${v.toFixed(1)} KiB`)
          : bars(w, (s) => s?.peakRssMiB, (v) => `${v.toFixed(0)} MiB`),
      })),
    },
  ].filter((p) => p.groups.length > 0);
  return renderChart("HTTP/2 servers side by side (h2load, h2c)", panels, labels, subtitle);
}

function subtitleOf(
  command: string,
  machine: { cores: number; cpu: string },
  repeats: number,
  at: string,
): string {
  return `${command} · ${machine.cores} cores (${machine.cpu}), server and h2load pinned to one core each · medians of ${repeats} · ${
    at.slice(0, 16)
  }Z`;
}

/** Re-renders latest.md and latest.svg from latest.json (after a chart change). */
async function redraw(name: string): Promise<number> {
  const saved = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, RESULTS)));
  const keys = new Set((saved.servers as { key: string }[]).map((s) => s.key));
  const ids = new Set((saved.workloads as { id: string }[]).map((w) => w.id));
  const servers = SERVERS.filter((s) => keys.has(s.key));
  const workloads = WORKLOADS.filter((w) => ids.has(w.id));
  const table = saved.medians as ReturnType<typeof summarise>;
  const md = markdown(table, workloads, servers);
  await Deno.writeTextFile(new URL(`${name}.md`, RESULTS), `${saved.command}\n\n${md}`);
  await Deno.writeTextFile(
    new URL(`${name}.svg`, RESULTS),
    chart(
      table,
      workloads,
      servers,
      subtitleOf(saved.command, saved.machine, saved.repeats, saved.generatedAt),
    ),
  );
  console.log(md);
  return 0;
}

const USAGE = "usage: deno run -A bench/load.ts [--quick] [--servers ours,node,deno] " +
  "[--workloads W1,...,W6] [--repeats 3] [--nice -20] [--quiet-wait S] [--retries N] " +
  "[--lock-wait 900] [--name latest]\n" +
  "       deno run -A bench/load.ts --redraw [--name latest]   (re-render NAME.md/.svg from NAME.json)";

function parseFlags() {
  return parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      servers: { type: "string", default: "ours,node,deno" },
      workloads: { type: "string", default: "W1,W2,W3,W4,W5,W6" },
      repeats: { type: "string", default: "3" },
      "quiet-wait": { type: "string" },
      retries: { type: "string" },
      nice: { type: "string", default: "-20" },
      "lock-wait": { type: "string", default: "900" },
      redraw: { type: "boolean", default: false },
      name: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parseFlags>["values"];
  try {
    values = parseFlags().values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const name = values.name ?? (values.quick ? "quick" : "latest");
  if (!/^[\w.-]+$/.test(name)) {
    console.error(`bad --name: ${name}`);
    return 2;
  }
  if (values.redraw) return await redraw(name);
  const wanted = values.servers.split(",").map((s) => s.trim());
  const unknownServer = wanted.find((k) => !SERVERS.some((s) => s.key === k));
  const wantedW = values.workloads.split(",").map((s) => s.trim().toUpperCase());
  const unknownW = wantedW.find((k) => !WORKLOADS.some((w) => w.id === k));
  const repeats = Number(values.repeats);
  if (unknownServer || unknownW || !(repeats >= 1)) {
    console.error(
      `unknown server/workload or bad --repeats: ${unknownServer ?? unknownW ?? values.repeats}`,
    );
    return 2;
  }
  for (const tool of ["h2load", "taskset"]) {
    if ((await capture(["sh", "-c", `command -v ${tool}`])) === "") {
      console.error(`${tool} is required`);
      return 1;
    }
  }
  const unavailable: Record<string, string> = {};
  const servers = SERVERS.filter((s) => wanted.includes(s.key)).filter((s) => {
    const why = s.unavailable();
    if (why) {
      unavailable[s.key] = why;
      log(`skipping ${s.label}: ${why}`);
    }
    return why === undefined;
  });
  const workloads = WORKLOADS.filter((w) => wantedW.includes(w.id));
  const scale = values.quick ? 10 : 1;

  // W6 needs one descriptor per connection in the server and in the idle client.
  const limits = openFileLimits();
  const idleWanted = Math.round(10_000 / scale);
  const idleLimit = Math.min(idleWanted, Math.max(10, Math.min(limits.soft, limits.hard) - 200));
  if (idleLimit < idleWanted && workloads.some((w) => w.kind === "idle")) {
    log(
      `open-file limit ${limits.soft}/${limits.hard}: W6 uses ${idleLimit} connections (raise ulimit -n)`,
    );
  }

  const lock = await takeLock(
    Number(values["lock-wait"]) * 1000,
    (pid) => log(`another bench/load.ts (PID ${pid}) is running; waiting for it to finish`),
  );
  releaseLock = lock.release;
  const priority = await raisePriority(Number(values.nice));
  PRIORITY = priority.prefix;
  restorePriority = priority.restore;
  log(priority.description);
  const tmp = await Deno.makeTempDir({ prefix: "h2-bench-" });
  const uploadFile = `${tmp}/upload-1MiB.bin`;
  const body = new Uint8Array(MIB);
  for (let i = 0; i < MIB; i += 65_536) crypto.getRandomValues(body.subarray(i, i + 65_536));
  await Deno.writeFile(uploadFile, body);

  const options: Options = {
    quick: values.quick,
    scale,
    timeoutMs: values.quick ? 60_000 : 180_000,
    uploadFile,
    idleLimit,
    // Waiting for a quiet machine matters less at raised priority: 5 s, else 20 s.
    quietWaitMs: Number(values["quiet-wait"] ?? (priority.prefix.length > 0 ? 5 : 20)) * 1000,
    maxForeignCores: 0.1,
    // At raised priority other work hardly takes CPU from ours, but it still
    // shows up as busy CPU: retry on it only at default priority (or if asked).
    retries: values.retries !== undefined
      ? Number(values.retries)
      : priority.prefix.length > 0
      ? 0
      : 4,
  };
  const runs: Run[] = [];
  const started = Date.now();
  const loadBefore = loadAverage();
  try {
    for (let rep = 1; rep <= repeats; rep++) {
      for (const w of workloads) {
        // Rotate the server order every repetition so no server always goes first.
        const order = servers.map((_, i) => servers[(i + rep - 1) % servers.length]!);
        for (const spec of order) {
          const busy = options.quietWaitMs > 0
            ? await waitForQuiet({ maxWaitMs: options.quietWaitMs })
            : undefined;
          log(
            `rep ${rep}/${repeats} ${w.id} ${spec.label}${
              busy === undefined ? "" : ` (machine ${(busy * 100).toFixed(0)}% busy before)`
            }`,
          );
          const run = w.kind === "idle"
            ? await measureIdle(spec, w, rep, options)
            : await measureH2load(spec, w, rep, options);
          if (busy !== undefined) run.busyBefore = Math.round(busy * 1000) / 1000;
          runs.push(run);
          log(
            `  → ${formatValue(w, run.value)}${
              run.peakRssKiB ? `, peak RSS ${(run.peakRssKiB / 1024).toFixed(1)} MiB` : ""
            }${run.error ? ` [${run.error.split("\n")[0]}]` : ""}`,
          );
        }
      }
    }
  } finally {
    priority.restore();
    lock.release();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }

  const table = summarise(runs, workloads, servers);
  const md = markdown(table, workloads, servers);
  const [deno, node, h2loadVersion, cpu, commit, dirty] = await Promise.all([
    Promise.resolve(Deno.version.deno),
    capture(["node", "--version"]),
    capture(["h2load", "--version"]),
    capture(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]),
    capture(["git", "-C", path("."), "rev-parse", "--short", "HEAD"]),
    capture(["git", "-C", path("."), "status", "--porcelain", "--", "server.ts", "lib", "mod.ts"]),
  ]);
  const command = `deno run -A bench/load.ts ${Deno.args.join(" ")}`.trim();
  const machine = {
    cpu: cpu.trim(),
    cores: navigator.hardwareConcurrency,
    kernel: Deno.osRelease(),
    deno,
    node,
    h2load: h2loadVersion,
    pinning:
      `server on core ${SERVER_CORE}, h2load and the idle client on core ${LOAD_CORE} (taskset)`,
    openFiles: limits,
    priority: priority.description,
    // What was measured: the commit, and engine/server files that differed from it.
    git: { commit, uncommitted: dirty === "" ? [] : dirty.split("\n").map((l) => l.trim()) },
    // Other processes share the two cores; a busy machine skews everything.
    loadAverage: { before: loadBefore, after: loadAverage() },
  };
  const subtitle = subtitleOf(command, machine, repeats, new Date().toISOString());
  console.log(`\n${command}\n${machine.pinning}; medians of ${repeats}\n\n${md}`);
  await Deno.mkdir(RESULTS, { recursive: true });
  await Deno.writeTextFile(
    new URL(`${name}.json`, RESULTS),
    JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        command,
        durationSeconds: Math.round((Date.now() - started) / 1000),
        machine,
        quick: values.quick,
        repeats,
        unavailable,
        workloads: workloads.map((w) => ({
          ...w,
          n: w.kind === "idle" ? idleLimit : Math.round(w.n / scale),
        })),
        servers: servers.map((s) => ({ key: s.key, label: s.label, argv: s.argv(0) })),
        medians: table,
        runs,
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(new URL(`${name}.md`, RESULTS), `${command}\n\n${md}`);
  await Deno.writeTextFile(
    new URL(`${name}.svg`, RESULTS),
    chart(table, workloads, servers, subtitle),
  );
  log(
    `wrote bench/results/${name}.{json,md,svg} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return 0;
}

/** Releases the machine-wide harness lock; replaced once it is taken. */
let releaseLock = () => {};
/** Gives the session autogroup its nice value back; replaced once raised. */
let restorePriority = () => {};

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    killAll();
    releaseLock();
    restorePriority();
    Deno.exit(130);
  });
}
globalThis.addEventListener("unload", () => {
  killAll();
  releaseLock();
  restorePriority();
});

if (import.meta.main) {
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    console.error(error);
  } finally {
    killAll();
    releaseLock();
    restorePriority();
  }
  Deno.exit(code);
}
