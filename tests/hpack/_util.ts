/**
 * Small helpers shared by the HPACK tests.
 *
 * @module
 */

/**
 * Parses a hex string (whitespace ignored) into octets.
 *
 * @param hex The hex digits.
 * @returns The octets.
 */
export function hex(hex: string): Uint8Array {
  const digits = hex.replace(/\s+/g, "");
  if (digits.length % 2 !== 0) throw new Error(`Odd hex length: ${digits}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Formats octets as lowercase hex.
 *
 * @param bytes The octets.
 * @returns The hex string.
 */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A seeded 32-bit PRNG (mulberry32) returning floats in [0, 1).
 *
 * @param seed The seed.
 * @returns The generator.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
