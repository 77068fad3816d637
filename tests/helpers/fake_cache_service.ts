import { CACHE_TIMING_DEFAULT } from "../../src/cache/mod.ts";
import { CacheService, type CacheServiceOptions } from "../../src/cache_service/cache_service.ts";
import { Logger } from "../../src/log/logger.ts";

/** What a test gives `fakeCacheService`: the node, its world, and the cache's entry bound. */
export type FakeCacheServiceOptions =
  & Omit<
    CacheServiceOptions,
    "cache" | "homes" | "quorumReachable" | "requestTimeoutMs" | "tickMs" | "logger"
  >
  & { maxEntries: number };

/**
 * A write-through CacheService with default timing, 1 MiB, no slot homed locally (the local
 * store refuses), every quorum reachable, 10 s requests, 25 ms ticks and a silent logger.
 */
export function fakeCacheService(options: FakeCacheServiceOptions): CacheService {
  const { maxEntries, ...world } = options;
  return new CacheService({
    ...world,
    cache: { writeMode: "through", timing: CACHE_TIMING_DEFAULT, maxBytes: 1 << 20, maxEntries },
    homes: {
      slotHost: () => undefined,
      slotHosts: () => [],
      leaderBarrier: () => Promise.reject(new Error("no home here")),
      store: {
        readKey: () => Promise.reject(new Error("no home here")),
        writeKey: () => Promise.reject(new Error("no home here")),
      },
    },
    quorumReachable: () => true,
    requestTimeoutMs: 10_000,
    tickMs: 25,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
  });
}
