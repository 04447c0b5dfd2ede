/**
 * A real browser against `server.ts --cert/--key`: headless Chromium
 * (Debian `chromium`) loads pages over TLS with ALPN h2 from a self-signed
 * certificate made at test time (certificate errors ignored for the test).
 *
 * - `--dump-dom`: the page is the server's JSON echo of the request's
 *   fields; pseudo-headers in it (`:scheme: https`, `:method`) can only have
 *   come over HTTP/2, since `server.ts` answers plain HTTP/1.1 with a 505.
 * - DevTools Protocol (`--remote-debugging-port`, a WebSocket from Deno):
 *   the navigation's `nextHopProtocol` is `"h2"`, the Network domain reports
 *   protocol `h2` over TLS, and fetches from the page (concurrent downloads,
 *   an upload) all share one HTTP/2 connection.
 * - Chromium → HAProxy (TLS, ALPN `h2,http/1.1`) → two `server.ts` over h2c,
 *   the production shape of `docs/deploy.md`.
 *
 * Every process is bounded in time and killed in `finally`; a missing
 * Chromium fails with a message saying what to install.
 */

import assert from "node:assert/strict";
import {
  bounded,
  makeCertificate,
  run,
  type RunningServer,
  startServer,
} from "./_server_helpers.ts";
import { freePort, startHaproxy } from "./_realworld_haproxy.ts";
import {
  CdpClient,
  chromiumFlags,
  chromiumPath,
  launchChromium,
  pageWsUrl,
} from "./_realworld_chromium.ts";

