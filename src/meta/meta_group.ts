import { SeededRandom } from "../raft/mod.ts";
import type { GroupLog, NodeLog } from "../storage/mod.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import type { PeerTransport } from "../peer/peer_transport.ts";
import type { RaftStatus } from "../raft/mod.ts";
import type { RaftGroups } from "../consensus/raft_groups.ts";
import type { RaftOutbox } from "../consensus/raft_outbox.ts";
import { ClusterError } from "../consensus/cluster_error.ts";
import { RaftHost } from "../consensus/raft_host.ts";
import { formatHostPort, type HostPort, parseHostPort } from "../util/host_port.ts";
import { encodeMetaCommand, type MemberAddress, type MetaCommand } from "./meta_command.ts";
import { type MetaApplyResult, MetaState } from "./meta_state.ts";
import {
  compareIds,
  computePlacement,
  encodePlacement,
  placementMovement,
} from "../placement/mod.ts";
import type { MachineResult, MetaMachine } from "./meta_machine.ts";
import { CLUSTER_SETTING, ClusterSettingsMachine } from "./cluster_settings.ts";
import { SettingsRecorder } from "./settings_recorder.ts";

/** Raft group id of the cluster's meta group. */
export const META_GROUP_ID = 0;
/** How often the leader checks for members whose incarnation is not recorded yet. */
const REGISTER_INTERVAL_MS = 500;
/** Voters at most; further members stay learners. */
export const META_VOTERS_MAX = 7;
/**
 * Committed entries applied per Ready: the host yields to the event loop between Readys once a
 * slice is spent, so a long run of commits (a storm, a restart) is applied in bounded turns.
 */
const META_READY_COMMITTED_ENTRIES_MAX = 256;

/** Timing of the meta group. */
export interface MetaTiming {
  tickMs: number;
  electionTicks: number;
  /** Idle leader ticks before the group goes quiet (0 never); the host default when absent. */
  quiesceAfterTicks?: number;
  requestTimeoutMs: number;
  snapshotEntriesMax: number;
}

/** Defaults: a 50 ms tick, elections after 500-1000 ms of silence. */
export const META_TIMING_DEFAULTS: MetaTiming = {
  tickMs: 50,
  electionTicks: 10,
  requestTimeoutMs: 10_000,
  snapshotEntriesMax: 10_000,
};

/** The cluster's meta Raft group on this node: membership, and later the lock table. */
export class MetaGroup {
  readonly state: MetaState;
  readonly host: RaftHost<MetaApplyResult>;
  /** The node log the group writes through (shared with every group of the node). */
  readonly log: NodeLog;
  /** Settings fixed at the cluster's creation (`--queue-partitions`). */
  readonly settings: SettingsRecorder;
  readonly #config: NodeConfig;
  readonly #transport: PeerTransport;
  readonly #logger: Logger;
  #registrar: ReturnType<typeof setInterval> | undefined;
  /** Members whose incarnation registration is being proposed. */
  readonly #registering = new Set<string>();
  /** Member ids whose record this leader is forgetting (proposed, not applied yet). */
  readonly #forgetting = new Set<string>();
  /** Membership and term #forgetRemoved last looked at: it looks again only when they change. */
  #forgetCheckedKey = "";
  /** Membership (record version and configuration) the peer set was last reconciled with. */
  #reconciledKey = "";
  /** A learner promotion is being proposed (one membership change at a time). */
  #promoting = false;
  /** The placement epoch the last onPlacementChanged call saw. */
  #placementEpochSeen = 0;
  /** Called after an applied batch that changed the slots' placement (and once it is known). */
  onPlacementChanged: () => void = () => {};
  /** A placement is being proposed. */
  #recordingPlacement = false;
  /** The recorded slot count differs from --slots and that was logged. */
  #placementMismatchLogged = false;

  private constructor(
    config: NodeConfig,
    transport: PeerTransport,
    logger: Logger,
    log: NodeLog,
    host: RaftHost<MetaApplyResult>,
    state: MetaState,
    settings: ClusterSettingsMachine,
  ) {
    this.state = state;
    this.settings = new SettingsRecorder(
      settings,
      [{ name: CLUSTER_SETTING.queuePartitions, value: config.queuePartitions }],
      (entry) => this.proposeMachine(entry),
      logger,
    );
    this.#config = config;
    this.#transport = transport;
    this.#logger = logger;
    this.log = log;
    this.host = host;
  }

