import { assert } from "../util/assert.ts";
import { type RaftConfig, validateRaftConfig } from "./config.ts";
import { campaign, leaderUnreachable, tickElection } from "./election.ts";
import { propose, proposeConfChange, refuse, tickLeader, transferLeadership } from "./leader.ts";
import { ConfHistory, validateConfState } from "./membership.ts";
import { RaftLog } from "./raft_log.ts";
import { requestRead } from "./read_index.ts";
import { broadcastAppend, broadcastHeartbeat, leaderPersisted } from "./replication.ts";
import { wake } from "./quiesce.ts";
import { isNotMember, NOT_MEMBER } from "./not_member.ts";
import { hardStateOf, noteLogWritten, type RaftState, resetElectionTimer, send } from "./state.ts";
import { step } from "./step.ts";
import type {
  ConfChange,
  HardState,
  Message,
  MessageType,
  NodeId,
  RaftResult,
  RaftStatus,
  RaftStorageView,
  Ready,
  Role,
  Snapshot,
} from "./types.ts";

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.votedFor === b.votedFor && a.commitIndex === b.commitIndex;
}

/**
 * Message types a host may send while a Ready's writes are still in flight, before the next
 * Ready (`takeHeartbeats`): a leader's heartbeats, which claim nothing about its disk (their
 * commit index is at most what each follower acknowledged). A leader whose fsync takes a second
 * must not go silent for that second. A follower's answers still wait for its own sync: sent
 * early, a leader would count appends waiting on that sync as lost and fall back to probing.
 */
const SENT_WHILE_WRITING: ReadonlySet<MessageType> = new Set<MessageType>(["heartbeat"]);

/**
 * Message types a host may send before the Ready's writes are durable (`Ready.messagesNow`):
 * none of them promises anything about the sender's disk. Votes and every acknowledgement
 * (append, heartbeat, snapshot responses) wait for the fsync.
 */
const SENT_BEFORE_PERSIST: ReadonlySet<MessageType> = new Set<MessageType>([
  "append",
  "heartbeat",
  "snapshot",
  "timeoutNow",
  "preVote",
  "readIndex",
  "readIndexResponse",
  "quiesce",
]);

/**
 * One Raft group member: a pure, deterministic state machine. Time arrives as `tick()`, input as
 * `step()` and proposals; output is collected with `ready()` / `advance()` (see `Ready`).
 */
export class RaftNode {
  #s: RaftState;

