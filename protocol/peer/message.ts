/** Why the accepting side refused a Handshake. */
export type HandshakeRejectReason =
  | "wrongCluster"
  | "incompatibleVersion"
  | "unknownNode"
  | "malformed"
  | "staleIncarnation";

/** One node-to-node message, as carried by one frame. */
export type PeerMessage =
  | {
    type: "handshake";
    protocolVersion: number;
    clusterId: string;
    nodeId: string;
    peerAddress: string;
    clientAddress: string;
    incarnationId: string;
  }
  | { type: "handshakeAccept"; nodeId: string; clientAddress: string; incarnationId: string }
  | { type: "handshakeReject"; reason: HandshakeRejectReason; message: string }
  | { type: "heartbeat"; sequence: number; sentAtMs: number }
  | { type: "heartbeatAck"; sequence: number; echoedSentAtMs: number }
  /**
   * A command to run on the receiver, the leader of Raft group `groupId` (u32). `requestEpoch`
   * (u32) is drawn at random when the sending process starts; with `requestId` it names the
   * request uniquely across restarts of the sender. `parkedWaitId` (u53, 0 for none) names a wait
   * the sender parked for this command (a blocking command's client waits there). `user`: the
   * ACL user the client authenticated as, whose permissions the receiver checks again; empty for
   * the sending node's own calls (written last; a frame without it reads as empty).
   */
  | {
    type: "forwardRequest";
    requestEpoch: number;
    requestId: number;
    timeoutMs: number;
    groupId: number;
    parkedWaitId: number;
    args: Uint8Array[];
    user: string;
  }
  /** The answer to a ForwardRequest; `requestEpoch` and `requestId` are copied from it. */
  | { type: "forwardReply"; requestEpoch: number; requestId: number; reply: Uint8Array }
  | { type: "raft"; groupId: number; payload: Uint8Array }
  /** Raft messages of many groups to one node, sent as one frame (coalesced heartbeats). */
  | { type: "raftBatch"; items: RaftBatchItem[] }
  /**
   * From the leader of Raft group `groupId` (u53) to a member it removed: the removal is the
   * configuration entry at `configIndex` (u53) and is committed, so the receiver may drop the
   * group's state if it holds nothing from that index on.
   */
  | { type: "groupLeft"; groupId: number; configIndex: number }
  /**
   * Queues that just got messages on a slot leader (a push applied there), each with how many:
   * a node wakes that many client pops parked on it for the queue (QUEUE.POP WAIT).
   */
  | { type: "queueReady"; queues: QueueReadyItem[] }
  /**
   * A cache protocol message (docs/cache.md): `payload` is its own encoding (version byte, code,
   * slot, fields); the frame's type code is the cache message's code (128-141), or 142 for a
   * CacheBundle (several such encodings, src/cache_service/cache_frames.ts).
   */
  | { type: CachePeerType; payload: Uint8Array };

/** One queue in a QueueReady: its name (1..QUEUE_READY_NAME_BYTES_MAX bytes) and a count. */
export interface QueueReadyItem {
  queue: Uint8Array;
  count: number;
}

/**
 * Peer message types of the cache: one per cache message code, then CacheBundle (several cache
 * messages to one node in one frame).
 */
export type CachePeerType =
  | "cacheReadRequest"
  | "cacheExclusiveRequest"
  | "cacheGrant"
  | "cacheRefuse"
  | "cacheForward"
  | "cacheInvalidate"
  | "cacheInvalidateAck"
  | "cacheWriteBack"
  | "cacheWriteBackAck"
  | "cacheEvict"
  | "cacheFence"
  | "cacheFenceAck"
  | "cacheRenewRequest"
  | "cacheRenewGrant"
  | "cacheBundle";

/** The cache's peer message types in code order (128, 129, ...). */
export const CACHE_PEER_TYPES: readonly CachePeerType[] = [
  "cacheReadRequest",
  "cacheExclusiveRequest",
  "cacheGrant",
  "cacheRefuse",
  "cacheForward",
  "cacheInvalidate",
  "cacheInvalidateAck",
  "cacheWriteBack",
  "cacheWriteBackAck",
  "cacheEvict",
  "cacheFence",
  "cacheFenceAck",
  "cacheRenewRequest",
  "cacheRenewGrant",
  "cacheBundle",
];

