/**
 * `server.ts` as a subprocess against curl: h2c prior knowledge, the h2c
 * Upgrade, TLS with ALPN h2, the HTTP/1.1 refusal, and a 64 MiB download and
 * upload with the server's peak memory bounded.
 */

import assert from "node:assert/strict";
import {
  bounded,
  expectedBytes,
  makeCertificate,
  peakRss,
  requireTool,
  run,
  startServer,
} from "./_server_helpers.ts";

const CURL_HINT = "apt-get install curl (with HTTP/2 support)";

Deno.test(
  "server.ts answers curl --http2-prior-knowledge with the request fields as JSON (RFC 9113 §3.3)",
  bounded(async () => {
    await requireTool("curl", CURL_HINT);
    const server = await startServer();
    try {
      const result = await run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "-H",
        "x-test: 42",
        "-D",
        "-",
        "-o",
        "/dev/stderr",
        "-w",
        "%{http_version}",
        `${server.origin}/tutorial?q=1`,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.text, /^HTTP\/2 200/);
      assert.match(result.text, /\r\ncontent-type: application\/json\r\n/);
      assert.match(result.text, /\r\nserver: basic-h2-server\/1\.0\r\n/);
      assert.ok(result.text.endsWith("2"), "curl reports HTTP/2");
      const json = JSON.parse(result.stderr);
      // Pseudo-headers first (RFC 9113 §8.3), in curl's order, then the regular fields.
      assert.deepEqual(Object.keys(json).slice(0, 4).sort(), [
        ":authority",
        ":method",
        ":path",
        ":scheme",
      ]);
      assert.ok(Object.keys(json).indexOf("x-test") > 3);
      assert.equal(json[":path"], "/tutorial?q=1");
      assert.equal(json["x-test"], "42");
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);

Deno.test(
  "server.ts upgrades curl --http2 from HTTP/1.1 with Upgrade: h2c (RFC 7540 §3.2)",
  bounded(async () => {
    await requireTool("curl", CURL_HINT);
    const server = await startServer();
    try {
      const result = await run("curl", ["-sS", "-v", "--http2", `${server.origin}/upgraded`]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /HTTP\/1\.1 101 Switching Protocols/);
      assert.match(result.stderr, /< HTTP\/2 200/);
      const json = JSON.parse(result.text);
      assert.equal(json[":path"], "/upgraded");
      assert.equal(json[":scheme"], "http");
      assert.equal(json["upgrade"], undefined);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);

Deno.test(
  "server.ts serves TLS with ALPN h2 to curl (RFC 9113 §3.2)",
  bounded(async () => {
    await requireTool("curl", CURL_HINT);
    const dir = await Deno.makeTempDir();
    const { cert, key } = await makeCertificate(dir);
    const server = await startServer(["--cert", cert, "--key", key]);
    try {
      assert.ok(server.origin.startsWith("https://"));
      const result = await run("curl", ["-sS", "-v", "-k", "--http2", `${server.origin}/tls`]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /ALPN[^\n]*h2/);
      assert.match(result.stderr, /< HTTP\/2 200/);
      assert.equal(JSON.parse(result.text)[":scheme"], "https");
    } finally {
      assert.equal((await server.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  }),
);

Deno.test(
  "server.ts tells a plain HTTP/1.1 client that HTTP/2 is required",
  bounded(async () => {
    await requireTool("curl", CURL_HINT);
    const server = await startServer();
    try {
      const result = await run("curl", ["-sS", "--http1.1", "-i", `${server.origin}/`]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.text, /^HTTP\/1\.1 505 /);
      assert.match(result.text, /HTTP\/2/);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);

Deno.test(
  "server.ts streams 64 MiB each way to curl intact with bounded memory (RFC 9113 §5.2)",
  bounded(async () => {
    await requireTool("curl", CURL_HINT);
    const size = 64 * 1024 * 1024;
    const downloads = 4;
    const dir = await Deno.makeTempDir();
    const server = await startServer();
    const get = (file: string) =>
      run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "-o",
        file,
        "-w",
        "%{http_code} %{size_download}",
        `${server.origin}/bytes/${size}`,
      ], { timeoutMs: 60_000 });
    try {
      const baseline = await peakRss(server.pid);
      // Four 64 MiB downloads at once, then a 64 MiB upload.
      const files = Array.from({ length: downloads }, (_, i) => `${dir}/download-${i}.bin`);
      const results = await Promise.all(files.map(get));
      for (const got of results) {
        assert.equal(got.code, 0, got.stderr);
        assert.equal(got.text, `200 ${size}`);
      }
      const expected = expectedBytes(size);
      for (const file of files) {
        const bytes = await Deno.readFile(file);
        assert.equal(indexOfDifference(bytes, expected), -1, `${file} differs from the pattern`);
        await Deno.remove(file);
      }
      const upload = `${dir}/upload.bin`;
      await Deno.writeFile(upload, expected);
      const posted = await run("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "-H",
        "expect:",
        "--data-binary",
        `@${upload}`,
        `${server.origin}/echo-size`,
      ], { timeoutMs: 60_000 });
      assert.equal(posted.code, 0, posted.stderr);
      assert.deepEqual(JSON.parse(posted.text), { received: size });

      // A server that queued whole bodies would hold 4 × 64 MiB at once. Ours holds windows and
      // a 512 KiB output budget per connection; what remains is written buffers that V8 frees
      // only after tens of MiB of them (its external-memory GC threshold, ~64–110 MiB here).
      const growth = (await peakRss(server.pid)) - baseline;
      assert.ok(
        growth < 160 * 1_048_576,
        `peak RSS grew by ${(growth / 1_048_576).toFixed(1)} MiB for ${downloads} × 64 MiB`,
      );
    } finally {
      assert.equal((await server.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  }),
);

function indexOfDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
