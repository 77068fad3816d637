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
import { QueueSlot } from "../../src/queues/queue_slot.ts";
import { parseQueueCommand, type QueueRequest } from "../../src/queues/arguments.ts";
import { opOf } from "../../src/queues/answers.ts";
import { readSlotImage, writeSlotImage } from "../../src/subsystem/slot_image.ts";
import { SLOT_PART_TAGS } from "../../src/subsystem/subsystem.ts";

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

Deno.test("slot seed: a sectioned image seeds its key-value and queue parts; an unknown part is refused", () => {
  const encoder = new TextEncoder();
  const kv = createSlotState(KV_LIMITS_DEFAULT);
  kv.appliedIndex = 777;
  const queues = new QueueSlot();
  const push = parseQueueCommand(
    ["QUEUE.PUSH", "jobs", "payload"].map((word) => encoder.encode(word)),
    { payloadBytesMax: 1024, partitions: 8, waitMaxMs: 1000 },
  );
  assert.ok(!("error" in push), "a valid push");
  queues.apply(777, opOf(push as QueueRequest, 0, 5_000)!);
  const image = writeSlotImage([
    [SLOT_PART_TAGS.kv, encodeSlotState(kv)],
    [SLOT_PART_TAGS.queues, queues.snapshot()],
  ]);

  const seeded = readSlotImage(slotSeedImage(image, 9));
  assert.equal(
    decodeSlotState(seeded.get(SLOT_PART_TAGS.kv)!, KV_LIMITS_DEFAULT).appliedIndex,
    SEED_INDEX,
  );
  const restored = QueueSlot.restore(seeded.get(SLOT_PART_TAGS.queues)!);
  assert.equal(restored.appliedIndex, SEED_INDEX);
  assert.equal(restored.stats(encoder.encode("jobs"), 0).ready, 1, "the message is kept");
  // The new log's first entry follows the seed: the restored part takes it.
  restored.apply(SEED_INDEX + 1, opOf(push as QueueRequest, 0, 6_000)!);
  assert.equal(restored.stats(encoder.encode("jobs"), 0).ready, 2);

  const unknown = writeSlotImage([[0x70, new Uint8Array([1])]]);
  assert.throws(() => slotSeedImage(unknown, 9), /the image of slot 9: section 112 is unknown/);
});
