import type { RaftStatus } from "../raft/mod.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import type { ClientSession } from "./client_session.ts";
import type { CommandCall, ReplyFn } from "./command_table.ts";
import type { LockService } from "../lock_service/lock_service.ts";
import type { LockArgumentLimits } from "../lock_service/lock_arguments.ts";
import type { StallFigures } from "../util/stall_monitor.ts";

/** One hosted Raft group as CLUSTER GROUPS shows it. */
export interface GroupListing {
  groupId: number;
  /** `meta`, or `debug` for the benchmark-only groups of `--debug-groups`. */
  purpose: "meta" | "debug";
  status: RaftStatus;
}

/** Counters shown by INFO stats; only ever increase (except the recent stall in `loop`). */
export interface ServerStats {
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  protocolErrors: number;
  outputLimitDisconnects: number;
  inputBytes: number;
  outputBytes: number;
  /** Requests refused with `-LIMIT` because the node was overloaded (load shedding). */
  requestsShed: number;
  /** Client reads whose commands were deferred to a later turn (per-turn budget spent). */
  clientReadsDeferred: number;
  /** Up-to-down transitions of any peer in this node's failure detector. */
  peerDownMarks: number;
  /** Event-loop stalls (the node's stall monitor writes here). */
  loop: StallFigures;
}

/** A new, zeroed stats record. */
export function newServerStats(): ServerStats {
  return {
    connectionsReceived: 0,
    connectionsRejected: 0,
    commandsProcessed: 0,
    protocolErrors: 0,
    outputLimitDisconnects: 0,
    inputBytes: 0,
    outputBytes: 0,
    requestsShed: 0,
    clientReadsDeferred: 0,
    peerDownMarks: 0,
    loop: { stallMaxMs: 0, stallRecentMaxMs: 0, stallCount: 0 },
  };
}

/** One member as CLUSTER NODES shows it. */
export interface ClusterMemberView {
  id: string;
  peerAddress: string;
  clientAddress: string;
  role: string;
  state: "up" | "down";
  /** Milliseconds since the last frame from this member (0 for this node itself). */
  lastContactMs: number;
}

/** What CLUSTER INFO shows. */
export interface ClusterInfoView {
  nodeId: string;
  clusterId: string;
  role: string;
  term: number;
  leaderId: string;
  commitIndex: number;
  appliedIndex: number;
  memberCount: number;
  healthyMemberCount: number;
  /** Members whose data-directory incarnation the cluster has recorded. */
  registeredMemberCount: number;
}

/** One committed meta log entry as DEBUG ENTRIES shows it. */
export interface CommittedEntryView {
  index: number;
  term: number;
  /** Raft entry kind: `normal`, `config` or `noop` (a new leader's empty entry). */
  kind: string;
  /** Meta command of a normal entry (`noop`, `setMember`, `forgetMember`, `lock`); else empty. */
  op: string;
  /** A noop's payload, a member's id, or `<lock op> <name> <owner>`; empty for other kinds. */
  detail: Uint8Array;
}

/** The cluster as the command handlers see it. */
export interface ClusterView {
  info(): ClusterInfoView;
  members(): ClusterMemberView[];
  /** Adds a member; resolves once the change is committed, rejects with a `CODE message` Error. */
  addMember(id: string, peerAddress: string, clientAddress: string): Promise<void>;
  removeMember(id: string): Promise<void>;
  transferLeadership(id: string): Promise<void>;
}

/** Everything a command handler may use; the node implements it. */
export interface NodeServices {
  config: NodeConfig;
  logger: Logger;
  /** Monotonic milliseconds (performance.now based). */
  nowMs(): number;
  /** Monotonic ms at node start. */
  startedAtMs: number;
  stats: ServerStats;
  /** Connected client sessions. */
  sessions(): Iterable<ClientSession>;
  cluster: ClusterView;
  /**
   * Runs `local` when this node leads the meta group; otherwise forwards the call's command to
   * the leader and relays its reply (or answers TRYAGAIN / NOQUORUM when there is none).
   */
  onLeader(call: CommandCall, local: () => Promise<ReplyFn>): Promise<ReplyFn>;
  /** The lock service (LOCK.*). */
  locks: LockService;
  /** Bounds on lock TTL and WAIT arguments. */
  lockLimits: LockArgumentLimits;
  /** Commits a no-op meta entry (DEBUG PROPOSE); resolves once applied. */
  proposeNoop(payload: Uint8Array): Promise<void>;
  /**
   * Commits a no-op entry in hosted group `groupId` when this node leads it (DEBUG PROPOSE ...
   * GROUP); ClusterError ERR for a group not hosted here, TRYAGAIN naming the leader otherwise.
   */
  proposeNoopInGroup(groupId: number, payload: Uint8Array): Promise<void>;
  /** Every Raft group this node hosts, with its purpose and status (CLUSTER GROUPS). */
  raftGroups(): GroupListing[];
  /** This node's committed meta log entries from `fromIndex`, at most `countMax` (DEBUG ENTRIES). */
  committedEntries(fromIndex: number, countMax: number): Promise<CommittedEntryView[]>;
  /** Extra INFO sections provided by subsystems (locks, queues, cache, persistence). */
  infoSections(): Map<string, Array<[string, string | number]>>;
}
