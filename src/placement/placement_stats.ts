import { placedReplicaCount, type Placement } from "./placement.ts";

/** How evenly a placement spreads replicas and preferred leaders over its members. */
export interface PlacementBalance {
  /** Slots each member replicates, by member id (every member listed). */
  replicaSlotsByMember: Map<string, number>;
  /** Largest replica slot count of one member. */
  replicaSlotsMax: number;
  /** Smallest replica slot count of one member. */
  replicaSlotsMin: number;
  /** Mean replica slots per member: slotCount × placed replicas / members. */
  replicaSlotsMean: number;
  /** replicaSlotsMax / replicaSlotsMean (1 is perfect). */
  replicaMaxOverMean: number;
  /** Preferred leaderships each member holds, by member id (every member listed). */
  leaderSlotsByMember: Map<string, number>;
  /** Largest preferred-leader count of one member. */
  leaderSlotsMax: number;
  /** Smallest preferred-leader count of one member. */
  leaderSlotsMin: number;
}

/** Counts replicas and preferred leaders per member. */
export function placementBalance(placement: Placement): PlacementBalance {
  const replicaSlotsByMember = new Map(placement.members.map((id) => [id, 0]));
  const leaderSlotsByMember = new Map(placement.members.map((id) => [id, 0]));
  for (const slot of placement.slots) {
    for (const id of slot.replicas) replicaSlotsByMember.set(id, replicaSlotsByMember.get(id)! + 1);
    leaderSlotsByMember.set(slot.leader, leaderSlotsByMember.get(slot.leader)! + 1);
  }
  const replicaCounts = [...replicaSlotsByMember.values()];
  const leaderCounts = [...leaderSlotsByMember.values()];
  const replicaSlotsMean = placement.slotCount * placedReplicaCount(placement) /
    placement.members.length;
  const replicaSlotsMax = Math.max(...replicaCounts);
  return {
    replicaSlotsByMember,
    replicaSlotsMax,
    replicaSlotsMin: Math.min(...replicaCounts),
    replicaSlotsMean,
    replicaMaxOverMean: replicaSlotsMax / replicaSlotsMean,
    leaderSlotsByMember,
    leaderSlotsMax: Math.max(...leaderCounts),
    leaderSlotsMin: Math.min(...leaderCounts),
  };
}

/** What changes between two placements of the same slots. */
export interface PlacementMovement {
  /** Slots whose replica set differs (each needs membership changes). */
  slotsChanged: number;
  /** slotsChanged / slotCount. */
  slotsChangedFraction: number;
  /** Replica assignments (slot, member) in `to` that are not in `from`: new copies to make. */
  replicasMoved: number;
  /** replicasMoved / (slotCount × the larger placed replica count of the two). */
  replicasMovedFraction: number;
  /** Slots whose preferred leader differs (each needs a leadership transfer). */
  leadersChanged: number;
}

/** Compares two placements with the same slot count. */
export function placementMovement(from: Placement, to: Placement): PlacementMovement {
  if (from.slotCount !== to.slotCount) {
    throw new RangeError(
      `Cannot compare placements: slot counts ${from.slotCount} and ${to.slotCount} differ`,
    );
  }
  let slotsChanged = 0;
  let replicasMoved = 0;
  let leadersChanged = 0;
  to.slots.forEach((slot, index) => {
    const before = new Set(from.slots[index]!.replicas);
    const added = slot.replicas.filter((id) => !before.has(id)).length;
    replicasMoved += added;
    if (added > 0 || before.size !== slot.replicas.length) slotsChanged++;
    if (slot.leader !== from.slots[index]!.leader) leadersChanged++;
  });
  const replicaCount = Math.max(placedReplicaCount(from), placedReplicaCount(to));
  return {
    slotsChanged,
    slotsChangedFraction: slotsChanged / to.slotCount,
    replicasMoved,
    replicasMovedFraction: replicasMoved / (to.slotCount * replicaCount),
    leadersChanged,
  };
}
