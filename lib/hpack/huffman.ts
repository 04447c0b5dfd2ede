/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B) and the byte-string
 * helpers shared by the encoder and decoder.
 *
 * Decoding runs a byte-at-a-time state machine: the 256 internal nodes of
 * the code tree are the states, and a 256 × 256 transition table (built once,
 * on first use, from the generated code table) gives for each state and input
 * octet the next state and the zero, one or two symbols completed. Reaching
 * EOS fails; a final state is accepted only if its path is at most 7 one-bits.
 *
 * @module
 */

import { byteStringError, HpackDecodingError } from "../errors.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./_huffman_table.ts";

const EOS = 256;

// Transition entry layout: bits 0-7 first symbol, 8-15 second symbol,
// 16-23 next state, 24-25 symbol count, 27 fail.
const FAIL = 1 << 27;

let transitions: Uint32Array | undefined;
let accepting: Uint8Array | undefined;

function buildDecoder(): Uint32Array {
  // Tree: internal nodes 0..255 (0 = root); child value >= 0 is an internal
  // node, < 0 is the leaf -(symbol + 1).
  const child0 = new Int32Array(256).fill(-1024);
  const child1 = new Int32Array(256).fill(-1024);
  const depth = new Uint8Array(256);
  const allOnes = new Uint8Array(256);
  allOnes[0] = 1;
  let nodes = 1;
  for (let symbol = 0; symbol <= EOS; symbol++) {
    const code = HUFFMAN_CODES[symbol]!;
    const length = HUFFMAN_LENGTHS[symbol]!;
    let node = 0;
    for (let i = length - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const children = bit === 0 ? child0 : child1;
      if (i === 0) {
        children[node] = -(symbol + 1);
      } else {
        if (children[node]! < 0) {
          children[node] = nodes;
          depth[nodes] = depth[node]! + 1;
          allOnes[nodes] = allOnes[node]! & bit;
          nodes++;
        }
        node = children[node]!;
      }
    }
  }
  // RFC 7541 §5.2: "A padding strictly longer than 7 bits MUST be treated as
  // a decoding error" and "A padding not corresponding to the most
  // significant bits of the code for the EOS symbol MUST be treated as a
  // decoding error."
  accepting = new Uint8Array(256);
  for (let state = 0; state < nodes; state++) {
    accepting[state] = allOnes[state]! === 1 && depth[state]! <= 7 ? 1 : 0;
  }
  const table = new Uint32Array(256 * 256);
  for (let state = 0; state < nodes; state++) {
    for (let octet = 0; octet < 256; octet++) {
      let node = state;
      let count = 0;
      let symbols = 0;
      let fail = 0;
      for (let i = 7; i >= 0; i--) {
        const next = ((octet >> i) & 1) === 0 ? child0[node]! : child1[node]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        const symbol = -next - 1;
        // RFC 7541 §5.2: "A Huffman-encoded string literal containing the
        // EOS symbol MUST be treated as a decoding error."
        if (symbol === EOS) {
          fail = FAIL;
          break;
        }
        symbols |= symbol << (8 * count);
        count++;
        node = 0;
      }
      table[(state << 8) | octet] = fail !== 0 ? FAIL : symbols | (node << 16) | (count << 24);
    }
  }
  return table;
}

let scratch = new Uint8Array(256);

/**
 * Converts octets to a byte string (one char per octet, code 0–255).
 * Unlike `TextDecoder("latin1")`, which WHATWG maps to windows-1252, this is
 * the identity on every octet.
 *
 * @param bytes The source.
 * @param start First octet. @default 0
 * @param end Octet after the last. @default bytes.length
 * @returns The byte string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesToByteString } from "./huffman.ts";
 * assert.equal(bytesToByteString(new Uint8Array([0x68, 0x80, 0xff])), "h\x80\xff");
 * ```
 */
export function bytesToByteString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const length = end - start;
  if (length <= 16) {
    let result = "";
    for (let i = start; i < end; i++) result += String.fromCharCode(bytes[i]!);
    return result;
  }
  if (length <= 4096) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += 4096) {
    const stop = Math.min(end, i + 4096);
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]));
  }
  return parts.join("");
}

