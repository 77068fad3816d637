import {
  CACHE_PEER_CODE_FIRST,
  CACHE_PEER_TYPES,
  MESSAGE_TYPE_CODES,
  type PeerMessage,
  type PeerMessageOf,
} from "../../protocol/peer/mod.ts";
import {
  CACHE_MESSAGE_CODES,
  CacheCodecError,
  type CacheMessage,
  decodeCacheMessage,
  encodeCacheMessage,
} from "../cache/mod.ts";
import type { CachePeerType } from "../../protocol/peer/mod.ts";

/** A peer frame carrying a cache message. */
export type CacheFrame = PeerMessageOf<CachePeerType>;

/** The peer frame of a cache message: its type code is the cache message's own code. */
export function cacheFrameOf(message: CacheMessage): CacheFrame {
  const type = CACHE_PEER_TYPES[CACHE_MESSAGE_CODES[message.type] - CACHE_PEER_CODE_FIRST]!;
  return { type, payload: encodeCacheMessage(message) };
}

/** The cache message a frame carries, or null when the payload is not one of its type. */
export function cacheMessageOf(frame: PeerMessage): CacheMessage | null {
  if (!("payload" in frame) || frame.type === "raft") return null;
  let message: CacheMessage;
  try {
    message = decodeCacheMessage(frame.payload);
  } catch (error) {
    if (error instanceof CacheCodecError) return null;
    throw error;
  }
  return CACHE_MESSAGE_CODES[message.type] === MESSAGE_TYPE_CODES[frame.type] ? message : null;
}
