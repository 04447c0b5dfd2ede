/**
 * Shared plumbing for the interop tests against the real `server.ts`: start
 * it as a subprocess on a free port (reading its `Listening on` line), run
 * outside tools with a time limit, fail clearly when a tool is missing, and
 * read the server's peak memory from `/proc`.
 *
 * @module
 */

/** The repository root (this file is `tests/interop/_server_helpers.ts`). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** A `server.ts` subprocess. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT` or `https://…` (no trailing slash). */
  readonly origin: string;
  /** The port it listens on. */
  readonly port: number;
  /** The Deno process id (for `/proc/PID/status` and signals). */
  readonly pid: number;
  /** The process. */
  readonly process: Deno.ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  /** What it printed on stdout so far (the `Listening on` line included). */
  stdout(): string;
  /** Sends `signal` (SIGTERM by default) and waits for the exit, killing it after `ms`. */
  stop(signal?: Deno.Signal, ms?: number): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno run --allow-net --allow-read server.ts --port 0 --hostname 127.0.0.1 …`.
 *
 * @param extraArgs More server flags (e.g. `--cert`, `--key`).
 * @param denoFlags More `deno run` flags (e.g. `--allow-run` for `--workers`).
 * @returns The running server, once it printed its `Listening on` line.
 * @throws {Error} If it exits or stays silent for 20 s.
 */
export async function startServer(
  extraArgs: string[] = [],
  denoFlags: string[] = [],
): Promise<RunningServer> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      ...denoFlags,
      "server.ts",
      "--port",
      "0",
      "--hostname",
      "127.0.0.1",
      ...extraArgs,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderrText = "";
  const stderrDone = (async () => {
    for await (const chunk of process.stderr.pipeThrough(new TextDecoderStream())) {
      stderrText += chunk;
    }
  })();
  const lines = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdoutText = "";
  const timer = setTimeout(() => process.kill("SIGKILL"), 20_000);
  let match: RegExpExecArray | null = null;
  try {
    while (match === null) {
      const { value, done } = await lines.read();
      if (done) break;
      stdoutText += value;
      match = /^Listening on (https?):\/\/([^/]+):(\d+)\/\n/m.exec(stdoutText);
    }
  } finally {
    clearTimeout(timer);
  }
  const stdoutDone = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) break;
      stdoutText += value;
    }
  })();
  if (match === null) {
    await Promise.all([process.status, stderrDone, stdoutDone]);
    throw new Error(`server.ts did not start:\n${stdoutText}\n${stderrText}`);
  }
  const port = Number(match[3]);
  return {
    origin: `${match[1]}://127.0.0.1:${port}`,
    port,
    pid: process.pid,
    process,
    stderr: () => stderrText,
    stdout: () => stdoutText,
    async stop(signal: Deno.Signal = "SIGTERM", ms = 15_000) {
      const killer = setTimeout(() => {
        try {
          process.kill("SIGKILL");
        } catch { /* gone */ }
      }, ms);
      try {
        process.kill(signal);
      } catch { /* gone */ }
      const status = await process.status;
      clearTimeout(killer);
      await Promise.all([stderrDone, stdoutDone]);
      return status;
    },
  };
}

/**
 * Fails with a clear message when an outside tool is not installed.
 *
 * @param name The executable.
 * @param hint How to install it.
 * @throws {Error} When `name` is not on PATH.
 */
export async function requireTool(name: string, hint: string): Promise<void> {
  const { success } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`${name} is not installed (${hint}); this interop test needs it`);
}

/** What a finished command produced. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Raw stdout. */
  stdout: Uint8Array;
  /** Stdout as text. */
  text: string;
  /** Stderr as text. */
  stderr: string;
}

/**
 * Runs a command to completion, killing it after `timeoutMs`.
 *
 * @param cmd The executable.
 * @param args Its arguments.
 * @param options Time limit, stdin bytes, working directory.
 * @returns Exit code and output.
 * @throws {Error} When it times out.
 */
export async function run(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; stdin?: Uint8Array; cwd?: string } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: output.stdout,
    text: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (timedOut) {
    throw new Error(
      `${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms\n${result.stderr.slice(-2000)}`,
    );
  }
  return result;
}

/**
 * The peak resident set size of a process (`VmHWM`), in bytes.
 *
 * @param pid The process.
 * @returns Bytes.
 */
export async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`No VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * The body `GET /bytes/N` serves: octet i is `i % 256`.
 *
 * @param size N.
 * @returns The expected bytes.
 */
export function expectedBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i & 0xff;
  return out;
}

/**
 * Makes a self-signed P-256 certificate for `localhost` with openssl.
 *
 * @param dir Where to write `cert.pem` and `key.pem`.
 * @returns The two paths.
 */
export async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  await requireTool("openssl", "apt-get install openssl");
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const result = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-days",
    "1",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  if (result.code !== 0) throw new Error(`openssl failed:\n${result.stderr}`);
  return { cert, key };
}

/**
 * Bounds a test in time: it fails with a clear message instead of hanging
 * the suite when an awaited event never comes.
 *
 * @param fn The test body.
 * @param ms The limit.
 * @returns The bounded test body.
 */
export function bounded(
  fn: (t: Deno.TestContext) => void | Promise<void>,
  ms = 60_000,
): (t: Deno.TestContext) => Promise<void> {
  return async (t) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Test timed out after ${ms} ms`)), ms);
    });
    try {
      await Promise.race([fn(t), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
