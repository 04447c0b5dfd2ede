/**
 * `server.ts` as a subprocess: SIGTERM while 100 responses are in flight to a
 * `node:http2` client. Every response must complete and the server exit 0
 * (graceful shutdown: GOAWAY, PING, final GOAWAY, RFC 9113 §6.8).
 */

import assert from "node:assert/strict";
import { bounded, requireTool, startServer } from "./_server_helpers.ts";

const SIZE = 1_048_576;

// Opens 100 streams, pauses each response until told "go" on stdin, then reads them all.
const NODE_CLIENT = `
const http2 = require("node:http2");
const session = http2.connect(process.argv[1]);
const goaways = [];
session.on("goaway", (code, last) => goaways.push({ code, last }));
session.on("error", (e) => { console.error("session error", e); });
const results = [];
let responded = 0;
const streams = [];
const done = [];
for (let i = 0; i < 100; i++) {
  const req = session.request({ ":path": "/bytes/${SIZE}" });
  streams.push(req);
  let length = 0, intact = true, status;
  req.on("response", (h) => {
    status = h[":status"];
    req.pause();
    if (++responded === 100) console.log("ready");
  });
  req.on("data", (c) => {
    for (let j = 0; j < c.length && intact; j++) intact = c[j] === ((length + j) & 255);
    length += c.length;
  });
  done.push(new Promise((resolve) => {
    req.on("end", () => resolve({ status, length, intact }));
    req.on("error", (e) => resolve({ status, length, intact, error: String(e) }));
  }));
  req.end();
}
process.stdin.once("data", async () => {
  for (const s of streams) s.resume();
  const out = await Promise.all(done);
  console.log(JSON.stringify({ results: out, goaways }));
  session.close();
});
`;

Deno.test(
  "server.ts on SIGTERM finishes 100 in-flight responses and exits 0 (RFC 9113 §6.8)",
  bounded(async () => {
    await requireTool("node", "install Node.js 20");
    const server = await startServer();
    const client = new Deno.Command("node", {
      args: ["-e", NODE_CLIENT, server.origin],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => {
      try {
        client.kill("SIGKILL");
      } catch { /* gone */ }
    }, 60_000);
    try {
      const lines = client.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("ready\n")) {
        const { value, done } = await lines.read();
        assert.ok(!done, `client ended early: ${out}`);
        out += value;
      }
      // Every stream is accepted and has its response headers; now stop the server.
      const exit = server.stop("SIGTERM", 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const stdin = client.stdin.getWriter();
      await stdin.write(new TextEncoder().encode("go\n"));
      await stdin.close();
      while (true) {
        const { value, done } = await lines.read();
        if (done) break;
        out += value;
      }
      const status = await exit;
      assert.equal(status.code, 0, `server exit: ${status.code} ${server.stderr()}`);
      const clientStatus = await client.status;
      const stderr = new TextDecoder().decode(await new Response(client.stderr).arrayBuffer());
      assert.equal(clientStatus.code, 0, stderr);
      const report = JSON.parse(out.slice(out.indexOf("ready\n") + 6));
      assert.equal(report.results.length, 100);
      for (const result of report.results) {
        assert.deepEqual(result, { status: 200, length: SIZE, intact: true });
      }
      assert.ok(report.goaways.length >= 1, "the client saw a GOAWAY");
      assert.equal(report.goaways[0].code, 0, "GOAWAY(NO_ERROR)");
    } finally {
      clearTimeout(killer);
      try {
        client.kill("SIGKILL");
      } catch { /* gone */ }
      await client.status;
      await server.stop("SIGKILL");
    }
  }),
);
