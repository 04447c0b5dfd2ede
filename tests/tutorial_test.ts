// RFC 9113 §8.3, §8.8.1, §8.8.2: python h2's tutorial server ("Writing your own HTTP/2 server")
// ported line by line to H2Connection, driven in memory with client bytes built by hand
// (tests/_helpers/frames.ts, no lib/ encoder) and checked with the test-only frame parser
// and HPACK decoder (tests/_helpers/decode.ts). tests/interop/python_h2_tutorial_test.ts
// runs the same port next to python h2 itself and compares the frames.
import assert from "node:assert/strict";
import { H2Connection } from "../lib/connection.ts";
import { type HeaderField, RequestReceived } from "../lib/events.ts";
import { bytes, frames, hpack } from "./_helpers/frames.ts";
import { BlockDecoder, describeFrames, type FrameSummary, parseFrames } from "./_helpers/decode.ts";

/** Python's `json.dumps(dict(headers))`: dict semantics (last value wins, first position), ", "/": " separators, ensure_ascii. */
function pyJsonDumps(headers: readonly HeaderField[]): string {
  const dict = new Map<string, string>();
  for (const [name, value] of headers) dict.set(name, value);
  const str = (s: string) =>
    JSON.stringify(s).replace(
      /[\u007f-\uffff]/g,
      (c) => c.charCodeAt(0) === 0x7f ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return `{${[...dict].map(([k, v]) => `${str(k)}: ${str(v)}`).join(", ")}}`;
}

// The tutorial's send_response(), in camelCase.
function sendResponse(conn: H2Connection, event: RequestReceived): void {
  const streamId = event.streamId;
  const responseData = new TextEncoder().encode(pyJsonDumps(event.headers));
  conn.sendHeaders(streamId, [
    [":status", "200"],
    ["server", "basic-h2-server/1.0"],
    ["content-length", String(responseData.length)],
    ["content-type", "application/json"],
  ]);
  conn.sendData(streamId, responseData, { endStream: true });
}

// The tutorial's handle() loop, with the socket replaced by a list of received chunks.
function tutorialServer(chunks: Iterable<Uint8Array>): Uint8Array {
  const out: Uint8Array[] = [];
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  out.push(conn.dataToSend());
  for (const data of chunks) {
    const events = conn.receiveData(data);
    for (const event of events) {
      if (event instanceof RequestReceived) sendResponse(conn, event);
    }
    const dataToSend = conn.dataToSend();
    if (dataToSend.length > 0) out.push(dataToSend);
  }
  return bytes(out);
}

const REQUEST_1: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":authority", "localhost:8080"],
  [":path", "/"],
  ["user-agent", "hand-made/1.0"],
  ["accept", "*/*"],
];

/** The client side, by hand: preface, SETTINGS, SETTINGS ACK, two GETs (the second uses the dynamic table). */
function clientBytes(): Uint8Array {
  return bytes(
    frames.preface(),
    frames.settings().initialWindowSize(1_048_576),
    frames.settingsAck(),
    frames.headers(1).block(
      hpack.indexed(2), // :method GET
      hpack.indexed(6), // :scheme http
      hpack.literalIndexed(":authority", "localhost:8080"), // → dynamic index 62
      hpack.indexed(4), // :path /
      hpack.literal("user-agent", "hand-made/1.0"),
      hpack.literal("accept", "*/*"),
    ).endStream(),
    frames.headers(3).block(
      hpack.indexed(3), // :method POST
      hpack.indexed(6),
      hpack.indexed(62), // :authority localhost:8080 from the dynamic table
      hpack.literal(":path", "/form?a=1"),
      hpack.literal("x-dup", "one"),
      hpack.literal("x-dup", "two"),
      hpack.literal("x-latin1", "caf\xe9"),
    ).endStream(),
  );
}

const REQUEST_3: HeaderField[] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "localhost:8080"],
  [":path", "/form?a=1"],
  ["x-dup", "one"],
  ["x-dup", "two"],
  ["x-latin1", "caf\xe9"],
];

