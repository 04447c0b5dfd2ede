/**
 * Patterned bodies for flow-control tests: a pull-based source whose octet i
 * is `(i * 7) % 251`, and a reader that checks the pattern, so a body that
 * arrives reordered, truncated or duplicated fails loudly.
 *
 * @module
 */

/** What a `patternSource` has produced so far, and why it was cancelled (if it was). */
export interface PatternState {
  /** Octets enqueued so far. */
  pulled: number;
  /** The cancel reason, once the consumer cancelled the stream. */
  cancelled: unknown;
}

/**
 * A body of `size` patterned octets produced on demand (`highWaterMark` 0),
 * so `state.pulled` shows how far the consumer's backpressure let it run.
 */
export function patternSource(
  size: number,
  chunk = 65_536,
): { stream: ReadableStream<Uint8Array>; state: PatternState } {
  const state: PatternState = { pulled: 0, cancelled: undefined };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= size) return controller.close();
      const n = Math.min(chunk, size - state.pulled);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = ((state.pulled + i) * 7) % 251;
      state.pulled += n;
      controller.enqueue(bytes);
    },
    cancel(reason) {
      state.cancelled = reason;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** Reads a body, checking the pattern of `patternSource`; returns its length. */
export async function readPattern(body: ReadableStream<Uint8Array>): Promise<number> {
  let offset = 0;
  for await (const chunk of body) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== ((offset + i) * 7) % 251) {
        throw new Error(`Body octet ${offset + i} is ${chunk[i]}`);
      }
    }
    offset += chunk.length;
  }
  return offset;
}
