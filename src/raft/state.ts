import { newMessage } from "./new_message.ts";
import { assert } from "../util/assert.ts";
import type { RaftConfig } from "./config.ts";
import { decodeConfState } from "./entry_codec.ts";
import { ConfHistory, members } from "./membership.ts";
import { Progress } from "./progress.ts";
import type { RaftLog } from "./raft_log.ts";
import type { ConfState, HardState, Message, NodeId, ReadState, Role } from "./types.ts";

/** `Message.context` value marking a vote request from a leadership transfer. */
export const FORCE_ELECTION = 1;

/** A snapshot being reassembled from chunks on a follower. */
export interface IncomingSnapshot {
  /** Snapshot index. */
  index: number;
  /** Snapshot term. */
  term: number;
  /** Snapshot membership. */
  confState: ConfState;
  /** Chunks received so far, in order. */
  chunks: Uint8Array[];
  /** Sum of chunk sizes. */
  receivedBytes: number;
  /** Size of the whole image. */
  totalBytes: number;
}

/** A ReadIndex request waiting on the leader. */
export interface PendingRead {
  /** Caller's request id. */
  requestId: number;
  /** Node that asked (this node or a follower). */
  from: NodeId;
  /** Commit index captured when the read started (0 until then). */
  index: number;
  /** Heartbeat round that confirms leadership for this read (0 until started). */
  seq: number;
}

/** The whole mutable state of one Raft node; functions in this folder operate on it. */
export interface RaftState {
  /** Static configuration. */
  readonly config: RaftConfig;
  /** Current term. */
  term: number;
  /** Vote cast in `term`. */
  votedFor: NodeId | null;
  /** Current role. */
  role: Role;
  /** Known leader of `term`. */
  leaderId: NodeId | null;
  /** The log. */
  readonly log: RaftLog;
  /** Membership by log position. */
  readonly confs: ConfHistory;
  /** Leader only: progress of every member including self. */
  progress: Map<NodeId, Progress>;
  /** Candidate only: votes received. */
  votes: Map<NodeId, boolean>;
  /** Ticks since the last election reset (leader: since the last CheckQuorum round). */
  electionElapsedTicks: number;
  /** Leader: ticks since the last heartbeat. */
  heartbeatElapsedTicks: number;
  /** Election timeout for this round, in [T, 2T). */
  randomizedElectionTimeoutTicks: number;
  /** Leader: transfer target or null. */
  leadTransferee: NodeId | null;
  /** Leader: payload bytes of entries proposed in this term and not yet committed. */
  uncommittedBytes: number;
  /** Leader: entries were proposed since the last Ready; appends go out with the next one
   * (so proposals made between two Readies travel batched). */
  appendsPending: boolean;
  /** Messages to hand out in the next Ready. */
  outbox: Message[];
  /** Completed reads to hand out in the next Ready. */
  readStates: ReadState[];
  /** Leader: reads waiting for a heartbeat quorum, ordered by seq. */
  pendingReads: PendingRead[];
  /** Leader: reads waiting for the first commit of the term. */
  readsAwaitingCommit: PendingRead[];
  /** Last heartbeat round number (monotonic for the node's lifetime; carried in `context`). */
  readSeq: number;
  /** Leader: the heartbeat round whose messages are still in `outbox` (0: none). A read that
   * arrives before `ready()` hands them out joins that round: they leave after it arrived. */
  unsentRoundSeq: number;
  /** Leader: ticks since becoming leader (the lease clock). */
  leaderTicks: number;
  /** Leader: heartbeat round -> `leaderTicks` when it was sent (unacknowledged rounds only). */
  roundSentTicks: Map<number, number>;
  /** Leader: send time of the newest round a quorum acknowledged (lease start). */
  leaseStartTick: number;
  /** Leader: a transfer was started this term, so a forced election may come; no lease reads. */
  leaseRevoked: boolean;
  /** True from restart until one election timeout passed: a restarted node honours the lease
   * it may have promised before crashing (it refuses votes as if it had heard a leader). */
  bootLease: boolean;
  /** Leader: stopped heartbeating (idle group). Follower: the leader said so; no election timer. */
  quiet: boolean;
  /** The leader the host last reported down in this term: its quiesce notices count as plain
   * heartbeats (a notice sent before it went down must not silence us) until it sends another
   * message type or the term changes. */
  unreachableLeader: NodeId | null;
  /** Leader: consecutive ticks the group was idle and fully replicated. */
  idleTicks: number;
  /** Leader: quiesce notices sent since the group became idle enough to go quiet. */
  quiesceRoundsSent: number;
  /** Quiet leader: ticks a read has waited for its round of notices (read_index.ts). */
  quietReadTicks: number;
  /** Follower: snapshot being received. */
  incomingSnapshot: IncomingSnapshot | null;
  /** The host says this node's disk is full: no proposals, no campaigns, no new entries. */
  diskFull: boolean;
  /** Hard state as of the last Ready. */
  lastHardState: HardState;
  /** True between `ready()` and `advance()`. */
  readyOutstanding: boolean;
}