function expectedResponse(streamId: number, body: string): FrameSummary[] {
  return [
    {
      type: "HEADERS",
      stream: streamId,
      flags: ["END_HEADERS"],
      headers: [
        [":status", "200"],
        ["server", "basic-h2-server/1.0"],
        ["content-length", String(body.length)],
        ["content-type", "application/json"],
      ],
    },
    { type: "DATA", stream: streamId, flags: ["END_STREAM"], data: body },
  ];
}

/** Decoded frames; DATA frames carry their whole payload as latin1 text. */
function describe(output: Uint8Array): FrameSummary[] {
  const wire = parseFrames(output);
  return describeFrames(wire, new BlockDecoder()).map((s, i) =>
    s.type === "DATA" ? { ...s, data: new TextDecoder("latin1").decode(wire[i]!.payload) } : s
  );
}

Deno.test("The tutorial server answers two GET/POST requests with the tutorial headers and JSON", () => {
  // RFC 9113 §8.8.2: a response is a HEADERS frame with :status, then DATA with END_STREAM.
  const summary = describe(tutorialServer([clientBytes()]));
  const body1 =
    '{":method": "GET", ":scheme": "http", ":authority": "localhost:8080", ":path": "/", ' +
    '"user-agent": "hand-made/1.0", "accept": "*/*"}';
  const body3 = '{":method": "POST", ":scheme": "http", ":authority": "localhost:8080", ' +
    '":path": "/form?a=1", "x-dup": "two", "x-latin1": "caf\\u00e9"}';
  assert.equal(pyJsonDumps(REQUEST_1), body1);
  assert.equal(pyJsonDumps(REQUEST_3), body3);
  // The server preface: SETTINGS first (§3.4); then the ACK of the client's SETTINGS (§6.5.3).
  assert.equal(summary[0]?.type, "SETTINGS");
  assert.deepEqual(summary[0]?.flags, []);
  assert.deepEqual(summary.slice(1), [
    { type: "SETTINGS", stream: 0, flags: ["ACK"], settings: [] },
    ...expectedResponse(1, body1),
    ...expectedResponse(3, body3),
  ]);
});

Deno.test("The tutorial server gives the same bytes whatever the split of the client input", () => {
  // RFC 9113 §4.1: frames are a byte stream; TCP may deliver any split.
  const input = clientBytes();
  const whole = tutorialServer([input]);
  const single = tutorialServer(Array.from(input, (b) => Uint8Array.of(b)));
  assert.deepEqual(describe(single), describe(whole));
  assert.deepEqual(single, whole);
  const halves = tutorialServer([input.subarray(0, 50), input.subarray(50)]);
  assert.deepEqual(describe(halves), describe(whole));
  assert.deepEqual(halves, whole);
});

Deno.test("The tutorial server's SETTINGS advertise h2's limits and the RFC defaults", () => {
  // RFC 9113 §6.5.2; python-h2.md §4: a server advertises MAX_CONCURRENT_STREAMS 100 and
  // MAX_HEADER_LIST_SIZE 65536; an absent entry means the §6.5.2 initial value.
  const [settings] = describe(tutorialServer([]));
  assert.equal(settings?.type, "SETTINGS");
  const values = new Map(settings?.settings as [string, number][]);
  const expected: [string, number][] = [
    ["HEADER_TABLE_SIZE", 4096],
    ["INITIAL_WINDOW_SIZE", 65_535],
    ["MAX_FRAME_SIZE", 16_384],
  ];
  for (const [name, value] of expected) {
    assert.equal(values.get(name) ?? value, value, `${name} in ${JSON.stringify([...values])}`);
  }
  assert.equal(values.get("MAX_CONCURRENT_STREAMS"), 100);
  assert.equal(values.get("MAX_HEADER_LIST_SIZE"), 65_536);
  // §6.5.2: "A server MAY choose to omit this setting ... if a server does include a value, it MUST be 0."
  assert.ok([undefined, 0].includes(values.get("ENABLE_PUSH")));
});
