import { type HostPort, parseHostPort } from "../util/host_port.ts";
import { type CacheBackendUrl, parseCacheBackendUrl } from "./cache_backend_url.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../log/logger.ts";
import { TTL_MS_MAX } from "../locks/limits.ts";
import { CACHE_TIMING_DEFAULT } from "../cache/limits.ts";
import { SLOT_COUNT_DEFAULT, SLOT_COUNT_MAX } from "../placement/key_slot.ts";
import { REPLICAS_DEFAULT, REPLICAS_MAX, VNODES_DEFAULT, VNODES_MAX } from "../placement/limits.ts";
/** Largest `--queue-partitions` (QUEUE_PARTITIONS_MAX of src/queues/limits.ts, not imported: config stays below the subsystems). */
const QUEUE_PARTITIONS_MAX = 1024;

/** Everything one node needs to start, validated. */
export interface NodeConfig {
  /** This node's id; unique in the cluster. */
  id: string;
  /** Cluster identity; peers of another cluster are refused at handshake. */
  clusterId: string;
  clientAddress: HostPort;
  peerAddress: HostPort;
  /** Initial members (including this node), or null when joining. */
  peers: Map<string, HostPort> | null;
  /** A member's client address to join through, or null. */
  join: HostPort | null;
  dataDir: string;
  requirePass: string | null;
  tls: {
    certFile: string;
    keyFile: string;
    caFile: string | null;
    /** The client port requires client certificates from the CA (`--tls-client-auth`). */
    clientAuth: boolean;
  } | null;
  metrics: HostPort | null;
  /** The audit log (`--audit-log`), or null when off. */
  audit: {
    path: string;
    /** `changes`: authentication, ACL and membership changes; `all`: also every write. */
    scope: "changes" | "all";
    /** When the buffer is full: wait for the disk, or drop the record and count it. */
    full: "block" | "drop";
    /** Records buffered at most. */
    recordsMax: number;
  } | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Client connections accepted at once; more are refused with an error. */
  clientCountMax: number;
  /** Unsent reply bytes a client may accumulate before it is disconnected. */
  clientOutputBytesMax: number;
  /** Largest bulk string a client may send. */
  bulkBytesMax: number;
  /** Largest number of arguments in one command. */
  argumentCountMax: number;
  /** Interval between heartbeats on every peer link. */
  heartbeatIntervalMs: number;
  /** A peer with no contact for this long is marked down. */
  failureTimeoutMs: number;
  /** Raft logical clock period. */
  raftTickMs: number;
  /** Raft election timeout in ticks (randomized in [T, 2T)). */
  electionTicks: number;
  /** Idle leader ticks after which a Raft group goes quiet (stops heartbeating); 0 never. */
  quiesceAfterTicks: number;
  /** Extra Raft groups hosted for benchmarks only (see node/debug_groups.ts); 0 normally. */
  debugGroups: number;
  /** Slots keys are placed in (`CLUSTER KEYSLOT`); every member must use the same count. */
  slotCount: number;
  /** Virtual nodes per member on the placement ring (fixed when the cluster is created). */
  vnodes: number;
  /** Replicas per slot group (at most the member count; fixed when the cluster is created). */
  replicas: number;
  /** Longest wait for a replicated request before `-TIMEOUT`. */
  requestTimeoutMs: number;
  /** Smallest and largest lock TTL a client may ask for. */
  lockTtlMinMs: number;
  lockTtlMaxMs: number;
  /** Largest lock WAIT a client may ask for. */
  lockWaitMaxMs: number;
  /** Lock waits parked on this node at most. */
  lockWaitsMax: number;
  /** Partitions of every queue (`--queue-partitions`); fixed for the cluster's life. */
  queuePartitions: number;
  /** Largest `WAIT` of a `QUEUE.POP`. */
  queueWaitMaxMs: number;
  /** `QUEUE.POP WAIT`s parked on this node at most. */
  queueWaitsMax: number;
  /**
   * Bytes of the data dir's reserve file, spent when the disk fills so the write that found it
   * full still completes (0: no reserve; that write then waits for space).
   */
  diskReserveBytes: number;
  /** `--cache-max-bytes`: bytes of cache lines on this node (key + value + overhead each). */
  cacheMaxBytes: number;
  /** `--cache-max-entries`: cache lines on this node. */
  cacheMaxEntries: number;
  /**
   * `--cache`: "on" (default) serves GET/SET/... through per-node coherent cache lines; "off"
   * sends them to the slot's store (the key-value subsystem) as before the cache existed.
   */
  cache: "on" | "off";
  /** `--cache-write`: writes reach the store before their ack (through) or later (back). */
  cacheWrite: "through" | "back";
  /** `--cache-writeback-ms`: a dirty line reaches its home at most this long after a write. */
  cacheWriteBackMs: number;
  /** `--cache-lease-ms`: the coherence lease of a cache line. */
  cacheLeaseMs: number;
  /**
   * `--cache-backend`: a Redis server as the cache's store of record instead of the slot groups,
   * or null (none, the default). With `--cache off` it is refused.
   */
  cacheBackend: CacheBackendUrl | null;
}

