/**
 * `@grpc/grpc-js`, run by `node`, calling a gRPC service written on
 * `serveConnection` (`examples/grpc_server.ts`, no gRPC library on our side)
 * over h2c on 127.0.0.1: unary, server streaming, client streaming, error
 * statuses (Trailers-Only and after messages), a 1 MB message and concurrent
 * calls. gRPC checks what a fetch-style server must get right: streamed
 * bodies both ways, `content-type: application/grpc`, and `grpc-status` /
 * `grpc-message` in trailers. The package is installed with npm into a
 * temporary directory (test-only dependency), as `client_grpc_test.ts` does.
 */

import assert from "node:assert/strict";
import { echoService, type GrpcCall, GrpcStatus, serveGrpc } from "../../examples/grpc_server.ts";
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

/** Installs @grpc/grpc-js and the client script into a temporary directory. */
async function installClient(): Promise<string> {
  await requireTool("node", "apt-get install nodejs");
  await requireTool("npm", "apt-get install npm");
  const dir = await Deno.makeTempDir({ prefix: "grpc_server_test_" });
  try {
    const install = await run(
      "npm",
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir, "@grpc/grpc-js@1"],
      { timeoutMs: 120_000, cwd: dir },
    );
    if (install.code !== 0) throw new Error(`npm install @grpc/grpc-js failed:\n${install.stderr}`);
    await Deno.copyFile(new URL("./grpc/client.cjs", import.meta.url), `${dir}/client.cjs`);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return dir;
}

interface GrpcOutcome {
  reply?: Record<string, unknown>;
  error?: { code: number; details: string };
}

interface ClientResults {
  unary: GrpcOutcome;
  large: { length?: number; error?: unknown };
  count: { replies: number[]; code?: number; error?: { code: number; details: string } };
  countFails: { replies: number[]; code?: number; error?: { code: number; details: string } };
  sum: GrpcOutcome;
  cancelled: { received: boolean | number; error?: { code: number; details: string } };
  fail: GrpcOutcome;
  missing: GrpcOutcome;
  concurrent: GrpcOutcome[];
}

Deno.test("serveConnection answers @grpc/grpc-js: unary, server and client streaming, error statuses in trailers (gRPC over HTTP/2)", async (t) => {
  await within(
    180_000,
    (async () => {
      const dir = await installClient();
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const controller = new AbortController();
      // The example's service, with Count watched: a cancelled call must stop the stream.
      const count = { produced: 0, aborted: false };
      const service = {
        ...echoService,
        "/demo.Echo/Count": async function* (
          requests: AsyncIterable<Uint8Array>,
          call: GrpcCall,
        ): AsyncGenerator<Uint8Array> {
          call.signal.addEventListener("abort", () => count.aborted = true);
          for await (const reply of echoService["/demo.Echo/Count"]!(requests, call)) {
            count.produced++;
            yield reply;
          }
        },
      };
      const serving = serveGrpc(listener, service, controller.signal);
      try {
        const result = await run("node", ["client.cjs", String(listener.addr.port)], {
          cwd: dir,
          timeoutMs: 60_000,
        });
        assert.equal(result.code, 0, `node client failed:\n${result.stderr}`);
        const results = JSON.parse(result.text) as ClientResults;

        await t.step("unary: the reply and the metadata came through, status OK", () => {
          assert.deepEqual(results.unary, { reply: { text: "hello", client: "grpc-js" } });
        });
        await t.step("unary with a 1 MB message (several DATA frames and window updates)", () => {
          assert.deepEqual(results.large, { length: 1_000_000 });
        });
        await t.step("server streaming: 100 messages, then grpc-status 0 in the trailers", () => {
          assert.deepEqual(results.count, {
            replies: Array.from({ length: 100 }, (_, i) => i),
            code: GrpcStatus.OK,
          });
        });
        await t.step(
          "server streaming failing after 3 messages: the status in the trailers",
          () => {
            assert.deepEqual(results.countFails.replies, [0, 1, 2]);
            // grpc-message is percent-encoded UTF-8; grpc-js decodes it.
            assert.deepEqual(results.countFails.error, {
              code: GrpcStatus.FAILED_PRECONDITION,
              details: "failed at 3 ✗",
            });
          },
        );
        await t.step(
          "a call cancelled by the client (RST_STREAM) stops the server's stream",
          () => {
            assert.deepEqual(results.cancelled, {
              received: true,
              error: { code: GrpcStatus.CANCELLED, details: "Cancelled on client" },
            });
            assert.ok(count.aborted, "request.signal was not aborted");
            // 100 + 10 from the other calls; the cancelled one stopped far below its million.
            assert.ok(count.produced < 100_000, `the server produced ${count.produced} replies`);
          },
        );
        await t.step("client streaming: 50 messages summed", () => {
          assert.deepEqual(results.sum, { reply: { sum: 1225, count: 50 } });
        });
        await t.step("an immediate error: Trailers-Only response", () => {
          assert.deepEqual(results.fail, {
            error: { code: GrpcStatus.NOT_FOUND, details: "no such thing" },
          });
          assert.deepEqual(results.missing, {
            error: { code: GrpcStatus.UNIMPLEMENTED, details: "Unknown method" },
          });
        });
        await t.step("20 concurrent unary calls", () => {
          assert.deepEqual(
            results.concurrent,
            Array.from({ length: 20 }, (_, i) => ({ reply: { text: `n${i}`, client: null } })),
          );
        });
      } finally {
        controller.abort();
        await within(10_000, serving, "the gRPC server's shutdown");
        await Deno.remove(dir, { recursive: true });
      }
    })(),
    "the gRPC server test",
  );
});
