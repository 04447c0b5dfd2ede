// RFC 7541 §2.3.2, §4: the dynamic table's ordering, size accounting and eviction.
import assert from "node:assert/strict";
import { DynamicTable } from "../../lib/hpack/dynamic_table.ts";

Deno.test("DynamicTable counts 32 octets of overhead per entry", () => {
  // RFC 7541 §4.1: size = name octets + value octets + 32.
  const table = new DynamicTable();
  table.add("", "");
  table.add("ab", "cde");
  assert.equal(table.size, 32 + 37);
  assert.equal(table.length, 2);
});

Deno.test("DynamicTable indexes newest first and evicts oldest first", () => {
  // RFC 7541 §2.3.3: "the first and newest entry … is at the lowest index";
  // §4.4: entries are evicted from the end.
  const evicted: Array<[string, string, number]> = [];
  const table = new DynamicTable({
    maxSize: 3 * 34,
    onEvict: (n, v, seq) => evicted.push([n, v, seq]),
  });
  for (const name of ["a", "b", "c", "d", "e"]) table.add(name, "1");
  assert.equal(table.length, 3);
  assert.deepEqual([table.get(1), table.get(2), table.get(3)], [["e", "1"], ["d", "1"], [
    "c",
    "1",
  ]]);
  assert.equal(table.get(0), undefined);
  assert.equal(table.get(4), undefined);
  assert.equal(table.nameAt(4), undefined);
  assert.deepEqual(evicted, [["a", "1", 0], ["b", "1", 1]]);
  assert.equal(table.nextSeq, 5);
  assert.equal(table.indexOfSeq(4), 1);
  assert.equal(table.indexOfSeq(2), 3);
});

Deno.test("DynamicTable keeps order while its ring buffer grows and wraps", () => {
  // RFC 7541 §2.3.2: FIFO order regardless of internal layout.
  const table = new DynamicTable({ maxSize: 100 * 34 });
  for (let i = 0; i < 1000; i++) {
    table.add(String.fromCharCode(0x41 + (i % 26)), String(i % 10));
    const count = Math.min(i + 1, 100);
    assert.equal(table.length, count);
    // Check the newest and oldest entries on every step.
    assert.deepEqual(table.get(1), [String.fromCharCode(0x41 + (i % 26)), String(i % 10)]);
    const oldest = i + 1 - count;
    assert.deepEqual(table.get(count), [
      String.fromCharCode(0x41 + (oldest % 26)),
      String(oldest % 10),
    ]);
  }
});

Deno.test("DynamicTable empties itself for an entry larger than its maximum", () => {
  // RFC 7541 §4.4: "an attempt to add an entry larger than the maximum size
  // causes the table to be emptied of all existing entries".
  const table = new DynamicTable({ maxSize: 64 });
  assert.ok(table.add("a", "b"));
  assert.equal(table.add("a", "x".repeat(32)), false); // 65 > 64
  assert.equal(table.length, 0);
  assert.equal(table.size, 0);
  assert.ok(table.add("a", "x".repeat(31))); // exactly 64 fits
  assert.equal(table.size, 64);
});

Deno.test("DynamicTable evicts when its maximum size is lowered", () => {
  // RFC 7541 §4.3: "Whenever the maximum size … is reduced, entries are evicted
  // from the end of the dynamic table until the size … is less than or equal
  // to the maximum size."
  const table = new DynamicTable();
  for (let i = 0; i < 10; i++) table.add(`k${i}`, "v"); // 35 octets each
  table.maxSize = 100;
  assert.equal(table.length, 2);
  assert.deepEqual(table.get(2), ["k8", "v"]);
  table.maxSize = 0;
  assert.equal(table.length, 0);
  table.maxSize = 4096;
  table.add("k", "v");
  table.clear();
  assert.equal(table.size, 0);
  assert.equal(table.maxSize, 4096);
});

Deno.test("DynamicTable behaves as empty before its first entry, whatever its size", () => {
  // The ring is allocated with the first entry (RFC 7541 §4: an empty table has no entries).
  const table = new DynamicTable({ maxSize: 100 });
  assert.equal(table.get(1), undefined);
  assert.equal(table.nameAt(1), undefined);
  table.clear();
  table.maxSize = 0;
  assert.equal(table.add("a", "b"), false); // 34 octets > 0: not added
  assert.equal(table.length, 0);
  table.maxSize = 100;
  assert.equal(table.add("a", "b"), true);
  assert.deepEqual(table.get(1), ["a", "b"]);
  for (let i = 0; i < 40; i++) table.add(`n${i}`, "v"); // 35 octets each: 2 fit
  assert.deepEqual([table.get(1), table.get(2), table.length], [["n39", "v"], ["n38", "v"], 2]);
});