/**
 * Decodes a Huffman-coded string literal (RFC 7541 §5.2).
 *
 * @param bytes The block holding the literal.
 * @param start First octet of the coded string. @default 0
 * @param end Octet after the last. @default bytes.length
 * @returns The decoded byte string.
 * @throws {HpackDecodingError} `huffman_eos` if the EOS symbol occurs,
 *   `huffman_padding` if the padding is longer than 7 bits or not all ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { huffmanDecode } from "./huffman.ts";
 * // RFC 7541 C.4.1: "www.example.com".
 * const coded = Uint8Array.from([0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff]);
 * assert.equal(huffmanDecode(coded), "www.example.com");
 * ```
 */
export function huffmanDecode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const table = transitions ??= buildDecoder();
  // The shortest code is 5 bits, so n octets decode to at most 8n/5 symbols.
  const maxOut = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < maxOut) scratch = new Uint8Array(Math.max(maxOut, scratch.length * 2));
  const out = scratch;
  let o = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const entry = table[(state << 8) | bytes[i]!]!;
    if ((entry & FAIL) !== 0) {
      throw new HpackDecodingError("Huffman string contains EOS", { detail: "huffman_eos" });
    }
    const count = entry >>> 24;
    if (count !== 0) {
      out[o++] = entry & 0xff;
      if (count === 2) out[o++] = (entry >>> 8) & 0xff;
    }
    state = (entry >>> 16) & 0xff;
  }
  if (accepting![state] !== 1) {
    throw new HpackDecodingError("Invalid Huffman padding", { detail: "huffman_padding" });
  }
  return bytesToByteString(out, 0, o);
}

/**
 * The length in octets of the Huffman coding of a byte string.
 *
 * @param value A byte string.
 * @returns The coded length, padding included.
 * @throws {TypeError} If a char code is above 255.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { huffmanEncodedLength } from "./huffman.ts";
 * assert.equal(huffmanEncodedLength("www.example.com"), 12);
 * ```
 */
export function huffmanEncodedLength(value: string): number {
  let bits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 255) throw byteStringError("HPACK string", value, i);
    bits += HUFFMAN_LENGTHS[c]!;
  }
  return (bits + 7) >>> 3;
}

/**
 * Writes the Huffman coding of a byte string into `out` at `offset`,
 * padding the last octet with the most significant bits of EOS (all ones).
 * The caller guarantees room for `huffmanEncodedLength(value)` octets and has
 * already checked that every char code is ≤ 255.
 *
 * @param value A byte string.
 * @param out The buffer.
 * @param offset Where to start writing.
 * @returns The offset after the last octet written.
 */
export function huffmanEncodeInto(value: string, out: Uint8Array, offset: number): number {
  let acc = 0; // pending bits, fewer than 8 between symbols
  let bits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) & 0xff;
    let code = HUFFMAN_CODES[c]!;
    let length = HUFFMAN_LENGTHS[c]!;
    if (length > 24) {
      // Keep the accumulator within 31 bits: emit the high part first.
      acc = (acc << (length - 8)) | (code >>> 8);
      bits += length - 8;
      while (bits >= 8) {
        bits -= 8;
        out[offset++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xff;
      length = 8;
    }
    acc = (acc << length) | code;
    bits += length;
    while (bits >= 8) {
      bits -= 8;
      out[offset++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out[offset++] = (acc << (8 - bits)) | (0xff >>> bits);
  return offset;
}

/**
 * Huffman-codes a byte string (RFC 7541 §5.2).
 *
 * @param value A byte string.
 * @returns The coded octets.
 * @throws {TypeError} If a char code is above 255.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { huffmanDecode, huffmanEncode } from "./huffman.ts";
 * const coded = huffmanEncode("no-cache");
 * assert.deepEqual(coded, Uint8Array.from([0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf])); // RFC 7541 C.4.2
 * assert.equal(huffmanDecode(coded), "no-cache");
 * ```
 */
export function huffmanEncode(value: string): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(value));
  huffmanEncodeInto(value, out, 0);
  return out;
}
