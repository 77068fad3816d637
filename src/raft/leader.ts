import { assert } from "../util/assert.ts";
import { encodeConfState } from "./entry_codec.ts";
import { applyConfChange } from "./membership.ts";
import { majorityValue, quorumSize } from "./quorum.ts";
import { releaseReadsAwaitingCommit } from "./read_index.ts";
import { heartbeatOrQuiesce, noteIdleTick, wake } from "./quiesce.ts";
import { broadcastAppend, broadcastHeartbeat } from "./replication.ts";
import { becomeFollower, type RaftState, resetForTerm, send, syncProgress } from "./state.ts";
import type { ConfChange, EntryKind, NodeId, RaftResult, RejectReason } from "./types.ts";

const EMPTY = new Uint8Array(0);

/** Builds a refusal carrying the known leader. */
export function refuse(s: RaftState, reason: RejectReason, message: string): RaftResult {
  return { ok: false, reason, message, leaderId: s.leaderId };
}

/** Becomes leader of the current term and appends the term's no-op entry. */
export function becomeLeader(s: RaftState): void {
  assert(s.role === "candidate", `becomeLeader from ${s.role}`);
  resetForTerm(s, s.term);
  s.role = "leader";
  s.leaderId = s.config.id;
  syncProgress(s);
  for (const pr of s.progress.values()) pr.nextIndex = s.log.lastIndex() + 1;
  const noopIndex = appendLocal(s, "noop", EMPTY);
  for (const pr of s.progress.values()) pr.catchUpIndex = noopIndex;
}

/** Appends one entry of this term on the leader and starts replicating it. */
function appendLocal(s: RaftState, kind: EntryKind, data: Uint8Array): number {
  const index = s.log.lastIndex() + 1;
  s.log.appendAsLeader({ index, term: s.term, kind, data });
  s.uncommittedBytes += data.length;
  // The leader's own copy counts once persisted (see leaderPersisted), not now.
  s.appendsPending = true;
  return index;
}

function checkCanPropose(s: RaftState, sizeBytes: number): RaftResult | null {
  if (s.role !== "leader") {
    return refuse(s, "notLeader", "Cannot propose: this node is not the leader");
  }
  wake(s);
  if (s.diskFull) return refuse(s, "diskFull", "Cannot propose: this node's disk is full");
  if (s.leadTransferee !== null) {
    return refuse(s, "transferInProgress", `Cannot propose: transferring to ${s.leadTransferee}`);
  }
  if (sizeBytes > s.config.entryBytesMax) {
    return refuse(
      s,
      "entryTooLarge",
      `Cannot propose: entry of ${sizeBytes} bytes exceeds maximum of ${s.config.entryBytesMax}`,
    );
  }
  const uncommitted = s.log.lastIndex() - s.log.committedIndex;
  if (uncommitted >= s.config.uncommittedEntriesMax) {
    return refuse(
      s,
      "tooManyUncommitted",
      `Cannot propose: ${uncommitted} uncommitted entries reach maximum of ` +
        `${s.config.uncommittedEntriesMax}`,
    );
  }
  if (s.uncommittedBytes + sizeBytes > s.config.uncommittedBytesMax) {
    return refuse(
      s,
      "tooManyUncommitted",
      `Cannot propose: ${s.uncommittedBytes + sizeBytes} uncommitted bytes exceed maximum of ` +
        `${s.config.uncommittedBytesMax}`,
    );
  }
  return null;
}

/** Leader: appends a normal entry. */
export function propose(s: RaftState, data: Uint8Array): RaftResult {
  const refusal = checkCanPropose(s, data.length);
  if (refusal !== null) return refusal;
  return { ok: true, index: appendLocal(s, "normal", data) };
}

/** Leader: appends a single-server membership change (effective once appended). */
export function proposeConfChange(s: RaftState, change: ConfChange): RaftResult {
  const refusal = checkCanPropose(s, 0);
  if (refusal !== null) return refusal;
  if (s.confs.activeIndex() > s.log.committedIndex) {
    return refuse(s, "confChangePending", "Cannot change membership: a change is pending");
  }
  if (s.log.term(s.log.committedIndex) !== s.term) {
    return refuse(
      s,
      "confChangePending",
      "Cannot change membership: leader has not committed an entry in its term yet",
    );
  }
  const active = s.confs.active();
  const next = applyConfChange(active, change);
  if (typeof next === "string") return refuse(s, "invalidConfChange", next);
  const pr = s.progress.get(change.nodeId);
  if (change.type === "addVoter" && pr !== undefined && pr.isLearner) {
    if (pr.matchIndex < s.log.committedIndex) {
      return refuse(
        s,
        "learnerNotCaughtUp",
        `Cannot promote ${change.nodeId}: match ${pr.matchIndex} is behind commit ` +
          `${s.log.committedIndex}`,
      );
    }
  }
  const data = encodeConfState(next);
  const index = s.log.lastIndex() + 1;
  s.confs.push(index, next);
  const result = appendLocalConfig(s, data, index);
  return { ok: true, index: result };
}

