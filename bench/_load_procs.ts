/**
 * Process plumbing for `bench/load.ts`: spawning pinned children, waiting for
 * the `Listening on …` line, bounded waits, reading peak RSS from `/proc`, and
 * killing every child on exit. Linux only (taskset, `/proc/PID/status`).
 *
 * @module
 */

/** Every child still running; `killAll` ends them. */
const live = new Set<Deno.ChildProcess>();

/** A spawned child with its collected stderr tail and exit promise. */
export interface Spawned {
  /** The child (the PID is the pinned program: taskset execs it). */
  readonly child: Deno.ChildProcess;
  /** Resolves with the exit status; never rejects. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** The last few KiB of stderr (and of stdout after `waitForLine`). */
  tail(): string;
}

/**
 * Spawns `argv` with stdout/stderr piped and drained (a full pipe would block
 * the child), and records it for `killAll`.
 *
 * @param argv Program and arguments.
 * @param options.onStdoutLine Called for each stdout line.
 * @param options.stdin "piped" to keep a stdin the harness can close.
 * @returns The running child.
 */
export function spawn(
  argv: readonly string[],
  options: { onStdoutLine?: (line: string) => void; stdin?: "piped" | "null" } = {},
): Spawned {
  const [program, ...args] = argv;
  if (program === undefined) throw new TypeError("Cannot spawn an empty command");
  const child = new Deno.Command(program, {
    args,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  let tail = "";
  const keep = (text: string) => {
    tail = (tail + text).slice(-4096);
  };
  const drain = async (stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) => {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        keep(text);
        if (onLine === undefined) continue;
        pending += text;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      }
    } catch {
      // the child went away
    }
  };
  const drained = Promise.all([
    drain(child.stdout, options.onStdoutLine),
    drain(child.stderr),
  ]);
  const exited = child.status.then(async (status) => {
    live.delete(child);
    await drained;
    return status;
  });
  return { child, exited, tail: () => tail };
}

/**
 * Resolves `promise`, or rejects with `message` after `ms` milliseconds.
 *
 * @param promise What to wait for.
 * @param ms The bound in milliseconds.
 * @param message The error message on timeout.
 * @returns The promise's value.
 * @throws {Error} On timeout.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends SIGTERM, waits up to `graceMs`, then SIGKILLs the child and its
 * descendants.
 *
 * @param spawned The child.
 * @param graceMs How long a graceful exit may take.
 */
export async function stop(spawned: Spawned, graceMs = 3000): Promise<void> {
  const descendants = processTree(spawned.child.pid);
  try {
    spawned.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  try {
    await withTimeout(spawned.exited, graceMs, "grace period over");
  } catch {
    for (const pid of descendants.reverse()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await withTimeout(spawned.exited, 5000, "child survived SIGKILL").catch(() => {});
  }
}

/** Kills every child still running (SIGKILL, with descendants). Synchronous, for exit paths. */
export function killAll(): void {
  for (const child of live) {
    for (const pid of processTree(child.pid).reverse()) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

/**
 * The PID and all its descendants (parents first), from
 * `/proc/PID/task/TID/children`.
 *
 * @param pid The root process.
 * @returns PIDs, root first.
 */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    out.push(next);
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${next}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const text = Deno.readTextFileSync(`/proc/${next}/task/${tid}/children`).trim();
        if (text !== "") queue.push(...text.split(/\s+/).map(Number));
      } catch {
        // thread exited
      }
    }
  }
  return out;
}

/** Memory figures of one process, in KiB, from `/proc/PID/status`. */
export interface Memory {
  /** Current resident set size (VmRSS). */
  rssKiB: number;
  /** Peak resident set size (VmHWM) since start or the last `resetPeak`. */
  peakKiB: number;
}

/**
 * Reads VmRSS/VmHWM of a process.
 *
 * @param pid The process.
 * @returns The figures, or undefined when the process is gone.
 */
