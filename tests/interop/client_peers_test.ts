/**
 * Our client (`lib/client.ts`) against servers we did not write: `nghttpd`
 * (Debian nghttp2-server) and a `node:http2` server run by `node`; and the
 * CLI (`examples/client.ts`) against `server.ts`. Every subprocess is killed
 * in `finally`, every wait is bounded, and a missing tool fails the test
 * with a message saying what to install.
 */

import assert from "node:assert/strict";
import { connect, type ConnectOptions, type PushPromise, trailers } from "../../lib/client.ts";
import { expectedBytes, requireTool, ROOT, run, startServer } from "./_server_helpers.ts";

const SIZE = 8 * 1_048_576;

/** `size` octets where octet i is `(i * 7) % 251`. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
  return bytes;
}

/** The same octets, pulled in 64 KiB chunks only as fast as the client sends them. */
function patternStream(size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= size) return controller.close();
      const n = Math.min(65_536, size - offset);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = ((offset + i) * 7) % 251;
      offset += n;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${what}: octet ${i} is ${actual[i]}, not ${expected[i]}`);
    }
  }
}

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

/** `Deno.test` with a time limit: a hung exchange fails the test instead of the whole run. */
function test(name: string, fn: (t: Deno.TestContext) => Promise<void>, ms = 120_000): void {
  Deno.test(name, (t) => within(ms, fn(t), name));
}

/** A free TCP port on 127.0.0.1 (bound, then released for the peer to take). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Waits until something accepts on the port. */
async function waitForPort(port: number, child: Deno.ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  let exited = false;
  child.status.then(() => exited = true);
  while (performance.now() < deadline && !exited) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${what} did not start listening on ${port}`);
}

/** A peer server subprocess; `stop()` kills it and waits. */
interface Peer {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

function collect(child: Deno.ChildProcess): { text: () => string; done: Promise<void> } {
  let text = "";
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const done = Promise.all([read(child.stdout), read(child.stderr)]).then(() => {});
  return { text: () => text, done };
}

function peer(child: Deno.ChildProcess, port: number): Peer {
  const output = collect(child);
  return {
    port,
    output: output.text,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await output.done;
    },
  };
}

