/** Log options (`NodeLogOptions` extends them), their defaults and validation. */
import { type LogFields, Logger } from "../log/logger.ts";
import { DENO_FILE_SYSTEM } from "./deno_file_system.ts";
import { InvalidLogRequestError } from "./errors.ts";
import type { FileSystem } from "./file_system.ts";
import {
  BATCH_BYTES_MAX_DEFAULT,
  CACHE_BYTES_MAX_DEFAULT,
  ID_BYTES_MAX,
  LOG_ENTRIES_MAX_DEFAULT,
  PENDING_APPENDS_MAX_DEFAULT,
  PENDING_BYTES_MAX_DEFAULT,
  RECORD_BYTES_MAX_DEFAULT,
  RECORD_BYTES_MIN,
  SEGMENT_BYTES_CEILING,
  SEGMENT_BYTES_MAX_DEFAULT,
  SNAPSHOT_CONFIG_BYTES_MAX_DEFAULT,
  SNAPSHOT_DATA_BYTES_MAX_DEFAULT,
} from "./limits.ts";
import { SEGMENT_HEADER_RECORD_BYTES } from "./log_record.ts";
import { RECORD_HEADER_BYTES } from "./record_frame.ts";

/** Where storage reports recovery events (a torn tail, ...); the node's `Logger` fits. */
export interface WalLog {
  /** Normal but notable event. */
  info(message: string, fields?: LogFields): void;
  /** Something was repaired or ignored. */
  warn(message: string, fields?: LogFields): void;
}

/** Options of the node log apart from `groupsMax`; all sizes in bytes. */
export interface WalOptions {
  /** Cluster this node belongs to; must match the data dir's identity. */
  clusterId: string;
  /** This node's id; must match the data dir's identity. */
  nodeId: string;
  /**
   * The node was already a cluster member (it may have voted): refuse to start on an empty
   * data dir instead of initialising a fresh one. Default false.
   */
  expectExisting?: boolean;
  /** Size at which a segment is closed and the next one started. Default 64 MiB. */
  segmentBytesMax?: number;
  /** Largest record (one `append()` call), header included. Default 16 MiB. */
  recordBytesMax?: number;
  /** Bytes of appends written by one write + fdatasync. Default 16 MiB. */
  batchBytesMax?: number;
  /** Appends queued or in flight before new ones are refused. Default 4096. */
  pendingAppendsMax?: number;
  /** Bytes of appends queued or in flight before new ones are refused. Default 64 MiB. */
  pendingBytesMax?: number;
  /** Entry data kept in memory for reads of the log's tail. Default 32 MiB. */
  cacheBytesMax?: number;
  /** Entries the log may hold between snapshots. Default 4 Mi. */
  logEntriesMax?: number;
  /** Largest snapshot membership configuration. Default 1 MiB. */
  snapshotConfigBytesMax?: number;
  /** Largest snapshot state machine image. Default 1 GiB. */
  snapshotDataBytesMax?: number;
  /** Receives recovery events. Default: an info-level text logger on stderr. */
  log?: WalLog;
  /** The file layer every read, write and sync goes through. Default: the real disk. */
  fileSystem?: FileSystem;
}

/** `WalOptions` with every default filled in and every constraint checked. */
export interface ResolvedWalOptions {
  clusterId: string;
  nodeId: string;
  expectExisting: boolean;
  segmentBytesMax: number;
  recordBytesMax: number;
  batchBytesMax: number;
  pendingAppendsMax: number;
  pendingBytesMax: number;
  cacheBytesMax: number;
  logEntriesMax: number;
  snapshotConfigBytesMax: number;
  snapshotDataBytesMax: number;
  log: WalLog;
  fileSystem: FileSystem;
}

/** Largest prologue a new segment starts with: its header plus a carried-over hard state. */
export const SEGMENT_PROLOGUE_BYTES_MAX = SEGMENT_HEADER_RECORD_BYTES + RECORD_HEADER_BYTES +
  2 + 17 + ID_BYTES_MAX;

/** Fills in defaults and validates `options`; throws `InvalidLogRequestError` when unusable. */
export function resolveWalOptions(options: WalOptions): ResolvedWalOptions {
  const resolved: ResolvedWalOptions = {
    clusterId: options.clusterId,
    nodeId: options.nodeId,
    expectExisting: options.expectExisting ?? false,
    segmentBytesMax: options.segmentBytesMax ?? SEGMENT_BYTES_MAX_DEFAULT,
    recordBytesMax: options.recordBytesMax ?? RECORD_BYTES_MAX_DEFAULT,
    batchBytesMax: options.batchBytesMax ?? BATCH_BYTES_MAX_DEFAULT,
    pendingAppendsMax: options.pendingAppendsMax ?? PENDING_APPENDS_MAX_DEFAULT,
    pendingBytesMax: options.pendingBytesMax ?? PENDING_BYTES_MAX_DEFAULT,
    cacheBytesMax: options.cacheBytesMax ?? CACHE_BYTES_MAX_DEFAULT,
    logEntriesMax: options.logEntriesMax ?? LOG_ENTRIES_MAX_DEFAULT,
    snapshotConfigBytesMax: options.snapshotConfigBytesMax ?? SNAPSHOT_CONFIG_BYTES_MAX_DEFAULT,
    snapshotDataBytesMax: options.snapshotDataBytesMax ?? SNAPSHOT_DATA_BYTES_MAX_DEFAULT,
    log: options.log ?? new Logger({ level: "info", format: "text" }).with({ component: "wal" }),
    fileSystem: options.fileSystem ?? DENO_FILE_SYSTEM,
  };
  checkId("clusterId", resolved.clusterId);
  checkId("nodeId", resolved.nodeId);
  checkRange("recordBytesMax", resolved.recordBytesMax, RECORD_BYTES_MIN, SEGMENT_BYTES_CEILING);
  checkRange("batchBytesMax", resolved.batchBytesMax, resolved.recordBytesMax, Infinity);
  checkRange(
    "segmentBytesMax",
    resolved.segmentBytesMax,
    resolved.batchBytesMax + SEGMENT_PROLOGUE_BYTES_MAX,
    SEGMENT_BYTES_CEILING,
  );
  checkRange("pendingAppendsMax", resolved.pendingAppendsMax, 1, Infinity);
  checkRange("pendingBytesMax", resolved.pendingBytesMax, resolved.batchBytesMax, Infinity);
  checkRange("cacheBytesMax", resolved.cacheBytesMax, 0, Infinity);
  checkRange("logEntriesMax", resolved.logEntriesMax, 1, 0xffff_ffff);
  checkRange("snapshotConfigBytesMax", resolved.snapshotConfigBytesMax, 0, 0xffff_ffff);
  checkRange("snapshotDataBytesMax", resolved.snapshotDataBytesMax, 0, Number.MAX_SAFE_INTEGER);
  return resolved;
}

/** Checks a cluster or node id: 1..255 bytes of UTF-8. */
export function checkId(name: string, value: string): void {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value).length : 0;
  if (bytes < 1 || bytes > ID_BYTES_MAX) {
    throw new InvalidLogRequestError(
      `Cannot open log: ${name} must be 1..${ID_BYTES_MAX} bytes of UTF-8, got ${bytes}`,
    );
  }
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidLogRequestError(
      `Cannot open log: ${name} is ${value}, must be an integer in ${min}..${max}`,
    );
  }
}
