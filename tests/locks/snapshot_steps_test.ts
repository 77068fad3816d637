import assert from "node:assert/strict";
import { BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import { LockTable } from "../../src/locks/mod.ts";
import { Driver } from "./helpers.ts";

/** A table of `lockCount` locks: every third shared by three owners, every fifth with two waiters. */
function fill(lockCount: number): { driver: Driver; items: number } {
  const driver = new Driver();
  let items = 0;
  for (let i = 0; i < lockCount; i++) {
    const name = `lock-${i}`;
    const shared = i % 3 === 0;
    const holders = shared ? 3 : 1;
    for (let h = 0; h < holders; h++) {
      driver.acquireResult(name, `owner-${i}-${h}`, { mode: shared ? "shared" : "exclusive" });
    }
    items += 1 + holders;
    if (i % 5 === 0) {
      driver.acquireResult(name, `waiter-${i}-a`, { mode: "exclusive" });
      driver.acquireResult(name, `waiter-${i}-b`, { mode: "shared" });
      items += 2;
    }
  }
  const stats = driver.table.stats();
  assert.equal(stats.locks + stats.holders + stats.waiters, items, "the fill made what it says");
  return { driver, items };
}

Deno.test("the lock table snapshot is encoded in steps of at most itemsPerStep locks, holders and waiters", () => {
  const { driver, items } = fill(3_000);
  const itemsPerStep = 97;
  const writer = new BinaryWriter(64);
  const counts = [...driver.table.snapshotSteps(writer, itemsPerStep)];
  assert.ok(counts.every((count) => count >= 1 && count <= itemsPerStep), `${counts}`);
  // Every step but the last is full: the encoder yields as soon as a step is.
  assert.ok(counts.slice(0, -1).every((count) => count === itemsPerStep));
  assert.equal(counts.reduce((sum, count) => sum + count, 0), items);
  assert.equal(counts.length, Math.ceil(items / itemsPerStep));
  assert.deepEqual(writer.copy(), driver.table.snapshot(), "the same bytes as at once");
});

Deno.test("an empty table's snapshot takes no step", () => {
  const driver = new Driver();
  const writer = new BinaryWriter(64);
  assert.deepEqual([...driver.table.snapshotSteps(writer, 10)], []);
  assert.deepEqual(writer.copy(), driver.table.snapshot());
});

Deno.test("itemsPerStep below 1 is refused", () => {
  const writer = new BinaryWriter(64);
  assert.throws(() => new Driver().table.snapshotSteps(writer, 0).next(), RangeError);
});

Deno.test("a lock table snapshot is decoded in steps that end at the first lock past itemsPerStep", () => {
  const { driver, items } = fill(3_000);
  const bytes = driver.table.snapshot();
  const itemsPerStep = 97;
  // The fill's largest lock: itself, three shared holders and two waiters.
  const lockItemsMax = 6;
  const steps = LockTable.restoreSteps(bytes, {}, itemsPerStep);
  const counts: number[] = [];
  let step = steps.next();
  for (; step.done !== true; step = steps.next()) counts.push(step.value);
  assert.ok(counts.slice(0, -1).every((count) => count >= itemsPerStep), `${counts}`);
  assert.ok(counts.every((count) => count <= itemsPerStep - 1 + lockItemsMax), `${counts}`);
  assert.equal(counts.reduce((sum, count) => sum + count, 0), items);
  assert.deepEqual(step.value.snapshot(), bytes, "the same table as a restore at once");
});

Deno.test("a stepped decode refuses what a restore at once refuses", () => {
  const { driver } = fill(50);
  const bytes = driver.table.snapshot();
  const truncated = bytes.subarray(0, bytes.length - 3);
  assert.throws(() => LockTable.restore(truncated), DecodeError);
  assert.throws(() => [...LockTable.restoreSteps(truncated, {}, 7)], DecodeError);
  const longer = Uint8Array.of(...bytes, 0);
  assert.throws(() => [...LockTable.restoreSteps(longer, {}, 7)], DecodeError);
});
