/**
 * `server.ts` as a subprocess against two independent HTTP/2 client stacks:
 * Node's `node:http2` (nghttp2 inside) and python-hyper `h2`.
 */

import assert from "node:assert/strict";
import { bounded, requireTool, run, startServer } from "./_server_helpers.ts";

const NODE_CLIENT = `
const http2 = require("node:http2");
const origin = process.argv[1];
const session = http2.connect(origin);
session.on("error", (e) => { console.error(e); process.exit(1); });
function request(headers, body) {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks = [];
    let status;
    req.on("response", (h) => { status = h[":status"]; });
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve({ status, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    if (body) req.end(body); else req.end();
  });
}
(async () => {
  const [echo, bytes, size] = await Promise.all([
    request({ ":path": "/node", "x-client": "node" }),
    request({ ":path": "/bytes/300000" }),
    request({ ":method": "POST", ":path": "/echo-size" }, Buffer.alloc(2_000_000, 1)),
  ]);
  let intact = bytes.body.length === 300000;
  for (let i = 0; intact && i < bytes.body.length; i++) intact = bytes.body[i] === (i & 255);
  console.log(JSON.stringify({
    echo: { status: echo.status, json: JSON.parse(echo.body.toString()) },
    bytes: { status: bytes.status, intact },
    size: { status: size.status, json: JSON.parse(size.body.toString()) },
  }));
  session.close();
})().catch((e) => { console.error(e); process.exit(1); });
`;

Deno.test(
  "server.ts serves a node:http2 client: echo, download and upload",
  bounded(async () => {
    await requireTool("node", "install Node.js 20");
    const server = await startServer();
    try {
      const result = await run("node", ["-e", NODE_CLIENT, server.origin], { timeoutMs: 30_000 });
      assert.equal(result.code, 0, result.stderr);
      const out = JSON.parse(result.text);
      assert.equal(out.echo.status, 200);
      assert.equal(out.echo.json[":path"], "/node");
      assert.equal(out.echo.json["x-client"], "node");
      assert.deepEqual(out.bytes, { status: 200, intact: true });
      assert.deepEqual(out.size, { status: 200, json: { received: 2_000_000 } });
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);

const PYTHON_CLIENT = `
import json, socket, sys
import h2.connection, h2.events, h2.config

port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
sock.sendall(conn.data_to_send())
requests = {}
for path in ("/python", "/bytes/100000"):
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                            (":authority", "127.0.0.1:%d" % port), (":path", path),
                            ("x-client", "python-h2")], end_stream=True)
    requests[sid] = {"path": path, "status": None, "body": b""}
sock.sendall(conn.data_to_send())
open_streams = set(requests)
while open_streams:
    data = sock.recv(65536)
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            requests[event.stream_id]["status"] = dict(event.headers)[b":status"].decode()
        elif isinstance(event, h2.events.DataReceived):
            requests[event.stream_id]["body"] += event.data
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            open_streams.discard(event.stream_id)
        elif isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
            print("unexpected", event, file=sys.stderr)
            sys.exit(1)
    sock.sendall(conn.data_to_send())
conn.close_connection()
sock.sendall(conn.data_to_send())
sock.close()
echo, download = requests[1], requests[3]
body = download["body"]
print(json.dumps({
    "echo": {"status": echo["status"], "json": json.loads(echo["body"])},
    "bytes": {"status": download["status"], "length": len(body),
              "intact": all(b == i % 256 for i, b in enumerate(body))},
}))
`;

Deno.test(
  "server.ts serves a python-hyper h2 client: echo and download",
  bounded(async () => {
    await requireTool("/usr/bin/python3", "apt-get install python3-h2");
    const server = await startServer();
    try {
      const result = await run("/usr/bin/python3", ["-c", PYTHON_CLIENT, String(server.port)], {
        timeoutMs: 30_000,
      });
      assert.equal(result.code, 0, result.stderr);
      const out = JSON.parse(result.text);
      assert.equal(out.echo.status, "200");
      assert.equal(out.echo.json[":path"], "/python");
      assert.equal(out.echo.json["x-client"], "python-h2");
      assert.deepEqual(out.bytes, { status: "200", length: 100_000, intact: true });
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  }),
);