function appendLocalConfig(s: RaftState, data: Uint8Array, index: number): number {
  s.log.appendAsLeader({ index, term: s.term, kind: "config", data });
  syncProgress(s);
  s.appendsPending = true;
  return index;
}

/** Leader: advances the commit index to what a quorum of voters stores (current term only). */
export function maybeCommit(s: RaftState): boolean {
  const voters = s.confs.active().voters;
  const index = majorityValue(voters, (id: NodeId) => s.progress.get(id)?.matchIndex ?? 0);
  const before = s.log.committedIndex;
  if (index <= before || s.log.term(index) !== s.term) return false;
  s.log.commitTo(index);
  s.uncommittedBytes = Math.max(0, s.uncommittedBytes - s.log.bytesBetween(before, index));
  releaseReadsAwaitingCommit(s);
  const removed = !voters.includes(s.config.id);
  if (removed && index >= s.confs.activeIndex()) {
    becomeFollower(s, s.term, null);
  }
  return true;
}

/**
 * Ticks a quiet leader's read may wait for its round of notices before the group wakes: the
 * round was sent when the read came, so it waited between one and two ticks (an answer takes far
 * less than a tick unless a notice was lost).
 */
export const QUIET_READ_WAIT_TICKS = 2;

/**
 * Leader tick: heartbeats (or quiesce notices), CheckQuorum and transfer timeout. Quiet: nothing,
 * unless a read is still waiting for its round after QUIET_READ_WAIT_TICKS (a notice lost): then
 * the group wakes and heartbeats again until a round confirms it (read_index.ts).
 */
export function tickLeader(s: RaftState): void {
  if (s.quiet) {
    if (s.pendingReads.length === 0) {
      s.quietReadTicks = 0;
      return;
    }
    if (++s.quietReadTicks < QUIET_READ_WAIT_TICKS) return;
    s.quietReadTicks = 0;
    wake(s);
    broadcastHeartbeat(s);
    return;
  }
  s.heartbeatElapsedTicks++;
  s.electionElapsedTicks++;
  s.leaderTicks++;
  if (s.electionElapsedTicks >= s.config.electionTimeoutTicks) {
    s.electionElapsedTicks = 0;
    if (s.config.checkQuorum && !quorumActive(s)) {
      becomeFollower(s, s.term, null);
      return;
    }
    for (const pr of s.progress.values()) pr.recentActive = pr.id === s.config.id;
    s.leadTransferee = null;
  }
  noteIdleTick(s);
  if (s.heartbeatElapsedTicks >= s.config.heartbeatTimeoutTicks) {
    s.heartbeatElapsedTicks = 0;
    heartbeatOrQuiesce(s);
  }
}

function quorumActive(s: RaftState): boolean {
  const voters = s.confs.active().voters;
  let active = 0;
  for (const id of voters) {
    if (id === s.config.id || s.progress.get(id)?.recentActive === true) active++;
  }
  return active >= quorumSize(voters.length);
}

/** Leader: starts handing leadership to `to`. */
export function transferLeadership(s: RaftState, to: NodeId): RaftResult {
  if (s.role !== "leader") return refuse(s, "notLeader", "Cannot transfer: not the leader");
  wake(s);
  if (to === s.config.id) return { ok: true, index: s.log.lastIndex() };
  if (!s.confs.active().voters.includes(to)) {
    return refuse(s, "notVoter", `Cannot transfer to ${to}: not a voter`);
  }
  s.leadTransferee = to;
  s.leaseRevoked = true;
  s.electionElapsedTicks = 0;
  const pr = s.progress.get(to);
  assert(pr !== undefined, `no progress for voter ${to}`);
  if (pr.matchIndex === s.log.lastIndex()) send(s, { type: "timeoutNow", to });
  else broadcastAppend(s);
  return { ok: true, index: s.log.lastIndex() };
}
