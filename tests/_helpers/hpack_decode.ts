/**
 * A small, independent HPACK decoder (RFC 7541) for reading what the engine
 * sends: integers, literals, Huffman (bit by bit), static and dynamic tables,
 * size updates. Written for tests, not speed; it shares nothing with lib/hpack.
 *
 * @module
 */

import { HUFFMAN_CODES, STATIC_TABLE } from "./_hpack_tables.ts";

const HUFFMAN = new Map<string, number>(
  HUFFMAN_CODES.map(([code, len], sym) => [`${len}:${code}`, sym]),
);

/** RFC 7541 §5.2 Huffman decoding; throws on EOS or bad padding. */
export function huffmanDecode(data: Uint8Array): string {
  let out = "";
  let code = 0;
  let len = 0;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const sym = HUFFMAN.get(`${len}:${code}`);
      if (sym !== undefined) {
        if (sym === 256) throw new Error("Huffman EOS in string");
        out += String.fromCharCode(sym);
        code = 0;
        len = 0;
      } else if (len > 30) throw new Error("Bad Huffman code");
    }
  }
  // RFC 7541 §5.2: padding is < 8 bits of the EOS prefix (all ones).
  if (len > 7 || code !== 2 ** len - 1) throw new Error("Bad Huffman padding");
  return out;
}

/** A stateful decoder: keeps the dynamic table across blocks. */
export class TestHpackDecoder {
  #dynamic: [string, string][] = [];
  #size = 0;
  #max: number;

  /** @param maxTableSize SETTINGS_HEADER_TABLE_SIZE we (the peer) advertise. */
  constructor(public maxTableSize = 4096) {
    this.#max = maxTableSize;
  }

  /** Octets currently in the dynamic table (RFC 7541 §4.1). */
  get tableSize(): number {
    return this.#size;
  }

  /** Current dynamic table [name, value] entries, newest first. */
  get dynamicTable(): readonly (readonly [string, string])[] {
    return this.#dynamic;
  }

  #evict(): void {
    while (this.#size > this.#max) {
      const [n, v] = this.#dynamic.pop()!;
      this.#size -= n.length + v.length + 32;
    }
  }

  #lookup(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.#dynamic[index - STATIC_TABLE.length - 1];
    if (index === 0 || !entry) throw new Error(`Bad HPACK index ${index}`);
    return entry;
  }

  /** Decode one block; never-indexed names are also returned. */
  decode(block: Uint8Array): { fields: [string, string][]; neverIndexed: string[] } {
    let i = 0;
    const int = (prefix: number): number => {
      const max = (1 << prefix) - 1;
      if (i >= block.length) throw new Error("Truncated HPACK integer");
      let v = block[i++]! & max;
      if (v < max) return v;
      let m = 1;
      for (;;) {
        if (i >= block.length) throw new Error("Truncated HPACK integer");
        const b = block[i++]!;
        v += (b & 0x7f) * m;
        m *= 128;
        if ((b & 0x80) === 0) return v;
        if (m > 2 ** 35) throw new Error("HPACK integer too long");
      }
    };
    const str = (): string => {
      if (i >= block.length) throw new Error("Truncated HPACK string");
      const huff = (block[i]! & 0x80) !== 0;
      const len = int(7);
      if (i + len > block.length) throw new Error("Truncated HPACK string");
      const raw = block.subarray(i, i + len);
      i += len;
      return huff ? huffmanDecode(raw) : String.fromCharCode(...raw);
    };
    const fields: [string, string][] = [];
    const neverIndexed: string[] = [];
    let sawField = false;
    while (i < block.length) {
      const b = block[i]!;
      if (b & 0x80) {
        const [n, v] = this.#lookup(int(7));
        fields.push([n, v]);
        sawField = true;
      } else if ((b & 0xc0) === 0x40) {
        const idx = int(6);
        const name = idx === 0 ? str() : this.#lookup(idx)[0];
        const value = str();
        fields.push([name, value]);
        this.#dynamic.unshift([name, value]);
        this.#size += name.length + value.length + 32;
        this.#evict();
        sawField = true;
      } else if ((b & 0xe0) === 0x20) {
        if (sawField) throw new Error("Table size update after a field");
        const size = int(5);
        if (size > this.maxTableSize) {
          throw new Error(`Table size update ${size} > ${this.maxTableSize}`);
        }
        this.#max = size;
        this.#evict();
      } else {
        const never = (b & 0xf0) === 0x10;
        const idx = int(4);
        const name = idx === 0 ? str() : this.#lookup(idx)[0];
        fields.push([name, str()]);
        if (never) neverIndexed.push(name);
        sawField = true;
      }
    }
    return { fields, neverIndexed };
  }
}
