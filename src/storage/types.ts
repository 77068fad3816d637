/** Value types exchanged with the storage layer's host (the Raft node). */

/** One log entry as stored: the data is opaque to storage. */
export interface LogRecordEntry {
  /** Position in the log, >= 1. */
  index: number;
  /** Term of the entry, >= 0; never lower than the term of the entry before it. */
  term: number;
  /** Opaque payload; storage keeps a reference, so callers must not mutate it afterwards. */
  data: Uint8Array;
}

/** Raft state that must survive restarts. */
export interface StoredHardState {
  /** Latest term seen; never decreases. */
  term: number;
  /** Node voted for in `term`, or null; once set, it cannot change within the same term. */
  votedFor: string | null;
  /** Highest log index known to be committed. */
  commitIndex: number;
}

/** What a snapshot covers: the log up to `index` (whose entry had `term`) and membership. */
export interface SnapshotMeta {
  /** Last log index included in the snapshot, >= 1. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  /** Opaque membership configuration as of `index`. */
  config: Uint8Array;
}

/** A loaded snapshot: its metadata and the state machine image. */
export interface StoredSnapshot extends SnapshotMeta {
  /** Opaque state machine image. */
  data: Uint8Array;
}

/** Who owns a data dir: written once when the dir is initialised. */
export interface StoreIdentity {
  /** Cluster the node belongs to. */
  clusterId: string;
  /** Node id within the cluster. */
  nodeId: string;
  /** Random id of this disk's lifetime (32 hex digits); changes when a disk is replaced. */
  incarnationId: string;
}