export function memoryOf(pid: number): Memory | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  const rssKiB = field("VmRSS");
  const peakKiB = field("VmHWM");
  if (!Number.isFinite(rssKiB) || !Number.isFinite(peakKiB)) return undefined;
  return { rssKiB, peakKiB };
}

/**
 * The real server process under `pid` (taskset execs, but a launcher script
 * could fork): the process in the tree with the largest RSS.
 *
 * @param pid The spawned PID.
 * @returns The PID whose memory to read.
 */
export function serverPid(pid: number): number {
  let best = pid;
  let bestRss = -1;
  for (const candidate of processTree(pid)) {
    const rss = memoryOf(candidate)?.rssKiB ?? -1;
    if (rss > bestRss) {
      best = candidate;
      bestRss = rss;
    }
  }
  return best;
}

/**
 * Resets the peak RSS counter (VmHWM) to the current RSS (Linux ≥ 4.0:
 * `echo 5 > /proc/PID/clear_refs`), so a warm-up run does not count.
 *
 * @param pid The process.
 * @returns Whether the reset worked.
 */
export function resetPeak(pid: number): boolean {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a short command to completion and returns its stdout (for versions).
 *
 * @param argv Program and arguments.
 * @returns Trimmed stdout, or "unavailable".
 */
export async function capture(argv: readonly string[]): Promise<string> {
  const [program, ...args] = argv;
  try {
    const out = await new Deno.Command(program!, { args, stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unavailable";
  }
}

/**
 * The soft and hard open-file limits of this process (`/proc/self/limits`).
 *
 * @returns The limits; Infinity for "unlimited".
 */
export function openFileLimits(): { soft: number; hard: number } {
  const text = Deno.readTextFileSync("/proc/self/limits");
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const num = (s: string | undefined) => s === "unlimited" ? Infinity : Number(s);
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

function cpuTimes(): { idle: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { idle, total: values.reduce((a, b) => a + b, 0) };
}

/**
 * The fraction of all CPUs busy (not idle or iowait) over `ms`, from `/proc/stat`.
 *
 * @param ms The sampling window.
 * @returns A number in [0, 1].
 */
export async function cpuBusy(ms = 500): Promise<number> {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTimes();
  const total = b.total - a.total;
  return total <= 0 ? 0 : 1 - (b.idle - a.idle) / total;
}

/**
 * Waits until the machine is quiet (other processes share the cores), bounded.
 *
 * @param options.threshold Busy fraction under which the machine counts as quiet.
 * @default 0.1
 * @param options.maxWaitMs Give up waiting after this long.
 * @default 60000
 * @returns The last busy fraction seen (above the threshold if the wait gave up).
 */
export async function waitForQuiet(
  options: { threshold?: number; maxWaitMs?: number } = {},
): Promise<number> {
  const threshold = options.threshold ?? 0.1;
  const deadline = Date.now() + (options.maxWaitMs ?? 60_000);
  let busy = await cpuBusy();
  while (busy > threshold && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    busy = await cpuBusy();
  }
  return busy;
}

/** Clock ticks per second of `/proc` CPU times (USER_HZ; 100 on Linux). */
export const CLOCK_TICKS = 100;

/**
 * CPU time all CPUs spent busy in processes since boot, in clock ticks
 * (`/proc/stat`). Interrupt and softirq time is left out: on loopback it is
 * mostly our own traffic (TCP processing the kernel does not charge to the
 * sending process), and so is the time of the `ksoftirqd` threads (see
 * `kernelNetTicks`).
 *
 * @returns Busy ticks (user + nice + system + steal).
 */
export function totalBusyTicks(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[7] ?? 0);
}

let ksoftirqd: number[] | undefined;

/**
 * CPU time of the kernel's `ksoftirqd/N` threads (deferred network processing).
 *
 * @returns Their utime + stime in clock ticks.
 */
export function kernelNetTicks(): number {
  if (ksoftirqd === undefined) {
    ksoftirqd = [];
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        if (Deno.readTextFileSync(`/proc/${entry.name}/comm`).startsWith("ksoftirqd")) {
          ksoftirqd.push(Number(entry.name));
        }
      } catch {
        // gone
      }
    }
  }
  return ksoftirqd.reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0);
}