/** Raw option values as they come from flags or `DSYNC_*` variables (strings). */
export interface RawNodeOptions {
  id?: string;
  clusterId?: string;
  client?: string;
  peer?: string;
  peers?: string;
  join?: string;
  data?: string;
  requirepass?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** A flag: true when given (or when DSYNC_TLS_CLIENT_AUTH is set to anything but "false"/"0"). */
  tlsClientAuth?: string | boolean;
  metrics?: string;
  auditLog?: string;
  audit?: string;
  auditFull?: string;
  auditBufferRecords?: string;
  logLevel?: string;
  logFormat?: string;
  maxClients?: string;
  clientOutputMaxBytes?: string;
  maxBulkBytes?: string;
  maxArguments?: string;
  heartbeatMs?: string;
  failureTimeoutMs?: string;
  raftTickMs?: string;
  electionTicks?: string;
  quiesceAfterTicks?: string;
  debugGroups?: string;
  slots?: string;
  vnodes?: string;
  replicas?: string;
  requestTimeoutMs?: string;
  lockTtlMinMs?: string;
  lockTtlMaxMs?: string;
  lockWaitMaxMs?: string;
  lockWaitsMax?: string;
  queuePartitions?: string;
  queueWaitMaxMs?: string;
  queueWaitsMax?: string;
  diskReserveBytes?: string;
  cacheMaxBytes?: string;
  cacheMaxEntries?: string;
  cache?: string;
  cacheWrite?: string;
  cacheWritebackMs?: string;
  cacheLeaseMs?: string;
  cacheBackend?: string;
}

/** Longest `--cache-lease-ms`: a minute (a new home waits a lease before granting writes). */
const CACHE_LEASE_MS_MAX = 60_000;
/** Shortest `--cache-lease-ms`: a line must outlive the 50 ms it drops before a TTL deadline. */
const CACHE_LEASE_MS_MIN = 100;
/** Longest `--cache-writeback-ms`: a minute of acknowledged writes at risk is already a lot. */
const CACHE_WRITEBACK_MS_MAX = 60_000;

/**
 * Largest `--max-bulk-bytes` (8 MiB): a value travels in one Raft entry and one peer frame
 * (16 MiB at most). The slot state machines check values against this constant, never against a
 * node's own flag, so replicas configured differently still apply every entry alike.
 */
export const BULK_BYTES_LIMIT = 8 * 1024 * 1024;

/** Defaults for every numeric option. */
export const NODE_DEFAULTS = {
  clientCountMax: 10_000,
  clientOutputBytesMax: 32 * 1024 * 1024,
  bulkBytesMax: 1024 * 1024,
  argumentCountMax: 1024,
  heartbeatIntervalMs: 100,
  failureTimeoutMs: 1_000,
  raftTickMs: 50,
  electionTicks: 10,
  quiesceAfterTicks: 20,
  debugGroups: 0,
  slotCount: SLOT_COUNT_DEFAULT,
  vnodes: VNODES_DEFAULT,
  replicas: REPLICAS_DEFAULT,
  requestTimeoutMs: 10_000,
  lockTtlMinMs: 100,
  lockTtlMaxMs: 86_400_000,
  lockWaitMaxMs: 300_000,
  lockWaitsMax: 10_000,
  queuePartitions: 8,
  queueWaitMaxMs: 300_000,
  queueWaitsMax: 10_000,
  diskReserveBytes: 4 * 1024 * 1024,
  auditBufferRecords: 8192,
  cacheMaxBytes: 64 * 1024 * 1024,
  cacheMaxEntries: 100_000,
  cacheWriteBackMs: CACHE_TIMING_DEFAULT.writeBackMs,
  cacheLeaseMs: 2_000,
} as const;

