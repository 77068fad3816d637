import type { PeerMessageType } from "../../protocol/peer/mod.ts";
import { CACHE_PEER_TYPES } from "../../protocol/peer/mod.ts";
import { CACHE_TIMING_DEFAULT } from "../cache/mod.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { KvService } from "../kv_service/kv_service.ts";
import type { Logger } from "../log/logger.ts";
import {
  PEER_CODE_RANGES,
  type PeerHandler,
  type Subsystem,
  type SubsystemFactory,
} from "../subsystem/subsystem.ts";
import { cacheCommands } from "./cache_commands.ts";
import { CacheService } from "./cache_service.ts";
import { cacheInfoFields } from "./cache_stats.ts";
import { RedisStore } from "./redis_store.ts";

/** What the cache needs from the node beyond the subsystem context. */
export interface CacheNodeLinks {
  /** The key-value service of the slot groups (the store of record). */
  kv(): KvService;
  /** The node that leads slot `slot` as this node knows it, or null. */
  homeOf(slot: number): string | null;
  /** The home named for `slot` said it does not lead it: name another next time. */
  homeRefused(slot: number): void;
  quorumReachable(slot: number): boolean;
  send: CacheServiceSend;
  isUp(id: string): boolean;
  /** True when peer `id` has been silent for a few heartbeat intervals. */
  silent(id: string): boolean;
  /** The cluster's members as this node sees them, itself included (the epoch fence's view). */
  memberIds(): Iterable<string>;
}

/** Sends a peer frame; false when it could not be queued. */
export type CacheServiceSend = ConstructorParameters<typeof CacheService>[0]["send"];

/** Period of the cache's timer: leases, homes made and dropped, client timeouts. */
const CACHE_TICK_MS = 25;

/** The cache subsystem's factory: nothing in the meta group; it stands on the slot groups. */
export function cacheSubsystemFactory(
  config: NodeConfig,
  logger: Logger,
  links: CacheNodeLinks,
): SubsystemFactory {
  return {
    name: "cache",
    metaMachines: [],
    build: (_meta, context) => {
      const timing = {
        ...CACHE_TIMING_DEFAULT,
        leaseMs: config.cacheLeaseMs,
        holderMarginMs: Math.max(1, Math.ceil(config.cacheLeaseMs / 4)),
        writeBackMs: config.cacheWriteBackMs,
      };
      const cacheLogger = logger.with({ component: "cache" });
      const backend = config.cacheBackend === null
        ? null
        : new RedisStore({ url: config.cacheBackend, logger: cacheLogger });
      const service = new CacheService({
        nodeId: config.id,
        cache: {
          writeMode: config.cacheWrite,
          timing,
          maxBytes: config.cacheMaxBytes,
          maxEntries: config.cacheMaxEntries,
        },
        homes: {
          slotHost: (slot) => context.slotHost(slot),
          slotHosts: () => context.slotHosts(),
          // With either store of record the home's lead is its slot group's: confirmed there.
          leaderBarrier: (slot) => links.kv().confirmLead(slot),
          store: backend ?? {
            readKey: (slot, key) => links.kv().readKey(slot, key),
            writeKey: (slot, key, write) => links.kv().writeKey(slot, key, write),
            writePairs: (slot, pairs) => links.kv().writePairs(slot, pairs),
          },
        },
        slotCount: () => context.slotCount(),
        homeOf: (slot) => links.homeOf(slot),
        homeRefused: (slot) => links.homeRefused(slot),
        quorumReachable: (slot) => links.quorumReachable(slot),
        send: links.send,
        isUp: links.isUp,
        silent: links.silent,
        memberIds: () => links.memberIds(),
        requestTimeoutMs: config.requestTimeoutMs,
        tickMs: CACHE_TICK_MS,
        nowMs: () => performance.now(),
        batchClock: true,
        logger: cacheLogger,
      });
      return cacheSubsystem(config, service, backend);
    },
  };
}

/**
 * The cache as a subsystem: its commands, frames, INFO section and metrics; with `backend`
 * (`--cache-backend`) it also connects to and disconnects from that store.
 */
export function cacheSubsystem(
  config: NodeConfig,
  service: CacheService,
  backend: RedisStore | null = null,
): Subsystem {
  const capacity = { bytes: config.cacheMaxBytes, entries: config.cacheMaxEntries };
  const onFrame: PeerHandler = (from, message) => service.onFrame(from, message);
  const counter = (name: string, help: string, value: () => number) => ({ name, help, value });
  // Counters only: a scrape walks no lines.
  const counters = () => service.node.counters;
  return {
    name: "cache",
    // With `--cache off` the key commands are the key-value subsystem's; CACHE.STATE and
    // CACHE.STATS stay (every line I, no traffic).
    commands: cacheCommands({ service, valueBytesMax: config.bulkBytesMax, capacity })
      .filter((spec) => config.cache === "on" || spec.name.startsWith("cache.")),
    peerHandlers: {
      range: PEER_CODE_RANGES.cache,
      handlers: CACHE_PEER_TYPES.map((type): [PeerMessageType, PeerHandler] => [type, onFrame]),
    },
    infoSections: [{
      name: "cache",
      fields: () => cacheInfoFields(service, capacity, config.cacheWrite, backend),
    }],
    metrics: [
      counter("dsync_cache_hits_total", "Reads answered from a local line", () => counters().hits),
      counter("dsync_cache_misses_total", "Reads sent to the key's home", () => counters().misses),
      counter("dsync_cache_evictions_total", "Lines evicted (LRU)", () => counters().evictions),
      counter(
        "dsync_cache_invalidations_sent_total",
        "Invalidations and forwards sent by homes here",
        () => service.homes.invalidationsSent,
      ),
      counter(
        "dsync_cache_invalidations_received_total",
        "Invalidations and forwards received",
        () => counters().invalidationsReceived,
      ),
      counter("dsync_cache_bytes", "Bytes of cache lines held", () => service.node.bytes),
      counter("dsync_cache_entries", "Cache lines held", () => service.node.lineCount),
      counter(
        "dsync_cache_dirty_lines",
        "Cache lines with local writes their home has not acknowledged (write-back)",
        () => service.node.dirtyLineCount(),
      ),
      counter(
        "dsync_cache_frames_sent_total",
        "Cache peer frames sent",
        () => service.stats.framesSent,
      ),
      counter("dsync_cache_homes", "Slots whose cache home is here", () => service.homes.size),
    ],
    start: () => {
      backend?.start();
      service.start();
    },
    drain: async () => {
      await service.release();
    },
    stop: () => {
      service.stop();
      backend?.stop();
    },
  };
}
