import { BinaryReader, BinaryWriter, DecodeError } from "../../protocol/binary/mod.ts";
import {
  compareIds,
  describeConfigProblem,
  describeMembersProblem,
  placedReplicaCount,
  type Placement,
  type SlotPlacement,
} from "./placement.ts";

/** Version byte leading every encoded placement. */
export const PLACEMENT_VERSION = 1;

const CONTEXT = "placement";

/** Raised for every failure to decode placement bytes; decodePlacement throws nothing else. */
export class PlacementDecodeError extends Error {
  /** Creates the error; `message` reads "Cannot decode placement: ...". */
  constructor(message: string) {
    super(message);
    this.name = "PlacementDecodeError";
  }
}

/**
 * Encodes `placement` (valid, as computePlacement returns it): u8 version, u16 slotCount,
 * u16 vnodes, u8 replicas, u8 member count and each member id (u16 length + UTF-8), then per slot
 * the u8 member index of each of its min(replicas, members) replicas in ring order and the u8
 * member index of its preferred leader.
 */
export function encodePlacement(placement: Placement): Uint8Array {
  const memberIndex = new Map(placement.members.map((id, index) => [id, index]));
  const slotBytes = placedReplicaCount(placement) + 1;
  const writer = new BinaryWriter(
    16 + placement.members.length * 16 + placement.slotCount * slotBytes,
  );
  writer.u8(PLACEMENT_VERSION).u16(placement.slotCount).u16(placement.vnodes);
  writer.u8(placement.replicas).u8(placement.members.length);
  for (const id of placement.members) writer.u16String(id);
  for (const slot of placement.slots) {
    for (const id of slot.replicas) writer.u8(memberIndex.get(id)!);
    writer.u8(memberIndex.get(slot.leader)!);
  }
  return writer.copy();
}

/**
 * Decodes and validates a placement: known version, config in range, members valid, sorted and
 * distinct, every slot with exactly min(replicas, members) distinct replicas and a leader among
 * them, no trailing bytes. Throws PlacementDecodeError, and nothing else, for any other input.
 */
export function decodePlacement(bytes: Uint8Array): Placement {
  const reader = new BinaryReader(bytes, CONTEXT);
  try {
    const placement = readPlacement(reader);
    reader.expectEnd();
    return placement;
  } catch (error) {
    if (error instanceof DecodeError) throw new PlacementDecodeError(error.message);
    throw error;
  }
}

function readPlacement(reader: BinaryReader): Placement {
  const version = reader.u8();
  if (version !== PLACEMENT_VERSION) throw reader.error(`unknown version ${version}`);
  const config = { slotCount: reader.u16(), vnodes: reader.u16(), replicas: reader.u8() };
  const configProblem = describeConfigProblem(config);
  if (configProblem !== undefined) throw reader.error(configProblem);
  const memberCount = reader.u8();
  const members: string[] = [];
  for (let index = 0; index < memberCount; index++) members.push(reader.u16String());
  const membersProblem = describeMembersProblem(members);
  if (membersProblem !== undefined) throw reader.error(membersProblem);
  for (let index = 1; index < members.length; index++) {
    if (compareIds(members[index - 1]!, members[index]!) >= 0) {
      throw reader.error(`members not sorted at index ${index}`);
    }
  }
  const replicaCount = Math.min(config.replicas, members.length);
  const slots: SlotPlacement[] = [];
  for (let slot = 0; slot < config.slotCount; slot++) {
    slots.push(readSlot(reader, members, replicaCount, slot));
  }
  return { ...config, members, slots };
}

function readSlot(
  reader: BinaryReader,
  members: readonly string[],
  replicaCount: number,
  slot: number,
): SlotPlacement {
  const replicas: string[] = [];
  while (replicas.length < replicaCount) {
    const id = readMember(reader, members, slot);
    if (replicas.includes(id)) throw reader.error(`slot ${slot} lists replica ${id} twice`);
    replicas.push(id);
  }
  const leader = readMember(reader, members, slot);
  if (!replicas.includes(leader)) throw reader.error(`slot ${slot} leader is not a replica`);
  return { replicas, leader };
}

function readMember(reader: BinaryReader, members: readonly string[], slot: number): string {
  const memberIndex = reader.u8();
  const id = members[memberIndex];
  if (id === undefined) {
    throw reader.error(`slot ${slot} names member ${memberIndex} of ${members.length}`);
  }
  return id;
}
