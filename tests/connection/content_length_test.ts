// RFC 9113 §8.1.1: content-length must match the DATA received.
import assert from "node:assert/strict";
import { frames } from "../_helpers/frames.ts";
import { ready, request } from "../_helpers/peer.ts";

Deno.test("H2Connection (server) resets requests whose body disagrees with content-length (RFC 9113 §8.1.1)", async (t) => {
  // RFC 9113 §8.1.1: "A request or response is also malformed if the value of a content-length header field does not equal the sum of the DATA frame payload lengths"
  const cases: [string, string, () => Uint8Array[]][] = [
    ["a short body", "5", () => [frames.data(1, "abc").endStream().toBytes()]],
    ["a long body", "2", () => [frames.data(1, "abc").toBytes()]],
    [
      "a long body over two frames",
      "4",
      () => [frames.data(1, "abc").toBytes(), frames.data(1, "de").endStream().toBytes()],
    ],
    ["HEADERS+END_STREAM with a non-zero length", "10", () => []],
    ["a non-numeric length", "abc", () => [frames.data(1, "abc").endStream().toBytes()]],
    ["a negative length", "-1", () => [frames.data(1, "").endStream().toBytes()]],
  ];
  for (const [name, length, body] of cases) {
    await t.step(name, () => {
      const peer = ready("server");
      const parts = body();
      const h = frames.headers(1).request("POST", "/", [["content-length", length]]);
      if (parts.length === 0) h.endStream();
      peer.trySend(h, ...parts);
      peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
      peer.send(frames.headers(3).request("GET", "/").endStream());
      assert.equal(peer.event("RequestReceived").streamId, 3);
    });
  }
});

Deno.test("H2Connection (server) rejects disagreeing duplicate content-length fields (RFC 9113 §8.1.1)", () => {
  // RFC 9113 §8.1.1 with RFC 9110 §8.6
  const peer = ready("server");
  peer.trySend(
    frames.headers(1).request("POST", "/", [["content-length", "3"], ["content-length", "4"]]),
    frames.data(1, "abc").endStream(),
  );
  peer.expectStreamError(1, "PROTOCOL_ERROR");
});

Deno.test("H2Connection accepts bodies that match content-length, padding not counted (RFC 9113 §8.1.1, §6.1)", async (t) => {
  // RFC 9113 §8.1.1: the sum of DATA payload lengths (padding excluded, §6.1)
  await t.step("two frames, padded", () => {
    const peer = ready("server");
    peer.send(
      frames.headers(1).request("POST", "/", [["content-length", "5"]]),
      frames.data(1, "abc").padded(7),
      frames.data(1, "de").endStream(),
    );
    assert.deepEqual(peer.eventTypes(), [
      "RequestReceived",
      "DataReceived",
      "DataReceived",
      "StreamEnded",
    ]);
    peer.expectIdle();
  });
  await t.step("content-length 0 with HEADERS+END_STREAM", () => {
    const peer = ready("server");
    peer.send(frames.headers(1).request("POST", "/", [["content-length", "0"]]).endStream());
    assert.deepEqual(peer.eventTypes(), ["RequestReceived", "StreamEnded"]);
  });
});

Deno.test("H2Connection (client) accepts no body for HEAD and 304 despite a non-zero content-length (RFC 9113 §8.1.1)", async (t) => {
  // RFC 9113 §8.1.1: "A response that is defined to have no content ... MAY have a non-zero content-length header field, even though no content is included in DATA frames."
  await t.step("HEAD", () => {
    const peer = ready("client");
    peer.conn.sendHeaders(1, request("HEAD", "/"), { endStream: true });
    peer.read();
    peer.send(frames.headers(1).response(200, [["content-length", "1234"]]).endStream());
    assert.deepEqual(peer.eventTypes(), ["ResponseReceived", "StreamEnded"]);
    peer.expectIdle();
  });
  await t.step("304", () => {
    const peer = ready("client");
    peer.openStream(1, { endStream: true });
    peer.send(frames.headers(1).response(304, [["content-length", "1234"]]).endStream());
    assert.deepEqual(peer.eventTypes(), ["ResponseReceived", "StreamEnded"]);
    peer.expectIdle();
  });
  await t.step("HEAD with DATA is rejected", () => {
    const peer = ready("client");
    peer.conn.sendHeaders(1, request("HEAD", "/"), { endStream: true });
    peer.read();
    peer.send(frames.headers(1).response(200, [["content-length", "3"]]));
    peer.trySend(frames.data(1, "abc").endStream());
    peer.expectStreamError(1, "PROTOCOL_ERROR");
  });
});

Deno.test("H2Connection (client) resets a response longer than its content-length (RFC 9113 §8.1.1)", () => {
  // RFC 9113 §8.1.1: "Clients MUST NOT accept a malformed response."
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.send(frames.headers(1).response(200, [["content-length", "3"]]));
  peer.trySend(frames.data(1, "abcd"));
  peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
});

Deno.test("H2Connection accepts trailers after a body that matches content-length (RFC 9113 §8.1, §8.1.1)", () => {
  // RFC 9113 §8.1.1: only DATA payloads count.
  const peer = ready("server");
  peer.send(
    frames.headers(1).request("POST", "/", [["content-length", "3"]]),
    frames.data(1, "abc"),
    frames.headers(1).fields([["x-t", "1"]]).endStream(),
  );
  assert.deepEqual(peer.eventTypes(), [
    "RequestReceived",
    "DataReceived",
    "TrailersReceived",
    "StreamEnded",
  ]);
  peer.expectIdle();
});

Deno.test("H2Connection (client) resets a GET response that ends with HEADERS despite a non-zero content-length (RFC 9113 §8.1.1)", () => {
  // RFC 9113 §8.1.1: only responses defined to have no content (HEAD, 204, 304) may do so.
  const peer = ready("client");
  peer.openStream(1, { endStream: true });
  peer.trySend(frames.headers(1).response(200, [["content-length", "10"]]).endStream());
  peer.expectStreamError(1, "PROTOCOL_ERROR", { event: true });
});
