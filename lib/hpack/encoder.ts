/**
 * The HPACK encoder (RFC 7541 §6): turns header fields into one header block,
 * keeping its dynamic table in step with the peer's decoder.
 *
 * Policy (after nghttp2): a field found whole in the static or dynamic table
 * is sent indexed; otherwise as a literal with incremental indexing, except
 * - never indexed (§6.2.3, not added, and marked so intermediaries keep it
 *   literal): names given in `sensitive`, `authorization`,
 *   `proxy-authorization`, and `cookie` values shorter than 20 octets (easy
 *   to guess, RFC 7541 §7.1.3);
 * - without indexing (§6.2.2): values unlikely to repeat (`:path` with a
 *   query, `content-length`, `age`, `etag`, `if-modified-since`,
 *   `if-none-match`, `location`, `set-cookie`) and entries larger than 3/4 of
 *   the table, which would flush it.
 * Strings are Huffman-coded only when that is strictly shorter.
 *
 * The output buffer is one scratch buffer shared by every encoder of the
 * process (blocks are taken synchronously: `encode` returns a fresh copy,
 * `encodeView` a view valid until the next block), so an idle connection
 * holds no output buffer.
 *
 * @module
 */

import type { HeaderField } from "../events.ts";
import { DynamicTable, ENTRY_OVERHEAD } from "./dynamic_table.ts";
import { byteStringError } from "../errors.ts";
import { huffmanEncodeInto } from "./huffman.ts";
import { HUFFMAN_LENGTHS } from "./_huffman_table.ts";
import { writeInteger } from "./integer.ts";
import { STATIC_FIELD_INDEX, STATIC_NAME_INDEX, STATIC_TABLE_LENGTH } from "./static_table.ts";

/** Options of {@link HpackEncoder}. */
export interface HpackEncoderOptions {
  /** Dynamic table size (≤ the peer's SETTINGS_HEADER_TABLE_SIZE). @default 4096 */
  headerTableSize?: number;
  /** Huffman-code strings when that is shorter. @default true */
  huffman?: boolean;
}

/** Options of {@link HpackEncoder.encode}. */
export interface HpackEncodeOptions {
  /** Overrides the encoder's `huffman` option for this block. */
  huffman?: boolean;
  /** Names to send as never-indexed literals (RFC 7541 §6.2.3). */
  sensitive?: Iterable<string>;
}

/** Names whose values rarely repeat: literal without indexing (nghttp2's choice). */
const NOT_INDEXED: ReadonlySet<string> = new Set([
  "age",
  "content-length",
  "etag",
  "if-modified-since",
  "if-none-match",
  "location",
  "set-cookie",
]);

/** The lookup maps of an encoder that has not indexed a field yet (never written). */
const NO_FIELDS: Map<string, Map<string, number>> = new Map();
const NO_NAMES: Map<string, number> = new Map();

/**
 * The output buffer of every encoder: a block is written here and copied out
 * before the next one starts. It grows for a large block and stays grown.
 */
let scratch = new Uint8Array(1024);

function checkTableSize(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`Cannot set headerTableSize to "${value}": not in 0..2^32-1`);
  }
  return value;
}

/**
 * Encodes header lists into HPACK header blocks for one connection direction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HpackDecoder } from "./decoder.ts";
 * import { HpackEncoder } from "./encoder.ts";
 * const encoder = new HpackEncoder();
 * const decoder = new HpackDecoder();
 * const fields = [[":method", "GET"], [":path", "/"], ["authorization", "secret"]] as const;
 * const block = encoder.encode(fields);
 * assert.deepEqual(decoder.decode(block), fields);
 * assert.deepEqual(decoder.lastSensitiveHeaders, ["authorization"]);
 * // A repeated list is much shorter: its fields are now in the tables.
 * assert.ok(encoder.encode([[":method", "GET"], ["user-agent", "deno"]]).length < 10);
 * ```
 */
export class HpackEncoder {
  /** Created with the first indexed field: many connections never index one in a direction. */
  #table: DynamicTable | undefined;
  /** The dynamic table's maximum size, whether or not the table exists yet. */
  #tableMaxSize: number;
  /** name → value → insertion seq of the newest entry with that pair. */
  #fieldSeq = NO_FIELDS;
  /** name → insertion seq of the newest entry with that name. */
  #nameSeq = NO_NAMES;
  #huffman: boolean;
  #headerTableSize: number;
  /** Smallest size set since the last block, if a size update is pending. */
  #pendingMin = -1;