/** `nghttpd --no-tls` (or TLS with `tls`) serving `dir` on a free port, with extra flags. */
async function startNghttpd(
  dir: string,
  flags: string[] = [],
  tls?: { key: string; cert: string },
): Promise<Peer> {
  await requireTool("nghttpd", "apt-get install nghttp2-server");
  const port = freePort();
  const tail = tls === undefined ? ["--no-tls", String(port)] : [String(port), tls.key, tls.cert];
  const child = new Deno.Command("nghttpd", {
    args: ["-a", "127.0.0.1", "-d", dir, ...flags, ...tail],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const running = peer(child, port);
  try {
    await waitForPort(port, child, "nghttpd");
  } catch (error) {
    await running.stop();
    throw new Error(`${(error as Error).message}\n${running.output()}`);
  }
  return running;
}

/** A node:http2 h2c server (see NODE_SERVER) on a free port. */
async function startNode(): Promise<Peer> {
  await requireTool("node", "apt-get install nodejs");
  const dir = await Deno.makeTempDir();
  const script = `${dir}/server.cjs`;
  await Deno.writeTextFile(script, NODE_SERVER);
  const port = freePort();
  const child = new Deno.Command("node", {
    args: [script, String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const running = peer(child, port);
  try {
    await waitForPort(port, child, "node:http2 server");
  } catch (error) {
    await running.stop();
    throw new Error(`${(error as Error).message}\n${running.output()}`);
  }
  return {
    ...running,
    async stop() {
      await running.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** node:http2 server: /small, /big (8 MiB pattern), /echo (body back + trailers), /push. */
const NODE_SERVER = `
const http2 = require("node:http2");
const SIZE = ${SIZE};
const big = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) big[i] = (i * 7) % 251;
const server = http2.createServer();
server.on("stream", (stream, headers) => {
  const path = headers[":path"];
  if (path === "/small") {
    stream.respond({ ":status": 200, "content-type": "text/plain", "x-method": headers[":method"] });
    stream.end("hello from node");
  } else if (path === "/big") {
    stream.respond({ ":status": 200, "content-length": SIZE });
    stream.end(big);
  } else if (path === "/echo") {
    const chunks = [];
    let size = 0;
    stream.on("data", (chunk) => { chunks.push(chunk); size += chunk.length; });
    stream.on("trailers", (trailers) => { stream.requestTrailers = trailers; });
    stream.on("end", () => {
      const got = stream.requestTrailers || {};
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({
        "x-received": String(size), "x-request-trailer": String(got["x-sum"] || ""),
      }));
      stream.end(Buffer.concat(chunks));
    });
  } else if (path === "/push") {
    if (!stream.pushAllowed) {
      stream.respond({ ":status": 500 });
      stream.end("push disabled by the client");
      return;
    }
    stream.pushStream({ ":path": "/pushed.txt" }, (error, push) => {
      if (error) { stream.respond({ ":status": 500 }); stream.end(String(error)); return; }
      push.on("error", () => {});
      push.respond({ ":status": 200, "content-type": "text/plain" });
      push.end("pushed by node");
      stream.respond({ ":status": 200 });
      stream.end("page");
    });
  } else {
    stream.respond({ ":status": 404 });
    stream.end();
  }
  stream.on("error", () => {});
});
server.listen(Number(process.argv[2]), "127.0.0.1");
`;

/** Runs `fn` with a client session on the port; always closes it and the socket. */
async function withSession<T>(
  port: number,
  fn: (session: ReturnType<typeof connect>) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const session = connect(conn, options);
  try {
    return await within(60_000, fn(session), "the exchange");
  } finally {
    await within(10_000, session.close(), "the graceful close").catch(() => session.destroy());
    try {
      conn.close();
    } catch { /* closed by the session */ }
  }
}

test("H2ClientSession against nghttpd: GET, 8 MiB download, 100 concurrent requests, upload echo (RFC 9113 §5, §8.1)", async (t) => {
  const dir = await Deno.makeTempDir();
  const big = pattern(SIZE);
  await Deno.writeFile(`${dir}/big.bin`, big);
  await Deno.writeTextFile(`${dir}/small.txt`, "hello from nghttpd\n");
  const server = await startNghttpd(dir, ["--echo-upload"]);
  try {
    await withSession(server.port, async (session) => {
      const origin = `http://127.0.0.1:${server.port}`;
      await t.step("GET a small file", async () => {
        const response = await session.request(`${origin}/small.txt`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get("server") ?? "", /nghttpd/);
        assert.equal(await response.text(), "hello from nghttpd\n");
      });
      await t.step("GET an 8 MiB file intact", async () => {
        const response = await session.request(`${origin}/big.bin`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-length"), String(SIZE));
        assertSameBytes(new Uint8Array(await response.arrayBuffer()), big, "download");
      });
      await t.step("100 concurrent GETs on one connection", async () => {
        const responses = await Promise.all(
          Array.from({ length: 100 }, () => session.request(`${origin}/small.txt`)),
        );
        const texts = await Promise.all(responses.map((response) => response.text()));
        assert.ok(texts.every((text) => text === "hello from nghttpd\n"));
        assert.equal(session.connection.connection.highestOutboundStreamId, 203); // 1, 3, then 5 … 203
      });
      await t.step("POST 8 MiB streamed, echoed back (--echo-upload)", async () => {
        const response = await session.request(`${origin}/upload`, {
          method: "POST",
          body: patternStream(SIZE),
        });
        assert.equal(response.status, 200);
        assertSameBytes(new Uint8Array(await response.arrayBuffer()), big, "echo");
      });
      await t.step("404 for a missing file", async () => {
        const response = await session.request(`${origin}/missing`);
        assert.equal(response.status, 404);
        await response.body?.cancel();
      });
    });
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

test("H2ClientSession against nghttpd: pushes surfaced with onPush, refused without it (RFC 9113 §8.4)", async (t) => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/index.html`, "<link rel=stylesheet href=/pushed.css>");
  await Deno.writeTextFile(`${dir}/pushed.css`, "body { color: green }");
  const server = await startNghttpd(dir, ["-p/index.html=/pushed.css"]);
  const origin = `http://127.0.0.1:${server.port}`;
  try {
    await t.step("onPush receives the promised request and its response", async () => {
      const pushes: PushPromise[] = [];
      await withSession(server.port, async (session) => {
        const response = await session.request(`${origin}/index.html`);
        assert.equal(await response.text(), "<link rel=stylesheet href=/pushed.css>");
        assert.equal(pushes.length, 1);
        const push = pushes[0]!;
        assert.equal(push.parentStreamId, 1);
        assert.equal(push.streamId, 2);
        assert.equal(push.request.method, "GET");
        assert.equal(new URL(push.request.url).pathname, "/pushed.css");
        const pushed = await push.response;
        assert.equal(pushed.status, 200);
        assert.equal(await pushed.text(), "body { color: green }");
      }, { onPush: (push) => pushes.push(push) });
    });
    await t.step("without onPush, ENABLE_PUSH=0 and nothing is pushed", async () => {
      await withSession(server.port, async (session) => {
        const response = await session.request(`${origin}/index.html`);
        assert.equal(response.status, 200);
        await response.text();
        assert.equal(session.connection.connection.localSettings.enablePush, 0);
        assert.equal(session.connection.connection.highestInboundStreamId, 0);
      });
    });
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

test("H2ClientSession against nghttpd over TLS with ALPN h2 (RFC 9113 §3.2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ca, cert, key } = await makeCa(dir);
    await Deno.writeTextFile(`${dir}/small.txt`, "secret hello\n");
    const big = pattern(SIZE);
    await Deno.writeFile(`${dir}/big.bin`, big);
    const server = await startNghttpd(dir, [], { key, cert });
    try {
      const conn = await Deno.connectTls({
        hostname: "localhost",
        port: server.port,
        caCerts: [await Deno.readTextFile(ca)],
        alpnProtocols: ["h2"],
      });
      assert.equal((await conn.handshake()).alpnProtocol, "h2");
      const session = connect(conn);
      try {
        const origin = `https://localhost:${server.port}`;
        const small = await within(10_000, session.request(`${origin}/small.txt`), "GET");
        assert.equal(await small.text(), "secret hello\n");
        const large = await within(30_000, session.request(`${origin}/big.bin`), "GET big");
        assertSameBytes(new Uint8Array(await large.arrayBuffer()), big, "TLS download");
      } finally {
        await within(10_000, session.close(), "close").catch(() => session.destroy());
        try {
          conn.close();
        } catch { /* closed by the session */ }
      }
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("H2ClientSession against node:http2: GET, 8 MiB download, 8 MiB upload echo with trailers, push (RFC 9113 §8.1, §8.4)", async (t) => {
  const server = await startNode();
  const origin = `http://127.0.0.1:${server.port}`;
  const big = pattern(SIZE);
  try {
    await withSession(server.port, async (session) => {
      await t.step("GET", async () => {
        const response = await session.request(`${origin}/small`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-method"), "GET");
        assert.equal(await response.text(), "hello from node");
      });
      await t.step("8 MiB download", async () => {
        const response = await session.request(`${origin}/big`);
        assertSameBytes(new Uint8Array(await response.arrayBuffer()), big, "download");
      });
      await t.step("8 MiB upload echoed, trailers both ways", async () => {
        const response = await session.request(`${origin}/echo`, {
          method: "POST",
          body: patternStream(SIZE),
          trailers: Promise.resolve({ "x-sum": "checked" }),
        });
        assertSameBytes(new Uint8Array(await response.arrayBuffer()), big, "echo");
        const received = await trailers(response);
        assert.equal(received.get("x-received"), String(SIZE));
        assert.equal(received.get("x-request-trailer"), "checked");
      });
    }, { onPush: (push) => push.cancel() });

    await t.step("push via stream.pushStream", async () => {
      const pushes: PushPromise[] = [];
      await withSession(server.port, async (session) => {
        const response = await session.request(`${origin}/push`);
        assert.equal(await response.text(), "page");
        assert.equal(pushes.length, 1);
        assert.equal(new URL(pushes[0]!.request.url).pathname, "/pushed.txt");
        const pushed = await pushes[0]!.response;
        assert.equal(pushed.headers.get("content-type"), "text/plain");
        assert.equal(await pushed.text(), "pushed by node");
      }, { onPush: (push) => pushes.push(push) });
    });

    await t.step("push refused by default: node sees ENABLE_PUSH=0", async () => {
      await withSession(server.port, async (session) => {
        const response = await session.request(`${origin}/push`);
        assert.equal(response.status, 500);
        assert.match(await response.text(), /push/i);
      });
    });
  } finally {
    await server.stop();
  }
});

test("examples/client.ts against server.ts prints the JSON body and, with -v, the frames (RFC 9113 §8.3.1)", async () => {
  const server = await startServer();
  const cli = (args: string[]) =>
    run(Deno.execPath(), ["run", "--allow-net", `${ROOT}examples/client.ts`, ...args], {
      timeoutMs: 30_000,
    });
  try {
    const plain = await cli(["-H", "x-client: ours", `${server.origin}/hello?a=1`]);
    assert.equal(plain.code, 0, plain.stderr);
    const fields = JSON.parse(plain.text);
    assert.equal(fields[":method"], "GET");
    assert.equal(fields[":scheme"], "http");
    assert.equal(fields[":authority"], `127.0.0.1:${server.port}`);
    assert.equal(fields[":path"], "/hello?a=1");
    assert.equal(fields["x-client"], "ours");

    const verbose = await cli(["-v", `${server.origin}/`]);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.equal(JSON.parse(verbose.text)[":path"], "/");
    assert.match(
      verbose.stderr,
      /^\[ {2}\d\.\d{3}\] send HEADERS frame <length=\d+, flags=0x05, stream_id=1>$/m,
    );
    assert.match(verbose.stderr, /^ {10}:method: GET$/m);
    assert.match(verbose.stderr, /^\[ {2}\d\.\d{3}\] recv \(stream_id=1\) :status: 200$/m);
    assert.match(
      verbose.stderr,
      /^\[ {2}\d\.\d{3}\] recv DATA frame <length=\d+, flags=0x01, stream_id=1>$/m,
    );
    assert.match(verbose.stderr, /^\[ {2}\d\.\d{3}\] send SETTINGS frame </m);

    const post = await cli(["-d", "abcdef", `${server.origin}/echo-size`]);
    assert.equal(post.code, 0, post.stderr);
    assert.deepEqual(JSON.parse(post.text), { received: 6 });

    const download = await cli([`${server.origin}/bytes/1000000`]);
    assert.equal(download.code, 0, download.stderr);
    assert.deepEqual(download.stdout, expectedBytes(1_000_000));

    const bad = await cli(["--nope"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Usage:/);
  } finally {
    await server.stop();
  }
});

/** A throwaway CA and a `localhost`/127.0.0.1 leaf signed by it (rustls refuses a self-signed leaf as CA). */
async function makeCa(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  await requireTool("openssl", "apt-get install openssl");
  const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
      "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  const steps = [
    [
      "req",
      "-x509",
      ...curve,
      "-subj",
      "/CN=h2 test CA",
      "-days",
      "1",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ],
    ["req", ...curve, "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "leaf.csr"],
    [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      "cert.pem",
      "-extfile",
      "ext.cnf",
    ],
  ];
  for (const args of steps) {
    const result = await run("openssl", args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args[0]} failed:\n${result.stderr}`);
  }
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

test("examples/client.ts speaks TLS with ALPN h2 to server.ts --cert/--key, trusting --cacert (RFC 9113 §3.2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { ca, cert, key } = await makeCa(dir);
    const server = await startServer(["--cert", cert, "--key", key]);
    try {
      assert.match(server.origin, /^https:/);
      const cli = (args: string[]) =>
        run(Deno.execPath(), [
          "run",
          "--allow-net",
          "--allow-read",
          `${ROOT}examples/client.ts`,
          ...args,
        ], {
          timeoutMs: 30_000,
        });
      const ok = await cli(["-v", "--cacert", ca, `https://localhost:${server.port}/tls`]);
      assert.equal(ok.code, 0, ok.stderr);
      const fields = JSON.parse(ok.text);
      assert.equal(fields[":scheme"], "https");
      assert.equal(fields[":authority"], `localhost:${server.port}`);
      assert.match(ok.stderr, /send HEADERS frame <length=\d+, flags=0x05, stream_id=1>/);

      const untrusted = await cli([`https://localhost:${server.port}/`]);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /cannot connect/);

      const insecure = await cli(["-k", `https://localhost:${server.port}/`]);
      assert.equal(insecure.code, 2);
      assert.match(insecure.stderr, /--cacert/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
