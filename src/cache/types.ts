import type { KvCondition } from "../kv/types.ts";

/** The state of a line on a node: Modified, Exclusive, Shared, Invalid (no line). */
export type MesiState = "M" | "E" | "S" | "I";

/** A state the home grants (a grant never hands out I). */
export type GrantedState = "M" | "E" | "S";

/** How writes reach the store of record: before the ack (through) or later (back). */
export type CacheWriteMode = "through" | "back";

/** One client write of one key: a SET (value) or a DEL (value null). */
export interface CacheWrite {
  /** The new value, or null to delete the key. */
  value: Uint8Array | null;
  /** 1..KV_TTL_MS_MAX for `EX`/`PX`, or null (no expiry; DEL always null). */
  ttlMs: number | null;
  /** `NX`/`XX`, decided when the write is applied (on the store, or on an M line). */
  condition: KvCondition;
}

/** Why the home refused a request; the node answers the client `-TRYAGAIN` (safe to retry). */
export type CacheRefusal =
  /** Too many requests queued for this key at the home. */
  | "busy"
  /** The home's store access failed: it no longer leads the slot (or the commit failed). */
  | "notLeader"
  /** The store refused the write (a limit): the node answers the store's error. */
  | "refused"
  /**
   * The store of record (a `--cache-backend` server) could not be reached and nothing was
   * applied: the node answers `-TRYAGAIN backend unavailable ...`.
   */
  | "unavailable"
  /**
   * The write's outcome is unknown: its commit was (or may have been) proposed, then the home
   * lost its lead or the commit timed out. The node answers `-TIMEOUT` (never "safe to retry").
   */
  | "unknown";

/** A node → home request for a line to read (grants S, or E when nobody else holds it). */
export interface ReadRequestMessage {
  type: "readRequest";
  slot: number;
  /** Chosen by the node, unique among its outstanding requests; echoed in the answer. */
  requestId: number;
  key: Uint8Array;
}

/** A node → home request for the line in M, carrying the write to commit before the grant. */
export interface ExclusiveRequestMessage {
  type: "exclusiveRequest";
  slot: number;
  requestId: number;
  key: Uint8Array;
  write: CacheWrite;
}

/** Home → node: the line's data and the granted state, under a coherence lease. */
export interface GrantMessage {
  type: "grant";
  slot: number;
  /** The home's epoch (the slot leader's term); older epochs are ignored by nodes. */
  epoch: number;
  requestId: number;
  key: Uint8Array;
  state: GrantedState;
  /** Numbers grants of this key by this home; an invalidation names the highest it covers. */
  grantSeq: number;
  /** The value as stored after the request (null: the key does not exist). */
  value: Uint8Array | null;
  /** TTL left on the home's clock when it read the store, or null (no expiry). */
  ttlRemainingMs: number | null;
  /** Lease length; the node counts it from when it SENT the request. */
  leaseMs: number;
  /** For an exclusive request: whether the write's NX/XX condition held (false: not set). */
  applied: boolean;
}

/** Home → node: the request was not served; the node answers `-TRYAGAIN` or retries. */
export interface RefuseMessage {
  type: "refuse";
  slot: number;
  epoch: number;
  requestId: number;
  key: Uint8Array;
  reason: CacheRefusal;
}

/** Home → owner (M/E): keep the line as S and send any dirty data (a read elsewhere). */
export interface ForwardMessage {
  type: "forward";
  slot: number;
  epoch: number;
  key: Uint8Array;
  /** Grants of this key numbered up to this are downgraded (later ones are not affected). */
  upToSeq: number;
}

/** Home → holder: drop the line (a write elsewhere), send any dirty data. */
export interface InvalidateMessage {
  type: "invalidate";
  slot: number;
  epoch: number;
  key: Uint8Array;
  /** Grants of this key numbered up to this are revoked, including ones still in flight. */
  upToSeq: number;
}

/** Dirty data of a write-back line: the last local write, not yet in the store. */
export interface DirtyData {
  value: Uint8Array | null;
  ttlMs: number | null;
}

/** Node → home: answer to Forward or Invalidate. */
export interface InvalidateAckMessage {
  type: "invalidateAck";
  slot: number;
  epoch: number;
  key: Uint8Array;
  /** Copied from the Forward/Invalidate. */
  upToSeq: number;
  /** True when the node kept the line as S (a Forward on a line it held). */
  keptShared: boolean;
  /** Local writes the store has not seen yet (write-back), or null. */
  dirty: DirtyData | null;
}

