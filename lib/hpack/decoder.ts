/**
 * The HPACK decoder (RFC 7541 §3, §6): turns one complete header block into
 * header fields, keeping the dynamic table in step with the peer's encoder.
 *
 * It is built for hostile input: every string length is checked against the
 * bytes left before anything is allocated, integers are bounded, and the
 * header list limits (`maxHeaderListSize`, `maxHeaderFields`) are enforced
 * while decoding. Over a limit it stops building the list but still decodes
 * the block to its end so the table stays in sync (RFC 9113 §10.5.1), then
 * throws `OversizedHeaderListError` — an HPACK bomb costs O(block length).
 *
 * @module
 */

import type { HeaderField } from "../events.ts";
import {
  HpackDecodingError,
  InvalidTableIndexError,
  InvalidTableSizeError,
  OversizedHeaderListError,
} from "../errors.ts";
import { DynamicTable, ENTRY_OVERHEAD } from "./dynamic_table.ts";
import { bytesToByteString, huffmanDecode } from "./huffman.ts";
import { decodeInteger } from "./integer.ts";
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from "./static_table.ts";

/** Options of {@link HpackDecoder}. */
export interface HpackDecoderOptions {
  /** Largest header list accepted, Σ (name + value + 32) octets (RFC 9113 §6.5.2). @default 65536 */
  maxHeaderListSize?: number;
  /** Largest dynamic table size the peer may choose: our SETTINGS_HEADER_TABLE_SIZE. @default 4096 */
  maxAllowedTableSize?: number;
  /** Most fields accepted in one header list. @default Infinity */
  maxHeaderFields?: number;
}

const STATIC_NAMES: string[] = STATIC_TABLE.map(([name]) => name);
const STATIC_VALUES: string[] = STATIC_TABLE.map(([, value]) => value);

function checkLimit(value: number, what: string): number {
  if (!(value >= 0) || (!Number.isInteger(value) && value !== Infinity)) {
    throw new RangeError(`Cannot set ${what} to "${value}": not a non-negative integer`);
  }
  return value;
}

/**
 * Decodes HPACK header blocks for one connection direction (RFC 7541).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HpackDecoder } from "./decoder.ts";
 * const decoder = new HpackDecoder();
 * // RFC 7541 C.3.1: the first request, no Huffman coding.
 * const block = Uint8Array.from([
 *   0x82, 0x86, 0x84, 0x41, 0x0f, ...new TextEncoder().encode("www.example.com"),
 * ]);
 * assert.deepEqual(decoder.decode(block), [
 *   [":method", "GET"],
 *   [":scheme", "http"],
 *   [":path", "/"],
 *   [":authority", "www.example.com"],
 * ]);
 * assert.equal(decoder.headerTableSize, 4096);
 * ```
 */
export class HpackDecoder {
  #table: DynamicTable;
  #maxHeaderListSize: number;
  #maxAllowedTableSize: number;
  #maxHeaderFields: number;
  /** Smallest maximum announced since the last block, when it requires a size update. */
  #requiredUpdate = Infinity;
  #lastSensitive: string[] = [];