/** Starts `server.ts` over TLS with a fresh self-signed certificate. */
async function startTlsServer(dir: string): Promise<RunningServer> {
  const { cert, key } = await makeCertificate(dir);
  const server = await startServer(["--cert", cert, "--key", key]);
  assert.match(server.origin, /^https:\/\//, "server.ts announced TLS");
  return server;
}

/** The text inside the first `<pre>` of a DOM dump, HTML entities decoded. */
function preText(html: string): string {
  const match = /<pre[^>]*>([\s\S]*?)<\/pre>/.exec(html);
  assert.ok(match, `no <pre> in the page:\n${html.slice(0, 2000)}`);
  return match[1]!
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");
}

Deno.test(
  "RFC 9113 §3.2, §8.3.1: headless Chromium --dump-dom loads server.ts over TLS+ALPN h2 and sees the JSON echo of its own pseudo-headers",
  bounded(async () => {
    const binary = await chromiumPath();
    const dir = await Deno.makeTempDir({ prefix: "h2-browser-" });
    const server = await startTlsServer(dir);
    try {
      const url = `${server.origin}/dump-dom?from=chromium`;
      const result = await run(
        binary,
        [...chromiumFlags(`${dir}/profile`), "--dump-dom", url],
        { timeoutMs: 60_000 },
      );
      assert.equal(result.code, 0, `chromium failed:\n${result.stderr.slice(-3000)}`);
      const raw = preText(result.text);
      assert.ok(raw.includes('":scheme": "https"'), raw);
      const echo = JSON.parse(raw) as Record<string, string>;
      assert.equal(echo[":method"], "GET");
      assert.equal(echo[":scheme"], "https");
      assert.equal(echo[":authority"], `127.0.0.1:${server.port}`);
      assert.equal(echo[":path"], "/dump-dom?from=chromium");
      assert.match(echo["user-agent"] ?? "", /HeadlessChrome\/\d+/);
      // RFC 9113 §8.2.2: a browser never sends connection-specific fields over h2.
      for (const name of ["connection", "keep-alive", "upgrade", "transfer-encoding", "host"]) {
        assert.equal(echo[name], undefined, `${name} must not arrive over HTTP/2`);
      }
      // The pseudo-headers come first, in the order Chromium sends them (§8.3).
      assert.deepEqual(
        Object.keys(echo).slice(0, 4).sort(),
        [":authority", ":method", ":path", ":scheme"],
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }, 120_000),
);

Deno.test(
  "RFC 9113 §3.2, §5.1.2: through the DevTools Protocol, Chromium reports nextHopProtocol h2 for server.ts and multiplexes fetches on one connection",
  bounded(async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "h2-browser-" });
    const server = await startTlsServer(dir);
    const browser = await launchChromium();
    let page: CdpClient | undefined;
    try {
      page = await CdpClient.connect(await pageWsUrl(browser.devtoolsHost));
      await page.send("Network.enable");
      await page.send("Page.enable");
      const url = `${server.origin}/cdp?page=1`;
      const loaded = page.waitFor("Page.loadEventFired");
      const navigation = await page.send("Page.navigate", { url });
      assert.equal(navigation.errorText, undefined, `navigation failed: ${navigation.errorText}`);
      await loaded;

      await t.step("the navigation went over h2 on TLS", async () => {
        assert.equal(
          await page!.evaluate(`performance.getEntriesByType("navigation")[0].nextHopProtocol`),
          "h2",
        );
        const response = await page!.waitFor(
          "Network.responseReceived",
          (e) => (e.params.response as { url: string }).url === url,
        );
        const r = response.params.response as {
          status: number;
          protocol: string;
          securityState: string;
          securityDetails?: { protocol: string };
          headers: Record<string, string>;
        };
        assert.equal(r.status, 200);
        assert.equal(r.protocol, "h2");
        assert.match(r.securityDetails?.protocol ?? "", /^TLS 1\.[23]$/);
        assert.equal(r.headers["server"], "basic-h2-server/1.0");
        assert.equal(r.headers["content-type"], "application/json");
      });

      await t.step("the page is the echo of Chromium's own request", async () => {
        const [text, userAgent] = (await page!.evaluate(
          `[document.body.innerText, navigator.userAgent]`,
        )) as [string, string];
        const echo = JSON.parse(text) as Record<string, string>;
        assert.equal(echo[":scheme"], "https");
        assert.equal(echo[":path"], "/cdp?page=1");
        assert.equal(echo["user-agent"], userAgent);
      });

      await t.step("concurrent fetches and an upload share one h2 connection", async () => {
        const sizes = [0, 1, 16_384, 16_385, 65_535, 65_536, 100_000, 1_048_576];
        const results = (await page!.evaluate(`(async () => {
          const sizes = ${JSON.stringify(sizes)};
          const downloads = await Promise.all(sizes.map(async (n) => {
            const r = await fetch("/bytes/" + n, { cache: "no-store" });
            const b = new Uint8Array(await r.arrayBuffer());
            let bad = -1;
            for (let i = 0; i < b.length; i++) if (b[i] !== (i & 255)) { bad = i; break; }
            return { status: r.status, length: b.length, bad };
          }));
          const upload = await fetch("/echo-size", { method: "POST", body: new Uint8Array(300000) });
          const protocols = performance.getEntriesByType("resource").map((e) => e.nextHopProtocol);
          return { downloads, upload: await upload.json(), protocols };
        })()`)) as {
          downloads: { status: number; length: number; bad: number }[];
          upload: unknown;
          protocols: string[];
        };
        assert.deepEqual(
          results.downloads,
          sizes.map((length) => ({ status: 200, length, bad: -1 })),
        );
        assert.deepEqual(results.upload, { received: 300_000 });
        assert.deepEqual(results.protocols, Array(sizes.length + 1).fill("h2"));
        const connections = new Set(
          page!.events
            .filter((e) => e.method === "Network.responseReceived")
            .map((e) => (e.params.response as { connectionId: number }).connectionId),
        );
        assert.equal(connections.size, 1, `one connection, got ${[...connections]}`);
      });

      await t.step(
        "300 concurrent fetches, a streamed upload, an aborted download: still one connection",
        async () => {
          const results = (await page!.evaluate(`(async () => {
            const out = {};
            // More than server.ts's SETTINGS_MAX_CONCURRENT_STREAMS (100): Chromium queues.
            const many = await Promise.all(Array.from({ length: 300 }, (_, i) =>
              fetch("/bytes/" + (1000 + i), { cache: "no-store" })
                .then((r) => r.arrayBuffer()).then((b) => b.byteLength)));
            out.many = many.filter((n, i) => n !== 1000 + i).length;
            // A ReadableStream request body: Chromium sends these only over HTTP/2.
            const body = new ReadableStream({ start(c) {
              for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(100000).fill(i));
              c.close();
            } });
            const streamed = await fetch("/echo-size", { method: "POST", body, duplex: "half" });
            out.streamed = await streamed.json();
            // Abort a 16 MiB download after its first chunk (RST_STREAM CANCEL).
            const ac = new AbortController();
            const big = await fetch("/bytes/16777216", { signal: ac.signal, cache: "no-store" });
            const reader = big.body.getReader();
            await reader.read();
            ac.abort();
            try { await reader.read(); out.aborted = "not aborted"; }
            catch (e) { out.aborted = e.name; }
            const after = await fetch("/after-abort", { cache: "no-store" });
            out.after = (await after.json())[":path"];
            return out;
          })()`)) as Record<string, unknown>;
          assert.deepEqual(results, {
            many: 0,
            streamed: { received: 2_000_000 },
            aborted: "AbortError",
            after: "/after-abort",
          });
          const connections = new Set(
            page!.events
              .filter((e) => e.method === "Network.responseReceived")
              .map((e) => (e.params.response as { connectionId: number }).connectionId),
          );
          assert.equal(connections.size, 1, `one connection, got ${[...connections]}`);
        },
      );
    } finally {
      page?.close();
      await browser.close();
      const status = await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      assert.equal(status.code, 0, `server.ts exit after SIGTERM:\n${server.stderr()}`);
    }
  }, 120_000),
);