/** Node → home: a write-back line's data (periodic, or `final` on eviction). */
export interface WriteBackMessage {
  type: "writeBack";
  slot: number;
  epoch: number;
  key: Uint8Array;
  /** The grant the node holds the line under. */
  grantSeq: number;
  /** Numbers the node's local writes to the line; echoed in the WriteBackAck. */
  writeVersion: number;
  dirty: DirtyData;
  /** True when the node evicted the line (it holds nothing afterwards). */
  final: boolean;
}

/**
 * Home → node: the write-back is committed (`accepted`) or was refused (line not held in M). An
 * accepted, non-final write-back also renews the line's lease: the home counts `leaseMs` (plus its
 * margin) from when it sends the ack, the node from when it first sent that `writeVersion`.
 */
export interface WriteBackAckMessage {
  type: "writeBackAck";
  slot: number;
  epoch: number;
  key: Uint8Array;
  grantSeq: number;
  writeVersion: number;
  accepted: boolean;
  /** The renewed lease (0: none, e.g. refused or final). */
  leaseMs: number;
}

/** Node → home: the node dropped a clean line (LRU eviction); the home forgets the holder. */
export interface EvictMessage {
  type: "evict";
  slot: number;
  epoch: number;
  key: Uint8Array;
  grantSeq: number;
}

/**
 * New home → node: accept `epoch` for `slot` (drop every line of an older epoch, never install
 * one again) and answer FenceAck. `nodes` is the fence set: the node acks only if it knows no
 * node outside it (docs/cache.md, "The epoch fence").
 */
export interface FenceMessage {
  type: "fence";
  slot: number;
  epoch: number;
  /** The fence set: every node the home asks to acknowledge (its own node included). */
  nodes: string[];
}

/** Node → the home that sent the Fence: the slot holds no line of an epoch below `epoch` here. */
export interface FenceAckMessage {
  type: "fenceAck";
  slot: number;
  epoch: number;
}

/** One line a RenewRequest asks to keep: its key and the grant the node holds it under. */
export interface RenewLine {
  key: Uint8Array;
  grantSeq: number;
}

/**
 * Node → home: extend the leases of these clean write-through lines the node holds in the slot
 * (docs/cache.md, "Slot renewals"). At most CACHE_RENEW_LINES_MAX lines and
 * CACHE_RENEW_KEY_BYTES_MAX bytes of keys; the node counts a new lease from when it sent this.
 */
export interface RenewRequestMessage {
  type: "renewRequest";
  slot: number;
  /** The home epoch the node knows for the slot (every line listed was granted in it). */
  epoch: number;
  /** Chosen by the node from the same counter as its other requests; echoed in the answer. */
  requestId: number;
  lines: RenewLine[];
}

/**
 * Home → node: the answer to a RenewRequest, sent after a leadership barrier. Every line not
 * listed in `refused` (indexes into the request's lines, ascending) is renewed for `leaseMs`,
 * counted by the node from when it sent the request; `leaseMs` 0 renews nothing.
 */
export interface RenewGrantMessage {
  type: "renewGrant";
  slot: number;
  /** The home's epoch; 0 from a node that is not the slot's home (nothing renewed). */
  epoch: number;
  requestId: number;
  leaseMs: number;
  refused: number[];
}

/** One message of the cache protocol (peer protocol codes 128-159, see docs/cache.md). */
export type CacheMessage =
  | ReadRequestMessage
  | ExclusiveRequestMessage
  | GrantMessage
  | RefuseMessage
  | ForwardMessage
  | InvalidateMessage
  | InvalidateAckMessage
  | WriteBackMessage
  | WriteBackAckMessage
  | EvictMessage
  | FenceMessage
  | FenceAckMessage
  | RenewRequestMessage
  | RenewGrantMessage;

/** The `type` tag of a CacheMessage. */
export type CacheMessageType = CacheMessage["type"];

/** A message sent by a node to the home of `message.slot` (the host routes it). */
export type NodeToHomeMessage =
  | ReadRequestMessage
  | ExclusiveRequestMessage
  | InvalidateAckMessage
  | WriteBackMessage
  | EvictMessage
  | FenceAckMessage
  | RenewRequestMessage;

/** A message sent by a home to one node. */
export type HomeToNodeMessage =
  | GrantMessage
  | RefuseMessage
  | ForwardMessage
  | InvalidateMessage
  | WriteBackAckMessage
  | FenceMessage
  | RenewGrantMessage;