  /** Restores a node from what its host persisted. Throws an Error on invalid input. */
  constructor(config: RaftConfig, storage: RaftStorageView) {
    validateRaftConfig(config);
    validateConfState(storage.snapshot.confState);
    const log = new RaftLog(storage);
    const hardState = { ...storage.hardState, commitIndex: log.committedIndex };
    this.#s = {
      config,
      term: hardState.term,
      votedFor: hardState.votedFor,
      role: "follower",
      leaderId: null,
      log,
      confs: new ConfHistory(storage.snapshot.index, storage.snapshot.confState),
      progress: new Map(),
      votes: new Map(),
      electionElapsedTicks: 0,
      heartbeatElapsedTicks: 0,
      randomizedElectionTimeoutTicks: config.electionTimeoutTicks,
      leadTransferee: null,
      uncommittedBytes: 0,
      appendsPending: false,
      outbox: [],
      readStates: [],
      pendingReads: [],
      readsAwaitingCommit: [],
      readSeq: 0,
      unsentRoundSeq: 0,
      leaderTicks: 0,
      roundSentTicks: new Map(),
      leaseStartTick: -Infinity,
      leaseRevoked: false,
      quiet: false,
      unreachableLeader: null,
      idleTicks: 0,
      quiesceRoundsSent: 0,
      quietReadTicks: 0,
      incomingSnapshot: null,
      diskFull: false,
      bootLease: true,
      lastHardState: hardState,
      readyOutstanding: false,
    };
    noteLogWritten(this.#s, log.firstIndex());
    resetElectionTimer(this.#s);
  }

  /** Current role (cheap; see `status()` for everything). */
  get role(): Role {
    return this.#s.role;
  }

  /** Current term. */
  get term(): number {
    return this.#s.term;
  }

  /** Known leader of the current term, or null. */
  get leaderId(): NodeId | null {
    return this.#s.leaderId;
  }

  /**
   * True while the group is quiet here: ticks do nothing until a message or request wakes it. A
   * quiet leader whose read waits for its round is not: its next tick wakes it if the round was
   * lost (read_index.ts), so the host must go on ticking it.
   */
  get quiet(): boolean {
    return this.#s.quiet && this.#s.pendingReads.length === 0;
  }

  /** Highest index acknowledged as applied. */
  get appliedIndex(): number {
    return this.#s.log.appliedIndex;
  }

  /** Index of the latest snapshot (compaction point). */
  get snapshotIndex(): number {
    return this.#s.log.snapshot.index;
  }

  /** Highest committed index. */
  get commitIndex(): number {
    return this.#s.log.committedIndex;
  }

  /**
   * Index of the active membership's config entry when `id` is not in it and it is committed;
   * null otherwise (`id` is a member, or the change that removed it may still be undone). Cheap:
   * asked for every message of a leader's group.
   */
  committedRemovalOf(id: NodeId): number | null {
    const s = this.#s;
    const conf = s.confs.active();
    if (conf.voters.includes(id) || conf.learners.includes(id)) return null;
    const index = s.confs.activeIndex();
    return s.log.committedIndex >= index ? index : null;
  }

  /** Advances logical time by one tick. Idle followers do O(1) work. */
  tick(): void {
    if (this.#s.role === "leader") tickLeader(this.#s);
    else tickElection(this.#s);
  }

  /** Processes one message received from a peer. */
  step(message: Message): void {
    step(this.#s, message);
  }

  /** Starts an election now (PreVote first when enabled). */
  campaign(): void {
    if (this.#s.role === "leader") return;
    campaign(this.#s, this.#s.config.preVote ? "preVote" : "vote", false);
  }

  /** Leader: proposes a normal entry. */
  propose(data: Uint8Array): RaftResult {
    return propose(this.#s, data);
  }

  /** Leader: proposes one membership change (one pending change at a time). */
  proposeConfChange(change: ConfChange): RaftResult {
    return proposeConfChange(this.#s, change);
  }

  /** Starts a linearizable read; completion arrives in `Ready.readStates`. */
  readIndex(requestId: number): RaftResult {
    return requestRead(this.#s, requestId);
  }

  /**
   * Host input: whether this node's disk is full. While it is, proposals are refused
   * (`diskFull`); the node does not campaign unless it is the sole voter (so a leadership transfer
   * to it does nothing); as a follower it drops appends carrying entries and snapshot chunks
   * unanswered, so the leader neither counts on it nor floods it. It still votes, acknowledges
   * heartbeats and serves the ReadIndex protocol, none of which needs new log space. A leader
   * keeps leading until the host transfers leadership away.
   */
  setDiskFull(full: boolean): void {
    this.#s.diskFull = full;
  }

  /** True while the host reports this node's disk full. */
  get diskFull(): boolean {
    return this.#s.diskFull;
  }

  /** Leader: hands leadership to `to` (proposals are refused until it completes or times out). */
  transferLeadership(to: NodeId): RaftResult {
    return transferLeadership(this.#s, to);
  }

  /** Follower: the host saw the connection to `leaderId` close; campaign soon (see election.ts). */
  leaderUnreachable(leaderId: NodeId): void {
    leaderUnreachable(this.#s, leaderId);
  }

  /** Leader: the host could not reach `to`; fall back to probing. */
  reportUnreachable(to: NodeId): void {
    const pr = this.#s.progress.get(to);
    if (this.#s.role === "leader" && pr?.state === "replicate") pr.becomeProbe();
  }

  /**
   * Leader: the host connected to peer `id` (it may have restarted with an empty disk). Until the
   * peer answers, it is not reported caught up (`ProgressStatus.caughtUp`); a quiet leader wakes
   * and heartbeats it, so the answer can say it is no member any more (lost_state.ts). True when
   * the leader woke.
   */
  peerConnected(id: NodeId): boolean {
    const s = this.#s;
    const pr = s.progress.get(id);
    if (s.role !== "leader" || pr === undefined || id === s.config.id) return false;
    pr.answeredSinceConnect = false;
    if (!s.quiet) return false;
    wake(s);
    broadcastHeartbeat(s);
    return true;
  }

  /**
   * A node that is no member of its own membership (it started the group empty) tells `to` (the
   * members the host expects, e.g. the slot's placed replicas) so: a quiet leader among them wakes
   * and heartbeats it, and its answer says it is no member (lost_state.ts). Sent with term 0, so
   * no receiver adopts or acts on anything but the wake-up. Returns false (sending nothing) when
   * this node is a member.
   */
  announceNotMember(to: readonly NodeId[]): boolean {
    const s = this.#s;
    if (!isNotMember(s)) return false;
    for (const id of to) {
      if (id === s.config.id) continue;
      send(s, { type: "appendResponse", to: id, term: 0, reject: true, context: NOT_MEMBER });
    }
    return true;
  }

  /**
   * Records the host's snapshot image taken at applied index `index`, drops the entries it
   * covers and returns the snapshot (with term and membership) for the host to persist.
   */
  compact(index: number, data: Uint8Array): Snapshot {
    const s = this.#s;
    if (index > s.log.appliedIndex) {
      throw new Error(`Cannot compact: index ${index} exceeds applied index ${s.log.appliedIndex}`);
    }
    if (data.length > s.config.snapshotBytesMax) {
      throw new Error(
        `Cannot compact: snapshot of ${data.length} bytes exceeds maximum of ` +
          `${s.config.snapshotBytesMax}`,
      );
    }
    if (index <= s.log.snapshot.index) return s.log.snapshot;
    const conf = s.confs.at(index);
    s.log.compact(index, conf, data);
    s.confs.compactTo(index, conf);
    return s.log.snapshot;
  }

  /** True when `ready()` has something for the host. */
  hasReady(): boolean {
    const s = this.#s;
    if (s.readyOutstanding) return false;
    return s.appendsPending || s.outbox.length > 0 || s.readStates.length > 0 ||
      s.log.hasUnstable() ||
      s.log.hasPendingSnapshot() || s.log.hasCommittedToApply() ||
      !sameHardState(hardStateOf(s), s.lastHardState);
  }

  /** Takes the pending work; the host must follow the `Ready` contract, then call `advance`. */
  ready(): Ready {
    const s = this.#s;
    assert(!s.readyOutstanding, "ready() called twice without advance()");
    if (s.appendsPending) {
      s.appendsPending = false;
      if (s.role === "leader") broadcastAppend(s);
    }
    const hardState = hardStateOf(s);
    const changed = !sameHardState(hardState, s.lastHardState);
    const { entries, snapshot } = s.log.takeUnstable();
    const messagesNow: Message[] = [];
    const messages: Message[] = [];
    for (const m of s.outbox) (SENT_BEFORE_PERSIST.has(m.type) ? messagesNow : messages).push(m);
    const ready: Ready = {
      messagesNow,
      hardState: changed ? hardState : null,
      entries,
      snapshot,
      messages,
      committedEntries: s.log.takeCommitted(s.config.readyCommittedEntriesMax),
      readStates: s.readStates,
    };
    s.outbox = [];
    s.unsentRoundSeq = 0;
    s.readStates = [];
    s.lastHardState = hardState;
    s.readyOutstanding = true;
    return ready;
  }

  /**
   * Takes a leader's heartbeats queued since the last `ready()` (see
   * SENT_WHILE_WRITING), for the host to send while that Ready's writes are in flight.
   */
  takeHeartbeats(): Message[] {
    const s = this.#s;
    const taken: Message[] = [];
    const kept: Message[] = [];
    for (const m of s.outbox) (SENT_WHILE_WRITING.has(m.type) ? taken : kept).push(m);
    if (taken.length === 0) return taken;
    s.outbox = kept;
    // The heartbeat round has left: a new read must not count on joining it.
    s.unsentRoundSeq = 0;
    return taken;
  }

  /** Acknowledges that `ready` was persisted, sent and applied. */
  advance(ready: Ready): void {
    const s = this.#s;
    assert(s.readyOutstanding, "advance() without ready()");
    s.readyOutstanding = false;
    const applied = Math.max(ready.committedEntries.at(-1)?.index ?? 0, ready.snapshot?.index ?? 0);
    s.log.appliedTo(applied);
    const persisted = ready.entries.at(-1);
    if (s.role === "leader" && persisted !== undefined) {
      if (s.log.term(persisted.index) === persisted.term) leaderPersisted(s, persisted.index);
    }
  }

  /** A read-only view of the node. */
  status(): RaftStatus {
    const s = this.#s;
    const conf = s.confs.active();
    return {
      id: s.config.id,
      groupId: s.config.groupId,
      term: s.term,
      role: s.role,
      leaderId: s.leaderId,
      commitIndex: s.log.committedIndex,
      appliedIndex: s.log.appliedIndex,
      lastIndex: s.log.lastIndex(),
      snapshotIndex: s.log.snapshot.index,
      confState: { voters: conf.voters.slice(), learners: conf.learners.slice() },
      progress: [...s.progress.values()].map((pr) => pr.toStatus()),
      leadTransferee: s.leadTransferee,
    };
  }

  /** Term of the entry at `index` held in memory, or undefined (for checkers and tests). */
  termAt(index: number): number | undefined {
    return this.#s.log.term(index);
  }

  /** Refusal helper for hosts that route requests by leader. */
  notLeader(): RaftResult {
    return refuse(this.#s, "notLeader", "This node is not the leader");
  }
}
