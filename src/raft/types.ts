/** Identifier of one Raft member (unique within a cluster). */
export type NodeId = string;

/** What an entry carries: client data, a membership change, or a leader's term-start no-op. */
export type EntryKind = "normal" | "config" | "noop";

/** One log entry. `index` >= 1 and `term` >= 1; `data` is opaque to the core except for config. */
export interface Entry {
  /** Position in the log, starting at 1. */
  index: number;
  /** Term of the leader that created the entry. */
  term: number;
  /** Entry kind; `config` entries carry an encoded `ConfState` (see `encodeConfState`). */
  kind: EntryKind;
  /** Opaque payload bytes. */
  data: Uint8Array;
}

/** State that must be durable before any message of the same Ready is sent. */
export interface HardState {
  /** Latest term this node has seen. */
  term: number;
  /** Candidate voted for in `term`, or null. */
  votedFor: NodeId | null;
  /** Highest log index known to be committed. */
  commitIndex: number;
}

/** A membership configuration: voters decide elections and commits, learners only replicate. */
export interface ConfState {
  /** Voting members (never empty for a live cluster). */
  voters: NodeId[];
  /** Non-voting members that receive the log. Disjoint from `voters`. */
  learners: NodeId[];
}

/** One single-server membership change. */
export interface ConfChange {
  /** `addVoter` also promotes an existing learner. */
  type: "addVoter" | "addLearner" | "removeNode";
  /** The member being changed. */
  nodeId: NodeId;
}

/** A state machine snapshot plus the log position and membership it covers. */
export interface Snapshot {
  /** Last log index included in the snapshot (0 for the bootstrap snapshot). */
  index: number;
  /** Term of the entry at `index` (0 for the bootstrap snapshot). */
  term: number;
  /** Membership as of `index`. */
  confState: ConfState;
  /** Opaque state machine image. */
  data: Uint8Array;
}

/** One bounded piece of a snapshot in flight from leader to follower. */
export interface SnapshotChunk {
  /** Snapshot index. */
  index: number;
  /** Snapshot term. */
  term: number;
  /** Snapshot membership. */
  confState: ConfState;
  /** Byte offset of `data` within the whole snapshot image. */
  offsetBytes: number;
  /** Size of the whole snapshot image in bytes. */
  totalBytes: number;
  /** This chunk's bytes (at most `snapshotChunkBytes`). */
  data: Uint8Array;
}

/** Every Raft message type. */
export type MessageType =
  | "preVote"
  | "preVoteResponse"
  | "vote"
  | "voteResponse"
  | "append"
  | "appendResponse"
  | "heartbeat"
  | "heartbeatResponse"
  | "snapshot"
  | "snapshotResponse"
  | "timeoutNow"
  | "readIndex"
  | "readIndexResponse"
  | "quiesce";

/**
 * A Raft message: plain data with every field always present (unused fields are 0/empty).
 * See docs/raft.md for the meaning of `index`, `logTerm` and `context` per type.
 */
export interface Message {
  /** Message type. */
  type: MessageType;
  /** Raft group this message belongs to (u32). */
  groupId: number;
  /** Sender. */
  from: NodeId;
  /** Receiver. */
  to: NodeId;
  /** Sender's term (for preVote: the term the sender would campaign in). */
  term: number;
  /** Log index: prev index (append), last index (votes), match/rejected index (responses). */
  index: number;
  /** Term at `index` (append, votes) or the follower's term at `rejectHint` (rejections). */
  logTerm: number;
  /** Leader's commit index (append, heartbeat, quiesce). */
  commitIndex: number;
  /** Entries to append (append only). */
  entries: Entry[];
  /**
   * True when a request is refused; on a heartbeatResponse: the sender is no member of its own
   * active membership (`NOT_MEMBER`, see `context`).
   */
  reject: boolean;
  /** Follower's hint for where the leader should probe next (appendResponse). */
  rejectHint: number;
  /**
   * Read sequence (heartbeats), request id (readIndex), 1 = forced election (votes), bytes
   * received (snapshotResponse); appendResponse: `NOT_MEMBER` (1) when the sender is neither
   * voter nor learner of its own active membership (it started the group empty: new, or it lost
   * its state), else 0.
   */
  context: number;
  /** Snapshot chunk (snapshot only), else null. */
  snapshot: SnapshotChunk | null;
}

