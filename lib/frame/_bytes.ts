/**
 * Private byte helpers of the frame codec: big-endian integers read and
 * written with manual byte math (no DataView, no allocation), byte strings
 * (char codes 0–255) to and from octets, and the growable output buffer that
 * `FrameWriter` and the per-frame `write…` functions share. Never re-exported.
 *
 * @module
 */

/** Reads a big-endian unsigned 32-bit integer at `offset`. */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    bytes[offset]! * 0x1000000 +
    ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!)
  );
}

/** Reads a big-endian 31-bit integer at `offset`, masking the reserved high bit. */
export function readUint31(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! & 0x7f) << 24) |
    (bytes[offset + 1]! << 16) |
    (bytes[offset + 2]! << 8) |
    bytes[offset + 3]!
  );
}

/** Writes `value` (0 ≤ value < 2^32) big-endian at `offset`. */
export function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

/** Writes `value` (0 ≤ value < 2^16) big-endian at `offset`. */
export function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value;
}

/** Decodes octets as a byte string (each octet one char code, like Latin-1). */
export function bytesToByteString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(i + 4096, bytes.length)) as unknown as number[],
    );
  }
  return out;
}

/**
 * Checks that `value` is a byte string (every char code 0–255).
 *
 * @throws {TypeError} When a char code is above 255.
 */
export function assertByteString(value: string, what: string): void {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 255) {
      throw new TypeError(
        `Cannot encode ${what}: char code "${code}" at index "${i}" is not a byte`,
      );
    }
  }
}

/** Writes a byte string (checked with `assertByteString` first) at `offset`. */
export function writeByteString(target: Uint8Array, offset: number, value: string): void {
  for (let i = 0; i < value.length; i++) target[offset + i] = value.charCodeAt(i);
}

/** Capacity of a fresh output buffer. */
const INITIAL_CAPACITY = 4_096;
/** Largest capacity carried over when a lent buffer is replaced. */
const LENT_REPLACEMENT_CAP = 262_144;
/** Outputs up to this size that carry no DATA payload are copied out so the buffer is reused. */
const SMALL_OUTPUT = 4_096;

/**
 * The growable output buffer behind `FrameWriter`.
 *
 * Bytes `[start, end)` of `bytes` are queued. `take()` hands out either a
 * copy (small control-only output: the buffer is then reused, no allocation
 * per frame) or a view of the buffer (anything carrying DATA payload, so the
 * payload is copied exactly once, by `reserve` + the caller's `set`). Once a
 * view is handed out the region before `start` belongs to the caller and is
 * never written again: writing continues after `end`, and when that runs out
 * a fresh buffer is allocated.
 */
export class ByteSink {
  /** The current buffer; valid to write at the offset `reserve` returns. */
  bytes: Uint8Array<ArrayBuffer>;
  #start = 0;
  #end = 0;
  /** The region before `#start` was handed out as a view. */
  #lent = false;
  /** Queued bytes include DATA payload (never copied out a second time). */
  #hasPayload = false;

  /**
   * Creates an empty sink.
   *
   * @param capacity Initial capacity in octets.
   */
  constructor(capacity: number = INITIAL_CAPACITY) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Octets queued. */
  get length(): number {
    return this.#end - this.#start;
  }

  /**
   * Reserves `n` octets at the end of the queue.
   *
   * @returns The offset in `this.bytes` where the caller writes them.
   */
  reserve(n: number): number {
    let end = this.#end;
    if (end + n > this.bytes.length) {
      this.#grow(n);
      end = this.#end;
    }
    this.#end = end + n;
    return end;
  }

  /** Notes that the queued bytes carry a DATA payload (see `take`). */
  markPayload(): void {
    this.#hasPayload = true;
  }

  #grow(n: number): void {
    const queued = this.#end - this.#start;
    const need = queued + n;
    const old = this.bytes;
    if (!this.#lent && need <= old.length && queued <= old.length >>> 1) {
      // Compact in place: few queued octets move, the buffer is reused.
      old.copyWithin(0, this.#start, this.#end);
    } else {
      // A lent buffer is replaced by one of similar size (capped, so one huge
      // frame does not make every later buffer huge); a full one doubles.
      const capacity = this.#lent
        ? Math.max(need, INITIAL_CAPACITY, Math.min(old.length, LENT_REPLACEMENT_CAP))
        : Math.max(need, old.length * 2);
      const fresh = new Uint8Array(capacity);
      fresh.set(old.subarray(this.#start, this.#end));
      this.bytes = fresh;
      this.#lent = false;
    }
    this.#start = 0;
    this.#end = queued;
  }

  /**
   * Removes up to `amount` queued octets (all by default) and returns them;
   * the caller owns the result, which is never written again.
   */
  take(amount?: number): Uint8Array<ArrayBuffer> {
    const queued = this.#end - this.#start;
    // NaN and negative amounts take nothing (every comparison with NaN is false).
    const n = amount === undefined || amount >= queued
      ? queued
      : amount > 0
      ? Math.floor(amount)
      : 0;
    if (n === 0) return new Uint8Array(0);
    const start = this.#start;
    let out: Uint8Array<ArrayBuffer>;
    if (!this.#hasPayload && n <= SMALL_OUTPUT) {
      out = this.bytes.slice(start, start + n);
    } else {
      out = this.bytes.subarray(start, start + n);
      this.#lent = true;
    }
    this.#start = start + n;
    if (this.#start === this.#end) {
      this.#hasPayload = false;
      if (!this.#lent) {
        this.#start = 0;
        this.#end = 0;
      }
      // Otherwise the caller owns the bytes before `#start`: later frames are
      // written after them, and `#grow` switches to a fresh buffer only when
      // the room runs out.
    }
    return out;
  }

  /** Drops every queued octet. */
  clear(): void {
    this.#hasPayload = false;
    if (this.#lent) {
      this.#start = this.#end;
    } else {
      this.#start = 0;
      this.#end = 0;
    }
  }
}
