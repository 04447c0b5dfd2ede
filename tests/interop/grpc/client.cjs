// A @grpc/grpc-js client for tests/interop/grpc_server_test.ts: calls the demo.Echo service of
// examples/grpc_server.ts with JSON messages (custom serializers, no protobuf compiler) and prints
// one JSON object with every outcome. Usage: node client.cjs PORT
"use strict";
const grpc = require("@grpc/grpc-js");

const json = {
  requestSerialize: (value) => Buffer.from(JSON.stringify(value)),
  requestDeserialize: (bytes) => JSON.parse(bytes.toString()),
  responseSerialize: (value) => Buffer.from(JSON.stringify(value)),
  responseDeserialize: (bytes) => JSON.parse(bytes.toString()),
};
const method = (name, requestStream, responseStream) => ({
  path: `/demo.Echo/${name}`,
  requestStream,
  responseStream,
  ...json,
});
const Echo = grpc.makeGenericClientConstructor({
  Unary: method("Unary", false, false),
  Count: method("Count", false, true),
  Sum: method("Sum", true, false),
  Fail: method("Fail", false, false),
  Missing: { ...method("Missing", false, false), path: "/demo.Echo/Missing" },
}, "Echo");

const port = process.argv[2];
const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const deadline = () => new Date(Date.now() + 10_000);
const error = (e) => ({ code: e.code, details: e.details });

function unary(name, request, metadata = new grpc.Metadata()) {
  return new Promise((resolve) => {
    client[name](request, metadata, { deadline: deadline() }, (e, reply) => {
      resolve(e ? { error: error(e) } : { reply });
    });
  });
}

function count(request) {
  return new Promise((resolve) => {
    const replies = [];
    const call = client.Count(request, { deadline: deadline() });
    call.on("data", (reply) => replies.push(reply.i));
    call.on("error", (e) => resolve({ replies, error: error(e) }));
    call.on("status", (status) => {
      if (status.code === grpc.status.OK) resolve({ replies, code: status.code });
    });
  });
}

function cancelAfter(n) {
  return new Promise((resolve) => {
    const replies = [];
    const call = client.Count({ count: 1_000_000 }, { deadline: deadline() });
    call.on("data", (reply) => {
      replies.push(reply.i);
      if (replies.length === n) call.cancel();
    });
    call.on("error", (e) => resolve({ received: replies.length >= n, error: error(e) }));
    call.on("status", (status) => {
      if (status.code === grpc.status.OK) resolve({ received: replies.length, code: status.code });
    });
  });
}

function sum(values) {
  return new Promise((resolve) => {
    const call = client.Sum({ deadline: deadline() }, (e, reply) => {
      resolve(e ? { error: error(e) } : { reply });
    });
    for (const n of values) call.write({ n });
    call.end();
  });
}

(async () => {
  const metadata = new grpc.Metadata();
  metadata.set("x-client", "grpc-js");
  const results = {
    unary: await unary("Unary", { text: "hello" }, metadata),
    large: await unary("Unary", { text: "x".repeat(1_000_000) }),
    count: await count({ count: 100 }),
    countFails: await count({ count: 10, failAt: 3 }),
    sum: await sum(Array.from({ length: 50 }, (_, i) => i)),
    cancelled: await cancelAfter(5),
    fail: await unary("Fail", {}),
    missing: await unary("Missing", {}),
    concurrent: await Promise.all(
      Array.from({ length: 20 }, (_, i) => unary("Unary", { text: `n${i}` })),
    ),
  };
  results.large = { length: results.large.reply?.text.length, error: results.large.error };
  console.log(JSON.stringify(results));
  client.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
