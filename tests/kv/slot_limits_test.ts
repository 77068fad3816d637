import assert from "node:assert/strict";
import { answerOfOutcome, KV_ENTRY_OVERHEAD_BYTES, type KvOp, KvSlot } from "../../src/kv/mod.ts";

const encoder = new TextEncoder();
const key = (text: string) => encoder.encode(text);
const bytes = (count: number) => new Uint8Array(count);
const set = (name: string, size: number): KvOp => ({
  op: "set",
  key: key(name),
  value: bytes(size),
  ttlMs: null,
  condition: "always",
});

Deno.test("kv limits: a refusal names the limit, answers -LIMIT and changes nothing", () => {
  const slot = new KvSlot({
    valueBytesMax: 10,
    slotBytesMax: 3 * KV_ENTRY_OVERHEAD_BYTES + 12,
    keysMax: 3,
  });
  assert.deepEqual(slot.apply(1, set("a", 10)), { kind: "ok" });
  const before = slot.snapshot().subarray(9); // past the version and applied index
  const refusal = slot.apply(2, set("b", 11));
  assert.deepEqual(refusal, { kind: "limit", limit: "valueBytes", actual: 11, maximum: 10 });
  assert.deepEqual(answerOfOutcome(refusal), {
    kind: "error",
    line: "LIMIT value length in bytes 11 would exceed maximum of 10",
  });
  const slotFull = slot.apply(3, {
    op: "mset",
    pairs: [{ key: key("b"), value: bytes(1) }, { key: key("c"), value: bytes(1) }],
  });
  assert.deepEqual(slotFull, {
    kind: "limit",
    limit: "slotBytes",
    actual: 3 * KV_ENTRY_OVERHEAD_BYTES + 15,
    maximum: 3 * KV_ENTRY_OVERHEAD_BYTES + 12,
  });
  assert.equal(
    (answerOfOutcome(slotFull) as { line: string }).line,
    `LIMIT slot size in bytes ${3 * KV_ENTRY_OVERHEAD_BYTES + 15} would exceed maximum of ${
      3 * KV_ENTRY_OVERHEAD_BYTES + 12
    }`,
  );
  assert.deepEqual(slot.snapshot().subarray(9), before);
  assert.equal(slot.keyCount, 1);
});

Deno.test("kv limits: over lowered limits a slot cannot grow but can shrink and be rewritten", () => {
  const big = new KvSlot();
  for (let i = 0; i < 4; i++) big.apply(i + 1, set(`k${i}`, 100));
  const limits = { keysMax: 2, slotBytesMax: 100 };
  const slot = KvSlot.restore(big.snapshot(), limits);
  assert.equal(slot.keyCount, 4);
  assert.deepEqual(slot.apply(5, set("k0", 50)), { kind: "ok" }, "smaller value: passes");
  assert.deepEqual(slot.apply(6, set("k1", 100)), { kind: "ok" }, "same size: passes");
  assert.deepEqual(slot.apply(7, set("k1", 101)), {
    kind: "limit",
    limit: "slotBytes",
    actual: slot.bytes + 1,
    maximum: 100,
  });
  assert.deepEqual(slot.apply(8, set("new", 0)), {
    kind: "limit",
    limit: "keys",
    actual: 5,
    maximum: 2,
  });
  assert.deepEqual(slot.apply(9, { op: "del", keys: [key("k2"), key("k3")] }), {
    kind: "deleted",
    count: 2,
  });
  assert.deepEqual(slot.apply(10, set("new", 0)), {
    kind: "limit",
    limit: "keys",
    actual: 3,
    maximum: 2,
  });
  slot.checkInvariants();
});

Deno.test("kv limits: a key past 4096 bytes is refused by the slot as well as the parser", () => {
  const slot = new KvSlot();
  const outcome = slot.apply(1, { op: "del", keys: [key("a"), bytes(4097)] });
  assert.deepEqual(outcome, { kind: "limit", limit: "keyBytes", actual: 4097, maximum: 4096 });
  assert.deepEqual(slot.apply(2, { op: "del", keys: [] }), { kind: "invalid", message: "no keys" });
  assert.equal(slot.revision, 0);
});