/** Result of a ReadIndex request: the read is linearizable once applied index >= `index`. */
export interface ReadState {
  /** Caller-chosen request id (a safe non-negative integer). */
  requestId: number;
  /** Commit index the read must wait for. */
  index: number;
  /** Node that confirmed `index`: this node when it led, else the leader that answered. */
  from: NodeId;
}

/**
 * A batch of work for the host. Contract, in this order:
 * 0. send `messagesNow` at once, while step 1 runs: they claim nothing about this node's
 *    durable state (a leader's appends, heartbeats and snapshots, pre-votes, read requests);
 * 1. persist `snapshot` (if any), then `entries` (truncating any stored suffix from
 *    `entries[0].index`), then `hardState` (if any) and fsync;
 * 2. only then send `messages` (votes and acknowledgements: they promise durable state);
 * 3. apply the snapshot image (if any) and `committedEntries` to the state machine, in order;
 * 4. serve `readStates` once the state machine has applied up to their index;
 * 5. call `advance(ready)`. No new Ready is produced until then.
 *
 * A leader counts its own copy of `entries` towards the commit quorum only at `advance`, so an
 * entry commits only once a majority has it on disk, with or without the leader.
 */
export interface Ready {
  /** Send before or while persisting (step 0). */
  messagesNow: Message[];
  /** Persist when non-null (changed since the previous Ready). */
  hardState: HardState | null;
  /** Append to the stable log; may overwrite a conflicting suffix. */
  entries: Entry[];
  /** Install and persist when non-null (replaces the whole log). */
  snapshot: Snapshot | null;
  /** Send after entries, snapshot and hard state are durable. */
  messages: Message[];
  /** Apply to the state machine in order; never above what this Ready makes durable. */
  committedEntries: Entry[];
  /** Completed ReadIndex requests. */
  readStates: ReadState[];
}

/** What survived a restart: the host's durable state for this group. */
export interface RaftStorageView {
  /** Last persisted hard state. */
  hardState: HardState;
  /** Latest snapshot (the bootstrap snapshot at index 0 carries the initial membership). */
  snapshot: Snapshot;
  /** Persisted entries following `snapshot.index`, contiguous. */
  entries: Entry[];
}

/** Node role. */
export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Why a request was refused. */
export type RejectReason =
  | "notLeader"
  | "transferInProgress"
  | "tooManyUncommitted"
  | "entryTooLarge"
  | "confChangePending"
  | "invalidConfChange"
  | "learnerNotCaughtUp"
  | "tooManyPendingReads"
  | "notVoter"
  | "diskFull";

/** Outcome of a proposal or request: the assigned log index on success. */
export type RaftResult =
  | { ok: true; index: number }
  | { ok: false; reason: RejectReason; message: string; leaderId: NodeId | null };

/** Replication progress of one peer, as seen by the leader. */
export interface ProgressStatus {
  /** Peer id. */
  id: NodeId;
  /** Highest index known replicated on the peer. */
  matchIndex: number;
  /** Next index to send. */
  nextIndex: number;
  /** Flow-control state. */
  state: "probe" | "replicate" | "snapshot";
  /** True for learners. */
  isLearner: boolean;
  /**
   * The peer holds the leader's no-op of this term and, after it said it lost its state, every
   * entry the leader held then; and it answered since its connection last came up.
   */
  caughtUp: boolean;
  /**
   * The peer said it is no member of its own membership while a voter of the leader's: it lost
   * its state (docs/raft.md, "Replicas that lost their state"). Kept until it is removed.
   */
  lostState: boolean;
}

/** A read-only view of a node. */
export interface RaftStatus {
  /** This node. */
  id: NodeId;
  /** Group id. */
  groupId: number;
  /** Current term. */
  term: number;
  /** Current role. */
  role: Role;
  /** Known leader or null. */
  leaderId: NodeId | null;
  /** Commit index. */
  commitIndex: number;
  /** Applied index (as acknowledged by `advance`). */
  appliedIndex: number;
  /** Last log index. */
  lastIndex: number;
  /** Index of the latest snapshot (compaction point). */
  snapshotIndex: number;
  /** Active membership (latest appended config). */
  confState: ConfState;
  /** Per-peer progress (leader only, else empty). */
  progress: ProgressStatus[];
  /** Leadership transfer target, if one is in progress. */
  leadTransferee: NodeId | null;
}