  /**
   * Restores the group from its view of the node log. `machines`: the subsystems' state machines
   * in this group, registered before the snapshot and the log reach the state.
   */
  static async open(
    config: NodeConfig,
    transport: PeerTransport,
    raft: { groups: RaftGroups; outbox: RaftOutbox; log: NodeLog },
    logger: Logger,
    timing: MetaTiming,
    machines: readonly MetaMachine[] = [],
    seed?: { index: number; image: Uint8Array },
  ): Promise<MetaGroup> {
    const wal = raft.log.group(META_GROUP_ID);
    const ids = [...(config.peers?.keys() ?? [])].sort();
    const settings = new ClusterSettingsMachine();
    const state = new MetaState([...machines, settings]);
    let group: MetaGroup | null = null;
    const host = await RaftHost.open({
      nodeId: config.id,
      groupId: META_GROUP_ID,
      bootstrap: { voters: ids.slice(0, META_VOTERS_MAX), learners: ids.slice(META_VOTERS_MAX) },
      wal,
      machine: state,
      send: (message) => raft.outbox.enqueue(message),
      quorumReachable: () => group?.quorumReachable() ?? false,
      diskFull: () => raft.log.diskFull,
      logger,
      random: new SeededRandom(seedFrom(config.id)).fn(),
      raft: {
        electionTimeoutTicks: timing.electionTicks,
        heartbeatTimeoutTicks: 1,
        readyCommittedEntriesMax: META_READY_COMMITTED_ENTRIES_MAX,
        ...(timing.quiesceAfterTicks === undefined
          ? {}
          : { quiesceAfterTicks: timing.quiesceAfterTicks }),
      },
      snapshotEntriesMax: timing.snapshotEntriesMax,
      requestTimeoutMs: timing.requestTimeoutMs,
      ...(seed === undefined ? {} : { seed }),
    });
    group = new MetaGroup(config, transport, logger, raft.log, host, state, settings);
    raft.groups.add(META_GROUP_ID, host);
    host.onApplied = () => group!.#afterApply(host.status());
    group.#afterApply(host.status());
    return group;
  }

