/**
 * Behind a load balancer: HAProxy (Debian `haproxy`) in front of two
 * `server.ts` processes, speaking h2c to them (`proto h2`), accepting h2c
 * with prior knowledge on one frontend port and HTTP/1.1 (or h2c, which
 * HAProxy detects by the preface) on another. Each response gets
 * `x-served-by: <server name>` from the backend (`http-response set-header
 * x-served-by %s`), and HAProxy's stats socket (`show stat`) gives the same
 * counts from its side.
 *
 * The configuration is the one `docs/deploy.md` shows. Every process is
 * bounded in time and stopped in `finally`.
 */

import assert from "node:assert/strict";
import { connect, type H2ClientSession } from "../../lib/client.ts";
import {
  bounded,
  expectedBytes,
  makeCertificate,
  requireTool,
  run,
  type RunningServer,
  startServer,
} from "./_server_helpers.ts";
import { freePort, type RunningHaproxy, startHaproxy } from "./_realworld_haproxy.ts";

/** The deploy.md configuration, with this test's ports. */
function haproxyConfig(
  ports: { h2c: number; mixed: number; tls: number },
  pem: string,
  backends: number[],
): string {
  return `global
    stats socket @DIR@/stats.sock mode 600 level admin
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # A backend that is shutting down stops accepting connections before the
    # health checks notice: retry a failed connect (up to 3 times), on
    # another server. Requests it had accepted finish (graceful GOAWAY), so
    # nothing else needs retrying.
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend public
    # h2c with prior knowledge only
    bind 127.0.0.1:${ports.h2c} proto h2
    # HTTP/1.1, or h2c detected by its preface
    bind 127.0.0.1:${ports.mixed}
    # TLS terminated here; ALPN picks h2 or HTTP/1.1
    bind 127.0.0.1:${ports.tls} ssl crt ${pem} alpn h2,http/1.1
    default_backend app

backend app
    balance roundrobin
    http-response set-header x-served-by %s
    # Health checks are HTTP/2 requests too (any path gets 200 from server.ts).
    option httpchk
    http-check send meth GET uri /health ver HTTP/2
    http-check expect status 200
${
    backends.map((port, i) =>
      `    server s${
        i + 1
      } 127.0.0.1:${port} proto h2 check check-proto h2 inter 250ms fall 2 rise 2`
    ).join("\n")
  }
`;
}

/** Two backends and HAProxy in front of them. */
interface Setup {
  servers: RunningServer[];
  haproxy: RunningHaproxy;
  h2cPort: number;
  mixedPort: number;
  tlsPort: number;
}

