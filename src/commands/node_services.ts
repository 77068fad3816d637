import type { RaftStatus } from "../raft/mod.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import type { ClientSession } from "./client_session.ts";
import type { StallFigures } from "../util/stall_monitor.ts";

/** One hosted Raft group as CLUSTER GROUPS shows it. */
export interface GroupListing {
  groupId: number;
  /** `meta`, `slot`, or `debug` for the benchmark-only groups of `--debug-groups`. */
  purpose: "meta" | "slot" | "debug";
  /** The slot the group holds (purpose `slot`), else null. */
  slot: number | null;
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

/** This node's disk as INFO, /health and the metrics show it. */
export interface DiskView {
  /** True while the disk is full: writes are refused with NOSPACE, reads are served. */
  full: boolean;
  /** Milliseconds the disk has been full (0 when not). */
  fullForMs: number;
  /** Writes refused with NOSPACE (clients' and the node's own, e.g. lease expiries). */
  noSpaceRefusals: number;
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

/** What an AUTH attempt came to. */
export type AuthOutcome =
  | { kind: "ok" }
  | { kind: "wrongpass" }
  /** Too many failures from this client address lately: refused before any check. */
  | { kind: "limited"; retryAfterMs: number };

/** Authentication as the connection commands see it (src/acl/ implements it). */
export interface AclAccess {
  /** True when a new connection starts authenticated as `default` (on, no password anywhere). */
  startsAuthenticated(): boolean;
  /** True when `default` has no password (a one-argument AUTH is then an error, as in Redis). */
  defaultHasNoPassword(): boolean;
  /** Checks `user`'s password; failures count against `clientAddress` (rate limit). */
  authenticate(user: string, password: string, clientAddress: string): Promise<AuthOutcome>;
}

/**
 * What the node's own commands (connection, INFO, CLUSTER, CONFIG, DEBUG) use; the node implements
 * it. Subsystems' commands close over their own services instead (src/subsystem/).
 */
export interface NodeServices {
  config: NodeConfig;
  logger: Logger;
  /** Who may log in. */
  acl: AclAccess;
  /** Monotonic milliseconds (performance.now based). */
  nowMs(): number;
  /** Monotonic ms at node start. */
  startedAtMs: number;
  stats: ServerStats;
  /** Connected client sessions. */
  sessions(): Iterable<ClientSession>;
  cluster: ClusterView;
  /** Commits a no-op meta entry (DEBUG PROPOSE); resolves once applied. */
  proposeNoop(payload: Uint8Array): Promise<void>;
  /**
   * Commits a no-op entry in hosted group `groupId` when this node leads it (DEBUG PROPOSE ...
   * GROUP); ClusterError ERR for a group not hosted here, TRYAGAIN naming the leader otherwise.
   */
  proposeNoopInGroup(groupId: number, payload: Uint8Array): Promise<void>;
  /** The cluster's slot count (recorded when the cluster was created; CLUSTER KEYSLOT). */
  slotCount(): number;
  /** Every Raft group this node hosts, with its purpose and status (CLUSTER GROUPS). */
  raftGroups(): GroupListing[];
  /** This node's committed meta log entries from `fromIndex`, at most `countMax` (DEBUG ENTRIES). */
  committedEntries(fromIndex: number, countMax: number): Promise<CommittedEntryView[]>;
  /** The state of this node's disk (full or not). */
  disk(): DiskView;
  /** Extra INFO sections provided by subsystems (locks, queues, cache, persistence). */
  infoSections(): Map<string, Array<[string, string | number]>>;
}
