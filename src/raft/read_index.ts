import { refuse } from "./leader.ts";
import { majorityValue } from "./quorum.ts";
import { wake } from "./quiesce.ts";
import { broadcastHeartbeat } from "./replication.ts";
import { type PendingRead, type RaftState, send } from "./state.ts";
import type { Message, NodeId, RaftResult } from "./types.ts";

/**
 * Lease safety margin in ticks. A lease read is served while
 * `leaderTicks < leaseStart + electionTimeoutTicks - LEASE_MARGIN_TICKS`; this assumes no
 * member's tick rate differs from the leader's by more than that margin over one election
 * timeout (see docs/raft.md).
 */
export const LEASE_MARGIN_TICKS = 2;

/**
 * Starts a linearizable read; the result arrives as a ReadState (or is dropped on step-down).
 *
 * A quiet leader (in `safe` read mode) confirms a read without waking: the round goes out as
 * quiesce notices, which a follower answers like any heartbeat (with the round's context) and
 * which keep it quiet, so no election timer restarts and the group goes on costing nothing. A
 * quorum answering such a round confirms leadership exactly as a heartbeat round does. If the
 * round is lost, the leader's ticks find the read still pending (`QUIET_READ_WAIT_TICKS`) and wake
 * the group (`tickLeader`): heartbeats resume and a later round confirms it. The host ticks a
 * quiet leader while it has reads pending (`RaftNode.quiet`). Before, every read woke the group,
 * so a steady read load (the cache's slot renewals) kept every idle group heartbeating.
 */
export function requestRead(s: RaftState, requestId: number): RaftResult {
  if (!Number.isSafeInteger(requestId) || requestId < 0) {
    throw new Error(`Cannot read: request id ${requestId} is not a non-negative safe integer`);
  }
  if (s.role === "leader") {
    // A quiet leader in safe mode stays quiet: its read's round goes out as quiesce notices. A
    // lease leader wakes (its lease must restart from a fresh round on a running clock).
    if (!s.quiet || s.config.readOnly !== "safe") wake(s);
    return leaderRead(s, s.config.id, requestId);
  }
  if (s.leaderId === null) return refuse(s, "notLeader", "Cannot read: no known leader");
  send(s, { type: "readIndex", to: s.leaderId, context: requestId });
  return { ok: true, index: 0 };
}

/** Leader: a follower forwarded a read. */
export function handleReadIndexRequest(s: RaftState, m: Message): void {
  leaderRead(s, m.from, m.context);
}

/**
 * Follower: a leader answered a forwarded read. The host matches `context` to its own read and
 * checks that `from` is the node it asked (see `ReadState.from`).
 */
export function handleReadIndexResponse(s: RaftState, m: Message): void {
  s.readStates.push({ requestId: m.context, index: m.index, from: m.from });
}

function leaderRead(s: RaftState, from: NodeId, requestId: number): RaftResult {
  const pending = s.pendingReads.length + s.readsAwaitingCommit.length;
  if (pending >= s.config.pendingReadsMax) {
    return refuse(
      s,
      "tooManyPendingReads",
      `Cannot read: ${pending} pending reads reach maximum of ${s.config.pendingReadsMax}`,
    );
  }
  const read: PendingRead = { requestId, from, index: 0, seq: 0 };
  if (s.log.term(s.log.committedIndex) !== s.term) {
    s.readsAwaitingCommit.push(read);
  } else {
    startRead(s, read);
  }
  return { ok: true, index: 0 };
}

/** True while the leader's lease (quorum-acknowledged heartbeat round) is valid. */
function leaseValid(s: RaftState): boolean {
  const leaseTicks = s.config.electionTimeoutTicks - LEASE_MARGIN_TICKS;
  return s.config.readOnly === "leaseBased" && !s.leaseRevoked &&
    s.leaderTicks < s.leaseStartTick + leaseTicks;
}

function startRead(s: RaftState, read: PendingRead): void {
  read.index = s.log.committedIndex;
  if (leaseValid(s)) {
    completeRead(s, read);
    return;
  }
  if (s.unsentRoundSeq !== 0 && s.unsentRoundSeq === s.readSeq) {
    // That round's heartbeats have not left yet, so they leave after this read arrived: a quorum
    // acknowledging them confirms this read too. Concurrent reads thus share one round.
    read.seq = s.readSeq;
    s.pendingReads.push(read);
    advanceReads(s);
    return;
  }
  read.seq = s.readSeq + 1;
  s.pendingReads.push(read);
  broadcastHeartbeat(s, s.quiet ? "quiesce" : "heartbeat");
}

function completeRead(s: RaftState, read: PendingRead): void {
  if (read.from === s.config.id) {
    s.readStates.push({ requestId: read.requestId, index: read.index, from: s.config.id });
  } else {
    send(s, {
      type: "readIndexResponse",
      to: read.from,
      index: read.index,
      context: read.requestId,
    });
  }
}

/** Leader: the term's first commit happened; start the reads that waited for it. */
export function releaseReadsAwaitingCommit(s: RaftState): void {
  if (s.readsAwaitingCommit.length === 0) return;
  if (s.log.term(s.log.committedIndex) !== s.term) return;
  const reads = s.readsAwaitingCommit;
  s.readsAwaitingCommit = [];
  for (const read of reads) startRead(s, read);
}

/**
 * Leader: finds the newest heartbeat round a quorum of voters acknowledged, extends the lease
 * to that round's send time and completes the reads it confirms.
 */
export function advanceReads(s: RaftState): void {
  const voters = s.confs.active().voters;
  const acked = majorityValue(
    voters,
    (id) => id === s.config.id ? s.readSeq : s.progress.get(id)?.readAckSeq ?? 0,
  );
  for (const [seq, sentTick] of s.roundSentTicks) {
    if (seq > acked) break;
    s.leaseStartTick = Math.max(s.leaseStartTick, sentTick);
    s.roundSentTicks.delete(seq);
  }
  let done = 0;
  while (done < s.pendingReads.length && s.pendingReads[done]!.seq <= acked) {
    completeRead(s, s.pendingReads[done]!);
    done++;
  }
  if (done > 0) s.pendingReads = s.pendingReads.slice(done);
}
