/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of header fields with
 * size accounting and eviction, shared by the encoder and the decoder.
 *
 * Entries live in a ring buffer indexed by their insertion sequence number
 * (`seq & mask`), so adding, evicting and looking up by index are O(1) and
 * allocate nothing once the ring has grown to fit the table. The ring is
 * allocated with the first entry: most connections never index a field in
 * one direction or the other.
 *
 * @module
 */

/** RFC 7541 §4.1: "The size of an entry is the sum of its name's length in
 * octets …, its value's length in octets, and 32." */
export const ENTRY_OVERHEAD = 32;

/** The ring of an empty table until its first entry (never written: `#grow` replaces it). */
const NO_ENTRIES: string[] = Object.freeze([]) as unknown as string[];
/** The ring's first capacity. */
const MIN_CAPACITY = 16;

/** Options of {@link DynamicTable}. */
export interface DynamicTableOptions {
  /** The maximum size in octets (RFC 7541 §4.2). @default 4096 */
  maxSize?: number;
  /**
   * Called for each evicted entry with its insertion sequence number, oldest
   * first (the encoder keeps its lookup maps in sync with it).
   */
  onEvict?: (name: string, value: string, seq: number) => void;
}

/**
 * The dynamic table of one HPACK context (RFC 7541 §2.3.2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DynamicTable } from "./dynamic_table.ts";
 * const table = new DynamicTable({ maxSize: 100 });
 * table.add("custom-key", "custom-header"); // 10 + 13 + 32 = 55 octets
 * assert.equal(table.size, 55);
 * table.add("a", "b"); // 34 octets: 89 in all
 * assert.deepEqual(table.get(1), ["a", "b"]); // index 1 = newest
 * table.add("c", "d"); // would be 123 > 100: the oldest is evicted
 * assert.equal(table.length, 2);
 * assert.deepEqual(table.get(2), ["a", "b"]);
 * ```
 */
export class DynamicTable {
  #names: string[] = NO_ENTRIES;
  #values: string[] = NO_ENTRIES;
  /** Ring capacity - 1 (-1 while the ring is not allocated). */
  #mask = -1;
  /** Sequence number of the oldest entry. */
  #first = 0;
  /** Sequence number the next entry gets (entries ever inserted). */
  #next = 0;
  #size = 0;
  #maxSize: number;
  #onEvict: ((name: string, value: string, seq: number) => void) | undefined;

  /**
   * Creates an empty table.
   *
   * @param options Maximum size and eviction hook.
   */
  constructor(options: DynamicTableOptions = {}) {
    this.#maxSize = options.maxSize ?? 4096;
    this.#onEvict = options.onEvict;
  }

  /** The current size: Σ (name + value + 32) over entries (RFC 7541 §4.1). */
  get size(): number {
    return this.#size;
  }

  /** The number of entries. */
  get length(): number {
    return this.#next - this.#first;
  }

  /** The insertion sequence number the next added entry will get. */
  get nextSeq(): number {
    return this.#next;
  }

  /** The maximum size; setting it evicts until the table fits (RFC 7541 §4.3). */
  get maxSize(): number {
    return this.#maxSize;
  }

  set maxSize(value: number) {
    this.#maxSize = value;
    this.#evictTo(value);
  }

  /**
   * The entry at a dynamic index (1 = newest, RFC 7541 §2.3.3).
   *
   * @param index 1-based index within the dynamic table.
   * @returns `[name, value]`, or undefined when out of range.
   */
  get(index: number): [name: string, value: string] | undefined {
    if (index < 1 || index > this.#next - this.#first) return undefined;
    const slot = (this.#next - index) & this.#mask;
    return [this.#names[slot]!, this.#values[slot]!];
  }

  /**
   * The name at a dynamic index (1 = newest).
   *
   * @param index 1-based index within the dynamic table.
   * @returns The name, or undefined when out of range.
   */
  nameAt(index: number): string | undefined {
    if (index < 1 || index > this.#next - this.#first) return undefined;
    return this.#names[(this.#next - index) & this.#mask];
  }

  /**
   * The value at a dynamic index (1 = newest). Call only with an index that
   * `nameAt` accepted.
   *
   * @param index 1-based index within the dynamic table.
   * @returns The value.
   */
  valueAt(index: number): string {
    return this.#values[(this.#next - index) & this.#mask]!;
  }

  /**
   * The dynamic index (1 = newest) of the entry with a given sequence number.
   *
   * @param seq An insertion sequence number still in the table.
   * @returns Its 1-based dynamic index.
   */
  indexOfSeq(seq: number): number {
    return this.#next - seq;
  }

  /**
   * Adds an entry at the front, evicting from the end to make room
   * (RFC 7541 §4.4). An entry larger than the maximum size empties the table
   * and is not added.
   *
   * @param name The field name (byte string).
   * @param value The field value (byte string).
   * @returns True if the entry was added.
   */
  add(name: string, value: string): boolean {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    // RFC 7541 §4.4: "an attempt to add an entry larger than the maximum size
    // causes the table to be emptied of all existing entries and results in
    // an empty table."
    if (entrySize > this.#maxSize) {
      this.#evictTo(0);
      return false;
    }
    this.#evictTo(this.#maxSize - entrySize);
    if (this.#next - this.#first > this.#mask) this.#grow();
    const slot = this.#next & this.#mask;
    this.#names[slot] = name;
    this.#values[slot] = value;
    this.#next++;
    this.#size += entrySize;
    return true;
  }

  /** Removes every entry (keeping the maximum size). */
  clear(): void {
    this.#evictTo(0);
  }

  #evictTo(target: number): void {
    while (this.#size > target) {
      const slot = this.#first & this.#mask;
      const name = this.#names[slot]!;
      const value = this.#values[slot]!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
      this.#onEvict?.(name, value, this.#first);
      this.#names[slot] = "";
      this.#values[slot] = "";
      this.#first++;
    }
  }

  #grow(): void {
    const capacity = Math.max(MIN_CAPACITY, (this.#mask + 1) * 2);
    const mask = capacity - 1;
    const names: string[] = new Array(capacity);
    const values: string[] = new Array(capacity);
    for (let seq = this.#first; seq < this.#next; seq++) {
      names[seq & mask] = this.#names[seq & this.#mask]!;
      values[seq & mask] = this.#values[seq & this.#mask]!;
    }
    this.#names = names;
    this.#values = values;
    this.#mask = mask;
  }
}