/** Validates raw options into a NodeConfig; throws RangeError naming the bad option. */
export function buildNodeConfig(raw: RawNodeOptions): NodeConfig {
  const id = required(raw.id, "--id");
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
    throw new RangeError(`Invalid --id '${id}': use 1-64 letters, digits, '_', '.', '-'`);
  }
  const peers = raw.peers === undefined ? null : parsePeers(raw.peers);
  const join = raw.join === undefined ? null : parseHostPort(raw.join, "--join");
  if (peers === null && join === null) throw new RangeError("One of --peers or --join is required");
  if (peers !== null && join !== null) throw new RangeError("--peers and --join are exclusive");
  const peerAddress = parseHostPort(required(raw.peer, "--peer"), "--peer");
  if (peers !== null) checkSelfInPeers(id, peerAddress, peers);
  if (raw.clusterId !== undefined && !/^[A-Za-z0-9_.:-]{1,128}$/.test(raw.clusterId)) {
    throw new RangeError(
      `Invalid --cluster-id '${raw.clusterId}': use 1-128 letters, digits, '_', '.', ':', '-'`,
    );
  }
  // Empty means none (a compose file passes `${DSYNC_CACHE_BACKEND:-}` through).
  const backend = raw.cacheBackend === undefined || raw.cacheBackend === ""
    ? null
    : parseCacheBackendUrl(raw.cacheBackend);
  const config: NodeConfig = {
    id,
    clusterId: raw.clusterId ?? (peers === null ? "" : deriveClusterId(peers)),
    clientAddress: parseHostPort(required(raw.client, "--client"), "--client"),
    peerAddress,
    peers,
    join,
    dataDir: required(raw.data, "--data"),
    requirePass: raw.requirepass ?? null,
    tls: parseTls(raw),
    metrics: raw.metrics === undefined ? null : parseHostPort(raw.metrics, "--metrics"),
    audit: parseAudit(raw),
    logLevel: parseChoice(raw.logLevel ?? "info", LOG_LEVELS, "--log-level"),
    logFormat: parseChoice(raw.logFormat ?? "text", ["text", "json"] as const, "--log-format"),
    clientCountMax: parseCount(raw.maxClients, NODE_DEFAULTS.clientCountMax, "--max-clients"),
    clientOutputBytesMax: parseCount(
      raw.clientOutputMaxBytes,
      NODE_DEFAULTS.clientOutputBytesMax,
      "--client-output-max-bytes",
    ),
    bulkBytesMax: parseBulkBytesMax(raw.maxBulkBytes),
    argumentCountMax: parseCount(
      raw.maxArguments,
      NODE_DEFAULTS.argumentCountMax,
      "--max-arguments",
    ),
    heartbeatIntervalMs: parseCount(
      raw.heartbeatMs,
      NODE_DEFAULTS.heartbeatIntervalMs,
      "--heartbeat-ms",
    ),
    failureTimeoutMs: parseCount(
      raw.failureTimeoutMs,
      NODE_DEFAULTS.failureTimeoutMs,
      "--failure-timeout-ms",
    ),
    raftTickMs: parseCount(raw.raftTickMs, NODE_DEFAULTS.raftTickMs, "--raft-tick-ms"),
    electionTicks: parseCount(raw.electionTicks, NODE_DEFAULTS.electionTicks, "--election-ticks"),
    quiesceAfterTicks: parseBoundedInt(
      raw.quiesceAfterTicks,
      NODE_DEFAULTS.quiesceAfterTicks,
      "--quiesce-after-ticks",
      QUIESCE_AFTER_TICKS_MAX,
    ),
    debugGroups: parseBoundedInt(
      raw.debugGroups,
      NODE_DEFAULTS.debugGroups,
      "--debug-groups",
      DEBUG_GROUPS_MAX,
    ),
    slotCount: parseSlotCount(raw.slots),
    vnodes: parseBoundedInt(raw.vnodes, NODE_DEFAULTS.vnodes, "--vnodes", VNODES_MAX, 1),
    replicas: parseBoundedInt(raw.replicas, NODE_DEFAULTS.replicas, "--replicas", REPLICAS_MAX, 1),
    requestTimeoutMs: parseCount(
      raw.requestTimeoutMs,
      NODE_DEFAULTS.requestTimeoutMs,
      "--request-timeout-ms",
    ),
    lockTtlMinMs: parseCount(raw.lockTtlMinMs, NODE_DEFAULTS.lockTtlMinMs, "--lock-ttl-min-ms"),
    lockTtlMaxMs: parseCount(raw.lockTtlMaxMs, NODE_DEFAULTS.lockTtlMaxMs, "--lock-ttl-max-ms"),
    lockWaitMaxMs: parseCount(raw.lockWaitMaxMs, NODE_DEFAULTS.lockWaitMaxMs, "--lock-wait-max-ms"),
    lockWaitsMax: parseCount(raw.lockWaitsMax, NODE_DEFAULTS.lockWaitsMax, "--lock-waits-max"),
    queuePartitions: parseBoundedInt(
      raw.queuePartitions,
      NODE_DEFAULTS.queuePartitions,
      "--queue-partitions",
      QUEUE_PARTITIONS_MAX,
      1,
    ),
    queueWaitMaxMs: parseCount(
      raw.queueWaitMaxMs,
      NODE_DEFAULTS.queueWaitMaxMs,
      "--queue-wait-max-ms",
    ),
    queueWaitsMax: parseCount(raw.queueWaitsMax, NODE_DEFAULTS.queueWaitsMax, "--queue-waits-max"),
    diskReserveBytes: parseBoundedInt(
      raw.diskReserveBytes,
      NODE_DEFAULTS.diskReserveBytes,
      "--disk-reserve-bytes",
      DISK_RESERVE_BYTES_MAX,
    ),
    cacheMaxBytes: parseCount(raw.cacheMaxBytes, NODE_DEFAULTS.cacheMaxBytes, "--cache-max-bytes"),
    cacheMaxEntries: parseCount(
      raw.cacheMaxEntries,
      NODE_DEFAULTS.cacheMaxEntries,
      "--cache-max-entries",
    ),
    cache: parseChoice(raw.cache ?? "on", ["on", "off"] as const, "--cache"),
    cacheWrite: parseChoice(
      raw.cacheWrite ?? "through",
      ["through", "back"] as const,
      "--cache-write",
    ),
    cacheWriteBackMs: parseBoundedInt(
      raw.cacheWritebackMs,
      NODE_DEFAULTS.cacheWriteBackMs,
      "--cache-writeback-ms",
      CACHE_WRITEBACK_MS_MAX,
      1,
    ),
    cacheLeaseMs: parseBoundedInt(
      raw.cacheLeaseMs,
      NODE_DEFAULTS.cacheLeaseMs,
      "--cache-lease-ms",
      CACHE_LEASE_MS_MAX,
      CACHE_LEASE_MS_MIN,
    ),
    cacheBackend: backend,
  };
  if (backend !== null && config.cache === "off") {
    throw new RangeError(
      "--cache-backend needs the cache: it is the cache's store of record, and --cache off " +
        "sends GET/SET to the slot groups (drop --cache off, or --cache-backend)",
    );
  }
  checkRelations(config);
  return config;
}

