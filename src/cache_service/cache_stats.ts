import type { CacheService } from "./cache_service.ts";
import type { RedisStore } from "./redis_store.ts";

/**
 * CACHE.STATS: the contract's fields in its order, then `entries`, `capacity_entries`,
 * `renewals` (RenewRequests this node sent) and `store_barriers` (leadership barriers its homes
 * ran for renewals).
 */
export function cacheStatsPairs(
  service: CacheService,
  capacity: { bytes: number; entries: number },
): Array<[string, number]> {
  const stats = service.node.stats(performance.now());
  return [
    ["hits", stats.hits],
    ["misses", stats.misses],
    ["evictions", stats.evictions],
    ["invalidations_sent", service.homes.invalidationsSent],
    ["invalidations_received", stats.invalidationsReceived],
    ["lines_m", stats.lines.M],
    ["lines_e", stats.lines.E],
    ["lines_s", stats.lines.S],
    ["bytes", stats.bytes],
    ["capacity_bytes", capacity.bytes],
    ["entries", service.node.lineCount],
    ["capacity_entries", capacity.entries],
    ["renewals", service.stats.renewals],
    ["store_barriers", service.homes.stats.storeBarriers],
  ];
}

/** INFO `cache`: the CACHE.STATS fields prefixed `cache_`, then the plumbing's counters. */
export function cacheInfoFields(
  service: CacheService,
  capacity: { bytes: number; entries: number },
  writeMode: string,
  backend: RedisStore | null = null,
): Array<[string, string | number]> {
  const fields: Array<[string, string | number]> = [
    ["cache_write_mode", writeMode],
    ["cache_backend", backend === null ? "slots" : backend.display],
    ["cache_backend_connected", backend === null || backend.connected ? 1 : 0],
    // Fences raised in the backend by new homes here, and accesses a newer fence refused.
    ["cache_backend_fences", service.homes.stats.storeFences],
    ["cache_backend_fenced", backend === null ? 0 : backend.stats.fenced],
    ["cache_backend_scripts_sent", backend === null ? 0 : backend.stats.scriptsSent],
  ];
  for (const [name, value] of cacheStatsPairs(service, capacity)) {
    fields.push([`cache_${name}`, value]);
  }
  const { stats, homes } = service;
  const node = service.node.counters;
  fields.push(
    ["cache_local_writes", node.localWrites],
    ["cache_dirty_lines", service.node.dirtyLineCount()],
    ["cache_write_backs_sent", node.writeBacksSent],
    ["cache_homes", homes.size],
    ["cache_homes_made", homes.stats.homesMade],
    ["cache_homes_dropped", homes.stats.homesDropped],
    ["cache_store_reads", homes.stats.storeReads],
    ["cache_store_commits", homes.stats.storeCommits],
    ["cache_store_failed", homes.stats.storeFailed],
    ["cache_store_batches", homes.stats.storeBatches],
    ["cache_frames_sent", stats.framesSent],
    ["cache_frames_received", stats.framesReceived],
    ["cache_frames_dropped", stats.framesDropped],
    ["cache_messages_sent", stats.messagesSent],
    ["cache_messages_received", stats.messagesReceived],
    ["cache_requests_refused", stats.requestsRefused],
    ["cache_requests_timed_out", stats.requestsTimedOut],
    ["cache_home_retries", stats.homeRetries],
    ["cache_requests_home_lost", stats.requestsHomeLost],
    ["cache_fences_started", homes.stats.fencesStarted],
    ["cache_fences_acked", stats.fencesAcked],
    ["cache_fences_not_acked", stats.fencesNotAcked],
  );
  return fields;
}
