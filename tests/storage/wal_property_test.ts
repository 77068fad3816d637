/**
 * Model-based property test: random sequences of appends (single and concurrent bursts,
 * including suffix truncations), hard state updates, snapshots and reopens, checked against a
 * plain in-memory model after every step.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogRecordEntry, StoredHardState } from "../../src/storage/mod.ts";
import { describe, openSingleGroup, type SingleGroupLog, testOptions } from "./helpers.ts";

/** What the log must contain. */
interface Model {
  snapshotIndex: number;
  snapshotTerm: number;
  /** Entries `snapshotIndex + 1 ..`, in order. */
  entries: LogRecordEntry[];
  hardState: StoredHardState;
}

type Seeds = [number, number, number];

type Op =
  | { kind: "append"; seeds: Seeds[] }
  | { kind: "hardState"; seed: number }
  | { kind: "snapshot"; seed: number; conflict: boolean }
  | { kind: "snapshotDuringAppends"; seed: number; conflict: boolean; seeds: Seeds[] }
  | { kind: "reopen" };

const OPTIONS = testOptions({
  segmentBytesMax: 900,
  recordBytesMax: 512,
  batchBytesMax: 512,
  cacheBytesMax: 200,
});

function lastIndex(model: Model): number {
  return model.snapshotIndex + model.entries.length;
}

function termAt(model: Model, index: number): number {
  if (index === model.snapshotIndex) return model.snapshotTerm;
  return model.entries[index - model.snapshotIndex - 1]!.term;
}

/** Derives a valid append from random seeds and applies it to the model. */
function planAppend(model: Model, [a, b, c]: Seeds, step: number) {
  // Mostly extend the log; every third append overwrites a random suffix.
  const first = a % 3 === 0
    ? model.snapshotIndex + 1 + ((a >> 2) % (model.entries.length + 1))
    : lastIndex(model) + 1;
  const count = 1 + (b % 8);
  let term = termAt(model, first - 1) + (c % 2);
  const entries: LogRecordEntry[] = [];
  for (let k = 0; k < count; k++) {
    const index = first + k;
    if (k > 0 && (c >> k) % 3 === 0) term += 1;
    const data = new TextEncoder().encode(`${index}:${term}:${step}:${"d".repeat(c % 12)}`);
    entries.push({ index, term, data });
  }
  model.entries = model.entries.slice(0, first - model.snapshotIndex - 1).concat(entries);
  return entries;
}

function planHardState(model: Model, seed: number): StoredHardState {
  const previous = model.hardState;
  const term = previous.term + (seed % 3 === 0 ? 1 : 0);
  const candidates = [null, "n1", "n2"];
  let votedFor = candidates[seed % 3] ?? null;
  if (term === previous.term && previous.votedFor !== null) votedFor = previous.votedFor;
  model.hardState = { term, votedFor, commitIndex: seed % 50 };
  return model.hardState;
}

/** Derives a snapshot from `seed` and applies it to the model. */
function planSnapshot(model: Model, seed: number, conflict: boolean, withinLog = false) {
  const last = lastIndex(model);
  const span = last - model.snapshotIndex + (withinLog ? 0 : 3);
  const index = model.snapshotIndex + 1 + (seed % span);
  let term: number;
  if (index <= last && !conflict) {
    // Same term at the index: the suffix after it is kept.
    term = termAt(model, index);
    model.entries = model.entries.slice(index - model.snapshotIndex);
  } else {
    // Beyond the log, or a different term at the index: the whole log is replaced.
    term = termAt(model, Math.min(index, last)) + 1;
    model.entries = [];
  }
  model.snapshotIndex = index;
  model.snapshotTerm = term;
  return { index, term, config: new TextEncoder().encode(`config@${index}`) };
}

async function check(wal: SingleGroupLog, model: Model): Promise<void> {
  const last = lastIndex(model);
  assert.equal(wal.firstIndex(), model.snapshotIndex + 1);
  assert.equal(wal.lastIndex(), last);
  assert.equal(wal.term(model.snapshotIndex), model.snapshotTerm);
  assert.deepEqual(wal.hardState(), model.hardState);
  const actual = await wal.entries(model.snapshotIndex + 1, last + 1, Infinity);
  assert.deepEqual(describe(actual), describe(model.entries));
  for (const entry of model.entries) assert.equal(wal.term(entry.index), entry.term);
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      seeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("hardState" as const), seed: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("snapshot" as const),
      seed: fc.nat(),
      conflict: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("snapshotDuringAppends" as const),
      seed: fc.nat(),
      conflict: fc.boolean(),
      seeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
);

async function run(ops: Op[]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dsync_storage_prop_" });
  let wal = await openSingleGroup(dir, OPTIONS);
  const model: Model = {
    snapshotIndex: 0,
    snapshotTerm: 0,
    entries: [],
    hardState: { term: 0, votedFor: null, commitIndex: 0 },
  };
  try {
    for (let step = 0; step < ops.length; step++) {
      const op = ops[step]!;
      if (op.kind === "append") {
        // A read started before the burst sees the log as it was when it started.
        const first = model.snapshotIndex + 1;
        const before = describe(model.entries);
        const read = wal.entries(first, lastIndex(model) + 1, Infinity);
        // A burst: every append is issued before any is awaited (one group commit).
        const pending = op.seeds.map((seeds) =>
          wal.append({ entries: planAppend(model, seeds, step) })
        );
        await Promise.all(pending);
        assert.deepEqual(describe(await read), before);
      } else if (op.kind === "snapshotDuringAppends") {
        if (lastIndex(model) === model.snapshotIndex) continue;
        const meta = planSnapshot(model, op.seed, op.conflict, true);
        const saving = wal.saveSnapshot(meta, new TextEncoder().encode(`data@${meta.index}`));
        const pending = op.seeds.map((seeds) =>
          wal.append({ entries: planAppend(model, seeds, step) })
        );
        await Promise.all([saving, ...pending]);
      } else if (op.kind === "hardState") {
        await wal.append({ hardState: planHardState(model, op.seed) });
      } else if (op.kind === "snapshot") {
        const meta = planSnapshot(model, op.seed, op.conflict);
        await wal.saveSnapshot(meta, new TextEncoder().encode(`data@${meta.index}`));
      } else {
        await wal.close();
        wal = await openSingleGroup(dir, OPTIONS);
      }
      await check(wal, model);
    }
    await wal.close();
    wal = await openSingleGroup(dir, OPTIONS);
    await check(wal, model);
    const snapshot = await wal.loadSnapshot();
    assert.equal(snapshot?.index ?? 0, model.snapshotIndex);
  } finally {
    await wal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("random appends, truncations, snapshots and reopens match an in-memory model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), run),
    { numRuns: Number(Deno.env.get("WAL_PROP_RUNS") ?? 40) },
  );
});