/** Options that are valid alone but not together. */
function checkRelations(config: NodeConfig): void {
  if (config.heartbeatIntervalMs >= config.failureTimeoutMs) {
    throw new RangeError(
      `--heartbeat-ms (${config.heartbeatIntervalMs}) must be shorter than ` +
        `--failure-timeout-ms (${config.failureTimeoutMs}), or healthy peers look down`,
    );
  }
  // Leases and waits are host timers and u32 fields of a lock op: 2^31 - 1 ms at most.
  const timed: Array<[string, number]> = [
    ["--lock-ttl-max-ms", config.lockTtlMaxMs],
    ["--lock-wait-max-ms", config.lockWaitMaxMs],
    ["--queue-wait-max-ms", config.queueWaitMaxMs],
  ];
  for (const [flag, valueMs] of timed) {
    if (valueMs > TTL_MS_MAX) {
      throw new RangeError(`Invalid ${flag} ${valueMs}: the maximum is ${TTL_MS_MAX} ms`);
    }
  }
  if (config.lockTtlMinMs > config.lockTtlMaxMs) {
    throw new RangeError(
      `--lock-ttl-min-ms (${config.lockTtlMinMs}) exceeds --lock-ttl-max-ms (${config.lockTtlMaxMs})`,
    );
  }
}

/** Parses `id=host:port,id=host:port`. */
export function parsePeers(text: string): Map<string, HostPort> {
  const peers = new Map<string, HostPort>();
  for (const item of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const at = item.indexOf("=");
    if (at <= 0) throw new RangeError(`Invalid --peers item '${item}': expected ID=HOST:PORT`);
    const peerId = item.slice(0, at);
    if (peers.has(peerId)) throw new RangeError(`Invalid --peers: id '${peerId}' appears twice`);
    peers.set(peerId, parseHostPort(item.slice(at + 1), `--peers address of '${peerId}'`));
  }
  if (peers.size === 0) throw new RangeError("Invalid --peers: empty list");
  return peers;
}

/** Same peers list → same cluster id, so nodes started alike form one cluster. */
export function deriveClusterId(peers: Map<string, HostPort>): string {
  const canonical = [...peers.entries()]
    .map(([peerId, address]) => `${peerId}=${address.host}:${address.port}`)
    .sort()
    .join(",");
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < canonical.length; i++) {
    hash = Math.imul(hash ^ canonical.charCodeAt(i), 0x01000193) >>> 0;
  }
  return `dsync-${hash.toString(16).padStart(8, "0")}`;
}

