/**
 * Readiness of a node for `/health` (pure): ready only while the node is a voter of the meta
 * group, sees a quorum of it, knows its leader, has applied what it knows committed (within
 * APPLY_LAG_ENTRIES_MAX), votes in every slot group the placement puts on it, leads or follows a
 * known leader in each of them (a slot group counts as leaderless only after LEADERLESS_GRACE_MS
 * without one: a leadership transfer must not flap a probe), and its disk is not full. Every
 * failed condition is one reason string.
 */

/** How long a slot group may be between leaders (a transfer, an election) and still count. */
export const LEADERLESS_GRACE_MS = 1_500;

/** Committed but unapplied entries still counted as caught up. */
export const APPLY_LAG_ENTRIES_MAX = 64;

/** One Raft group as readiness sees it. */
export interface ReadinessGroup {
  groupId: number;
  /** `meta` or `slot` (debug groups are left out by the caller). */
  purpose: "meta" | "slot";
  leaderId: string | null;
  commitIndex: number;
  appliedIndex: number;
  /** True when this node is a voter of the group (a learner is still catching up). */
  voter: boolean;
  /** Milliseconds since this node last knew a leader of the group (0 while it knows one). */
  leaderlessForMs?: number;
}

/** What readiness is judged from. */
export interface ReadinessInput {
  nodeId: string;
  /** The meta group first, then the slot groups this node hosts. */
  groups: readonly ReadinessGroup[];
  /** True when this node reaches a majority of the meta group's voters. */
  metaQuorumReachable: boolean;
  /** True while the connection to peer `id` is up. */
  isUp(id: string): boolean;
  diskFull: boolean;
  /** Slots the recorded placement lists this node as a replica of; null before any placement. */
  slotsPlacedHere: number | null;
}

/** The verdict: ready, or the reasons it is not. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/** Reasons listed at most (a node with 1,000 leaderless slot groups says so in one line). */
const REASONS_MAX = 8;

/** Judges readiness (see the module comment). */
export function judgeReadiness(input: ReadinessInput): Readiness {
  const reasons: string[] = [];
  const meta = input.groups.find((group) => group.purpose === "meta");
  if (meta === undefined) {
    return { ready: false, reasons: ["the meta group is not open yet"] };
  }
  if (!meta.voter) reasons.push(`not a voting member of the cluster (yet)`);
  if (!input.metaQuorumReachable) reasons.push("no quorum: this node cannot reach a majority");
  if (meta.leaderId === null) reasons.push("no known leader of the meta group");
  else if (meta.leaderId !== input.nodeId && !input.isUp(meta.leaderId)) {
    reasons.push(`meta leader ${meta.leaderId} is not connected`);
  }
  const metaLag = meta.commitIndex - meta.appliedIndex;
  if (metaLag > APPLY_LAG_ENTRIES_MAX) {
    reasons.push(`meta group applied ${meta.appliedIndex} of ${meta.commitIndex} committed`);
  }
  const slots = input.groups.filter((group) => group.purpose === "slot");
  const joined = slots.filter((group) => group.voter).length;
  if (input.slotsPlacedHere === null) reasons.push("no slot placement recorded yet");
  else if (joined < input.slotsPlacedHere) {
    reasons.push(`${input.slotsPlacedHere - joined} slot group(s) placed here not joined yet`);
  }
  const leaderless = slots.filter((group) =>
    group.voter && group.leaderId === null &&
    (group.leaderlessForMs ?? LEADERLESS_GRACE_MS) >= LEADERLESS_GRACE_MS
  );
  if (leaderless.length > 0) {
    reasons.push(`${leaderless.length} hosted slot group(s) without a known leader`);
  }
  const behind = slots.filter((group) =>
    group.voter && group.commitIndex - group.appliedIndex > APPLY_LAG_ENTRIES_MAX
  );
  if (behind.length > 0) reasons.push(`${behind.length} hosted slot group(s) not caught up`);
  if (input.diskFull) reasons.push("disk full: writes refused with NOSPACE, reads served");
  return { ready: reasons.length === 0, reasons: reasons.slice(0, REASONS_MAX) };
}
