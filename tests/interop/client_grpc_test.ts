/**
 * Our client (`lib/client.ts`) calling a `@grpc/grpc-js` server run by
 * `node`: gRPC over HTTP/2 is POST with `content-type: application/grpc`,
 * `te: trailers`, length-prefixed messages both ways, and the status in
 * trailers (`grpc-status`, `grpc-message`) — a good test of streaming bodies
 * and trailers against an implementation we did not write. The package is
 * installed with npm into a temporary directory (test-only dependency).
 */

import assert from "node:assert/strict";
import { connect, trailers } from "../../lib/client.ts";
import { requireTool, run } from "./_server_helpers.ts";

/** Rejects if `promise` takes longer than `ms`; clears its timer either way. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** gRPC's Length-Prefixed-Message: flag 0 (uncompressed), 4-octet big-endian length, message. */
function frame(message: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/** Splits a body into its length-prefixed messages (uncompressed only). */
function messages(body: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let offset = 0;
  while (offset < body.length) {
    assert.equal(body[offset], 0, "compressed flag");
    const length = view.getUint32(offset + 1);
    out.push(new TextDecoder().decode(body.subarray(offset + 5, offset + 5 + length)));
    offset += 5 + length;
  }
  return out;
}

const encoder = new TextEncoder();

/** A grpc-js server with raw-bytes methods: Unary (echo), Stream (N replies), Sum (client stream), Fail. */
const GRPC_SERVER = `
const grpc = require("@grpc/grpc-js");
const raw = { requestSerialize: (b) => b, requestDeserialize: (b) => b,
  responseSerialize: (b) => b, responseDeserialize: (b) => b };
const service = {
  Unary: { path: "/test.Echo/Unary", requestStream: false, responseStream: false, ...raw },
  Stream: { path: "/test.Echo/Stream", requestStream: false, responseStream: true, ...raw },
  Sum: { path: "/test.Echo/Sum", requestStream: true, responseStream: false, ...raw },
  Fail: { path: "/test.Echo/Fail", requestStream: false, responseStream: false, ...raw },
};
const server = new grpc.Server();
server.addService(service, {
  Unary(call, callback) {
    const meta = call.metadata.get("x-client")[0] || "";
    callback(null, Buffer.from("echo:" + call.request.toString() + ":" + meta));
  },
  Stream(call) {
    const n = Number(call.request.toString());
    for (let i = 0; i < n; i++) call.write(Buffer.from("reply " + i));
    call.end();
  },
  Sum(call, callback) {
    let count = 0, bytes = 0;
    call.on("data", (message) => { count++; bytes += message.length; });
    call.on("end", () => callback(null, Buffer.from(count + " messages, " + bytes + " bytes")));
  },
  Fail(call, callback) {
    callback({ code: grpc.status.NOT_FOUND, details: "no such thing" });
  },
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) { console.error(String(error)); process.exit(1); }
  console.log("port " + port);
});
`;

/** Installs @grpc/grpc-js into a temporary directory and starts the server there. */
async function startGrpcServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  await requireTool("node", "apt-get install nodejs");
  await requireTool("npm", "apt-get install npm");
  const dir = await Deno.makeTempDir();
  try {
    const install = await run(
      "npm",
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir, "@grpc/grpc-js@1"],
      { timeoutMs: 120_000, cwd: dir },
    );
    if (install.code !== 0) throw new Error(`npm install @grpc/grpc-js failed:\n${install.stderr}`);
    await Deno.writeTextFile(`${dir}/server.cjs`, GRPC_SERVER);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const child = new Deno.Command("node", {
    args: ["server.cjs"],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  let stderr = "";
  const stderrDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    const port = await within(
      20_000,
      (async () => {
        while (true) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the gRPC server exited:\n${stderr}`);
          text += value;
          const match = /port (\d+)/.exec(text);
          if (match !== null) return Number(match[1]);
        }
      })(),
      "the gRPC server",
    );
    return {
      port,
      async stop() {
        await stop();
        await reader.cancel().catch(() => {});
        await stderrDone;
      },
    };
  } catch (error) {
    await stop();
    await reader.cancel().catch(() => {});
    await stderrDone;
    throw error;
  }
}

const GRPC_HEADERS = { "content-type": "application/grpc", te: "trailers" };

Deno.test("H2ClientSession calls a @grpc/grpc-js server: unary, server streaming, client streaming, error status (gRPC over HTTP/2)", async (t) => {
  await within(
    180_000,
    (async () => {
      const server = await startGrpcServer();
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const session = connect(conn);
      const url = (method: string) => `http://127.0.0.1:${server.port}/test.Echo/${method}`;
      try {
        await t.step("unary: one message each way, grpc-status 0 in the trailers", async () => {
          const response = await session.request(url("Unary"), {
            method: "POST",
            headers: { ...GRPC_HEADERS, "x-client": "deno" },
            body: frame(encoder.encode("hello")),
          });
          assert.equal(response.status, 200);
          assert.match(response.headers.get("content-type") ?? "", /^application\/grpc/);
          const body = new Uint8Array(await response.arrayBuffer());
          assert.deepEqual(messages(body), ["echo:hello:deno"]);
          const fields = await trailers(response);
          assert.equal(fields.get("grpc-status"), "0");
        });

        await t.step("server streaming: 50 messages, then the status", async () => {
          const response = await session.request(url("Stream"), {
            method: "POST",
            headers: GRPC_HEADERS,
            body: frame(encoder.encode("50")),
          });
          const body = new Uint8Array(await response.arrayBuffer());
          assert.deepEqual(messages(body), Array.from({ length: 50 }, (_, i) => `reply ${i}`));
          assert.equal((await trailers(response)).get("grpc-status"), "0");
        });

        await t.step("client streaming: a streamed request body of 200 messages", async () => {
          let sent = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent === 200) return controller.close();
              controller.enqueue(
                frame(encoder.encode(`message ${String(sent++).padStart(3, "0")}`)),
              );
            },
          }, { highWaterMark: 0 });
          const response = await session.request(url("Sum"), {
            method: "POST",
            headers: GRPC_HEADERS,
            body,
          });
          const reply = new Uint8Array(await response.arrayBuffer());
          assert.deepEqual(messages(reply), ["200 messages, 2200 bytes"]);
          assert.equal((await trailers(response)).get("grpc-status"), "0");
        });

        await t.step(
          "an error status: Trailers-Only response (grpc-status in the headers)",
          async () => {
            const response = await session.request(url("Fail"), {
              method: "POST",
              headers: GRPC_HEADERS,
              body: frame(encoder.encode("x")),
            });
            assert.equal(response.status, 200);
            // gRPC's Trailers-Only: a single HEADERS frame with END_STREAM carries the status.
            const status = response.headers.get("grpc-status") ??
              (await trailers(response)).get("grpc-status");
            assert.equal(status, "5"); // NOT_FOUND
            const message = response.headers.get("grpc-message") ??
              (await trailers(response)).get("grpc-message");
            assert.equal(decodeURIComponent(message ?? ""), "no such thing");
            assert.equal(response.body, null);
          },
        );

        await t.step("ten concurrent unary calls on the one connection", async () => {
          const replies = await Promise.all(
            Array.from({ length: 10 }, async (_, i) => {
              const response = await session.request(url("Unary"), {
                method: "POST",
                headers: GRPC_HEADERS,
                body: frame(encoder.encode(`n${i}`)),
              });
              return messages(new Uint8Array(await response.arrayBuffer()))[0];
            }),
          );
          assert.deepEqual(replies, Array.from({ length: 10 }, (_, i) => `echo:n${i}:`));
          assert.equal(session.connection.connection.highestOutboundStreamId, 27);
        });
      } finally {
        await within(10_000, session.close(), "close").catch(() => session.destroy());
        try {
          conn.close();
        } catch { /* closed by the session */ }
        await server.stop();
      }
    })(),
    "the gRPC test",
  );
});
