/**
 * Timing and size limits of the cache. The timing rule (docs/cache.md, "Leases"): a node counts
 * its lease from when it sent the request, the home from when it sent the grant, and the home
 * treats a holder as invalidated only `holderMarginMs` after that; so a holder's lease has always
 * lapsed (on any clock whose rate is within the margin) before the home stops waiting for it.
 */
export interface CacheTiming {
  /** Length of the coherence lease a grant gives (`--cache-lease-ms`). */
  leaseMs: number;
  /** Extra time the home waits past a lease before treating the holder as invalidated. */
  holderMarginMs: number;
  /** A copy drops a line this long before the TTL deadline the home gave (never after it). */
  expiryMarginMs: number;
  /** A dirty write-back line reaches the home at most this long after its first local write. */
  writeBackMs: number;
}

/**
 * Default timing: 2 s leases, the home waits 2.5 s; copies drop lines 50 ms before expiry; a
 * dirty line goes home within 1 s (what a crash of its node may lose: Redis's `everysec`).
 */
export const CACHE_TIMING_DEFAULT: Readonly<CacheTiming> = Object.freeze({
  leaseMs: 2000,
  holderMarginMs: 500,
  expiryMarginMs: 50,
  writeBackMs: 1000,
});

/** Bytes every line costs in a node's accounting on top of its key and value bytes. */
export const CACHE_LINE_OVERHEAD_BYTES = 96;

/** Default `--cache-max-bytes` (64 MiB) and `--cache-max-entries` (100,000). */
export const CACHE_CAPACITY_DEFAULT = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxEntries: 100_000,
});

/** Requests queued per key at the home behind the one being served; more are refused `busy`. */
export const CACHE_KEY_QUEUE_MAX = 64;

/** Outstanding requests per node (one per key at most); more are refused by the node itself. */
export const CACHE_NODE_PENDING_MAX = 10_000;

/** Nodes in one epoch fence at most; a larger cluster is not fenced (the home waits instead). */
export const CACHE_FENCE_NODES_MAX = 256;

/** Lines in one RenewRequest at most; a node with more due lines in a slot sends more requests. */
export const CACHE_RENEW_LINES_MAX = 512;

/** Bytes of keys in one RenewRequest at most (256 KiB). */
export const CACHE_RENEW_KEY_BYTES_MAX = 256 * 1024;

/** Returns the problem with a timing, or null: every field a safe integer, lease >= 1 ms. */
export function cacheTimingProblem(timing: CacheTiming): string | null {
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isSafeInteger(value) || value < 0) return `${name} ${value} is not an integer >= 0`;
  }
  if (timing.leaseMs < 1) return "leaseMs must be at least 1";
  if (timing.expiryMarginMs >= timing.leaseMs) return "expiryMarginMs must be below leaseMs";
  return null;
}
