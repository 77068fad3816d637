/** Version byte written in every frame header by this implementation. */
export const PEER_PROTOCOL_VERSION = 1;

/** Default maximum of `frameLength` (bytes after the length prefix): 16 MiB. */
export const DEFAULT_FRAME_BYTES_MAX = 16 * 1024 * 1024;

/** Size of the u32 `frameLength` prefix, in bytes. */
export const FRAME_LENGTH_BYTES = 4;

/** Smallest valid `frameLength`, in bytes: the version byte plus the message type byte. */
export const FRAME_LENGTH_MIN = 2;

/** Size of the whole frame header (length prefix, version, message type), in bytes. */
export const FRAME_HEADER_BYTES = FRAME_LENGTH_BYTES + 2;

/** Largest value a u32 field can carry. */
export const U32_MAX = 0xffff_ffff;

/** Largest UTF-8 byte length of a `string` field (its length prefix is a u16). */
export const STRING_BYTES_MAX = 0xffff;

/** Largest number of args in one ForwardRequest. */
export const FORWARD_ARG_COUNT_MAX = 1024 * 1024;

/** Most Raft messages in one RaftBatch frame. */
export const RAFT_BATCH_ITEMS_MAX = 65_536;

/** Smallest encoded RaftBatch item: u53 group id (8) + bytes length (4). */
export const RAFT_BATCH_ITEM_BYTES_MIN = 12;

/** Most queues named in one QueueReady frame. */
export const QUEUE_READY_ITEMS_MAX = 4096;

/** Longest queue name in a QueueReady item, in bytes. */
export const QUEUE_READY_NAME_BYTES_MAX = 1024;

/** Smallest encoded QueueReady item: name length (4) + count (4). */
export const QUEUE_READY_ITEM_BYTES_MIN = 8;
