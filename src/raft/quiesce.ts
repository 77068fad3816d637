import { broadcastHeartbeat } from "./replication.ts";
import type { RaftState } from "./state.ts";

/**
 * Quiet groups. A leader whose group was idle for `quiesceAfterTicks` ticks (nothing proposed,
 * read, transferred or reconfigured, every member storing and knowing the whole committed log)
 * sends `QUIESCE_NOTICE_ROUNDS` heartbeats of type `quiesce`, one per heartbeat interval, and then
 * stops heartbeating and skips CheckQuorum. A follower that receives a notice stops its election
 * timer until the leader speaks again or the host reports the leader's node down
 * (`leaderUnreachable`). Any proposal, read, transfer, membership change or message from a peer
 * (other than a heartbeat answer) wakes the leader; waking ends its lease, so the next lease read
 * needs a fresh quorum round.
 */
export const QUIESCE_NOTICE_ROUNDS = 3;

/** Leader: nothing in flight and every member (itself included) stores the committed log. */
function fullyReplicated(s: RaftState): boolean {
  const last = s.log.lastIndex();
  if (s.log.committedIndex !== last || s.appendsPending || s.leadTransferee !== null) return false;
  if (s.pendingReads.length > 0 || s.readsAwaitingCommit.length > 0) return false;
  for (const pr of s.progress.values()) {
    if (pr.matchIndex !== last) return false;
  }
  return true;
}

/** Leader tick: counts idle ticks (restarting the count while anything is in flight). */
export function noteIdleTick(s: RaftState): void {
  if (s.config.quiesceAfterTicks === 0) return;
  if (fullyReplicated(s)) {
    s.idleTicks++;
  } else {
    s.idleTicks = 0;
    s.quiesceRoundsSent = 0;
  }
}

/** Leader, when a heartbeat is due: a quiesce notice instead when idle long enough. */
export function heartbeatOrQuiesce(s: RaftState): void {
  if (s.config.quiesceAfterTicks === 0 || s.idleTicks < s.config.quiesceAfterTicks) {
    broadcastHeartbeat(s);
    return;
  }
  broadcastHeartbeat(s, "quiesce");
  s.quiesceRoundsSent++;
  if (s.quiesceRoundsSent >= QUIESCE_NOTICE_ROUNDS) s.quiet = true;
}

/**
 * Restarts the idle count; a quiet leader resumes heartbeating with a fresh CheckQuorum round
 * and no lease. Returns true when the node was quiet.
 */
export function wake(s: RaftState): boolean {
  s.idleTicks = 0;
  s.quiesceRoundsSent = 0;
  if (!s.quiet) return false;
  s.quiet = false;
  if (s.role === "leader") {
    s.electionElapsedTicks = 0;
    s.heartbeatElapsedTicks = 0;
    for (const pr of s.progress.values()) pr.recentActive = true;
    // Ticks may not have advanced while quiet: no lease from rounds sent before.
    s.leaseStartTick = -Infinity;
    s.roundSentTicks.clear();
  }
  return true;
}