async function withSetup(fn: (setup: Setup) => Promise<void>): Promise<void> {
  await requireTool("haproxy", "apt-get install haproxy");
  const servers: RunningServer[] = [];
  let haproxy: RunningHaproxy | undefined;
  const certDir = await Deno.makeTempDir({ prefix: "h2-haproxy-cert-" });
  try {
    // HAProxy wants the certificate chain and its key in one PEM file.
    const { cert, key } = await makeCertificate(certDir);
    const pem = `${certDir}/site.pem`;
    await Deno.writeTextFile(pem, (await Deno.readTextFile(cert)) + (await Deno.readTextFile(key)));
    servers.push(await startServer(), await startServer());
    const ports = { h2c: freePort(), mixed: freePort(), tls: freePort() };
    haproxy = await startHaproxy(haproxyConfig(ports, pem, servers.map((s) => s.port)), ports.h2c);
    // Both servers must be seen UP by the (HTTP/2) health checks before counting.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await haproxy.stats();
      // L7OK: HAProxy's HTTP/2 health check got its 200.
      const up = rows.filter((r) => r.pxname === "app" && /^s\d$/.test(r.svname!))
        .filter((r) => r.status === "UP" && r.check_status === "L7OK");
      if (up.length === 2) break;
      if (Date.now() > deadline) assert.fail(`backends not UP: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await fn({ servers, haproxy, h2cPort: ports.h2c, mixedPort: ports.mixed, tlsPort: ports.tls });
  } finally {
    await haproxy?.stop();
    for (const server of servers) await server.stop();
    await Deno.remove(certDir, { recursive: true }).catch(() => {});
  }
}

/** Our client over a plain TCP connection (h2c with prior knowledge). */
async function h2cSession(port: number): Promise<H2ClientSession> {
  return connect(await Deno.connect({ hostname: "127.0.0.1", port }));
}

/** Per-server 2xx responses as HAProxy counted them. */
async function served2xx(haproxy: RunningHaproxy): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const row of await haproxy.stats()) {
    if (row.pxname === "app" && /^s\d$/.test(row.svname!)) {
      out[row.svname!] = Number(row.hrsp_2xx);
    }
  }
  return out;
}

/** Per-server connection retries and redispatches (`wretr`, `wredis`). */
async function retries(haproxy: RunningHaproxy): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const row of await haproxy.stats()) {
    if (row.pxname === "app" && /^s\d$/.test(row.svname!)) {
      out[row.svname!] = `${row.wretr}/${row.wredis}`;
    }
  }
  return out;
}

Deno.test(
  "RFC 9113 §5.1.2, §8.1: HAProxy spreads 200 multiplexed h2c requests round robin over two server.ts backends it reaches over h2c",
  bounded(() =>
    withSetup(async ({ haproxy, h2cPort }) => {
      const session = await h2cSession(h2cPort);
      const count: Record<string, number> = {};
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, async (_, i) => {
            const response = await session.request(`http://127.0.0.1:${h2cPort}/spread/${i}`);
            const echo = (await response.json()) as Record<string, string>;
            return { i, status: response.status, echo, by: response.headers.get("x-served-by") };
          }),
        );
        for (const { i, status, echo, by } of results) {
          assert.equal(status, 200);
          // The backend saw an HTTP/2 request (pseudo-headers) for this very path.
          assert.equal(echo[":path"], `/spread/${i}`);
          assert.equal(echo[":method"], "GET");
          assert.ok(by === "s1" || by === "s2", `x-served-by ${by}`);
          count[by] = (count[by] ?? 0) + 1;
        }
      } finally {
        await session.close();
      }
      // Round robin per request, even within one client connection.
      assert.equal(count.s1! + count.s2!, 200);
      console.log(`spread: ${JSON.stringify(count)}`);
      assert.ok(count.s1! >= 90 && count.s2! >= 90, `spread ${JSON.stringify(count)}`);
      // HAProxy's own counters agree with the header.
      assert.deepEqual(await served2xx(haproxy), count);
    })
  ),
);

Deno.test(
  "RFC 9113 §3.3, RFC 9112: HTTP/1.1 and h2c clients (curl) reach the h2c backends through HAProxy",
  bounded(() =>
    withSetup(async ({ h2cPort, mixedPort }) => {
      await requireTool("curl", "apt-get install curl");
      for (
        const [flag, port, version] of [
          ["--http1.1", mixedPort, "1.1"],
          ["--http2-prior-knowledge", mixedPort, "2"],
          ["--http2-prior-knowledge", h2cPort, "2"],
        ] as const
      ) {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) {
          const result = await run("curl", [
            "-sS",
            flag,
            "-D",
            "-",
            "-H",
            `x-attempt: ${i}`,
            `http://127.0.0.1:${port}/via-curl?i=${i}`,
          ], { timeoutMs: 15_000 });
          assert.equal(result.code, 0, result.stderr);
          const [head, body] = result.text.split("\r\n\r\n", 2) as [string, string];
          assert.match(head, new RegExp(`^HTTP/${version.replace(".", "\\.")} 200`));
          const by = /^x-served-by: (s\d)\r?$/im.exec(head)?.[1];
          assert.ok(by, head);
          seen.add(by);
          const echo = JSON.parse(body) as Record<string, string>;
          // Whatever the client spoke, the backend got HTTP/2 (pseudo-headers).
          assert.equal(echo[":path"], `/via-curl?i=${i}`);
          // h2c clients' :scheme is forwarded; for an HTTP/1.1 origin-form request
          // HAProxy 2.6 makes one up ("https"), so only its presence is checked.
          assert.match(echo[":scheme"] ?? "", version === "2" ? /^http$/ : /^https?$/);
          assert.equal(echo["x-attempt"], String(i));
        }
        assert.deepEqual([...seen].sort(), ["s1", "s2"], `${flag} on ${port}`);
      }
    })
  ),
);

