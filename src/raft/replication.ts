import type { Progress } from "./progress.ts";
import { advanceReads } from "./read_index.ts";
import { sendSnapshotChunk, startSnapshot } from "./snapshot_transfer.ts";
import { type RaftState, send } from "./state.ts";
import type { Message } from "./types.ts";
import { maybeCommit } from "./leader.ts";

/**
 * Leader: sends the next append to `pr` if flow control allows. In probe state one append (maybe
 * empty) is in flight at a time; in replicate state up to `inflightAppendsMax`. Returns true when
 * entries were sent (the caller may loop to fill the window).
 */
export function sendAppend(s: RaftState, pr: Progress, allowEmpty: boolean): boolean {
  if (pr.id === s.config.id || pr.isPaused()) return false;
  const prevIndex = pr.nextIndex - 1;
  const prevTerm = s.log.term(prevIndex);
  if (prevTerm === undefined) {
    startSnapshot(s, pr);
    return false;
  }
  const entries = pr.nextIndex <= s.log.lastIndex()
    ? s.log.slice(pr.nextIndex, s.config.appendEntriesMax, s.config.appendBytesMax)
    : [];
  if (entries.length === 0 && pr.state === "replicate" && !allowEmpty) return false;
  send(s, {
    type: "append",
    to: pr.id,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commitIndex: s.log.committedIndex,
  });
  const last = entries.at(-1);
  if (pr.state === "probe") {
    pr.probeSent = true;
    return false;
  }
  if (last === undefined) return false;
  pr.nextIndex = last.index + 1;
  pr.inflights.add(last.index);
  return true;
}

/** Leader: sends whatever each peer can take now. */
export function broadcastAppend(s: RaftState): void {
  for (const pr of s.progress.values()) fillPipeline(s, pr);
}

/** Sends appends until the window is full or nothing is left (bounded by the window). */
function fillPipeline(s: RaftState, pr: Progress): void {
  for (let i = 0; i <= s.config.inflightAppendsMax; i++) {
    if (!sendAppend(s, pr, false)) return;
  }
}

/**
 * Leader: its own log is durable up to `index` (the host persisted a Ready): count its copy
 * towards the commit quorum, and tell followers at once if that commits something.
 */
export function leaderPersisted(s: RaftState, index: number): void {
  const self = s.progress.get(s.config.id);
  if (self === undefined || !self.maybeUpdate(index)) return;
  if (maybeCommit(s) && s.role === "leader") broadcastCommit(s);
}

/**
 * Leader, right after its commit index advanced: tells every other peer at once (new entries if
 * it can take them, else an empty append carrying the commit index), so followers apply and
 * answer their parked clients now rather than at the next heartbeat (as etcd-raft does). Costs
 * one small append and its answer per follower per commit when idle; under load the commit rides
 * on appends that carry entries anyway.
 */
function broadcastCommit(s: RaftState): void {
  for (const pr of s.progress.values()) {
    if (!sendAppend(s, pr, false)) sendAppend(s, pr, true);
  }
}

/** Heartbeat rounds remembered for the lease; older unacknowledged rounds are forgotten. */
export const ROUNDS_TRACKED_MAX = 1024;

/** Leader: starts a heartbeat round (numbered in `context`) to every peer; `quiesce` notices too. */
export function broadcastHeartbeat(
  s: RaftState,
  type: "heartbeat" | "quiesce" = "heartbeat",
): void {
  s.readSeq++;
  const context = s.readSeq;
  s.roundSentTicks.set(context, s.leaderTicks);
  if (s.roundSentTicks.size > ROUNDS_TRACKED_MAX) {
    s.roundSentTicks.delete(s.roundSentTicks.keys().next().value!);
  }
  // Reads arriving before this round leaves share it (a quiet leader's reads go out as notices).
  s.unsentRoundSeq = context;
  for (const pr of s.progress.values()) {
    if (pr.id === s.config.id) continue;
    send(s, {
      type,
      to: pr.id,
      commitIndex: Math.min(pr.matchIndex, s.log.committedIndex),
      context,
    });
  }
  advanceReads(s);
}

/** Leader: processes a follower's append acknowledgement or rejection. */
export function handleAppendResponse(s: RaftState, pr: Progress, m: Message): void {
  pr.recentActive = true;
  if (m.reject) {
    const probeIndex = m.logTerm > 0
      ? s.log.findConflictByTerm(m.rejectHint, m.logTerm)
      : m.rejectHint;
    if (pr.maybeDecrTo(m.index, probeIndex)) {
      if (pr.state === "replicate") pr.becomeProbe();
      sendAppend(s, pr, false);
    }
    return;
  }
  const advanced = pr.maybeUpdate(m.index);
  if (pr.state === "replicate") pr.inflights.freeTo(m.index);
  if (pr.state === "probe" && pr.matchIndex === m.index) pr.becomeReplicate();
  if (pr.state === "snapshot" && pr.matchIndex + 1 >= s.log.firstIndex()) pr.becomeProbe();
  if (advanced && maybeCommit(s)) {
    if (s.role !== "leader") return;
    broadcastCommit(s);
  }
  if (s.leadTransferee === pr.id && pr.matchIndex === s.log.lastIndex()) {
    send(s, { type: "timeoutNow", to: pr.id });
  }
  fillPipeline(s, pr);
}

/** Heartbeat answers without progress after which a replicating peer is probed again. */
export const STALL_HEARTBEATS = 3;

/** Leader: a heartbeat answer shows the peer is alive; resume probing or snapshot sending. */
export function handleHeartbeatResponse(s: RaftState, pr: Progress, m: Message): void {
  pr.recentActive = true;
  pr.probeSent = false;
  const behind = pr.matchIndex < s.log.lastIndex();
  if (pr.state === "snapshot") {
    sendSnapshotChunk(s, pr);
  } else if (pr.state === "probe") {
    if (behind) sendAppend(s, pr, true);
  } else if (behind) {
    // An append may have been lost: after a few silent rounds, fall back to probing. Only an
    // append already sent can be lost: a leader whose own log sync is slow sends heartbeats
    // before it sends its newest entries, and those rounds say nothing about lost appends.
    if (pr.matchIndex < pr.nextIndex - 1) pr.heartbeatsSinceAck++;
    if (pr.heartbeatsSinceAck >= STALL_HEARTBEATS) {
      pr.heartbeatsSinceAck = 0;
      pr.becomeProbe();
      sendAppend(s, pr, true);
    } else {
      fillPipeline(s, pr);
    }
  }
  if (m.context > pr.readAckSeq && m.context <= s.readSeq) {
    pr.readAckSeq = m.context;
    advanceReads(s);
  }
}
