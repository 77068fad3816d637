/**
 * Key-value slot costs: applying SETs (decoded from their entry bytes, as replicas do), GETs,
 * a snapshot and a restore of 100,000 keys, and the leader's expiry tracker following and
 * expiring 100,000 keys. Keys per iteration are in each bench name.
 */
import { decodeKvOp, encodeKvOp, KvExpiryTracker, type KvOp, KvSlot } from "../src/kv/mod.ts";

const KEY_COUNT = 100_000;
const encoder = new TextEncoder();
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => encoder.encode(`user:${i}:session`));
const VALUE = new Uint8Array(64).fill(42);
const SET_ENTRIES = KEYS.map((key) =>
  encodeKvOp({ op: "set", key, value: VALUE, ttlMs: 60_000, condition: "always" })
);

function filledSlot(): KvSlot {
  const slot = new KvSlot();
  SET_ENTRIES.forEach((entry, i) => slot.apply(i + 1, decodeKvOp(entry)));
  return slot;
}

const FILLED = filledSlot();
const IMAGE = FILLED.snapshot();

Deno.bench("kv: decode and apply 100,000 SETs with a TTL", () => {
  filledSlot();
});

Deno.bench("kv: 100,000 GETs", () => {
  for (const key of KEYS) FILLED.get(key);
});

Deno.bench(`kv: snapshot of 100,000 keys (${(IMAGE.length / 1e6).toFixed(1)} MB)`, () => {
  FILLED.snapshot();
});

Deno.bench("kv: restore 100,000 keys", () => {
  KvSlot.restore(IMAGE);
});

Deno.bench("kv: tracker follows 100,000 SETs, then expires them all", () => {
  const slot = new KvSlot();
  const tracker = new KvExpiryTracker();
  SET_ENTRIES.forEach((entry, i) => {
    const op: KvOp = decodeKvOp(entry);
    slot.apply(i + 1, op);
    tracker.applied(op, slot, i / 100);
  });
  let index = KEY_COUNT;
  for (let due = tracker.due(1e9, 10_000); due.length > 0; due = tracker.due(1e9, 10_000)) {
    for (const op of due) slot.apply(++index, op), tracker.applied(op, slot, 1e9);
  }
  if (slot.keyCount !== 0) throw new Error(`${slot.keyCount} keys left`);
});
