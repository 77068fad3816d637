import assert from "node:assert/strict";
import { CACHE_ENTRIES_MAX, EntryCache } from "../../src/storage/entry_cache.ts";
import { EntryIndex } from "../../src/storage/entry_index.ts";

const bytes = (size: number) => new Uint8Array(size);

Deno.test("EntryCache evicts oldest first but never unwritten entries", () => {
  const cache = new EntryCache(1);
  for (let index = 1; index <= 10; index++) cache.push(index, bytes(10));
  cache.evict(35, 5);
  assert.equal(cache.firstIndex, 5, "entries from 5 on are unwritten and stay");
  assert.equal(cache.bytes, 60);
  cache.evict(35, Infinity);
  assert.equal(cache.firstIndex, 8);
  assert.equal(cache.bytes, 30);
  assert.equal(cache.get(7), undefined);
  assert.equal(cache.get(8)?.length, 10);
});

Deno.test("EntryCache follows truncation and compaction of the log", () => {
  const cache = new EntryCache(1);
  for (let index = 1; index <= 5; index++) cache.push(index, bytes(index));
  cache.truncateFrom(4);
  assert.equal(cache.entryCount, 3);
  assert.equal(cache.bytes, 6);
  cache.push(4, bytes(1));
  cache.dropBelow(3);
  assert.equal(cache.firstIndex, 3);
  assert.equal(cache.bytes, 4);
  cache.dropBelow(20);
  assert.equal(cache.entryCount, 0);
  cache.push(20, bytes(2));
  assert.equal(cache.get(20)?.length, 2);
  assert.throws(() => cache.push(22, bytes(1)), /follows 20/);
});

Deno.test("EntryCache compacts its slot array after many evictions", () => {
  const cache = new EntryCache(1);
  for (let index = 1; index <= 5000; index++) {
    cache.push(index, bytes(1));
    cache.evict(10, Infinity);
  }
  assert.equal(cache.entryCount, 10);
  assert.equal(cache.firstIndex, 4991);
});

Deno.test("EntryIndex tracks terms, locations, truncation and compaction", () => {
  const index = new EntryIndex(0, 0);
  for (let i = 1; i <= 3000; i++) index.push(i <= 1500 ? 1 : 2, i);
  assert.equal(index.lastIndex, 3000);
  assert.equal(index.term(0), 0);
  assert.equal(index.term(1500), 1);
  assert.equal(index.term(1501), 2);
  assert.equal(index.segmentSeq(10), 0);
  index.setLocation(10, 3, 4096);
  assert.equal(index.segmentSeq(10), 3);
  assert.equal(index.dataOffset(10), 4096);
  index.truncateFrom(2001);
  assert.equal(index.lastIndex, 2000);
  index.compactTo(9, 1);
  assert.equal(index.firstIndex, 10);
  assert.equal(index.term(9), 1);
  assert.equal(index.term(8), undefined);
  assert.equal(index.segmentSeq(10), 3);
  assert.equal(index.dataBytes(2000), 2000);
  index.compactTo(5000, 7);
  assert.equal(index.firstIndex, 5001);
  assert.equal(index.lastIndex, 5000);
  assert.equal(index.term(5000), 7);
  assert.throws(() => index.truncateFrom(4000), /truncation index 4000/);
});

Deno.test("EntryCache keeps at most CACHE_ENTRIES_MAX entries however small they are", () => {
  const cache = new EntryCache(1);
  const extraCount = 10;
  for (let index = 1; index <= CACHE_ENTRIES_MAX + extraCount; index++) {
    cache.push(index, new Uint8Array(1));
  }
  cache.evict(32 * 1024 * 1024, Infinity);
  assert.equal(cache.entryCount, CACHE_ENTRIES_MAX);
  assert.equal(cache.firstIndex, extraCount + 1, "the oldest went first");
  assert.equal(cache.get(extraCount), undefined);
  assert.equal(cache.get(CACHE_ENTRIES_MAX + extraCount)?.length, 1);
});