  /** Starts the leader's incarnation registration (the shared RaftGroups clock ticks the group). */
  start(): void {
    this.#registrar = setInterval(() => {
      const status = this.host.status();
      this.#registerIncarnations(status);
      this.#promoteLearners(status);
    }, REGISTER_INTERVAL_MS);
  }

  /** Fails pending requests (the node closes the node log afterwards). */
  stop(): void {
    clearInterval(this.#registrar);
    this.host.close();
  }

  /** The meta group's own view of the node log (its entries, snapshots, hard state). */
  get groupLog(): GroupLog {
    return this.log.group(META_GROUP_ID);
  }

  /** The core's status. */
  status(): RaftStatus {
    return this.host.status();
  }

  /** True when this node and the peers it sees up form a majority of the voters. */
  quorumReachable(): boolean {
    const voters = this.host.status().confState.voters;
    const up = new Set(
      this.#transport.peers().filter((peer) => peer.health.state === "up").map((peer) => peer.id),
    );
    up.add(this.#config.id);
    return voters.filter((id) => up.has(id)).length * 2 > voters.length;
  }

  /** Best known addresses of a member: replicated record, else --peers, else the transport. */
  addressOf(id: string): MemberAddress | undefined {
    const record = this.state.member(id);
    if (record !== undefined) return record;
    if (id === this.#config.id) {
      return {
        id,
        peerAddress: formatHostPort(this.#config.peerAddress),
        clientAddress: formatHostPort(this.#config.clientAddress),
        incarnationId: "",
      };
    }
    const peer = this.#transport.peers().find((candidate) => candidate.id === id);
    if (peer === undefined) return undefined;
    return {
      id,
      peerAddress: peer.peerAddress,
      clientAddress: peer.clientAddress || "-",
      incarnationId: "",
    };
  }

  /** Proposes a subsystem machine's entry (its op code first); resolves with its result. */
  async proposeMachine(entry: Uint8Array): Promise<MachineResult> {
    const result = await this.host.propose(entry);
    if (result === null) throw new ClusterError("ERR", "entry applied without a result");
    if (result.kind === "refused") throw ClusterError.of(result.refusal);
    if (result.kind !== "machine") throw new ClusterError("ERR", "entry applied as a meta command");
    return result.result;
  }

  /** Proposes a meta command; resolves with its result once applied (refusals throw). */
  async proposeCommand(command: MetaCommand): Promise<MetaApplyResult> {
    const result = await this.host.propose(encodeMetaCommand(command));
    if (result === null) throw new ClusterError("ERR", "entry applied without a result");
    if (result.kind === "refused") throw ClusterError.of(result.refusal);
    return result;
  }

  /** This node's data-directory incarnation. */
  incarnationId(): string {
    return this.log.identity().incarnationId;
  }

  /**
   * Refuses a peer whose data directory is not the one the cluster recorded: a wiped disk
   * forgot the node's votes, so it must not take part until it is removed and added back.
   */
  checkIncarnation(peerId: string, incarnationId: string): string | null {
    const recorded = this.state.member(peerId)?.incarnationId ?? "";
    if (recorded === "" || recorded === incarnationId) return null;
    return `node ${peerId}'s data directory was replaced (recorded incarnation ` +
      `${recorded.slice(0, 8)}, now ${incarnationId.slice(0, 8)}): it may have lost its Raft ` +
      `vote. Remove it (CLUSTER REMOVE ${peerId}) and add it back; see docs/storage.md`;
  }

  /** After each applied batch: follow membership changes; a leader registers and promotes. */
  #afterApply(status: RaftStatus): void {
    const conf = status.confState;
    const membershipKey = `${this.state.membershipVersion}|${conf.voters}|${conf.learners}`;
    if (membershipKey !== this.#reconciledKey) {
      this.#reconciledKey = membershipKey;
      this.#reconcilePeers(status);
    }
    this.#checkPlacement();
    this.settings.afterApply(status);
    if (this.state.placementEpoch !== this.#placementEpochSeen) {
      this.#placementEpochSeen = this.state.placementEpoch;
      this.onPlacementChanged();
    }
    if (status.role !== "leader") return;
    this.#forgetRemoved(status, membershipKey);
    this.#tellRemoved(status);
    this.#registerIncarnations(status);
    this.#promoteLearners(status);
    this.#recordPlacement(status);
  }

  /** The cluster's slot count: the recorded one, else this node's --slots (not recorded yet). */
  slotCount(): number {
    return this.state.slotCount || this.#config.slotCount;
  }

  /**
   * Leader: records the slots' placement when the cluster is new (--slots, --vnodes, --replicas)
   * and a new one whenever the group's members (voters and learners) differ from the ring's.
   * The slot count, vnodes and replicas stay those of the first placement.
   */
  #recordPlacement(status: RaftStatus): void {
    if (this.#recordingPlacement) return;
    const conf = status.confState;
    const members = [...new Set([...conf.voters, ...conf.learners])].sort(compareIds);
    if (members.length === 0) return;
    const previous = this.state.placement ?? undefined;
    if (previous !== undefined && sameIds(previous.members, members)) return;
    const config = previous ?? {
      slotCount: this.state.slotCount || this.#config.slotCount,
      vnodes: this.#config.vnodes,
      replicas: this.#config.replicas,
    };
    const placement = computePlacement(members, config, previous);
    const moved = previous === undefined ? null : placementMovement(previous, placement);
    this.#recordingPlacement = true;
    this.proposeCommand({ op: "placeSlots", placement: encodePlacement(placement) })
      .then(() =>
        this.#logger.info("slot placement recorded", {
          members: members.join(","),
          epoch: this.state.placementEpoch,
          slots_changed: moved?.slotsChanged ?? placement.slotCount,
          replicas_moved: moved?.replicasMoved ?? 0,
        })
      )
      .catch((error) => this.#logger.debug("placement not recorded yet", { error: String(error) }))
      .finally(() => this.#recordingPlacement = false);
  }

  /** Logs once when this node's --slots differs from the cluster's recorded slot count. */
  #checkPlacement(): void {
    const recorded = this.state.slotCount;
    if (recorded === 0 || recorded === this.#config.slotCount || this.#placementMismatchLogged) {
      return;
    }
    this.#placementMismatchLogged = true;
    this.#logger.warn("--slots differs from the cluster's; using the cluster's", {
      slots: this.#config.slotCount,
      cluster_slots: recorded,
    });
  }

  /**
   * Leader: forgets the address record of every registered member that left the configuration.
   * A leader that removes itself steps down when the removal commits and cannot forget its own
   * record; while the record stays, the node counts as a member, is never told it was removed,
   * and keeps leading its slot groups. A record without an incarnation is a node still joining
   * (its record is set before it is added), so it stays.
   */
  #forgetRemoved(status: RaftStatus, membershipKey: string): void {
    const conf = status.confState;
    const key = `${membershipKey}|${status.term}`;
    if (key === this.#forgetCheckedKey) return; // every lock entry applies here: stay cheap
    this.#forgetCheckedKey = key;
    for (const record of this.state.members()) {
      const { id } = record;
      if (record.incarnationId === "" || this.#forgetting.has(id)) continue;
      if (conf.voters.includes(id) || conf.learners.includes(id)) continue;
      this.#forgetting.add(id);
      this.proposeCommand({ op: "forgetMember", id })
        .then(() => this.#logger.info("removed member forgotten", { member: id }))
        .catch((error) => {
          this.#forgetCheckedKey = ""; // look again after the next apply
          this.#logger.debug("member not forgotten yet", { error: String(error) });
        })
        .finally(() => this.#forgetting.delete(id));
    }
  }

  /** Leader: records the incarnation of every member it has a handshake from (and its own). */
  #registerIncarnations(status: RaftStatus): void {
    if (status.role !== "leader") return;
    const members = new Set([...status.confState.voters, ...status.confState.learners]);
    const seen = new Map(this.#transport.peers().map((peer) => [peer.id, peer.incarnationId]));
    seen.set(this.#config.id, this.incarnationId());
    for (const [id, incarnationId] of seen) {
      if (!members.has(id) || incarnationId === "" || this.#registering.has(id)) continue;
      if ((this.state.member(id)?.incarnationId ?? "") !== "") continue;
      const address = this.addressOf(id);
      if (address === undefined || address.clientAddress === "-") continue;
      this.#registering.add(id);
      this.proposeCommand({ op: "setMember", member: { ...address, incarnationId } })
        .catch((error) =>
          this.#logger.debug("incarnation registration deferred", {
            member: id,
            error: String(error),
          })
        )
        .finally(() => this.#registering.delete(id));
    }
  }

  /**
   * Leader: promotes one caught-up learner (match index at the commit index, its connection up)
   * to voter while there are fewer than META_VOTERS_MAX voters.
   */
  #promoteLearners(status: RaftStatus): void {
    if (status.role !== "leader" || this.#promoting) return;
    if (status.confState.voters.length >= META_VOTERS_MAX) return;
    const ready = status.progress.find((progress) =>
      progress.isLearner && progress.matchIndex >= status.commitIndex &&
      this.#transport.isUp(progress.id)
    );
    if (ready === undefined) return;
    this.#promoting = true;
    this.host.proposeConfChange({ type: "addVoter", nodeId: ready.id })
      .then(() => this.#logger.info("learner promoted to voter", { member: ready.id }))
      .catch((error) =>
        this.#logger.debug("learner promotion deferred", { member: ready.id, error: String(error) })
      )
      .finally(() => this.#promoting = false);
  }

  /** Every member id: voters, learners and registered members. */
  #memberIds(status: RaftStatus): Set<string> {
    const conf = status.confState;
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const record of this.state.members()) members.add(record.id);
    return members;
  }

  /** Keeps the transport's peer set equal to the replicated membership. */
  #reconcilePeers(status: RaftStatus): void {
    const members = this.#memberIds(status);
    if (members.size === 0) return; // a joining node has not received the log yet
    for (const id of members) {
      // Known peers keep the address this node was configured or joined with (it may reach
      // them through a different route than the leader does); only new members are added.
      if (id === this.#config.id || this.#transport.hasPeer(id)) continue;
      const address = this.addressOf(id);
      if (address === undefined) continue;
      const parsed = tryParse(address.peerAddress);
      if (parsed !== null) this.#transport.addPeer(id, parsed);
    }
    if (status.role === "leader") return this.#tellRemoved(status);
    for (const peer of this.#transport.peers()) {
      if (!members.has(peer.id)) this.#transport.removePeer(peer.id);
    }
  }

  /**
   * Leader: drops peers that are no longer members, telling each it was removed. Only once every
   * entry of the leader's log is applied, so its membership is the latest committed one (a
   * follower, or a leader still applying, may see an older membership that lacks a later
   * member, which must not be told to leave); until then the links stay.
   */
  #tellRemoved(status: RaftStatus): void {
    if (status.role !== "leader" || status.appliedIndex < status.lastIndex) return;
    const members = this.#memberIds(status);
    if (members.size === 0) return;
    for (const peer of this.#transport.peers()) {
      if (!members.has(peer.id)) this.#transport.removePeer(peer.id, { tellRemoved: true });
    }
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

function tryParse(text: string): HostPort | null {
  try {
    return parseHostPort(text, "peer address");
  } catch {
    return null;
  }
}

/** A per-node seed for election jitter, so nodes started together do not time out together. */
function seedFrom(id: string): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619) >>> 0;
  return (hash ^ Math.floor(performance.timeOrigin)) >>> 0;
}
