/**
 * Test helpers of the frame codec tests: a raw frame builder written from
 * RFC 9113 §4.1 by hand (it never calls `lib/frame/encoder.ts`, so the code
 * under test cannot vouch for itself), and small byte utilities.
 *
 * @module
 */

import assert from "node:assert/strict";
import { FrameDecoder } from "../../lib/frame/decoder.ts";
import { encodeFrame } from "../../lib/frame/encoder.ts";
import type { Frame } from "../../lib/frame/types.ts";

/** Octets of a frame: 9-octet header (§4.1) + payload; `length` overrides the length field. */
export function raw(
  type: number,
  flags: number,
  streamId: number,
  payload: ArrayLike<number> = [],
  length: number = payload.length,
): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out[0] = (length >> 16) & 0xff;
  out[1] = (length >> 8) & 0xff;
  out[2] = length & 0xff;
  out[3] = type;
  out[4] = flags;
  out[5] = Math.floor(streamId / 2 ** 24) & 0xff;
  out[6] = (streamId >> 16) & 0xff;
  out[7] = (streamId >> 8) & 0xff;
  out[8] = streamId & 0xff;
  out.set(Array.from(payload), 9);
  return out;
}

/** Big-endian 32-bit value as 4 octets (values up to 2^32-1). */
export function u32(value: number): number[] {
  return [
    Math.floor(value / 2 ** 24) & 0xff,
    (value >> 16) & 0xff,
    (value >> 8) & 0xff,
    value & 0xff,
  ];
}

/** Big-endian 16-bit value as 2 octets. */
export function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

/** ASCII/byte string as octets. */
export function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/** Joins byte arrays. */
export function concat(...parts: ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(Array.from(part), at);
    at += part.length;
  }
  return out;
}

/** Deep-copies the byte views of a frame so it survives the decoder's next push. */
export function detach(frame: Frame): Frame {
  const copy: Record<string, unknown> = { ...frame };
  for (const [key, value] of Object.entries(copy)) {
    if (value instanceof Uint8Array) copy[key] = value.slice();
  }
  return copy as unknown as Frame;
}

/** Decodes every frame of `bytes`, pushed in chunks of the given sizes (one chunk by default). */
export function decodeAll(
  bytes: Uint8Array,
  options: { maxFrameSize?: number; chunkSizes?: readonly number[] } = {},
): Frame[] {
  const decoder = new FrameDecoder(
    options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize },
  );
  const frames: Frame[] = [];
  const sizes = options.chunkSizes ?? [bytes.length];
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = sizes[i++ % sizes.length]!;
    // Each push gets its own copy, and the caller's buffer is then scribbled
    // over, as a reused read buffer would be: frames must already be detached.
    const chunk = bytes.slice(at, at + size);
    decoder.push(chunk);
    for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
      frames.push(detach(frame));
    }
    chunk.fill(0xee);
    at += size;
  }
  if (decoder.bufferedLength !== 0) {
    throw new Error(`${decoder.bufferedLength} octets left in the decoder`);
  }
  return frames;
}

/** Asserts encode → decode gives the frame back, in one chunk and one octet at a time. */
export function assertRoundTrip(frame: Frame, options: { maxFrameSize?: number } = {}): void {
  const bytes = encodeFrame(frame);
  const decodeOptions = options.maxFrameSize === undefined
    ? {}
    : { maxFrameSize: options.maxFrameSize };
  assert.deepEqual(decodeAll(bytes, decodeOptions), [frame]);
  assert.deepEqual(decodeAll(bytes, { ...decodeOptions, chunkSizes: [1] }), [frame]);
}

/** Every combination of the given option lists (a small cartesian product). */
export function combinations<T extends Record<string, readonly unknown[]>>(
  lists: T,
): Array<{ [K in keyof T]: T[K][number] }> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [key, values] of Object.entries(lists)) {
    out = out.flatMap((partial) => values.map((value) => ({ ...partial, [key]: value })));
  }
  return out as Array<{ [K in keyof T]: T[K][number] }>;
}