function checkSelfInPeers(id: string, peerAddress: HostPort, peers: Map<string, HostPort>): void {
  const self = peers.get(id);
  if (self === undefined) throw new RangeError(`--peers must include this node's id '${id}'`);
  if (self.port !== peerAddress.port) {
    throw new RangeError(
      `--peers gives '${id}' port ${self.port} but --peer listens on ${peerAddress.port}`,
    );
  }
}

function parseTls(raw: RawNodeOptions): NodeConfig["tls"] {
  const clientAuth = raw.tlsClientAuth !== undefined && raw.tlsClientAuth !== false &&
    raw.tlsClientAuth !== "false" && raw.tlsClientAuth !== "0";
  if (raw.tlsCert === undefined && raw.tlsKey === undefined) {
    if (raw.tlsCa !== undefined) throw new RangeError("--tls-ca needs --tls-cert and --tls-key");
    if (clientAuth) {
      throw new RangeError("--tls-client-auth needs --tls-cert, --tls-key and --tls-ca");
    }
    return null;
  }
  if (clientAuth && raw.tlsCa === undefined) {
    throw new RangeError("--tls-client-auth needs --tls-ca");
  }
  return {
    certFile: required(raw.tlsCert, "--tls-cert"),
    keyFile: required(raw.tlsKey, "--tls-key"),
    caFile: raw.tlsCa ?? null,
    clientAuth,
  };
}

function parseAudit(raw: RawNodeOptions): NodeConfig["audit"] {
  if (raw.auditLog === undefined || raw.auditLog === "") {
    for (const [flag, value] of [["--audit", raw.audit], ["--audit-full", raw.auditFull]]) {
      if (value !== undefined) throw new RangeError(`${flag} needs --audit-log`);
    }
    return null;
  }
  return {
    path: raw.auditLog,
    scope: parseChoice(raw.audit ?? "changes", ["changes", "all"] as const, "--audit"),
    full: parseChoice(raw.auditFull ?? "drop", ["block", "drop"] as const, "--audit-full"),
    recordsMax: parseCount(
      raw.auditBufferRecords,
      NODE_DEFAULTS.auditBufferRecords,
      "--audit-buffer-records",
    ),
  };
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new RangeError(`Missing required option ${flag}`);
  return value;
}

function parseCount(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new RangeError(`Invalid ${flag} '${value}': expected a positive integer`);
  }
  return parsed;
}

/** `--max-bulk-bytes`: 1..BULK_BYTES_LIMIT. */
function parseBulkBytesMax(value: string | undefined): number {
  const bytes = parseCount(value, NODE_DEFAULTS.bulkBytesMax, "--max-bulk-bytes");
  if (bytes > BULK_BYTES_LIMIT) {
    throw new RangeError(
      `Invalid --max-bulk-bytes '${value}': expected an integer in 1..${BULK_BYTES_LIMIT} ` +
        "(a value travels in one Raft entry, one peer frame)",
    );
  }
  return bytes;
}

/** `--slots`: 1..SLOT_COUNT_MAX. */
function parseSlotCount(value: string | undefined): number {
  const count = parseCount(value, NODE_DEFAULTS.slotCount, "--slots");
  if (count > SLOT_COUNT_MAX) {
    throw new RangeError(`Invalid --slots '${value}': expected an integer in 1..${SLOT_COUNT_MAX}`);
  }
  return count;
}

/** Largest --quiesce-after-ticks. */
export const QUIESCE_AFTER_TICKS_MAX = 1_000_000;
/** Largest --disk-reserve-bytes (1 GiB). */
export const DISK_RESERVE_BYTES_MAX = 1024 * 1024 * 1024;
/** Largest --debug-groups. */
export const DEBUG_GROUPS_MAX = 10_000;

/** Parses an integer in 0..max (0 allowed, unlike parseCount). */
function parseBoundedInt(
  value: string | undefined,
  fallback: number,
  flag: string,
  max: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new RangeError(`Invalid ${flag} '${value}': expected an integer in ${min}..${max}`);
  }
  return parsed;
}

function parseChoice<T extends string>(value: string, choices: readonly T[], flag: string): T {
  const found = choices.find((choice) => choice === value);
  if (found === undefined) {
    throw new RangeError(`Invalid ${flag} '${value}': expected one of ${choices.join(", ")}`);
  }
  return found;
}
