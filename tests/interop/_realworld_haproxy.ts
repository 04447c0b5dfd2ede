/**
 * HAProxy (Debian `haproxy`) for the load-balancer interop test: write a
 * configuration into a temporary directory, run `haproxy -f cfg -db` in the
 * foreground (bounded, killed at the end), wait until it accepts, and read
 * per-server counters from its stats socket (`show stat`).
 *
 * @module
 */

import { requireTool } from "./_server_helpers.ts";

/**
 * A TCP port that was free a moment ago on 127.0.0.1 (bound to port 0, read, closed).
 *
 * @returns The port.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A running HAProxy. */
export interface RunningHaproxy {
  /** The directory holding `haproxy.cfg` and `stats.sock`. */
  readonly dir: string;
  /** What HAProxy printed on stderr so far. */
  stderr(): string;
  /**
   * Runs one command on the stats socket (e.g. `show stat`).
   *
   * @param command The command line.
   * @returns The reply.
   */
  admin(command: string): Promise<string>;
  /**
   * `show stat` as rows keyed by the CSV header.
   *
   * @returns One object per proxy/server line.
   */
  stats(): Promise<Record<string, string>[]>;
  /** Stops HAProxy (SIGTERM, SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts HAProxy with `config`; `@DIR@` in it is replaced by the temporary
 * directory (for the stats socket), and `global`'s `stats socket` line is the
 * caller's to write.
 *
 * @param config The configuration text.
 * @param waitForPort A frontend port to poll until it accepts.
 * @returns The running HAProxy.
 * @throws {Error} When haproxy is missing, rejects the configuration, or does not listen in 10 s.
 */
export async function startHaproxy(config: string, waitForPort: number): Promise<RunningHaproxy> {
  await requireTool("haproxy", "apt-get install haproxy");
  const dir = await Deno.makeTempDir({ prefix: "h2-haproxy-" });
  const cfg = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(cfg, config.replaceAll("@DIR@", dir));
  const child = new Deno.Command("haproxy", {
    args: ["-f", cfg, "-db"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited = false;
  void child.status.then(() => exited = true);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5_000);
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    clearTimeout(killer);
    await drained.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`haproxy exited at start:\n${output}\n--- config ---\n${config}`);
    }
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: waitForPort })).close();
      // HAProxy binds the stats socket as a temporary name, then renames it:
      // it may appear after the TCP listeners.
      if (config.includes("@DIR@/stats.sock")) await Deno.stat(`${dir}/stats.sock`);
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy does not listen on ${waitForPort}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const admin = async (command: string) => {
    const conn = await Deno.connect({ transport: "unix", path: `${dir}/stats.sock` });
    await conn.write(new TextEncoder().encode(`${command}\n`));
    const reply = await new Response(conn.readable).text();
    return reply;
  };
  return {
    dir,
    stderr: () => output,
    admin,
    async stats() {
      const lines = (await admin("show stat")).trim().split("\n");
      const header = (lines.shift() ?? "").replace(/^# /, "").split(",");
      return lines.map((line) => {
        const cells = line.split(",");
        return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
      });
    },
    stop,
  };
}
