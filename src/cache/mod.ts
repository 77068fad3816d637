/**
 * The cache: per-node copies of key-value lines kept coherent by a directory MESI protocol,
 * with the slot leader as each key's home. Pure (no `Deno.*`, clocks, timers or randomness):
 * time comes in as `nowMs`, messages and store accesses go out through outboxes. docs/cache.md
 * has the states, the message table, the lease rule and what the exhaustive checker covers.
 *
 * @module
 */
export { CacheHome, type HomeOutput, type StoreRequest, type StoreResult } from "./cache_home.ts";
export {
  CacheNode,
  type CacheNodeOptions,
  type CacheNodeStats,
  type Completion,
  type ReadDecision,
  type WriteDecision,
} from "./cache_node.ts";
export {
  CACHE_CAPACITY_DEFAULT,
  CACHE_FENCE_NODES_MAX,
  CACHE_KEY_QUEUE_MAX,
  CACHE_LINE_OVERHEAD_BYTES,
  CACHE_NODE_PENDING_MAX,
  CACHE_RENEW_KEY_BYTES_MAX,
  CACHE_RENEW_LINES_MAX,
  CACHE_TIMING_DEFAULT,
  type CacheTiming,
  cacheTimingProblem,
} from "./limits.ts";
export {
  CACHE_MESSAGE_CODES,
  CACHE_MESSAGE_VERSION,
  CacheCodecError,
  decodeCacheMessage,
  encodeCacheMessage,
  writeCacheMessage,
} from "./message_codec.ts";
export type * from "./types.ts";