  /**
   * Creates an encoder with an empty dynamic table.
   *
   * @param options Table size and Huffman preference.
   * @throws {RangeError} If `headerTableSize` is not in 0..2^32-1.
   */
  constructor(options: HpackEncoderOptions = {}) {
    this.#headerTableSize = checkTableSize(options.headerTableSize ?? 4096);
    this.#huffman = options.huffman ?? true;
    this.#tableMaxSize = this.#headerTableSize;
    // A table size other than the 4096 default must be announced (RFC 7541 §4.2).
    if (this.#headerTableSize !== 4096) this.#pendingMin = this.#headerTableSize;
  }

  /**
   * The dynamic table size. A change is sent as a dynamic table size update
   * at the start of the next block; if it was lowered and then raised in
   * between, the minimum is sent first, then the final value (RFC 7541 §4.2).
   */
  get headerTableSize(): number {
    return this.#headerTableSize;
  }

  set headerTableSize(value: number) {
    checkTableSize(value);
    if (value === this.#headerTableSize) return;
    this.#headerTableSize = value;
    if (this.#pendingMin < 0 || value < this.#pendingMin) this.#pendingMin = value;
  }

  /**
   * Encodes one header list into a header block.
   *
   * @param fields `[name, value]` pairs of byte strings (lowercase names for HTTP/2).
   * @param options Per-block Huffman choice and never-indexed names.
   * @returns The block, owned by the caller.
   * @throws {TypeError} If a name or value has a char code above 255.
   */
  encode(fields: Iterable<HeaderField>, options: HpackEncodeOptions = {}): Uint8Array<ArrayBuffer> {
    const length = this.#encodeToBuffer(fields, options); // may replace the scratch buffer
    return scratch.slice(0, length);
  }

  /**
   * As {@link HpackEncoder.encode}, but returns a view of the shared output
   * buffer instead of a copy: valid only until the next call (of any
   * encoder), for callers that copy the block straight into a frame (a fresh
   * `ArrayBuffer` per block costs more than encoding a small one).
   *
   * @param fields `[name, value]` pairs of byte strings.
   * @param options Per-block Huffman choice and never-indexed names.
   * @returns The block, overwritten by the next `encode`/`encodeView` of any encoder.
   * @throws {TypeError} If a name or value has a char code above 255.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { HpackEncoder } from "./encoder.ts";
   * const encoder = new HpackEncoder();
   * const view = encoder.encodeView([[":status", "200"]]);
   * assert.deepEqual([...view], [0x88]);
   * ```
   */
  encodeView(
    fields: Iterable<HeaderField>,
    options: HpackEncodeOptions = {},
  ): Uint8Array<ArrayBuffer> {
    const length = this.#encodeToBuffer(fields, options); // may replace the scratch buffer
    return scratch.subarray(0, length);
  }

  /** Encodes into the scratch buffer from offset 0 and returns the block's length. */
  #encodeToBuffer(fields: Iterable<HeaderField>, options: HpackEncodeOptions): number {
    const huffman = options.huffman ?? this.#huffman;
    const sensitive = options.sensitive === undefined || options.sensitive instanceof Set
      ? options.sensitive as ReadonlySet<string> | undefined
      : new Set(options.sensitive);
    let pos = 0;
    if (this.#pendingMin >= 0) {
      pos = this.#writeSizeUpdates();
    }
    try {
      pos = this.#encodeFields(fields, pos, huffman, sensitive);
    } catch (error) {
      // Fields before the bad one may have changed our table, but the peer
      // never sees this block: empty the table and make the next block start
      // with a size update to 0, which empties the peer's table too (§4.2).
      this.#table?.clear();
      this.#pendingMin = 0;
      throw error;
    }
    return pos;
  }

  #encodeFields(
    fields: Iterable<HeaderField>,
    pos: number,
    huffman: boolean,
    sensitive: ReadonlySet<string> | undefined,
  ): number {
    for (const field of fields) {
      const name = field[0];
      const value = field[1];
      if (typeof name !== "string" || typeof value !== "string") throw notAString(field);
      // Worst case: 6 octets of index, 2 × (6 octets of length + raw string).
      const need = pos + 18 + name.length + value.length;
      if (need > scratch.length) grow(need);
      const out = scratch;

      const neverIndex = (sensitive !== undefined && sensitive.has(name)) ||
        name === "authorization" || name === "proxy-authorization" ||
        (name === "cookie" && value.length < 20);
      if (!neverIndex) {
        const staticIndex = STATIC_FIELD_INDEX.get(name)?.get(value);
        if (staticIndex !== undefined) {
          // §6.1 Indexed Header Field.
          pos = writeInteger(out, pos, staticIndex, 7, 0x80);
          continue;
        }
        const seq = this.#fieldSeq.get(name)?.get(value);
        if (seq !== undefined) {
          // A seq exists only for an entry of the table, so the table exists.
          pos = writeInteger(out, pos, STATIC_TABLE_LENGTH + this.#table!.indexOfSeq(seq), 7, 0x80);
          continue;
        }
      }
      let nameIndex = STATIC_NAME_INDEX.get(name);
      if (nameIndex === undefined) {
        const seq = this.#nameSeq.get(name);
        nameIndex = seq === undefined ? 0 : STATIC_TABLE_LENGTH + this.#table!.indexOfSeq(seq);
      }
      if (neverIndex) {
        // §6.2.3 Literal Header Field Never Indexed.
        pos = writeInteger(out, pos, nameIndex, 4, 0x10);
      } else if (
        NOT_INDEXED.has(name) ||
        (name === ":path" && value.includes("?")) ||
        // Too big: it would flush most of the table (nghttp2's 3/4 rule).
        (name.length + value.length + ENTRY_OVERHEAD) * 4 > this.#tableMaxSize * 3
      ) {
        // §6.2.2 Literal Header Field without Indexing.
        pos = writeInteger(out, pos, nameIndex, 4, 0x00);
      } else {
        // §6.2.1 Literal Header Field with Incremental Indexing.
        pos = writeInteger(out, pos, nameIndex, 6, 0x40);
        this.#insert(name, value);
      }
      if (nameIndex === 0) pos = writeString(out, pos, name, huffman);
      pos = writeString(out, pos, value, huffman);
    }
    return pos;
  }

  #insert(name: string, value: string): void {
    const table = this.#table ??= this.#createTable();
    const seq = table.nextSeq;
    if (!table.add(name, value)) return;
    let values = this.#fieldSeq.get(name);
    if (values === undefined) {
      values = new Map();
      this.#fieldSeq.set(name, values);
    }
    values.set(value, seq);
    this.#nameSeq.set(name, seq);
  }

  /** The dynamic table and its lookup maps, created with the first indexed field. */
  #createTable(): DynamicTable {
    this.#fieldSeq = new Map();
    this.#nameSeq = new Map();
    return new DynamicTable({
      maxSize: this.#tableMaxSize,
      onEvict: (name, value, seq) => {
        const values = this.#fieldSeq.get(name);
        if (values !== undefined && values.get(value) === seq) {
          values.delete(value);
          if (values.size === 0) this.#fieldSeq.delete(name);
        }
        if (this.#nameSeq.get(name) === seq) this.#nameSeq.delete(name);
      },
    });
  }

  #setTableMaxSize(size: number): void {
    this.#tableMaxSize = size;
    if (this.#table !== undefined) this.#table.maxSize = size;
  }

  /** §6.3 Dynamic Table Size Update(s) at the start of the block. */
  #writeSizeUpdates(): number {
    const out = scratch; // a size update is at most 12 octets: no need to grow
    let pos = 0;
    const final = this.#headerTableSize;
    if (this.#pendingMin < final) {
      pos = writeInteger(out, pos, this.#pendingMin, 5, 0x20);
      this.#setTableMaxSize(this.#pendingMin);
    }
    pos = writeInteger(out, pos, final, 5, 0x20);
    this.#setTableMaxSize(final);
    this.#pendingMin = -1;
    return pos;
  }
}

/** Grows the scratch buffer to at least `need` octets, keeping the block written so far. */
function grow(need: number): void {
  const next = new Uint8Array(Math.max(need, scratch.length * 2));
  next.set(scratch);
  scratch = next;
}

/** Writes a §5.2 string literal, Huffman-coded only when strictly shorter. */
function writeString(out: Uint8Array, pos: number, value: string, huffman: boolean): number {
  const length = value.length;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > 255) throw byteStringError("Header field", value, i);
    bits += HUFFMAN_LENGTHS[c]!;
  }
  const coded = (bits + 7) >>> 3;
  if (huffman && coded < length) {
    pos = writeInteger(out, pos, coded, 7, 0x80);
    return huffmanEncodeInto(value, out, pos);
  }
  pos = writeInteger(out, pos, length, 7, 0);
  for (let i = 0; i < length; i++) out[pos++] = value.charCodeAt(i);
  return pos;
}

function notAString(field: HeaderField): TypeError {
  return new TypeError(
    `Cannot encode header field of types "${typeof field[0]}" and "${typeof field[
      1
    ]}": expected strings`,
  );
}
