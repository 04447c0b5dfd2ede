// The Sans-IO engine on Node, unchanged: a tiny h2c server on node:net.
//
//   deno bundle --platform browser --format esm -o examples/node/h2.mjs mod.ts
//   node examples/node/server.mjs 8080
//   curl --http2-prior-knowledge http://127.0.0.1:8080/
//
// (tests/interop/node_bundle_test.ts bundles and runs the engine under node the same way.)
import net from "node:net";
// Built by `deno bundle` (above), so it is loaded by path rather than imported statically.
const bundle = new URL("./h2.mjs", import.meta.url).href;
const { H2Connection, RequestReceived } = await import(bundle);

const port = Number(process.argv[2] ?? 8080);
net.createServer((socket) => {
  socket.setNoDelay(true);
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  socket.write(conn.dataToSend());
  socket.on("data", (chunk) => {
    let events;
    try {
      events = conn.receiveData(new Uint8Array(chunk));
    } catch {
      socket.end(conn.dataToSend()); // the GOAWAY is queued already
      return;
    }
    for (const event of events) {
      if (event instanceof RequestReceived) {
        const body = new TextEncoder().encode(JSON.stringify(Object.fromEntries(event.headers)));
        conn.sendHeaders(event.streamId, [
          [":status", "200"],
          ["server", "basic-h2-server/1.0"],
          ["content-type", "application/json"],
          ["content-length", String(body.length)],
        ]);
        conn.sendData(event.streamId, body, { endStream: true });
      }
    }
    const out = conn.dataToSend();
    if (out.length > 0) socket.write(out);
  });
  socket.on("error", () => socket.destroy());
}).listen(port, "127.0.0.1", () => console.log(`Listening on http://127.0.0.1:${port}/`));
