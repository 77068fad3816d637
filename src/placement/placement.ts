import { spreadLeaders } from "./leaders.ts";
import {
  MEMBER_ID_CHARS_MAX,
  REPLICAS_MAX,
  RING_MEMBERS_MAX,
  SLOT_COUNT_MAX,
  VNODES_MAX,
} from "./limits.ts";
import { HashRing } from "./ring.ts";

/** The parameters fixed when the cluster is created (`--slots`, `--vnodes`, `--replicas`). */
export interface PlacementConfig {
  /** Number of slots, 1..SLOT_COUNT_MAX. */
  slotCount: number;
  /** Virtual nodes per member, 1..VNODES_MAX. */
  vnodes: number;
  /** Replicas wanted per slot, 1..REPLICAS_MAX (at most the member count are placed). */
  replicas: number;
}

/** Where one slot lives. */
export interface SlotPlacement {
  /** Member ids in ring order (the first is the primary); min(replicas, members) distinct ids. */
  readonly replicas: readonly string[];
  /** The preferred leader, one of `replicas`. */
  readonly leader: string;
}

/** Every slot's replicas and preferred leader, as kept in the meta group's replicated state. */
export interface Placement extends Readonly<PlacementConfig> {
  /** Member ids on the ring, sorted ascending (UTF-16 code unit order), distinct. */
  readonly members: readonly string[];
  /** `slots[slot]` for 0 ≤ slot < slotCount. */
  readonly slots: readonly SlotPlacement[];
}

/** Why `config` is not a valid placement config, or undefined. */
export function describeConfigProblem(config: PlacementConfig): string | undefined {
  const ranges: [keyof PlacementConfig, number][] = [
    ["slotCount", SLOT_COUNT_MAX],
    ["vnodes", VNODES_MAX],
    ["replicas", REPLICAS_MAX],
  ];
  for (const [field, max] of ranges) {
    const value = config[field];
    if (!Number.isInteger(value) || value < 1 || value > max) {
      return `${field} ${value} is not an integer in 1..${max}`;
    }
  }
  return undefined;
}

/** Why the member id list is not valid for a ring (order aside), or undefined. */
export function describeMembersProblem(members: readonly string[]): string | undefined {
  if (members.length === 0) return "no members";
  if (members.length > RING_MEMBERS_MAX) {
    return `${members.length} members exceed maximum of ${RING_MEMBERS_MAX}`;
  }
  const seen = new Set<string>();
  for (const id of members) {
    if (id.length === 0 || id.length > MEMBER_ID_CHARS_MAX) {
      return `member id length ${id.length} not in 1..${MEMBER_ID_CHARS_MAX}`;
    }
    if (seen.has(id)) return `member ${JSON.stringify(id)} listed twice`;
    seen.add(id);
  }
  return undefined;
}

/** Compares ids by UTF-16 code units, the order members are kept in. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The placement of `config.slotCount` slots over `members` (in any order): each slot's replicas
 * are the first min(replicas, members) distinct members clockwise from its ring position, and
 * its preferred leader comes from spreadLeaders(), which keeps each slot's leader in `previous`
 * (the placement being replaced, if any) where it is still a replica and the spread allows.
 * A pure function of the member set (not its order), the config and `previous`. Throws
 * RangeError for an invalid config or member list.
 */
export function computePlacement(
  members: readonly string[],
  config: PlacementConfig,
  previous?: Placement,
): Placement {
  const problem = describeConfigProblem(config) ?? describeMembersProblem(members);
  if (problem !== undefined) throw new RangeError(`Cannot compute placement: ${problem}`);
  const sorted = [...members].sort(compareIds);
  const ring = new HashRing(sorted, config.vnodes);
  const memberIndex = new Map(sorted.map((id, index) => [id, index]));
  const replicaIds: string[][] = [];
  for (let slot = 0; slot < config.slotCount; slot++) {
    replicaIds.push(ring.replicasOfSlot(slot, config.replicas));
  }
  const previousLeaders = previous?.slots.map((slot) => memberIndex.get(slot.leader)) ?? [];
  const leaders = spreadLeaders(
    replicaIds.map((ids) => ids.map((id) => memberIndex.get(id)!)),
    sorted.length,
    previousLeaders.slice(0, config.slotCount),
  );
  return {
    slotCount: config.slotCount,
    vnodes: config.vnodes,
    replicas: config.replicas,
    members: sorted,
    slots: replicaIds.map((replicas, slot) => ({ replicas, leader: sorted[leaders[slot]!]! })),
  };
}

/** Replicas each slot actually has: min(configured replicas, member count). */
export function placedReplicaCount(placement: Placement): number {
  return Math.min(placement.replicas, placement.members.length);
}

/** True when `a` and `b` describe the same placement, field by field. */
export function placementsEqual(a: Placement, b: Placement): boolean {
  if (a.slotCount !== b.slotCount || a.vnodes !== b.vnodes || a.replicas !== b.replicas) {
    return false;
  }
  if (!sameList(a.members, b.members) || a.slots.length !== b.slots.length) return false;
  return a.slots.every((slot, index) => {
    const other = b.slots[index]!;
    return slot.leader === other.leader && sameList(slot.replicas, other.replicas);
  });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