Deno.test(
  "RFC 9113 §3.2, RFC 7301: Chromium reaches two server.ts backends over h2 through HAProxy terminating TLS (docs/deploy.md)",
  bounded(async () => {
    const dir = await Deno.makeTempDir({ prefix: "h2-browser-lb-" });
    const backends: RunningServer[] = [];
    let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
    let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
    let page: CdpClient | undefined;
    try {
      const { cert, key } = await makeCertificate(dir);
      await Deno.writeTextFile(
        `${dir}/site.pem`,
        (await Deno.readTextFile(cert)) + (await Deno.readTextFile(key)),
      );
      backends.push(await startServer(), await startServer());
      const port = freePort();
      haproxy = await startHaproxy(
        `global
    stats socket @DIR@/stats.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend public
    bind 127.0.0.1:${port} ssl crt ${dir}/site.pem alpn h2,http/1.1
    default_backend app
backend app
    balance roundrobin
    http-response set-header x-served-by %s
${backends.map((b, i) => `    server s${i + 1} 127.0.0.1:${b.port} proto h2`).join("\n")}
`,
        port,
      );
      browser = await launchChromium();
      page = await CdpClient.connect(await pageWsUrl(browser.devtoolsHost));
      await page.send("Page.enable");
      const loaded = page.waitFor("Page.loadEventFired");
      const navigation = await page.send("Page.navigate", { url: `https://127.0.0.1:${port}/lb` });
      assert.equal(navigation.errorText, undefined, `navigation failed: ${navigation.errorText}`);
      await loaded;
      const result = (await page.evaluate(`(async () => {
        const nav = performance.getEntriesByType("navigation")[0].nextHopProtocol;
        const echo = JSON.parse(document.body.innerText);
        const servedBy = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
          const r = await fetch("/lb/" + i, { cache: "no-store" });
          const e = await r.json();
          return r.headers.get("x-served-by") + " " + e[":path"];
        }));
        return { nav, scheme: echo[":scheme"], path: echo[":path"], servedBy };
      })()`)) as { nav: string; scheme: string; path: string; servedBy: string[] };
      assert.equal(result.nav, "h2", "Chromium ↔ HAProxy negotiated h2");
      assert.equal(result.scheme, "https");
      assert.equal(result.path, "/lb");
      const by = result.servedBy.map((line) => line.split(" "));
      assert.deepEqual(
        by.map(([, path]) => path).sort(),
        [...Array(10).keys()].map((i) => `/lb/${i}`).sort(),
      );
      assert.deepEqual(new Set(by.map(([name]) => name)), new Set(["s1", "s2"]), "both backends");
    } finally {
      page?.close();
      await browser?.close();
      await haproxy?.stop();
      for (const backend of backends) await backend.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }, 120_000),
);
