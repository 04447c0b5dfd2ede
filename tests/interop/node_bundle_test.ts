/**
 * "The engine runs unchanged on Node": `mod.ts` is bundled at test time by
 * `deno bundle` into one ESM file (platform `browser`, so nothing Deno- or
 * Node-specific can slip in), and `node` runs
 * `_realworld_node_exchange.ts` (bundled separately; it loads the engine
 * bundle with `import()`) to do client/server exchanges. The expected bytes
 * and hashes are computed here, in Deno, independently of what Node reports.
 */

import assert from "node:assert/strict";
import { bounded, expectedBytes, requireTool, ROOT, run, startServer } from "./_server_helpers.ts";
import {
  PING_TEXT,
  REQUEST_SIZE,
  requestBody,
  RESPONSE_SIZE,
  responseBody,
} from "./_realworld_node_exchange.ts";

/** SHA-256 as lowercase hex, by WebCrypto (not the node:crypto the script uses). */
async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Bundle {
  dir: string;
  mod: string;
  runner: string;
}

let bundlePromise: Promise<Bundle> | undefined;

/** Bundles `mod.ts` and the exchange script once per test file run. */
function bundle(): Promise<Bundle> {
  bundlePromise ??= (async () => {
    await requireTool("node", "apt-get install nodejs (v20 or later)");
    const dir = await Deno.makeTempDir({ prefix: "h2-node-bundle-" });
    const mod = `${dir}/mod.mjs`;
    const exchange = `${dir}/exchange.mjs`;
    for (
      const [platform, out, entry] of [
        ["browser", mod, "mod.ts"],
        ["deno", exchange, "tests/interop/_realworld_node_exchange.ts"],
      ]
    ) {
      const result = await run(
        Deno.execPath(),
        ["bundle", "--quiet", "--platform", platform!, "--format", "esm", "-o", out!, entry!],
        { cwd: ROOT, timeoutMs: 120_000 },
      );
      assert.equal(result.code, 0, `deno bundle ${entry} failed:\n${result.stderr}`);
    }
    const runner = `${dir}/run.mjs`;
    await Deno.writeTextFile(runner, `import { main } from "./exchange.mjs";\nawait main();\n`);
    return { dir, mod, runner };
  })();
  return bundlePromise;
}

/** Runs the exchange script under node and parses its JSON line. */
async function runUnderNode(
  mode: "engine" | "adapter" | "fetch",
  ...args: string[]
): Promise<Record<string, unknown>> {
  const { dir, mod, runner } = await bundle();
  const result = await run("node", [runner, mod, mode, ...args], { cwd: dir, timeoutMs: 60_000 });
  const line = result.text.trim().split("\n").at(-1) ?? "";
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(
      `node printed no JSON (exit ${result.code}):\n${result.text}\n${result.stderr}`,
    );
  }
  if (parsed.ok !== true) {
    assert.fail(`under node (${mode}): ${parsed.error}\n${parsed.stack ?? result.stderr}`);
  }
  assert.equal(result.code, 0);
  return parsed;
}

