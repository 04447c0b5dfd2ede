// RFC 7541 + RFC 9113 §4.3: every header block the engine sends decodes, with an
// independent decoder sharing one dynamic table, to exactly the fields given (seeded).
import assert from "node:assert/strict";
import { type Field, frames } from "../_helpers/frames.ts";
import { ready } from "../_helpers/peer.ts";

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b_79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const NAMES = [
  "content-type",
  "x-a",
  "x-trace-id",
  "cache-control",
  "set-cookie",
  "etag",
  "vary",
  "x-long-name-for-testing",
];
const ALPHABET =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~/=;, !\"#$%&'()*+:<>?@[]^`{|}\xe9\xff";

Deno.test("H2Connection's header blocks decode with an independent HPACK decoder to the fields sent (RFC 7541, seeded)", async (t) => {
  // RFC 7541 §2–§6: indexing, literals, Huffman, eviction; RFC 9113 §4.3 one shared context per direction.
  for (const tableSize of [4096, 256, 0]) {
    await t.step(`peer HEADER_TABLE_SIZE ${tableSize}`, () => {
      for (let seed = 1; seed <= 10; seed++) {
        const rnd = mulberry32(seed * 7919 + tableSize);
        const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
        // outbound normalisation strips surrounding whitespace (python h2), so values have none
        const value = () =>
          Array.from(
            { length: Math.floor(rnd() * (rnd() < 0.1 ? 300 : 20)) },
            () => pick([...ALPHABET]),
          ).join("").trim();
        const peer = ready("server", { settings: frames.settings().headerTableSize(tableSize) });
        peer.setHeaderTableSize(tableSize);
        const pool: Field[] = Array.from({ length: 6 }, () => [pick(NAMES), value()]);
        for (let i = 0; i < 25; i++) {
          const id = 2 * i + 1;
          peer.openStream(id, { endStream: true });
          const fields: Field[] = [[":status", pick(["200", "204", "404", "500", "299"])]];
          const n = Math.floor(rnd() * 8);
          for (let k = 0; k < n; k++) {
            fields.push(rnd() < 0.6 ? pick(pool) : [pick(NAMES), value()]);
          }
          peer.conn.sendHeaders(id, fields, { endStream: true });
          const [h] = peer.read();
          assert.deepEqual(h!.headers, fields, `seed ${seed}, response ${i}`);
          assert.ok(
            peer.hpackTableSize <= Math.min(tableSize, 4096),
            `table ${peer.hpackTableSize} > ${tableSize}`,
          );
        }
      }
    });
  }
});

Deno.test("H2Connection (client) request, trailer and push blocks decode with an independent HPACK decoder (RFC 7541, seeded)", () => {
  // RFC 7541; RFC 9113 §4.3: requests and trailers share the client's encoder context.
  const rnd = mulberry32(4242);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const peer = ready("client");
  for (let i = 0; i < 40; i++) {
    const id = 2 * i + 1;
    const fields: Field[] = [
      [":method", pick(["GET", "POST", "PUT"])],
      [":scheme", "https"],
      [":path", `/${pick(["a", "b", "index.html"])}?q=${Math.floor(rnd() * 5)}`],
      [":authority", pick(["example.com", "www.example.com"])],
      ...Array.from(
        { length: Math.floor(rnd() * 5) },
        (): Field => [pick(NAMES), `v${Math.floor(rnd() * 4)}`],
      ),
    ];
    peer.conn.sendHeaders(id, fields);
    const trailers: Field[] = [["x-checksum", String(Math.floor(rnd() * 1000))]];
    peer.conn.sendHeaders(id, trailers, { endStream: true });
    const [h, tr] = peer.read();
    assert.deepEqual(h!.headers, fields, `request ${i}`);
    assert.deepEqual(tr!.headers, trailers, `trailers ${i}`);
    peer.send(frames.headers(id).response(200).endStream());
  }
});