/** Fields a caller sets on an outgoing message; the rest default to zero/empty. */
export type OutgoingMessage = Partial<Message> & Pick<Message, "type" | "to">;

/** Queues a message stamped with this node's id, group and (by default) term. */
export function send(s: RaftState, message: OutgoingMessage): void {
  s.outbox.push(
    newMessage({ groupId: s.config.groupId, from: s.config.id, term: s.term, ...message }),
  );
}

/** The hard state to persist. */
export function hardStateOf(s: RaftState): HardState {
  return { term: s.term, votedFor: s.votedFor, commitIndex: s.log.committedIndex };
}

/** Restarts the election timer with a fresh randomized timeout. */
export function resetElectionTimer(s: RaftState): void {
  const base = s.config.electionTimeoutTicks;
  const jitter = Math.floor(s.config.random() * base);
  s.electionElapsedTicks = 0;
  s.randomizedElectionTimeoutTicks = base + Math.min(Math.max(jitter, 0), base - 1);
}

/**
 * True when this node may campaign: it is a voter in the active membership and, unless it is the
 * only voter, its disk can take writes (a leader that cannot append would only stall the group;
 * a sole voter has nobody to leave it to, and leading lets it serve reads).
 */
export function isPromotable(s: RaftState): boolean {
  const voters = s.confs.active().voters;
  if (!voters.includes(s.config.id)) return false;
  return !s.diskFull || voters.length === 1;
}

/** Clears per-term role state. Changing the term forgets the vote. */
export function resetForTerm(s: RaftState, term: number): void {
  if (term !== s.term) {
    assert(term > s.term, `term ${term} below current ${s.term}`);
    s.term = term;
    s.votedFor = null;
    s.unreachableLeader = null;
  }
  s.leaderId = null;
  s.votes = new Map();
  s.progress = new Map();
  s.leadTransferee = null;
  s.heartbeatElapsedTicks = 0;
  s.uncommittedBytes = 0;
  s.pendingReads = [];
  s.readsAwaitingCommit = [];
  s.leaderTicks = 0;
  s.roundSentTicks = new Map();
  s.unsentRoundSeq = 0;
  s.leaseStartTick = -Infinity;
  s.leaseRevoked = false;
  s.quiet = false;
  s.idleTicks = 0;
  s.quiesceRoundsSent = 0;
  s.quietReadTicks = 0;
  resetElectionTimer(s);
}

/** Becomes a follower of `leaderId` (or of nobody yet) in `term`. */
export function becomeFollower(s: RaftState, term: number, leaderId: NodeId | null): void {
  resetForTerm(s, term);
  s.role = "follower";
  s.leaderId = leaderId;
}

/** Leader: creates progress for new members and drops removed ones. */
export function syncProgress(s: RaftState): void {
  if (s.role !== "leader") return;
  const conf = s.confs.active();
  const all = members(conf);
  for (const id of s.progress.keys()) {
    if (!all.includes(id)) s.progress.delete(id);
  }
  for (const id of all) {
    const isLearner = !conf.voters.includes(id);
    const existing = s.progress.get(id);
    if (existing !== undefined) {
      // A promoted learner answered as a member before it caught up: a mark is not its own.
      if (existing.isLearner && !isLearner) existing.lostState = false;
      existing.isLearner = isLearner;
      continue;
    }
    const pr = new Progress(id, s.log.lastIndex() + 1, s.config.inflightAppendsMax, isLearner);
    pr.recentActive = true;
    pr.catchUpIndex = s.log.lastIndex();
    s.progress.set(id, pr);
  }
}

/** Records config entries written at or after `fromIndex` (they take effect when appended). */
export function noteLogWritten(s: RaftState, fromIndex: number): void {
  s.confs.truncateFrom(fromIndex);
  for (let i = fromIndex; i <= s.log.lastIndex(); i++) {
    const entry = s.log.entry(i);
    if (entry?.kind === "config") s.confs.push(i, decodeConfState(entry.data));
  }
  syncProgress(s);
}
