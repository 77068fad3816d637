/** Options of `NodeLog.open`: the shared log options plus the bound on groups. */
import { InvalidLogRequestError } from "./errors.ts";
import { GROUPS_MAX_DEFAULT, ID_BYTES_MAX } from "./limits.ts";
import { SEGMENT_HEADER_RECORD_BYTES } from "./log_record.ts";
import { type ResolvedWalOptions, resolveWalOptions, type WalOptions } from "./options.ts";
import { RECORD_HEADER_BYTES } from "./record_frame.ts";

/** Options of `NodeLog.open`; `cacheBytesMax` is shared by all groups. */
export interface NodeLogOptions extends WalOptions {
  /** Groups the log may hold at once. Default 1024. */
  groupsMax?: number;
  /**
   * Bytes of the reserve file spent when the disk fills, so the write that found it full still
   * completes (see disk_space.ts). Default 0: none, a write on a full disk waits for room.
   */
  diskReserveBytes?: number;
  /** How often a full disk is probed for room, in milliseconds. Default 500. */
  diskProbeIntervalMs?: number;
}

/** `NodeLogOptions` with defaults filled in and constraints checked. */
export interface ResolvedNodeLogOptions extends ResolvedWalOptions {
  groupsMax: number;
  diskReserveBytes: number;
  diskProbeIntervalMs: number;
  /** Largest segment prologue: the header plus one hard state and snapshot per group. */
  prologueBytesMax: number;
}

/** Largest prologue record of one group (type, id, flags, hard state, snapshot). */
const PROLOGUE_GROUP_BYTES_MAX = RECORD_HEADER_BYTES + 1 + 4 + 1 + 17 + ID_BYTES_MAX + 16;

/** Default probe interval of a full disk, in milliseconds. */
export const DISK_PROBE_INTERVAL_MS_DEFAULT = 500;
/** Largest disk reserve, in bytes. */
const DISK_RESERVE_BYTES_CEILING = 1024 * 1024 * 1024;

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidLogRequestError(
      `Cannot open log: ${name} is ${value}, must be an integer in ${min}..${max}`,
    );
  }
}

/** Fills in defaults and validates; a new segment must fit a whole batch plus the prologue. */
export function resolveNodeLogOptions(options: NodeLogOptions): ResolvedNodeLogOptions {
  const base = resolveWalOptions(options);
  const groupsMax = options.groupsMax ?? GROUPS_MAX_DEFAULT;
  if (!Number.isInteger(groupsMax) || groupsMax < 1 || groupsMax > 1_000_000) {
    throw new InvalidLogRequestError(
      `Cannot open log: groupsMax is ${groupsMax}, must be an integer in 1..1000000`,
    );
  }
  const prologueBytesMax = SEGMENT_HEADER_RECORD_BYTES + groupsMax * PROLOGUE_GROUP_BYTES_MAX;
  if (base.segmentBytesMax < base.batchBytesMax + prologueBytesMax) {
    throw new InvalidLogRequestError(
      `Cannot open log: segmentBytesMax ${base.segmentBytesMax} must be at least ` +
        `batchBytesMax + ${prologueBytesMax} (the prologue of ${groupsMax} groups)`,
    );
  }
  const diskReserveBytes = options.diskReserveBytes ?? 0;
  const diskProbeIntervalMs = options.diskProbeIntervalMs ?? DISK_PROBE_INTERVAL_MS_DEFAULT;
  checkInteger("diskReserveBytes", diskReserveBytes, 0, DISK_RESERVE_BYTES_CEILING);
  checkInteger("diskProbeIntervalMs", diskProbeIntervalMs, 10, 60_000);
  return { ...base, groupsMax, prologueBytesMax, diskReserveBytes, diskProbeIntervalMs };
}