Deno.test(
  "deno bundle turns mod.ts into one self-contained ESM file with no Deno API and no imports",
  bounded(async () => {
    const { mod } = await bundle();
    const text = await Deno.readTextFile(mod);
    assert.doesNotMatch(text, /\bDeno\./, "the engine bundle must not touch Deno.*");
    assert.doesNotMatch(text, /^\s*import\b|\brequire\(/m, "the bundle must need no other module");
    for (
      const name of ["H2Connection", "HpackEncoder", "HpackDecoder", "FrameDecoder", "connect"]
    ) {
      assert.match(text, new RegExp(`\\b${name}\\b`), `${name} is in the bundle`);
    }
  }, 180_000),
);

Deno.test(
  "RFC 9113 §5.2, §6.7, §8.1: the bundled H2Connection exchanges a GET with a body, a 1 MiB response, trailers and PING under Node, in memory and over node:net",
  bounded(async (t) => {
    const out = await runUnderNode("engine");
    assert.match(String(out.node), /^v\d+\./, "ran under node");
    const requestSha = await sha256(requestBody());
    const responseSha = await sha256(responseBody());

    for (const transport of ["memory", "socket"] as const) {
      await t.step(`${transport}: every byte, field, trailer and PING arrives`, () => {
        const r = out[transport] as Record<string, unknown>;
        assert.deepEqual(r.requestHeaders, [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", "localhost"],
          [":path", "/download?from=node"],
          ["content-length", String(REQUEST_SIZE)],
          ["user-agent", `node/${out.node}`],
        ]);
        assert.equal(r.requestBytes, REQUEST_SIZE);
        assert.equal(r.requestSha256, requestSha);
        assert.deepEqual(r.responseHeaders, [
          [":status", "200"],
          ["content-type", "application/octet-stream"],
          ["x-request-bytes", String(REQUEST_SIZE)],
          ["x-request-sha256", requestSha],
        ]);
        assert.equal(r.responseBytes, RESPONSE_SIZE);
        assert.equal(r.responseSha256, responseSha);
        assert.deepEqual(r.trailers, [["x-body-sha256", responseSha], ["x-trailer", "end"]]);
        assert.equal(r.pingAck, PING_TEXT);
        // §6.9: 1 MiB through a 65,535-octet initial window needs the client's
        // WINDOW_UPDATEs (acknowledgeReceivedData) many times over; the
        // 70,000-octet request body needs at least one from the server.
        const serverUpdates = r.serverWindowUpdates as number;
        assert.ok(serverUpdates >= 16, `server saw ${serverUpdates} WINDOW_UPDATE events`);
        assert.ok((r.clientWindowUpdates as number) >= 1, "client waited for the server's window");
        assert.equal(r.largestDataFrame, 16_384, "DATA frames cut at SETTINGS_MAX_FRAME_SIZE");
        assert.equal(r.goAwayErrorCode, 0, "GOAWAY(NO_ERROR) from the client's closeConnection");
      });
    }
    await t.step("HPACK and the frame decoder round-trip under Node", () => {
      assert.deepEqual(out.hpack, [
        [":method", "GET"],
        [":path", "/\u00fcn\u00efcode-as-latin1-bytes"],
        ["custom-key", "custom-value"],
      ]);
      assert.deepEqual(out.frames, ["6@0", "8@3"], "PING on 0, WINDOW_UPDATE on 3, 1 byte a push");
    });
  }, 180_000),
);

Deno.test(
  "RFC 9113 §8.1: the bundled fetch-like client and H2StreamsConnection exchange a POST, 1 MiB and trailers under Node over node:net",
  bounded(async () => {
    const out = await runUnderNode("adapter");
    assert.deepEqual(out.adapter, {
      status: 200,
      requestBytes: String(REQUEST_SIZE),
      responseBytes: RESPONSE_SIZE,
      responseSha256: await sha256(responseBody()),
      trailer: "end",
    });
  }, 180_000),
);

Deno.test(
  "RFC 9113 §5.1.2, §8.1: the bundled fetch-like client under Node downloads, uploads and multiplexes against server.ts",
  bounded(async () => {
    const server = await startServer();
    try {
      const out = await runUnderNode("fetch", server.origin);
      assert.deepEqual(out.fetch, {
        downloadStatus: 200,
        downloadBytes: RESPONSE_SIZE,
        mismatch: -1,
        upload: { received: 300_000 },
        echoes: Array.from({ length: 20 }, (_, i) => `/echo/${i}|${i}`),
      });
    } finally {
      const status = await server.stop();
      assert.equal(status.code, 0, server.stderr());
    }
  }, 180_000),
);

Deno.test(
  "RFC 9113 §3.3, §6.8: Node hosts an h2c server on the bundled H2StreamsConnection; curl and h2load are served; SIGTERM shuts it down gracefully",
  bounded(async () => {
    await requireTool("curl", "apt-get install curl");
    await requireTool("h2load", "apt-get install nghttp2-client");
    const { dir, mod, runner } = await bundle();
    const child = new Deno.Command("node", {
      args: [runner, mod, "serve"],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = new Response(child.stderr).text();
    let text = "";
    try {
      while (!text.includes("\n")) {
        const { value, done } = await stdout.read();
        if (done) break;
        text += value;
      }
      const first = JSON.parse(text.split("\n")[0]!) as { listening?: number };
      assert.ok(first.listening, `node did not listen: ${text}`);
      const origin = `http://127.0.0.1:${first.listening}`;

      const file = `${dir}/download.bin`;
      const get = await run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "-o",
        file,
        "-w",
        "%{http_version} %{http_code}",
        `${origin}/bytes/${RESPONSE_SIZE}`,
      ]);
      assert.equal(get.text, "2 200", get.stderr);
      assert.deepEqual(await Deno.readFile(file), expectedBytes(RESPONSE_SIZE));

      const post = await run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "--data-binary",
        `@${file}`,
        `${origin}/echo-size`,
      ]);
      assert.deepEqual(JSON.parse(post.text), { received: RESPONSE_SIZE }, post.stderr);

      const echo = await run("curl", ["-sS", "--http2-prior-knowledge", `${origin}/from-curl`]);
      const fields = JSON.parse(echo.text) as Record<string, string>;
      assert.equal(fields[":path"], "/from-curl");
      assert.equal(fields[":scheme"], "http");
      assert.match(fields["user-agent"] ?? "", /^curl\//);

      const load = await run("h2load", ["-n", "200", "-c", "4", "-m", "10", `${origin}/load`], {
        timeoutMs: 60_000,
      });
      assert.match(load.text, /200 succeeded, 0 failed, 0 errored/, load.text);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      for (;;) {
        const { value, done } = await stdout.read();
        if (done) break;
        text += value;
      }
      clearTimeout(killer);
    }
    const status = await child.status;
    assert.equal(status.code, 0, `node exit after SIGTERM:\n${text}\n${await stderr}`);
    const last = JSON.parse(text.trim().split("\n").at(-1)!);
    assert.equal(last.ok, true, text);
    // 3 curl requests + 200 from h2load, all answered before the graceful exit.
    assert.deepEqual(last.serve, { served: 203, stopped: true });
  }, 180_000),
);
