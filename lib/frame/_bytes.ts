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
/** Idle sinks park buffers up to this size in the small pool instead of holding them. */
const SMALL_BUFFER = 8_192;
/** At most this many small buffers wait in the small pool (process-wide). */
const SMALL_POOL_MAX = 256;
/** Returned buffers smaller than this are left to the garbage collector. */
const POOL_MIN_BUFFER = 16_384;
/** At most this many octets of returned buffers wait in the pool (process-wide). */
const POOL_MAX_BYTES = 4_194_304;

/**
 * The views of one output buffer that are lent out and not yet returned
 * with {@link recycleOutput}. Once every view is back, the buffer is written
 * again: in place if its sink still uses it, else through the pool.
 */
interface Lease {
  sink: ByteSink;
  buffer: Uint8Array<ArrayBuffer>;
  /** Views handed out by `take()` and not yet returned (usually one or two). */
  readonly views: Uint8Array[];
  /** The sink moved on to another buffer. */
  retired: boolean;
}

/**
 * The lease of every buffer that has lent views, by its `ArrayBuffer`. Set
 * once per buffer and sink, not per view: a lease is reused each time its
 * sink lends from the same buffer again.
 */
const leases = new WeakMap<ArrayBufferLike, Lease>();
/** Returned buffers no sink uses, ready for `#grow` (any sink). */
const pool: Uint8Array<ArrayBuffer>[] = [];
let pooledBytes = 0;
/** Buffers of at most {@link SMALL_BUFFER} octets that empty sinks gave up. */
const smallPool: Uint8Array<ArrayBuffer>[] = [];
/** The buffer of a sink that holds none (length 0, never written). */
const NO_BYTES = new Uint8Array(0);

/** A buffer of at least `capacity` octets: a pooled one if it fits, else a fresh one. */
function allocate(capacity: number): Uint8Array<ArrayBuffer> {
  if (capacity <= INITIAL_CAPACITY && smallPool.length > 0) return smallPool.pop()!;
  for (let i = pool.length - 1; i >= 0; i--) {
    const candidate = pool[i]!;
    if (candidate.length >= capacity && candidate.length <= capacity * 2) {
      pool[i] = pool[pool.length - 1]!;
      pool.pop();
      pooledBytes -= candidate.length;
      return candidate;
    }
  }
  return new Uint8Array(capacity);
}

/**
 * Returns a view that `ByteSink.take()` lent out (the caller is done with
 * it: written to the socket, copied). When every view of its buffer is back
 * the buffer is reused instead of a fresh zero-filled one being allocated.
 * Anything else (a copy `take()` made, an array from elsewhere, a view
 * already returned) is ignored, so a second call is harmless.
 *
 * @returns Whether `bytes` was a lent view still out.
 */
export function recycleOutput(bytes: Uint8Array): boolean {
  const lease = leases.get(bytes.buffer);
  if (lease === undefined) return false;
  const views = lease.views;
  const index = views.indexOf(bytes);
  if (index < 0) return false;
  views[index] = views[views.length - 1]!;
  views.pop();
  lease.sink.recycles = true;
  if (views.length > 0) return true;
  if (!lease.retired) {
    lease.sink.reclaim(lease);
  } else if (lease.buffer.length >= POOL_MIN_BUFFER) {
    if (pooledBytes + lease.buffer.length <= POOL_MAX_BYTES) {
      pool.push(lease.buffer);
      pooledBytes += lease.buffer.length;
    }
  }
  return true;
}

/**
 * The growable output buffer behind `FrameWriter`.
 *
 * Bytes `[start, end)` of `bytes` are queued. `take()` hands out either a
 * copy (small control-only output: the buffer is then reused, no allocation
 * per frame) or a view of the buffer (anything carrying DATA payload, so the
 * payload is copied exactly once, by `reserve` + the caller's `set`; and
 * every output once the caller has shown it recycles views). Once a
 * view is handed out the region before `start` belongs to the caller and is
 * never written again — until every lent view comes back through
 * {@link recycleOutput}: writing continues after `end`, and when that runs
 * out another buffer (pooled or fresh) is used.
 */
