/**
 * Uploads over a slow link, without root: a userspace TCP proxy in this
 * process delays every chunk by `--delay` ms in each direction (no bandwidth
 * cap, unbounded buffering: a long fat network), and h2load uploads through
 * it to `server.ts` of one or more source trees. This is where receive windows
 * matter: a window W caps one stream at W / RTT, so a 1 MiB window over a
 * 40 ms round trip moves at most 26 MB/s, however fast the link.
 *
 * Usage (server on core 0, proxy and h2load on core 1):
 *
 * ```sh
 * taskset -c 1 deno run -A bench/latency.ts --delay 20 --size 67108864 -n 4 -m 1 \
 *   --tree /path/to/old/checkout --tree .          # A/B, interleaved, --repeats 3
 * ```
 *
 * Prints, per tree, the median upload rate (payload MB/s) of h2load's runs.
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    delay: { type: "string", default: "20" },
    size: { type: "string", default: String(64 * 1024 * 1024) },
    n: { type: "string", short: "n", default: "4" },
    m: { type: "string", short: "m", default: "1" },
    c: { type: "string", short: "c", default: "1" },
    repeats: { type: "string", default: "3" },
    tree: { type: "string", multiple: true, default: ["."] },
  },
});
const delay = Number(values.delay);
const size = Number(values.size);
const trees = values.tree.map((tree) => Deno.realPathSync(tree));

/** Forwards `src` to `dst`, each chunk `delay` ms after it was read, in order. */
async function pump(src: Deno.Conn, dst: Deno.Conn): Promise<void> {
  const queue: { chunk: Uint8Array; due: number }[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const writer = (async () => {
    while (true) {
      const item = queue.shift();
      if (item === undefined) {
        if (done) break;
        await new Promise<void>((resolve) => wake = resolve);
        continue;
      }
      const wait = item.due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      let off = 0;
      while (off < item.chunk.length) off += await dst.write(item.chunk.subarray(off));
    }
    try {
      await dst.closeWrite();
    } catch {
      // Gone already.
    }
  })();
  const buffer = new Uint8Array(256 * 1024);
  try {
    while (true) {
      const n = await src.read(buffer);
      if (n === null) break;
      queue.push({ chunk: buffer.slice(0, n), due: performance.now() + delay });
      wake?.();
      wake = undefined;
    }
  } catch {
    // Reset.
  }
  done = true;
  wake?.();
  await writer.catch(() => {});
}

function proxy(target: number): { port: number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conn.setNoDelay(true);
      upstream.setNoDelay(true);
      void Promise.all([pump(conn, upstream), pump(upstream, conn)]).finally(() => {
        try {
          conn.close();
        } catch { /* closed */ }
        try {
          upstream.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

async function startServer(tree: string): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command("taskset", {
    args: [
      "-c",
      "0",
      "deno",
      "run",
      "-A",
      `${tree}/server.ts`,
      "--port",
      "0",
      "--hostname",
      "127.0.0.1",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/Listening on http:\/\/[^:]+:(\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server in ${tree} exited: ${text}`);
    text += value;
  }
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { port: Number(/:(\d+)\//.exec(text)![1]), child };
}

const body = await Deno.makeTempFile();
await Deno.writeFile(body, new Uint8Array(size));
const rates = new Map<string, number[]>(trees.map((tree) => [tree, []]));
for (let round = 0; round < Number(values.repeats); round++) {
  for (const tree of trees) {
    const server = await startServer(tree);
    const link = proxy(server.port);
    const out = await new Deno.Command("taskset", {
      args: [
        "-c",
        "1",
        "h2load",
        "-n",
        values.n,
        "-c",
        values.c,
        "-m",
        values.m,
        "-d",
        body,
        `http://127.0.0.1:${link.port}/echo-size`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const finished = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(text);
    const ok = /(\d+) succeeded/.exec(text);
    if (finished === null || ok === null || Number(ok[1]) !== Number(values.n)) {
      console.error(text, new TextDecoder().decode(out.stderr));
      throw new Error("h2load failed");
    }
    const seconds = Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1);
    const rate = Number(values.n) * size / seconds / 1e6;
    rates.get(tree)!.push(rate);
    console.log(`round ${round + 1} ${tree}: ${rate.toFixed(1)} MB/s (${seconds.toFixed(2)} s)`);
    link.close();
    server.child.kill("SIGTERM");
    await server.child.status;
  }
}
await Deno.remove(body);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\ndelay ${delay} ms each way, ${values.n} uploads of ${size} B, -c ${values.c} -m ${values.m}`,
);
for (const [tree, xs] of rates) console.log(`${tree}: median ${median(xs).toFixed(1)} MB/s`);
