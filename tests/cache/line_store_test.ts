import assert from "node:assert/strict";
import { type CacheLine, keyHash, lineBytes, LineStore } from "../../src/cache/line_store.ts";

const encoder = new TextEncoder();

function line(id: string, value = "v"): CacheLine {
  return {
    key: encoder.encode(id),
    slot: 0,
    state: "S",
    value: encoder.encode(value),
    leaseEndMs: 1_000,
    expiryEndMs: null,
    epoch: 1,
    grantSeq: 1,
    writeCount: 0,
    usedAtMs: 0,
    renewingId: null,
    ownsValue: false,
    dirty: null,
  };
}

const ids = (store: LineStore) => store.all().map(([id]) => id);

Deno.test("line store: a touch makes a line newest; eviction takes the least recent", () => {
  const store = new LineStore(1 << 20, 3);
  for (const id of ["a", "b", "c"]) assert.deepEqual(store.insert(id, line(id)), []);
  assert.equal(store.touch("a")?.key[0], "a".charCodeAt(0));
  assert.equal(store.touch("a")?.key[0], "a".charCodeAt(0)); // already newest
  assert.equal(store.peek("b")?.key[0], "b".charCodeAt(0)); // a peek changes nothing
  assert.deepEqual(ids(store), ["b", "c", "a"]);
  const evicted = store.insert("d", line("d"));
  assert.deepEqual(evicted?.map((l) => String.fromCharCode(l.key[0]!)), ["b"]);
  assert.deepEqual(ids(store), ["c", "a", "d"]);
  store.touch("c");
  store.remove("a");
  assert.deepEqual(ids(store), ["d", "c"]);
  assert.equal(store.touch("a"), undefined);
  assert.equal(store.size, 2);
  assert.equal(store.bytes, lineBytes(encoder.encode("d"), encoder.encode("v")) * 2);
});

Deno.test("line store: the byte bound evicts oldest first, never the new line; clone keeps order", () => {
  const one = lineBytes(encoder.encode("a"), encoder.encode("v"));
  const store = new LineStore(one * 3, 100);
  for (const id of ["a", "b", "c"]) store.insert(id, line(id));
  store.touch("a");
  const big = line("z", "v".repeat(one + 1)); // needs two lines' room
  const evicted = store.insert("z", big);
  assert.deepEqual(evicted?.map((l) => String.fromCharCode(l.key[0]!)), ["b", "c"]);
  assert.deepEqual(ids(store), ["a", "z"]);
  assert.ok(store.bytes <= one * 3);
  assert.equal(store.insert("huge", line("huge", "v".repeat(one * 3))), null);
  const copy = store.clone();
  store.touch("a");
  assert.deepEqual(ids(copy), ["a", "z"]);
  assert.deepEqual(ids(store), ["z", "a"]);
  assert.equal(copy.bytes, store.bytes);
  // Re-inserting a present line replaces it as newest.
  store.insert("a", line("a", "w"));
  copy.insert("a", line("a", "w"));
  assert.deepEqual(ids(copy), ["z", "a"]);
});

Deno.test("line store: lines found by key bytes, through hash collisions, and forgotten", () => {
  // Two keys whose hashes collide (found by a search over k0, k1, ...).
  const [a, b] = ["k32728", "k261234"];
  assert.equal(keyHash(encoder.encode(a)), keyHash(encoder.encode(b)));
  const store = new LineStore(1 << 20, 3);
  store.insert(a, line(a, "va"));
  store.insert(b, line(b, "vb"));
  store.insert("c", line("c", "vc"));
  const value = (key: string) => store.peekKey(encoder.encode(key))?.value?.[1];
  assert.equal(value(a), "a".charCodeAt(0));
  assert.equal(value(b), "b".charCodeAt(0));
  assert.equal(store.peekKey(encoder.encode("k0")), undefined);
  assert.equal(store.touchKey(encoder.encode(a))?.value?.[1], "a".charCodeAt(0));
  assert.deepEqual(ids(store), [b, "c", a]);
  store.remove(b); // the chain's head (added last)
  assert.equal(value(b), undefined);
  assert.equal(value(a), "a".charCodeAt(0));
  store.insert(b, line(b, "vb"));
  store.remove(a); // now behind b in the chain
  assert.equal(value(a), undefined);
  assert.equal(value(b), "b".charCodeAt(0));
  // Eviction forgets the evicted line's bytes too.
  store.insert("d", line("d"));
  store.insert("e", line("e"));
  assert.deepEqual(ids(store), [b, "d", "e"]);
  store.insert("f", line("f"));
  assert.equal(value(b), undefined);
  assert.equal(store.touchKey(encoder.encode(b)), undefined);
});

Deno.test("line store: a bigger value written in place evicts the oldest other lines, never itself", () => {
  const one = lineBytes(encoder.encode("a"), encoder.encode("v"));
  const store = new LineStore(one * 3, 10);
  for (const id of ["a", "b", "c"]) store.insert(id, line(id));
  const c = store.peek("c")!;
  assert.equal(store.fits(c.key, new Uint8Array(one * 3)), false);
  // Shrinking or keeping the size evicts nothing.
  assert.deepEqual(store.setValue(c, encoder.encode("w")), []);
  // Two lines' worth more: the two oldest others go, in age order; the written line stays.
  const bigger = new Uint8Array(1 + 2 * one);
  assert.equal(store.fits(c.key, bigger), true);
  const evicted = store.setValue(c, bigger);
  assert.deepEqual(evicted.map((l) => String.fromCharCode(l.key[0]!)), ["a", "b"]);
  assert.deepEqual(ids(store), ["c"]);
  assert.equal(store.bytes, lineBytes(c.key, bigger));
  assert.ok(store.bytes <= one * 3);
  // The written line need not be the newest: an older one grows past newer ones.
  store.setValue(c, encoder.encode("v"));
  store.insert("d", line("d"));
  const grown = store.setValue(c, new Uint8Array(2 + one));
  assert.deepEqual(grown.map((l) => String.fromCharCode(l.key[0]!)), ["d"]);
  assert.deepEqual(ids(store), ["c"]);
});