export class ByteSink {
  /** The current buffer; valid to write at the offset `reserve` returns. */
  bytes: Uint8Array<ArrayBuffer>;
  #start = 0;
  #end = 0;
  /** The lease of the current buffer while views of it are lent out. */
  #lease: Lease | undefined = undefined;
  /** Queued bytes include DATA payload (never copied out a second time). */
  #hasPayload = false;
  /**
   * The caller hands lent views back: `take()` then lends every output, as a
   * view costs far less than a fresh copy (tens of nanoseconds against
   * hundreds for a new `ArrayBuffer`) and its buffer comes back for reuse.
   */
  recycles = false;

  /**
   * Creates an empty sink.
   *
   * @param capacity Initial capacity in octets; by default none is held until
   *   the first frame, and an empty sink gives its small buffer back to a
   *   process-wide pool (an idle connection holds no output buffer).
   */
  constructor(capacity?: number) {
    this.bytes = capacity === undefined ? NO_BYTES : new Uint8Array(capacity);
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

  /** Every lent view of the current buffer is back: its whole room is writable again. */
  reclaim(lease: Lease): void {
    if (this.#lease !== lease) return;
    this.#lease = undefined;
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      this.#park();
    }
  }

  /** Empty and nothing lent: a small buffer goes to the small pool until the next frame. */
  #park(): void {
    const bytes = this.bytes;
    if (bytes.length < INITIAL_CAPACITY || bytes.length > SMALL_BUFFER) return;
    if (smallPool.length < SMALL_POOL_MAX) smallPool.push(bytes);
    this.bytes = NO_BYTES;
  }

  #grow(n: number): void {
    const queued = this.#end - this.#start;
    const need = queued + n;
    const old = this.bytes;
    const lease = this.#lease;
    if (lease === undefined && need <= old.length && queued <= old.length >>> 1) {
      // Compact in place: few queued octets move, the buffer is reused.
      old.copyWithin(0, this.#start, this.#end);
    } else {
      // A lent buffer is replaced by one of similar size (capped, so one huge
      // frame does not make every later buffer huge); a full one doubles.
      const capacity = lease !== undefined
        ? Math.max(need, INITIAL_CAPACITY, Math.min(old.length, LENT_REPLACEMENT_CAP))
        : Math.max(need, INITIAL_CAPACITY, old.length * 2);
      const fresh = allocate(capacity);
      fresh.set(old.subarray(this.#start, this.#end));
      this.bytes = fresh;
      if (lease !== undefined) {
        // Its views are still out: the pool gets it when the last one comes back.
        lease.retired = true;
        this.#lease = undefined;
      }
    }
    this.#start = 0;
    this.#end = queued;
  }

  /**
   * Removes up to `amount` queued octets (all by default) and returns them;
   * the caller owns the result until it hands it back with
   * {@link recycleOutput} (or forever if it never does).
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
    if (!this.recycles && !this.#hasPayload && n <= SMALL_OUTPUT) {
      out = this.bytes.slice(start, start + n);
    } else {
      out = this.bytes.subarray(start, start + n);
      let lease = this.#lease;
      if (lease === undefined) {
        lease = leases.get(out.buffer);
        if (lease === undefined || lease.sink !== this || lease.retired) {
          lease = { sink: this, buffer: this.bytes, views: [], retired: false };
          leases.set(out.buffer, lease);
        }
        this.#lease = lease;
      }
      lease.views.push(out);
    }
    this.#start = start + n;
    if (this.#start === this.#end) {
      this.#hasPayload = false;
      if (this.#lease === undefined) {
        this.#start = 0;
        this.#end = 0;
        this.#park();
      }
      // Otherwise the caller owns the bytes before `#start`: later frames are
      // written after them, and `#grow` switches to another buffer only when
      // the room runs out (or `reclaim` rewinds once every view is back).
    }
    return out;
  }

  /** Drops every queued octet. */
  clear(): void {
    this.#hasPayload = false;
    if (this.#lease !== undefined) {
      this.#start = this.#end;
    } else {
      this.#start = 0;
      this.#end = 0;
      this.#park();
    }
  }
}
