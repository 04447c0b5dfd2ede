// RFC 7541 §2.3.1, Appendix A: the static table and the encoder's lookups.
import assert from "node:assert/strict";
import {
  STATIC_FIELD_INDEX,
  STATIC_NAME_INDEX,
  STATIC_TABLE,
  STATIC_TABLE_LENGTH,
} from "../../lib/hpack/static_table.ts";

Deno.test("STATIC_TABLE has the 61 entries of RFC 7541 Appendix A", () => {
  // RFC 7541 Appendix A: spot checks at both ends and at the multi-value names.
  assert.equal(STATIC_TABLE.length, STATIC_TABLE_LENGTH);
  assert.equal(STATIC_TABLE_LENGTH, 61);
  assert.deepEqual(STATIC_TABLE[0], [":authority", ""]);
  assert.deepEqual(STATIC_TABLE[7], [":status", "200"]);
  assert.deepEqual(STATIC_TABLE[15], ["accept-encoding", "gzip, deflate"]);
  assert.deepEqual(STATIC_TABLE[60], ["www-authenticate", ""]);
  assert.ok(Object.isFrozen(STATIC_TABLE));
  for (const [name] of STATIC_TABLE) assert.equal(name, name.toLowerCase());
});

Deno.test("STATIC_NAME_INDEX gives the lowest index of each name", () => {
  // RFC 7541 §2.3.3: any index with the name works; the lowest is canonical.
  assert.equal(STATIC_NAME_INDEX.get(":method"), 2);
  assert.equal(STATIC_NAME_INDEX.get(":status"), 8);
  assert.equal(STATIC_NAME_INDEX.get("www-authenticate"), 61);
  assert.equal(STATIC_NAME_INDEX.get("x-unknown"), undefined);
  assert.equal(STATIC_NAME_INDEX.size, 52);
});

Deno.test("STATIC_FIELD_INDEX finds every entry by name and value", () => {
  // RFC 7541 §6.1: a full match is sent as a one-octet indexed field.
  STATIC_TABLE.forEach(([name, value], i) => {
    assert.equal(STATIC_FIELD_INDEX.get(name)?.get(value), i + 1, `${name}: ${value}`);
  });
  assert.equal(STATIC_FIELD_INDEX.get(":status")?.get("201"), undefined);
});
