import assert from "node:assert/strict";
import { BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import {
  checkMetaSlotCount,
  metaSeedImage,
  metaSlotCount,
  SEED_INDEX,
  slotSeedImage,
} from "../../src/backup/seed_image.ts";
import { META_SECTION, readMetaSnapshot, writeMetaSnapshot } from "../../src/meta/meta_snapshot.ts";
import { LockTable } from "../../src/locks/mod.ts";
import { decodeSlotState, encodeSlotState } from "../../src/kv/snapshot_codec.ts";
import { createSlotState, putEntry } from "../../src/kv/slot_state.ts";
import { KV_LIMITS_DEFAULT } from "../../src/kv/limits.ts";
import { Driver } from "../locks/helpers.ts";

/** A meta image with members, a placement of `slotCount` slots and a lock table. */
function metaImage(slotCount: number, locks: Uint8Array): Uint8Array {
  return writeMetaSnapshot(900, [
    [META_SECTION.members, (writer) => void writer.u32(1).u16String("old-member")],
    [META_SECTION.placement, (writer) => void writer.u32(slotCount).u53(7)],
    [META_SECTION.locks, (writer) => void writer.fixed(locks)],
  ], 256);
}

Deno.test("meta seed: members and placement dropped, lock indexes at the seed index", () => {
  const driver = new Driver();
  driver.index = 500;
  driver.acquireResult("a", "owner-a");
  driver.acquireResult("b", "owner-b");
  driver.acquireResult("b", "owner-c"); // waits
  const image = metaImage(64, driver.table.snapshot());
  assert.equal(metaSlotCount(image), 64);
  checkMetaSlotCount(image, 64);
  assert.throws(() => checkMetaSlotCount(image, 16), /holds 64 slots, its header 16/);

  const seed = readMetaSnapshot(metaSeedImage(image));
  assert.equal(seed.appliedIndex, SEED_INDEX);
  assert.deepEqual([...seed.sections.keys()], [META_SECTION.locks]);
  const table = LockTable.restore(seed.sections.get(META_SECTION.locks)!);
  assert.equal(table.stats().appliedIndex, SEED_INDEX);
  assert.equal(table.stats().lastToken, 2, "fencing tokens go on from the backup");
  assert.deepEqual(table.info("a").holders.map((h) => [h.owner, h.token, h.leaseIndex]), [[
    "owner-a",
    1,
    SEED_INDEX,
  ]]);
  assert.deepEqual(table.info("b").waiters.map((w) => w.owner), ["owner-c"]);
  assert.equal(metaSlotCount(metaSeedImage(image)), 0, "the new cluster records its own");
});

Deno.test("slot seed: keys kept, applied index at the seed index; damage is a DecodeError", () => {
  const state = createSlotState(KV_LIMITS_DEFAULT);
  state.appliedIndex = 1234;
  state.revision = 2;
  putEntry(state, "k", { value: new TextEncoder().encode("v"), ttlMs: null, revision: 2 });
  const seeded = decodeSlotState(slotSeedImage(encodeSlotState(state), 3), KV_LIMITS_DEFAULT);
  assert.equal(seeded.appliedIndex, SEED_INDEX);
  assert.equal(seeded.revision, 2);
  assert.deepEqual(new TextDecoder().decode(seeded.entries.get("k")!.value), "v");
  assert.deepEqual(slotSeedImage(new Uint8Array(0), 3), new Uint8Array(0));
  const damaged = new BinaryWriter(8).u8(1).u8(0).copy();
  assert.throws(() => slotSeedImage(damaged, 3), DecodeError);
  assert.throws(() => slotSeedImage(damaged, 3), /the image of slot 3/);
});