Deno.test(
  "RFC 9113 §3.2, RFC 7301: HAProxy terminates TLS with ALPN h2,http/1.1 in front of the h2c backends",
  bounded(() =>
    withSetup(async ({ tlsPort }) => {
      await requireTool("curl", "apt-get install curl");
      for (const [flag, version] of [["--http2", "2"], ["--http1.1", "1.1"]] as const) {
        const result = await run("curl", [
          "-sS",
          "-k",
          flag,
          "-D",
          "-",
          "-w",
          "\n%{http_version} %{ssl_verify_result}",
          `https://127.0.0.1:${tlsPort}/tls-offload?v=${version}`,
        ], { timeoutMs: 15_000 });
        assert.equal(result.code, 0, result.stderr);
        const [head, rest] = result.text.split("\r\n\r\n", 2) as [string, string];
        const [body, summary] = rest.split("\n") as [string, string];
        assert.equal(summary.split(" ")[0], version, "ALPN chose the protocol curl asked for");
        assert.match(head, new RegExp(`^HTTP/${version.replace(".", "\\.")} 200`));
        assert.match(head, /^x-served-by: s[12]\r?$/im);
        const echo = JSON.parse(body) as Record<string, string>;
        assert.equal(echo[":path"], `/tls-offload?v=${version}`);
        assert.equal(echo[":scheme"], "https", "the backend learns the client used TLS");
      }
    })
  ),
);

Deno.test(
  "RFC 9113 §6.8: SIGTERM to one backend while requests are in flight loses none (graceful GOAWAY, HAProxy retries and redispatches)",
  bounded(
    () =>
      withSetup(async ({ servers, haproxy, h2cPort }) => {
        const TOTAL = 400;
        const SIZE = 131_072;
        const expected = expectedBytes(SIZE);
        const sessions = await Promise.all(Array.from({ length: 4 }, () => h2cSession(h2cPort)));
        let started = 0;
        let completed = 0;
        let signalled: Promise<Deno.CommandStatus> | undefined;
        let startedBeforeSignal = 0;
        const failures: string[] = [];
        const served: { by: string; afterSignal: boolean; startedBefore: boolean }[] = [];
        const worker = async (w: number) => {
          const session = sessions[w % sessions.length]!;
          while (started < TOTAL) {
            const i = started++;
            const startedBefore = signalled === undefined;
            try {
              const response = await session.request(
                `http://127.0.0.1:${h2cPort}/bytes/${SIZE}?i=${i}`,
              );
              const body = new Uint8Array(await response.arrayBuffer());
              const by = response.headers.get("x-served-by") ?? "?";
              if (response.status !== 200) failures.push(`#${i}: status ${response.status}`);
              else if (body.length !== SIZE) failures.push(`#${i}: ${body.length} octets`);
              else if (body.some((b, k) => b !== expected[k])) failures.push(`#${i}: bad bytes`);
              served.push({ by, afterSignal: signalled !== undefined, startedBefore });
            } catch (error) {
              failures.push(`#${i}: ${error}`);
            }
            if (++completed === 60) {
              startedBeforeSignal = started;
              signalled = servers[0]!.stop("SIGTERM", 20_000);
            }
          }
        };
        try {
          await Promise.all(Array.from({ length: 24 }, (_, w) => worker(w)));
        } finally {
          await Promise.all(sessions.map((s) => s.close()));
        }
        assert.ok(signalled, "the backend was signalled");
        const status = await signalled;
        assert.deepEqual(failures, [], `lost requests; haproxy:\n${haproxy.stderr()}`);
        assert.equal(served.length, TOTAL);
        assert.equal(
          status.code,
          0,
          `s1 exits 0 after a graceful shutdown:\n${servers[0]!.stderr()}`,
        );
        const s1Before = served.filter((s) => s.by === "s1" && !s.afterSignal).length;
        const s1InFlight = served.filter((s) => s.by === "s1" && s.afterSignal && s.startedBefore);
        const s2After = served.filter((s) => s.by === "s2" && s.afterSignal).length;
        assert.ok(s1Before > 0, "s1 served before its shutdown");
        assert.ok(s2After > 0, "s2 took over");
        // Not just HAProxy's retries: s1 itself finished streams it had accepted.
        assert.ok(s1InFlight.length > 0, "s1 finished requests in flight at its SIGTERM");
        assert.ok(startedBeforeSignal > 60, "requests were in flight when s1 was signalled");
        console.log(
          `s1 before SIGTERM: ${s1Before}, s1 finished after SIGTERM: ${s1InFlight.length}, ` +
            `s2 after: ${s2After}, stats: ${JSON.stringify(await served2xx(haproxy))}, ` +
            `retries/redispatches: ${JSON.stringify(await retries(haproxy))}`,
        );
        // The health checks take the stopped backend out (fall 2 × inter 250 ms).
        let s1: Record<string, string> | undefined;
        for (let tries = 0; tries < 50; tries++) {
          s1 = (await haproxy.stats()).find((r) => r.pxname === "app" && r.svname === "s1");
          if (/DOWN/.test(s1?.status ?? "")) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.match(s1?.status ?? "", /DOWN/, `health checks took s1 out: ${JSON.stringify(s1)}`);
      }),
    120_000,
  ),
);
