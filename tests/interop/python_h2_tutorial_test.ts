// RFC 9113 §3.4, §6.5, §8.8: the h2 tutorial server, our port (tests/tutorial_test.ts) and
// python-hyper h2's own (tests/interop/py/tutorial_server.py, /usr/bin/python3 with Debian's
// python3-h2), fed the same bytes and compared frame by frame. Shared helpers are in
// _python_h2.ts.
//
// Run: deno test --allow-all tests/interop/python_h2_tutorial_test.ts
// Every subprocess and wait is bounded; the process is killed on failure.
import assert from "node:assert/strict";
import { H2Connection } from "../../lib/connection.ts";
import { type HeaderField, RequestReceived } from "../../lib/events.ts";
import { bytes, frames, hpack, requestFields } from "../_helpers/frames.ts";
import {
  BlockDecoder,
  describeFrames,
  type FrameSummary,
  parseFrames,
} from "../_helpers/decode.ts";
import { latin1, PY_DIR, PYTHON, requirePythonH2, timeout } from "./_python_h2.ts";

// ---------------------------------------------------------------------------
// The tutorial server: our port (as in tests/tutorial_test.ts) against python h2's own.

function pyJsonDumps(headers: readonly HeaderField[]): string {
  const dict = new Map<string, string>();
  for (const [name, value] of headers) dict.set(name, value);
  const str = (s: string) =>
    JSON.stringify(s).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return `{${[...dict].map(([k, v]) => `${str(k)}: ${str(v)}`).join(", ")}}`;
}

function ourTutorialServer(chunks: Iterable<Uint8Array>): Uint8Array {
  const out: Uint8Array[] = [];
  const conn = new H2Connection({ clientSide: false });
  conn.initiateConnection();
  out.push(conn.dataToSend());
  for (const data of chunks) {
    for (const event of conn.receiveData(data)) {
      if (event instanceof RequestReceived) {
        const responseData = new TextEncoder().encode(pyJsonDumps(event.headers));
        conn.sendHeaders(event.streamId, [
          [":status", "200"],
          ["server", "basic-h2-server/1.0"],
          ["content-length", String(responseData.length)],
          ["content-type", "application/json"],
        ]);
        conn.sendData(event.streamId, responseData, { endStream: true });
      }
    }
    const dataToSend = conn.dataToSend();
    if (dataToSend.length > 0) out.push(dataToSend);
  }
  return bytes(out);
}

async function pythonTutorialServer(input: Uint8Array, chunk: number): Promise<Uint8Array> {
  await requirePythonH2();
  const child = new Deno.Command(PYTHON, {
    args: [`${PY_DIR}tutorial_server.py`, "--chunk", String(chunk)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
    const out = await timeout(child.output(), 20_000, "tutorial_server.py");
    if (!out.success) {
      throw new Error(`tutorial_server.py failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return out.stdout;
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    throw error;
  }
}

/** Settings in effect after a SETTINGS frame: absent entries take the §6.5.2 initial values. */
function effectiveSettings(summary: FrameSummary): Record<string, number | string> {
  const values: Record<string, number | string> = {
    HEADER_TABLE_SIZE: 4096,
    ENABLE_PUSH: "0 or absent",
    MAX_CONCURRENT_STREAMS: Infinity,
    INITIAL_WINDOW_SIZE: 65_535,
    MAX_FRAME_SIZE: 16_384,
    MAX_HEADER_LIST_SIZE: Infinity,
    ENABLE_CONNECT_PROTOCOL: 0,
  };
  for (const [name, value] of summary.settings as [string, number][]) {
    values[name] = name === "ENABLE_PUSH" && value === 0 ? "0 or absent" : value;
  }
  return values;
}

/** Frame shapes to compare: HEADERS lengths depend on HPACK choices, so compare decoded fields. */
function shape(output: Uint8Array): { frames: FrameSummary[]; lengths: string[] } {
  const wire = parseFrames(output);
  const summaries = describeFrames(wire, new BlockDecoder());
  const lengths = wire.map((f, i) => {
    const type = summaries[i]!.type;
    // HPACK choices differ (h2 indexes content-length, our encoder does not), so HEADERS
    // blocks are compared decoded, not by length.
    return f.type === 0x1 ? type : `${type}:${f.payload.length}`;
  });
  const framesOut = summaries.map((s, i): FrameSummary => {
    if (s.type === "SETTINGS" && (s.flags as string[]).length === 0) {
      return { ...s, settings: effectiveSettings(s) };
    }
    if (s.type === "DATA") return { ...s, data: latin1.decode(wire[i]!.payload) };
    return s;
  });
  return { frames: framesOut, lengths };
}

Deno.test({
  name: "The tutorial server on H2Connection sends the same frames as on python h2",
  fn: async (t) => {
    // RFC 9113 §3.4, §6.5, §8.8: same input, same frames (type, flags, stream, DATA lengths),
    // same decoded header fields and bodies, same effective SETTINGS.
    const large = hpack.encode(requestFields("GET", "/large", [["x-pad", "p".repeat(20_000)]]));
    const input = bytes(
      frames.preface(),
      frames.settings().initialWindowSize(1_048_576).maxFrameSize(32_768),
      frames.settingsAck(),
      frames.headers(1).block(
        hpack.indexed(2),
        hpack.indexed(6),
        hpack.literalIndexed(":authority", "localhost:8080"),
        hpack.indexed(4),
        hpack.literal("user-agent", "hand-made/1.0"),
        hpack.literal("accept", "*/*"),
      ).endStream(),
      frames.ping("abcdefgh"),
      frames.headers(3).block(
        hpack.indexed(3),
        hpack.indexed(6),
        hpack.indexed(62),
        hpack.literal(":path", "/form?a=1"),
        hpack.literal("x-dup", "one"),
        hpack.literal("x-dup", "two"),
        hpack.literal("cookie", "only=one"),
      ).endStream(),
      // A 20 kB block in HEADERS + CONTINUATION (§6.10); the answer needs the client's
      // MAX_FRAME_SIZE of 32768 to fit in one DATA frame.
      frames.headers(5).block(large.subarray(0, 10_000)).noEndHeaders().endStream(),
      frames.continuation(5, large.subarray(10_000)).endHeaders(),
    );
    for (const chunk of [65_535, 7]) {
      await t.step(`client bytes delivered in ${chunk}-byte chunks`, async () => {
        const ours = shape(ourTutorialServer(
          Array.from(
            { length: Math.ceil(input.length / chunk) },
            (_, i) => input.subarray(i * chunk, (i + 1) * chunk),
          ),
        ));
        const theirs = shape(await pythonTutorialServer(input, chunk));
        assert.deepEqual(ours.frames, theirs.frames);
        assert.deepEqual(ours.lengths, theirs.lengths);
      });
    }
  },
});