/** Code of the first cache peer message type; the others follow in CACHE_PEER_TYPES order. */
export const CACHE_PEER_CODE_FIRST = 128;

/** One group's Raft message inside a RaftBatch. */
export interface RaftBatchItem {
  groupId: number;
  payload: Uint8Array;
}

/** The `type` tag of a PeerMessage. */
export type PeerMessageType = PeerMessage["type"];

/** The PeerMessage variant whose tag is `T`. */
export type PeerMessageOf<T extends PeerMessageType> = Extract<PeerMessage, { type: T }>;

/** A Handshake message, sent first by the connecting side. */
export type HandshakeMessage = PeerMessageOf<"handshake">;

/**
 * Wire number of each message type (the frame's `messageType` byte).
 * Ranges: 1-15 control, 16-31 raft, 32-47 forwarding, then one range per subsystem (reserved):
 * 48-63 locks, 64-95 kv, 96-127 queues, 128-159 cache (src/subsystem/subsystem.ts); 0 invalid.
 * Numbers are never reused or renumbered.
 */
export const MESSAGE_TYPE_CODES: Readonly<Record<PeerMessageType, number>> = {
  handshake: 1,
  handshakeAccept: 2,
  handshakeReject: 3,
  heartbeat: 4,
  heartbeatAck: 5,
  raft: 16,
  raftBatch: 17,
  groupLeft: 18,
  forwardRequest: 32,
  forwardReply: 33,
  queueReady: 96,
  cacheReadRequest: 128,
  cacheExclusiveRequest: 129,
  cacheGrant: 130,
  cacheRefuse: 131,
  cacheForward: 132,
  cacheInvalidate: 133,
  cacheInvalidateAck: 134,
  cacheWriteBack: 135,
  cacheWriteBackAck: 136,
  cacheEvict: 137,
  cacheFence: 138,
  cacheFenceAck: 139,
  cacheRenewRequest: 140,
  cacheRenewGrant: 141,
  cacheBundle: 142,
};

/** Wire names used in error messages and docs, e.g. "ForwardRequest". */
export const MESSAGE_TYPE_NAMES: Readonly<Record<PeerMessageType, string>> = {
  handshake: "Handshake",
  handshakeAccept: "HandshakeAccept",
  handshakeReject: "HandshakeReject",
  heartbeat: "Heartbeat",
  heartbeatAck: "HeartbeatAck",
  raft: "Raft",
  raftBatch: "RaftBatch",
  groupLeft: "GroupLeft",
  forwardRequest: "ForwardRequest",
  forwardReply: "ForwardReply",
  queueReady: "QueueReady",
  cacheReadRequest: "CacheReadRequest",
  cacheExclusiveRequest: "CacheExclusiveRequest",
  cacheGrant: "CacheGrant",
  cacheRefuse: "CacheRefuse",
  cacheForward: "CacheForward",
  cacheInvalidate: "CacheInvalidate",
  cacheInvalidateAck: "CacheInvalidateAck",
  cacheWriteBack: "CacheWriteBack",
  cacheWriteBackAck: "CacheWriteBackAck",
  cacheEvict: "CacheEvict",
  cacheFence: "CacheFence",
  cacheFenceAck: "CacheFenceAck",
  cacheRenewRequest: "CacheRenewRequest",
  cacheRenewGrant: "CacheRenewGrant",
  cacheBundle: "CacheBundle",
};

/**
 * Message types whose body layout is frozen across protocol versions, so that peers of any
 * version can always negotiate (and explain a version mismatch).
 */
export const VERSION_INDEPENDENT_TYPES: ReadonlySet<PeerMessageType> = new Set([
  "handshake",
  "handshakeAccept",
  "handshakeReject",
]);

/** Wire code (u8) of each HandshakeReject reason; frozen like the handshake layouts. */
export const HANDSHAKE_REJECT_REASON_CODES: Readonly<Record<HandshakeRejectReason, number>> = {
  wrongCluster: 1,
  incompatibleVersion: 2,
  unknownNode: 3,
  malformed: 4,
  staleIncarnation: 5,
};