  /**
   * Creates a decoder with an empty dynamic table of `maxAllowedTableSize` octets.
   *
   * @param options Limits; see {@link HpackDecoderOptions}.
   * @throws {RangeError} If a limit is negative or not an integer.
   */
  constructor(options: HpackDecoderOptions = {}) {
    this.#maxHeaderListSize = checkLimit(options.maxHeaderListSize ?? 65_536, "maxHeaderListSize");
    this.#maxAllowedTableSize = checkLimit(
      options.maxAllowedTableSize ?? 4096,
      "maxAllowedTableSize",
    );
    this.#maxHeaderFields = checkLimit(options.maxHeaderFields ?? Infinity, "maxHeaderFields");
    this.#table = new DynamicTable({ maxSize: this.#maxAllowedTableSize });
  }

  /** Largest header list accepted, Σ (name + value + 32) octets. */
  get maxHeaderListSize(): number {
    return this.#maxHeaderListSize;
  }

  set maxHeaderListSize(value: number) {
    this.#maxHeaderListSize = checkLimit(value, "maxHeaderListSize");
  }

  /** Most fields accepted in one header list. */
  get maxHeaderFields(): number {
    return this.#maxHeaderFields;
  }

  set maxHeaderFields(value: number) {
    this.#maxHeaderFields = checkLimit(value, "maxHeaderFields");
  }

  /**
   * The largest table size the peer's encoder may use: our acknowledged
   * SETTINGS_HEADER_TABLE_SIZE. Lowering it below the table's current
   * maximum obliges the peer to start its next block with a dynamic table
   * size update at or below the new value (RFC 7541 §4.2).
   */
  get maxAllowedTableSize(): number {
    return this.#maxAllowedTableSize;
  }

  set maxAllowedTableSize(value: number) {
    checkLimit(value, "maxAllowedTableSize");
    this.#maxAllowedTableSize = value;
    if (value < this.#table.maxSize) {
      this.#requiredUpdate = Math.min(this.#requiredUpdate, value);
    }
  }

  /** The current maximum size of the dynamic table, as last set by the peer. */
  get headerTableSize(): number {
    return this.#table.maxSize;
  }

  /** Names the last `decode()` received as never-indexed literals (RFC 7541 §6.2.3). */
  get lastSensitiveHeaders(): string[] {
    return this.#lastSensitive;
  }

  /**
   * Decodes one complete header block.
   *
   * @param block The concatenated HEADERS/PUSH_PROMISE and CONTINUATION fragments.
   * @returns The fields in wire order.
   * @throws {HpackDecodingError} On malformed input (truncated, bad Huffman,
   *   size update after a field); the context is then out of sync (connection error).
   * @throws {InvalidTableIndexError} On index 0 or past the tables.
   * @throws {InvalidTableSizeError} On a size update above `maxAllowedTableSize`
   *   or a missing required update.
   * @throws {OversizedHeaderListError} If the list exceeds `maxHeaderListSize`
   *   or `maxHeaderFields`; the block was fully decoded, the context is in sync.
   */
  decode(block: Uint8Array): HeaderField[] {
    const table = this.#table;
    const end = block.length;
    const fields: HeaderField[] = [];
    let sensitive: string[] | undefined;
    const maxListSize = this.#maxHeaderListSize;
    const maxFields = this.#maxHeaderFields;
    let listSize = 0;
    let fieldCount = 0;
    let oversized = false;
    let pos = 0;
    // RFC 7541 §4.2: the update "MUST occur at the beginning of the first
    // header block following the change to the dynamic table size."
    let atStart = true;
    let smallestUpdate = Infinity;

    while (pos < end) {
      const first = block[pos]!;
      let name: string;
      let value: string;
      let neverIndexed = false;

      if (first >= 0x80) {
        // §6.1 Indexed Header Field Representation (7-bit prefix).
        let index = first & 0x7f;
        if (index < 0x7f) pos++;
        else [index, pos] = decodeInteger(block, pos, 7);
        if (atStart) atStart = this.#leaveStart(smallestUpdate);
        if (index === 0) {
          // RFC 7541 §6.1: "The index value of 0 is not used. It MUST be
          // treated as a decoding error if found in an indexed header field."
          throw new InvalidTableIndexError("Index 0 in an indexed field", { detail: "index_zero" });
        }
        if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_NAMES[index - 1]!;
          value = STATIC_VALUES[index - 1]!;
        } else {
          const found = table.nameAt(index - STATIC_TABLE_LENGTH);
          if (found === undefined) throw badIndex(index, table.length);
          name = found;
          value = table.valueAt(index - STATIC_TABLE_LENGTH);
        }
      } else if (first >= 0x20 && first < 0x40) {
        // §6.3 Dynamic Table Size Update (5-bit prefix).
        if (!atStart) {
          throw new HpackDecodingError("Dynamic table size update after a header field", {
            detail: "size_update_not_at_start",
          });
        }
        let size = first & 0x1f;
        if (size < 0x1f) pos++;
        else [size, pos] = decodeInteger(block, pos, 5);
        // RFC 7541 §6.3: "The new maximum size MUST be lower than or equal to
        // the limit determined by the protocol using HPACK. A value that
        // exceeds this limit MUST be treated as a decoding error."
        if (size > this.#maxAllowedTableSize) {
          throw new InvalidTableSizeError(
            `Dynamic table size update to "${size}" exceeds the maximum "${this.#maxAllowedTableSize}"`,
            { detail: "table_size_too_large" },
          );
        }
        table.maxSize = size;
        if (size < smallestUpdate) smallestUpdate = size;
        continue;
      } else {
        // §6.2.1 with incremental indexing (01, 6-bit prefix), §6.2.2 without
        // indexing (0000, 4-bit) and §6.2.3 never indexed (0001, 4-bit).
        const incremental = first >= 0x40;
        neverIndexed = first >= 0x10 && first < 0x20;
        const prefix = incremental ? 6 : 4;
        const mask = incremental ? 0x3f : 0x0f;
        let index = first & mask;
        if (index < mask) pos++;
        else [index, pos] = decodeInteger(block, pos, prefix);
        if (atStart) atStart = this.#leaveStart(smallestUpdate);
        if (index === 0) {
          [name, pos] = readString(block, pos);
        } else if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_NAMES[index - 1]!;
        } else {
          const found = table.nameAt(index - STATIC_TABLE_LENGTH);
          if (found === undefined) throw badIndex(index, table.length);
          name = found;
        }
        [value, pos] = readString(block, pos);
        if (incremental) table.add(name, value);
      }

      // RFC 9113 §6.5.2: the list size is "the uncompressed size of header
      // fields, including the length of the name and value in octets plus an
      // overhead of 32 octets for each header field."
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      fieldCount++;
      if (oversized) continue;
      if (listSize > maxListSize || fieldCount > maxFields) {
        // Stop materialising; keep decoding for table sync (RFC 9113 §10.5.1).
        oversized = true;
        fields.length = 0;
        sensitive = undefined;
        continue;
      }
      fields.push([name, value]);
      if (neverIndexed) (sensitive ??= []).push(name);
    }
    if (atStart) this.#leaveStart(smallestUpdate);
    this.#lastSensitive = sensitive ?? [];
    if (oversized) {
      throw new OversizedHeaderListError(
        `Header list of ${fieldCount} fields and ${listSize} octets exceeds the limits ` +
          `(${maxFields} fields, ${maxListSize} octets)`,
        { listSize, fieldCount },
      );
    }
    return fields;
  }

  /** Ends the size-update prefix of a block: checks a required update was seen. */
  #leaveStart(smallestUpdate: number): false {
    if (this.#requiredUpdate !== Infinity) {
      // RFC 7541 §4.2: after the maximum is reduced, the encoder "MUST signal"
      // the change; if reduced more than once, "the smallest maximum table
      // size that occurs in that interval MUST be signaled".
      if (smallestUpdate > this.#requiredUpdate) {
        throw new InvalidTableSizeError(
          `Expected a dynamic table size update to at most "${this.#requiredUpdate}"`,
          { detail: "table_size_update_missing" },
        );
      }
      this.#requiredUpdate = Infinity;
    }
    return false;
  }
}

function badIndex(index: number, dynamicLength: number): InvalidTableIndexError {
  return new InvalidTableIndexError(
    `Index "${index}" is past the tables (${STATIC_TABLE_LENGTH} static + ${dynamicLength} dynamic entries)`,
    { detail: "index_out_of_range" },
  );
}

/** Reads a §5.2 string literal at `pos`, bounded by the block before any allocation. */
function readString(block: Uint8Array, pos: number): [string, number] {
  if (pos >= block.length) {
    throw new HpackDecodingError("Truncated header block: string expected", {
      detail: "string_truncated",
    });
  }
  const first = block[pos]!;
  let length = first & 0x7f;
  if (length < 0x7f) pos++;
  else [length, pos] = decodeInteger(block, pos, 7);
  const stop = pos + length;
  if (stop > block.length) {
    throw new HpackDecodingError(
      `Truncated header block: string of ${length} octets, ${block.length - pos} left`,
      { detail: "string_truncated" },
    );
  }
  const value = first >= 0x80
    ? huffmanDecode(block, pos, stop)
    : bytesToByteString(block, pos, stop);
  return [value, stop];
}
