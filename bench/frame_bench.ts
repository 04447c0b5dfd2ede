/**
 * Frame codec throughput: decoding and encoding a realistic mix per request
 * (HEADERS with a 200-octet block, one 16 KiB DATA, WINDOW_UPDATE, SETTINGS,
 * PING), 64 requests per iteration (≈ 1 MiB). Decoding is fed in 64 KiB
 * chunks, as socket reads arrive, so frames straddle chunk boundaries;
 * encoding drains the writer once per request, as `dataToSend()` would.
 * Each name carries a throughput measured by a short calibration run at load
 * time; `deno bench` adds the precise per-iteration time.
 *
 * Run: `deno bench bench/frame_bench.ts`
 *
 * @module
 */

import { FrameDecoder } from "../lib/frame/decoder.ts";
import { FrameWriter } from "../lib/frame/encoder.ts";

const REQUESTS = 64;
const BLOCK = new Uint8Array(200).map((_, i) => (i * 13) & 0xff);
const BODY = new Uint8Array(16_384).map((_, i) => i & 0xff);
const PING = new Uint8Array(8);
const SETTINGS: ReadonlyArray<readonly [number, number]> = [[4, 1 << 20], [3, 100]];
const MAX_FRAME_SIZE = 16_384;

function writeMix(writer: FrameWriter, take: boolean): number {
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const streamId = 1 + 2 * i;
    writer.headers(streamId, BLOCK, { maxFrameSize: MAX_FRAME_SIZE });
    writer.data(streamId, BODY, { endStream: true });
    writer.windowUpdate(0, BODY.length);
    writer.settings(SETTINGS);
    writer.ping(PING);
    if (take) bytes += writer.take().length;
  }
  return bytes;
}

const WIRE: Uint8Array = (() => {
  const writer = new FrameWriter();
  writeMix(writer, false);
  return writer.take();
})();
const CHUNK = 65_536;
const CHUNKS: Uint8Array[] = [];
for (let at = 0; at < WIRE.length; at += CHUNK) CHUNKS.push(WIRE.slice(at, at + CHUNK));

const decoder = new FrameDecoder();
function decodeMix(chunks: readonly Uint8Array[]): number {
  let frames = 0;
  for (const chunk of chunks) {
    decoder.push(chunk);
    while (decoder.next() !== undefined) frames++;
  }
  if (frames !== REQUESTS * 5) throw new Error(`decoded ${frames} frames`);
  return frames;
}

const ONE_CHUNK = [WIRE];
const writer = new FrameWriter();
function encodeMix(): number {
  return writeMix(writer, true);
}

/** Megabytes per second of `fn` over ~150 ms (a rough figure for the bench name). */
function calibrate(fn: () => unknown): string {
  for (let i = 0; i < 20; i++) fn(); // warm up
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < 150) {
    fn();
    runs++;
  }
  const seconds = (performance.now() - start) / 1000;
  return `${Math.round((WIRE.length * runs) / seconds / 1e6)} MB/s`;
}

const MIB = (WIRE.length / 2 ** 20).toFixed(2);

Deno.bench({
  name: `decode ${MIB} MiB mix in 64 KiB chunks [~${calibrate(() => decodeMix(CHUNKS))}]`,
  group: "frame decode",
  baseline: true,
  fn: () => {
    decodeMix(CHUNKS);
  },
});

Deno.bench({
  name: `decode ${MIB} MiB mix in one chunk [~${calibrate(() => decodeMix(ONE_CHUNK))}]`,
  group: "frame decode",
  fn: () => {
    decodeMix(ONE_CHUNK);
  },
});

Deno.bench({
  name: `encode ${MIB} MiB mix, take() per request [~${calibrate(encodeMix)}]`,
  group: "frame encode",
  baseline: true,
  fn: () => {
    encodeMix();
  },
});

const SMALL_WIRE: Uint8Array = (() => {
  const w = new FrameWriter();
  for (let i = 0; i < 2_000; i++) {
    w.headers(1 + 2 * i, BLOCK.subarray(0, 20), { maxFrameSize: MAX_FRAME_SIZE, endStream: true });
    w.windowUpdate(1 + 2 * i, 1024);
    w.ping(PING);
    w.rstStream(1 + 2 * i, 8);
    w.data(1 + 2 * i, BLOCK.subarray(0, 16));
  }
  return w.take();
})();
const SMALL_CHUNKS: Uint8Array[] = [];
for (let at = 0; at < SMALL_WIRE.length; at += 16_384) {
  SMALL_CHUNKS.push(SMALL_WIRE.slice(at, at + 16_384));
}

function decodeSmall(): number {
  let frames = 0;
  for (const chunk of SMALL_CHUNKS) {
    decoder.push(chunk);
    while (decoder.next() !== undefined) frames++;
  }
  if (frames !== 10_000) throw new Error(`decoded ${frames} frames`);
  return frames;
}

function encodeSmall(): number {
  for (let i = 0; i < 2_000; i++) {
    writer.headers(1 + 2 * i, BLOCK.subarray(0, 20), {
      maxFrameSize: MAX_FRAME_SIZE,
      endStream: true,
    });
    writer.windowUpdate(1 + 2 * i, 1024);
    writer.ping(PING);
    writer.rstStream(1 + 2 * i, 8);
    writer.data(1 + 2 * i, BLOCK.subarray(0, 16));
    if (i % 20 === 19) writer.take();
  }
  return writer.take().length;
}

/** Frames per second of `fn` (10,000 frames per call) over ~150 ms. */
function framesPerSecond(fn: () => unknown): string {
  for (let i = 0; i < 10; i++) fn();
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < 150) {
    fn();
    runs++;
  }
  return `${((10_000 * runs) / ((performance.now() - start) / 1000) / 1e6).toFixed(1)} M frames/s`;
}

Deno.bench({
  name: `decode 10,000 small frames in 16 KiB chunks [~${framesPerSecond(decodeSmall)}]`,
  group: "small frames",
  baseline: true,
  fn: () => {
    decodeSmall();
  },
});

Deno.bench({
  name: `encode 10,000 small frames, take() per 100 [~${framesPerSecond(encodeSmall)}]`,
  group: "small frames",
  fn: () => {
    encodeSmall();
  },
});
