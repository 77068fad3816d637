/**
 * The images a restored node seeds its groups with (pure). Every node of the new cluster is
 * restored from the same file, so each group starts from the same image at SEED_INDEX on every
 * replica; a member added later receives it as an ordinary Raft snapshot.
 *
 * The meta image keeps the subsystems' sections (locks, ...) and drops the old cluster's members
 * and placement: the new cluster records its own, from its `--peers`, as a new cluster does.
 */
import { BinaryReader, DecodeError } from "../../protocol/binary/mod.ts";
import { META_SECTION, readMetaSnapshot, writeMetaSnapshot } from "../meta/meta_snapshot.ts";
import { decodeTableState, encodeTableState } from "../locks/snapshot_codec.ts";
import { LOCK_TABLE_LIMITS_DEFAULT } from "../locks/limits.ts";
import {
  decodeSlotState as decodeKvSlotState,
  encodeSlotState as encodeKvSlotState,
} from "../kv/snapshot_codec.ts";
import {
  decodeSlotState as decodeQueueSlotState,
  encodeSlotState as encodeQueueSlotState,
} from "../queues/snapshot_codec.ts";
import { QUEUE_LIMITS_DEFAULT } from "../queues/limits.ts";
import { QueueCodecError } from "../queues/codec_error.ts";
import { readSlotImage, SLOT_IMAGE_SECTIONED, writeSlotImage } from "../subsystem/slot_image.ts";
import { SLOT_PART_TAGS } from "../subsystem/subsystem.ts";
import { KV_LIMITS_DEFAULT } from "../kv/limits.ts";
import { KvCodecError } from "../kv/codec_error.ts";

/** Log index of the seeded snapshot of every group (its term is 0: before any election). */
export const SEED_INDEX = 1;

/**
 * The meta image without members and placement, at SEED_INDEX; DecodeError if malformed. The
 * lock table's applied index and every lease index are set to SEED_INDEX: the new log starts at
 * SEED_INDEX + 1, and a lease index from the old log could equal a new renewal's and let a stale
 * expiry void it. A section of another machine is kept as it is.
 */
export function metaSeedImage(image: Uint8Array): Uint8Array {
  const parts = readMetaSnapshot(image);
  const kept = [...parts.sections].filter(([tag]) => tag > META_SECTION.placement)
    .sort((a, b) => a[0] - b[0])
    .map(([tag, body]): [number, Uint8Array] => [
      tag,
      tag === META_SECTION.locks ? locksSeedSection(body) : body,
    ]);
  return writeMetaSnapshot(
    SEED_INDEX,
    kept.map(([tag, body]) => [tag, (writer) => void writer.fixed(body)]),
    kept.reduce((sum, [, body]) => sum + body.length + 8, 64),
  );
}

/** The slot count the meta image records (0: none yet); DecodeError if malformed. */
export function metaSlotCount(image: Uint8Array): number {
  const placement = readMetaSnapshot(image).sections.get(META_SECTION.placement);
  if (placement === undefined) return 0;
  return new BinaryReader(placement, "meta placement section").u32();
}

/** Throws a DecodeError unless the meta image records `slotCount` slots. */
export function checkMetaSlotCount(image: Uint8Array, slotCount: number): void {
  const recorded = metaSlotCount(image);
  if (recorded !== slotCount) {
    throw new DecodeError(
      `Cannot decode backup file: its meta record holds ${recorded} slots, its header ${slotCount}`,
    );
  }
}

/** The lock table section with its applied and lease indexes at SEED_INDEX. */
function locksSeedSection(body: Uint8Array): Uint8Array {
  if (body.length === 0) return body;
  const state = decodeTableState(body, LOCK_TABLE_LIMITS_DEFAULT);
  state.appliedIndex = SEED_INDEX;
  for (const lock of state.locks.values()) {
    for (const holder of lock.holders.values()) holder.leaseIndex = SEED_INDEX;
  }
  return encodeTableState(state);
}

/**
 * A slot group's image with each part's applied index at SEED_INDEX (a part refuses an entry
 * below its applied index): the key-value section and the queue section, in a sectioned image
 * or a bare key-value one; throws a DecodeError if malformed or holding an unknown section.
 */
export function slotSeedImage(image: Uint8Array, slot: number): Uint8Array {
  if (image.length === 0) return image;
  const failure = (detail: string) =>
    new DecodeError(`Cannot decode backup file: the image of slot ${slot}: ${detail}`);
  let sections: Map<number, Uint8Array>;
  try {
    sections = readSlotImage(image);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw failure(error.message);
  }
  const seeded = [...sections].map(([tag, body]): [number, Uint8Array] => {
    try {
      return [tag, seedSlotSection(tag, body)];
    } catch (error) {
      if (
        !(error instanceof KvCodecError || error instanceof QueueCodecError ||
          error instanceof DecodeError)
      ) throw error;
      throw failure(error.message);
    }
  });
  if (image[0] !== SLOT_IMAGE_SECTIONED) return seeded[0]![1];
  return writeSlotImage(seeded);
}

function seedSlotSection(tag: number, body: Uint8Array): Uint8Array {
  if (body.length === 0) return body;
  if (tag === SLOT_PART_TAGS.kv) {
    const state = decodeKvSlotState(body, KV_LIMITS_DEFAULT);
    state.appliedIndex = SEED_INDEX;
    return encodeKvSlotState(state);
  }
  if (tag === SLOT_PART_TAGS.queues) {
    const state = decodeQueueSlotState(body, QUEUE_LIMITS_DEFAULT);
    state.appliedIndex = SEED_INDEX;
    return encodeQueueSlotState(state);
  }
  throw new DecodeError(`section ${tag} is unknown to this node`);
}