/**
 * CPU time a process (all its threads) has used, in clock ticks.
 *
 * @param pid The process.
 * @returns utime + stime, or undefined when it is gone.
 */
export function processTicks(pid: number): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // Fields after the name start at field 3 (state): utime is field 14, stime 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/**
 * Follows a process's CPU time while it runs (sampling every 50 ms, since
 * `/proc/PID` vanishes at exit), for telling our CPU use from other work's.
 *
 * @param pid The process.
 * @returns `stop()` returning the last ticks seen.
 */
export function followTicks(pid: number): { stop(): number } {
  let last = processTicks(pid) ?? 0;
  const timer = setInterval(() => {
    last = processTicks(pid) ?? last;
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      last = processTicks(pid) ?? last;
      return last;
    },
  };
}

const LOCK = "/tmp/h2-bench-load.lock";

function lockHolder(): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(LOCK).trim());
    return pid > 0 && exists(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
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

/**
 * Takes the machine-wide harness lock (`/tmp/h2-bench-load.lock`), so two load
 * runs (the machine is shared) never pin servers to the same core at once.
 * Waits, bounded, while another live harness holds it; a stale lock is taken over.
 *
 * @param maxWaitMs How long to wait for another run to finish.
 * @param onWait Called once when the lock is busy, with the holder's PID.
 * @returns `release()`, idempotent.
 * @throws {Error} When the lock is still held after `maxWaitMs`.
 */
export async function takeLock(
  maxWaitMs: number,
  onWait: (pid: number) => void,
): Promise<{ release(): void }> {
  const deadline = Date.now() + maxWaitMs;
  let told = false;
  for (;;) {
    try {
      Deno.writeTextFileSync(LOCK, `${Deno.pid}\n`, { createNew: true });
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          try {
            if (Number(Deno.readTextFileSync(LOCK).trim()) === Deno.pid) Deno.removeSync(LOCK);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = lockHolder();
    if (holder === undefined) {
      // The holder died without releasing it.
      try {
        Deno.removeSync(LOCK);
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`another bench/load.ts (PID ${holder}) still holds ${LOCK}`);
    }
    if (!told) onWait(holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/**
 * Raises the CPU priority of what the harness spawns, so other work sharing
 * the machine does not take CPU from the pinned server and h2load: `nice -n N`
 * in front of each child, and the same nice value on this session's autogroup
 * (with `kernel.sched_autogroup_enabled`, CPU is shared between sessions first,
 * and nice values only order processes inside one). Needs root (CAP_SYS_NICE).
 *
 * @param niceness The nice value, e.g. -20; 0 disables.
 * @returns The argv prefix for children, a description, and `restore()` for the autogroup.
 */
export async function raisePriority(
  niceness: number,
): Promise<{ prefix: string[]; description: string; restore(): void }> {
  const none = { prefix: [], description: "default priority", restore() {} };
  if (niceness === 0) return none;
  const seen = await capture(["nice", "-n", `${niceness}`, "nice"]);
  if (seen !== `${niceness}`) {
    return { ...none, description: `default priority (nice ${niceness} not permitted)` };
  }
  let restore = () => {};
  let group = "";
  try {
    const before = Deno.readTextFileSync("/proc/self/autogroup");
    const old = /nice (-?\d+)/.exec(before)?.[1] ?? "0";
    Deno.writeTextFileSync("/proc/self/autogroup", `${niceness}`);
    group = `, session autogroup nice ${niceness}`;
    restore = () => {
      try {
        Deno.writeTextFileSync("/proc/self/autogroup", old);
      } catch {
        // best effort
      }
    };
  } catch {
    // no autogroups
  }
  return {
    prefix: ["nice", "-n", `${niceness}`],
    description: `server, h2load and idle client at nice ${niceness}${group}`,
    restore,
  };
}
