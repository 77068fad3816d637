import type { Placement, SlotPlacement } from "./placement.ts";

/** A slot group's membership and leader as the node sees them now. */
export interface GroupState {
  /** Voting members. */
  readonly voters: readonly string[];
  /** Non-voting members (catching up), disjoint from `voters`. */
  readonly learners: readonly string[];
  /** The current leader (a voter), or null when unknown: then no step is planned. */
  readonly leader: string | null;
  /**
   * Voters that lost their state (the leader's `ProgressStatus.lostState`): they hold no vote
   * and maybe not the log until removed and added back as learners. Absent: none.
   */
  readonly lost?: readonly string[];
}

/** One change to one slot group: a single-server membership change or a leadership transfer. */
export interface PlacementStep {
  /** The slot (Raft group) to change. */
  readonly slot: number;
  /**
   * `addLearner`: start replicating to `nodeId`; `addVoter`: promote the learner `nodeId` once
   * it has caught up; `removeNode`: remove `nodeId`; `transferLeader`: hand leadership to the
   * voter `nodeId`. The first three are the Raft core's ConfChange types.
   */
  readonly type: "addLearner" | "addVoter" | "removeNode" | "transferLeader";
  /** The member added, promoted, removed or made leader. */
  readonly nodeId: string;
}

/**
 * The next step that moves one group towards `target`, or null when there is none (settled, or
 * leader unknown). With t = target.replicas.length the order is:
 * 0. remove a voter that lost its state (never the leader): step 3 adds it back as a learner;
 * 1. remove a learner that is not a target replica;
 * 2. with more than t voters, remove a voter that is not a target replica, never the leader
 *    (if the leader is the only such voter, transfer leadership first, to the preferred leader
 *    or else the first target replica that votes);
 * 3. with at most t voters and a target replica not voting: promote it if it is a learner,
 *    else add it as a learner (one learner at a time);
 * 4. once the voters are exactly the target replicas and no learner is left, transfer
 *    leadership to the preferred leader if another member leads.
 * So voters never exceed max(t + 1, current), never drop below min(t, current) but to remove a
 * voter that lost its state, and the leader is never removed.
 */
export function nextGroupStep(
  group: GroupState,
  target: SlotPlacement,
): Omit<PlacementStep, "slot"> | null {
  const leader = group.leader;
  if (leader === null || !group.voters.includes(leader)) return null;
  const lost = group.lost?.find((id) => id !== leader && group.voters.includes(id));
  if (lost !== undefined) return { type: "removeNode", nodeId: lost };
  const wanted = new Set(target.replicas);
  const staleLearner = group.learners.find((id) => !wanted.has(id));
  if (staleLearner !== undefined) return { type: "removeNode", nodeId: staleLearner };
  const extraVoters = group.voters.filter((id) => !wanted.has(id));
  if (group.voters.length > target.replicas.length && extraVoters.length > 0) {
    const victim = extraVoters.find((id) => id !== leader);
    if (victim !== undefined) return { type: "removeNode", nodeId: victim };
    return { type: "transferLeader", nodeId: transferTarget(group, target) };
  }
  const missing = target.replicas.filter((id) => !group.voters.includes(id));
  if (missing.length > 0) {
    const learner = missing.find((id) => group.learners.includes(id));
    if (learner !== undefined) return { type: "addVoter", nodeId: learner };
    return { type: "addLearner", nodeId: missing[0]! };
  }
  if (leader !== target.leader) return { type: "transferLeader", nodeId: target.leader };
  return null;
}

/** The preferred leader if it votes, else the first target replica that votes. */
function transferTarget(group: GroupState, target: SlotPlacement): string {
  if (group.voters.includes(target.leader)) return target.leader;
  // Only reached with more voters than target replicas, all but the leader wanted: one votes.
  return target.replicas.find((id) => group.voters.includes(id))!;
}

/**
 * The next step of each group that has one, in slot order, at most `stepsMax` of them (the rest
 * wait for a later call). `groups[slot]` is slot `slot`'s group. The host runs each step, waits
 * until it took effect (config entry applied, learner caught up before `addVoter`, transfer
 * done), and asks again: one change at a time per group.
 */
export function planPlacementSteps(
  groups: readonly GroupState[],
  target: Placement,
  stepsMax: number,
): PlacementStep[] {
  if (groups.length !== target.slotCount) {
    throw new RangeError(
      `Cannot plan placement: ${groups.length} groups for ${target.slotCount} slots`,
    );
  }
  if (!Number.isInteger(stepsMax) || stepsMax < 0) {
    throw new RangeError(`Cannot plan placement: stepsMax ${stepsMax} is not a count`);
  }
  const steps: PlacementStep[] = [];
  for (let slot = 0; slot < groups.length && steps.length < stepsMax; slot++) {
    const step = nextGroupStep(groups[slot]!, target.slots[slot]!);
    if (step !== null) steps.push({ slot, ...step });
  }
  return steps;
}
