/**
 * `server.ts` as a subprocess against nghttp2's tools: the frame log of
 * `nghttp -nv` and an `h2load` run that must finish without a failed request.
 */

import assert from "node:assert/strict";
import { bounded, requireTool, run, startServer } from "./_server_helpers.ts";

const HINT = "apt-get install nghttp2-client";

Deno.test(
  "server.ts gives nghttp -nv a clean frame exchange (RFC 9113 §3.4, §6.5, §8.1)",
  bounded(async () => {
    await requireTool("nghttp", HINT);
    const server = await startServer();
    try {
      const result = await run("nghttp", ["-nv", `${server.origin}/frames`], { timeoutMs: 20_000 });
      assert.equal(result.code, 0, result.text + result.stderr);
      const log = result.text;
      // Our SETTINGS arrive first, nghttp's are acknowledged, ours get an ACK.
      assert.match(log, /recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/);
      assert.match(log, /recv SETTINGS frame <length=0, flags=0x01, stream_id=0>/);
      assert.match(log, /send SETTINGS frame <length=0, flags=0x01, stream_id=0>/);
      assert.match(log, /\[SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):100\]/);
      // nghttp opens idle streams for its priority tree first; find the request's stream.
      const request = /send HEADERS frame <length=\d+, flags=0x\w+, stream_id=(\d+)>/.exec(log);
      assert.ok(request !== null, log);
      const id = request[1];
      assert.match(log, new RegExp(`recv \\(stream_id=${id}\\) :status: 200`));
      assert.match(log, new RegExp(`recv \\(stream_id=${id}\\) server: basic-h2-server/1\\.0`));
      assert.match(log, new RegExp(`recv \\(stream_id=${id}\\) content-type: application/json`));
      assert.match(log, new RegExp(`recv DATA frame <length=\\d+, flags=0x01, stream_id=${id}>`));
      assert.doesNotMatch(log, /recv RST_STREAM|recv GOAWAY|PROTOCOL_ERROR|FLOW_CONTROL_ERROR/);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);

Deno.test(
  "server.ts completes h2load -n 20000 -c 10 -m 10 with no failed or errored request",
  bounded(async () => {
    await requireTool("h2load", HINT);
    const server = await startServer();
    try {
      const result = await run(
        "h2load",
        ["-n", "20000", "-c", "10", "-m", "10", `${server.origin}/`],
        {
          timeoutMs: 120_000,
        },
      );
      assert.equal(result.code, 0, result.text + result.stderr);
      const requests =
        /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/
          .exec(result.text);
      assert.ok(requests !== null, result.text);
      assert.deepEqual(requests.slice(1).map(Number), [20_000, 20_000, 20_000, 20_000, 0, 0, 0]);
      assert.match(result.text, /status codes: 20000 2xx, 0 3xx, 0 4xx, 0 5xx/);
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);
