import type { NodeId } from "./types.ts";

/** How ReadIndex requests are confirmed. */
export type ReadOnlyMode = "safe" | "leaseBased";

/** Configuration of one Raft node in one group. All limits are enforced and tested. */
export interface RaftConfig {
  /** This node's id. */
  id: NodeId;
  /** Group id stamped on every message (u32). */
  groupId: number;
  /** Base election timeout; the randomized timeout lies in [T, 2T) ticks. */
  electionTimeoutTicks: number;
  /** Leader heartbeat interval in ticks; must be < electionTimeoutTicks. */
  heartbeatTimeoutTicks: number;
  /** Run a PreVote round before incrementing the term. */
  preVote: boolean;
  /** Leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum: boolean;
  /** `safe`: confirm leadership with a heartbeat round; `leaseBased`: trust the lease. */
  readOnly: ReadOnlyMode;
  /** Maximum appends in flight per follower in replicate state. */
  inflightAppendsMax: number;
  /** Maximum entry payload bytes per append message (one larger entry is still sent alone). */
  appendBytesMax: number;
  /** Maximum entries per append message. */
  appendEntriesMax: number;
  /** Maximum uncommitted entries on a leader; proposals beyond are refused. */
  uncommittedEntriesMax: number;
  /** Maximum uncommitted payload bytes on a leader; proposals beyond are refused. */
  uncommittedBytesMax: number;
  /** Maximum payload bytes of one proposed entry. */
  entryBytesMax: number;
  /** Maximum ReadIndex requests waiting on a leader (or forwarded by a follower). */
  pendingReadsMax: number;
  /** Maximum committed entries handed out per Ready. */
  readyCommittedEntriesMax: number;
  /** Maximum bytes per snapshot chunk message. */
  snapshotChunkBytes: number;
  /** Maximum size of a snapshot image in bytes. */
  snapshotBytesMax: number;
  /**
   * Leader ticks of idleness (no proposal, read, transfer or membership change, every member
   * caught up) after which the group goes quiet and stops heartbeating; 0 never (see quiesce.ts).
   */
  quiesceAfterTicks: number;
  /** Source of randomness in [0, 1) (election timeout jitter only). */
  random: () => number;
}

/** Default limits, merged by `newRaftConfig`. */
export const RAFT_CONFIG_DEFAULTS = {
  electionTimeoutTicks: 10,
  heartbeatTimeoutTicks: 1,
  preVote: true,
  checkQuorum: true,
  readOnly: "safe" as ReadOnlyMode,
  inflightAppendsMax: 64,
  appendBytesMax: 1024 * 1024,
  appendEntriesMax: 512,
  uncommittedEntriesMax: 10_000,
  uncommittedBytesMax: 64 * 1024 * 1024,
  entryBytesMax: 1024 * 1024,
  pendingReadsMax: 4096,
  readyCommittedEntriesMax: 1024,
  snapshotChunkBytes: 512 * 1024,
  snapshotBytesMax: 1024 * 1024 * 1024,
  quiesceAfterTicks: 0,
} as const;

/** Required fields plus any overrides of the defaults. */
export type RaftConfigInput =
  & Pick<RaftConfig, "id" | "groupId" | "random">
  & Partial<Omit<RaftConfig, "id" | "groupId" | "random">>;

/** Builds a full config from defaults and overrides, then validates it. */
export function newRaftConfig(input: RaftConfigInput): RaftConfig {
  const config: RaftConfig = { ...RAFT_CONFIG_DEFAULTS, ...input };
  validateRaftConfig(config);
  return config;
}

/** Throws an Error describing the first invalid field. */
export function validateRaftConfig(config: RaftConfig): void {
  if (config.id.length === 0 || config.id.length > 255) {
    throw new Error(`Invalid Raft config: id length ${config.id.length} not in 1..255`);
  }
  if (!Number.isInteger(config.groupId) || config.groupId < 0 || config.groupId > 0xffffffff) {
    throw new Error(`Invalid Raft config: groupId ${config.groupId} is not a u32`);
  }
  const positive: [string, number][] = [
    ["electionTimeoutTicks", config.electionTimeoutTicks],
    ["heartbeatTimeoutTicks", config.heartbeatTimeoutTicks],
    ["inflightAppendsMax", config.inflightAppendsMax],
    ["appendBytesMax", config.appendBytesMax],
    ["appendEntriesMax", config.appendEntriesMax],
    ["uncommittedEntriesMax", config.uncommittedEntriesMax],
    ["uncommittedBytesMax", config.uncommittedBytesMax],
    ["entryBytesMax", config.entryBytesMax],
    ["pendingReadsMax", config.pendingReadsMax],
    ["readyCommittedEntriesMax", config.readyCommittedEntriesMax],
    ["snapshotChunkBytes", config.snapshotChunkBytes],
    ["snapshotBytesMax", config.snapshotBytesMax],
  ];
  for (const [name, value] of positive) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`Invalid Raft config: ${name} ${value} must be a positive integer`);
    }
  }
  if (!Number.isSafeInteger(config.quiesceAfterTicks) || config.quiesceAfterTicks < 0) {
    throw new Error(
      `Invalid Raft config: quiesceAfterTicks ${config.quiesceAfterTicks} must be a ` +
        `non-negative integer`,
    );
  }
  if (config.heartbeatTimeoutTicks >= config.electionTimeoutTicks) {
    throw new Error(
      `Invalid Raft config: heartbeatTimeoutTicks ${config.heartbeatTimeoutTicks} must be ` +
        `below electionTimeoutTicks ${config.electionTimeoutTicks}`,
    );
  }
  if (config.readOnly === "leaseBased" && !config.checkQuorum) {
    throw new Error("Invalid Raft config: readOnly leaseBased requires checkQuorum");
  }
}
