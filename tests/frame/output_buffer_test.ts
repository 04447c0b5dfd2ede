/**
 * The FrameWriter output buffer: what `take()` lends, what it copies, and
 * that `FrameWriter.recycle` makes the writer reuse memory without ever
 * overwriting bytes still out.
 */
import assert from "node:assert/strict";
import { FrameWriter } from "../../lib/frame/encoder.ts";

const PING = new Uint8Array(8).fill(7);

Deno.test("take() copies small control-only output until the caller recycles", () => {
  const writer = new FrameWriter();
  writer.ping(PING);
  const first = writer.take();
  assert.equal(first.length, 17);
  assert.equal(FrameWriter.recycle(first), false, "a copy is not a lent view");
  writer.ping(PING);
  const second = writer.take();
  assert.notEqual(second.buffer, first.buffer);
  assert.deepEqual([...second], [...first]);
});

Deno.test("take() lends DATA output; recycle() takes each view back once", () => {
  const writer = new FrameWriter();
  writer.data(1, new Uint8Array(100).fill(1));
  const view = writer.take();
  assert.equal(view.length, 109);
  assert.equal(FrameWriter.recycle(view), true);
  assert.equal(FrameWriter.recycle(view), false, "already back");
  assert.equal(FrameWriter.recycle(new Uint8Array(109)), false, "not ours");
});

Deno.test("after a recycle, small control output is lent from the same buffer", () => {
  const writer = new FrameWriter();
  writer.data(1, new Uint8Array(100));
  const data = writer.take();
  assert.equal(FrameWriter.recycle(data), true);
  for (let i = 0; i < 3; i++) {
    writer.ping(PING);
    const ping = writer.take();
    assert.equal(ping.buffer, data.buffer, "the recycled buffer is written again");
    assert.deepEqual([...ping.subarray(9)], [...PING]);
    assert.equal(FrameWriter.recycle(ping), true);
  }
});

Deno.test("bytes still out are never overwritten, whatever is written after them", () => {
  const writer = new FrameWriter();
  writer.data(1, new Uint8Array(100).fill(0xaa));
  assert.equal(FrameWriter.recycle(writer.take()), true);
  // Two views out at once, then enough output to outgrow the buffer.
  writer.data(3, new Uint8Array(50).fill(0xbb));
  const a = writer.take();
  writer.ping(PING);
  const b = writer.take();
  const aCopy = a.slice();
  const bCopy = b.slice();
  for (let i = 0; i < 20; i++) writer.data(5, new Uint8Array(1_000).fill(i));
  const big = writer.take();
  assert.deepEqual(a, aCopy);
  assert.deepEqual(b, bCopy);
  assert.equal(big.length, 20 * 1_009);
  for (let i = 0; i < 20; i++) assert.equal(big[i * 1_009 + 9], i);
  // Returned in any order; each only once.
  assert.equal(FrameWriter.recycle(b), true);
  assert.equal(FrameWriter.recycle(big), true);
  assert.equal(FrameWriter.recycle(a), true);
  assert.equal(FrameWriter.recycle(a), false);
});
