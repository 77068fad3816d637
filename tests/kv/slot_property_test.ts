import assert from "node:assert/strict";
import fc from "fast-check";
import { type KvLimits, KvSlot } from "../../src/kv/mod.ts";
import { KEY_POOL, opOfStep, type Step, stepArb } from "./arbitraries.ts";
import { hexOf, KvModel } from "./model.ts";

/** Small limits, so that runs hit every one of them. */
const LIMITS: KvLimits = { valueBytesMax: 16, slotBytesMax: 520, keysMax: 4 };

/** Every key of the slot and the model agree, and so do the counters. */
function assertSame(slot: KvSlot, model: KvModel): void {
  slot.checkInvariants();
  assert.equal(slot.keyCount, model.entries.size);
  assert.equal(slot.bytes, model.bytes());
  assert.equal(slot.revision, model.revision);
  for (const key of KEY_POOL) {
    const expected = model.entries.get(hexOf(key));
    const entry = slot.entry(key);
    assert.deepEqual(
      entry === undefined ? undefined : { ...entry, value: [...entry.value] },
      expected === undefined ? undefined : { ...expected, value: [...expected.value] },
    );
    assert.deepEqual(slot.get(key), expected?.value ?? null);
  }
}

/** What a read can see: every key with value, TTL and revision (not the applied index). */
function contents(slot: KvSlot): string {
  return JSON.stringify([
    slot.revision,
    slot.bytes,
    KEY_POOL.map((key) => {
      const entry = slot.entry(key);
      return entry === undefined ? null : [hexOf(entry.value), entry.ttlMs, entry.revision];
    }),
  ]);
}

function run(steps: Step[], snapshotAt: number): void {
  const slot = new KvSlot(LIMITS);
  const model = new KvModel(LIMITS);
  let restored: KvSlot | null = null;
  steps.forEach((step, i) => {
    if (i === snapshotAt) {
      const image = slot.snapshot();
      restored = KvSlot.restore(image, LIMITS);
      assert.deepEqual(restored.snapshot(), image, "snapshot -> restore -> snapshot");
    }
    const op = opOfStep(step, model);
    const before = contents(slot);
    const outcome = slot.apply(i + 1, op);
    assert.deepEqual(outcome, model.apply(op), `step ${i}: ${step.kind}`);
    if (restored !== null) assert.deepEqual((restored as KvSlot).apply(i + 1, op), outcome);
    const refused = outcome.kind === "limit" || outcome.kind === "notSet" ||
      (outcome.kind === "deleted" && outcome.count === 0) ||
      (outcome.kind === "expired" && !outcome.removed);
    if (refused) assert.equal(contents(slot), before, `step ${i}: a refusal changed the slot`);
    else assert.notEqual(contents(slot), before, `step ${i}: a write changed nothing`);
    assertSame(slot, model);
    assert.equal(slot.appliedIndex, i + 1);
  });
  if (restored !== null) assert.deepEqual((restored as KvSlot).snapshot(), slot.snapshot());
}

Deno.test("kv slot: any op sequence leaves the slot equal to a map model", () => {
  fc.assert(
    fc.property(
      fc.array(stepArb, { maxLength: 60, size: "max" }),
      fc.nat(60),
      (steps, snapshotAt) => {
        run(steps, snapshotAt);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("kv slot: every outcome kind and every limit occurs in the runs above", () => {
  // Guards the property above against arbitraries that never reach a branch.
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 60, size: "max" }), (steps) => {
      const slot = new KvSlot(LIMITS);
      const model = new KvModel(LIMITS);
      steps.forEach((step, i) => {
        const outcome = slot.apply(i + 1, opOfStep(step, model));
        model.apply(opOfStep(step, model));
        seen.add(outcome.kind === "limit" ? `limit:${outcome.limit}` : outcome.kind);
        if (outcome.kind === "expired") seen.add(`expired:${outcome.removed}`);
      });
    }),
    { numRuns: 200, seed: 1 },
  );
  for (const kind of ["ok", "notSet", "deleted", "expired:true", "expired:false"]) {
    assert.ok(seen.has(kind), kind);
  }
  for (const limit of ["keyBytes", "valueBytes", "slotBytes", "keys"]) {
    assert.ok(seen.has(`limit:${limit}`), limit);
  }
});
