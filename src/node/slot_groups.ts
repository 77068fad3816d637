/**
 * The slot Raft groups this node hosts: one per slot whose placement lists the node, each on the
 * node's one log and ticked by the shared RaftGroups clock (quiet when idle). Group id:
 * SLOT_GROUP_ID_BASE + slot. docs/slots.md, "Hosting".
 */
import { RaftHost, type ReplicatedStateMachine } from "../consensus/raft_host.ts";
import type { RaftGroups } from "../consensus/raft_groups.ts";
import type { RaftOutbox } from "../consensus/raft_outbox.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { SeededRandom } from "../raft/mod.ts";
import type { NodeLog } from "../storage/mod.ts";
import { nextGroupStep, type Placement } from "../placement/mod.ts";
import type { RaftStatus } from "../raft/mod.ts";

/** Slot group ids are SLOT_GROUP_ID_BASE + slot (the meta group is 0, debug groups 1,000,000+). */
export const SLOT_GROUP_ID_BASE = 1000;
/** Groups opened at once. */
const OPEN_CONCURRENCY = 16;
/** Slot group changes in flight at once on this node (bounds catch-up traffic). */
const STEPS_IN_FLIGHT_MAX = 4;
/** Applied entries after which a slot group compacts its log into a snapshot. */
const SLOT_SNAPSHOT_ENTRIES_MAX = 10_000;

/** The group id of `slot`. */
export function slotGroupId(slot: number): number {
  return SLOT_GROUP_ID_BASE + slot;
}

/** The slot of group `groupId`, or null for a group that is not a slot group. */
export function slotOfGroup(groupId: number, slotCount: number): number | null {
  const slot = groupId - SLOT_GROUP_ID_BASE;
  return slot >= 0 && slot < slotCount ? slot : null;
}

/** What the slot groups need from the node. */
export interface SlotGroupsOptions {
  config: NodeConfig;
  raft: { groups: RaftGroups; outbox: RaftOutbox; log: NodeLog };
  logger: Logger;
  /** A fresh state machine for slot `slot` (the key-value store). */
  machineOf(slot: number): ReplicatedStateMachine<unknown>;
  /** True while the connection to peer `id` is up. */
  isUp(id: string): boolean;
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** A restored node's image of `slot` (RaftHostOptions.seed), if it was restored. */
  seedOf?(slot: number): { index: number; image: Uint8Array } | undefined;
}

/** Slot groups hosted on this node, opened as the placement names the node. */
export class SlotGroups {
  readonly #options: SlotGroupsOptions;
  readonly #hosts = new Map<number, RaftHost<unknown>>();
  #following: Promise<void> = Promise.resolve();
  /** Slots with a membership change or leadership transfer in flight. */
  readonly #stepping = new Set<number>();

  constructor(options: SlotGroupsOptions) {
    this.#options = options;
  }

  /** The host of `slot`, if this node hosts it. */
  host(slot: number): RaftHost<unknown> | undefined {
    return this.#hosts.get(slot);
  }

  /** Hosted slots and their hosts, in slot order. */
  entries(): Array<[number, RaftHost<unknown>]> {
    return [...this.#hosts.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Number of hosted slot groups. */
  get size(): number {
    return this.#hosts.size;
  }

  /**
   * Opens every slot group the placement lists this node in and does not host yet; calls are
   * serialized. A group this node leaves stays open with its log (it is no member any more), so
   * a node given the slot again continues from its own history: a group's data is never dropped
   * and rebuilt from the bootstrap, where two such replicas could elect each other. Each group is bootstrapped with its voters in `first` (the placement the cluster
   * was created with), as every replica of it was: a replica added later then rebuilds the
   * group's configuration from the same base plus the changes in the log it receives, and as it
   * is no voter of that base it cannot campaign before the leader adds it (docs/slots.md).
   */
  follow(placement: Placement, first: Placement): Promise<void> {
    this.#following = this.#following.then(() => this.#open(placement, first)).catch((error) =>
      this.#options.logger.error("slot groups failed to open", { error: String(error) })
    );
    return this.#following;
  }

  async #open(placement: Placement, first: Placement): Promise<void> {
    const me = this.#options.config.id;
    const wanted: number[] = [];
    placement.slots.forEach((slot, index) => {
      if (slot.replicas.includes(me) && !this.#hosts.has(index)) wanted.push(index);
    });
    for (let start = 0; start < wanted.length; start += OPEN_CONCURRENCY) {
      await Promise.all(
        wanted.slice(start, start + OPEN_CONCURRENCY).map((slot) =>
          this.#openOne(slot, [...first.slots[slot]!.replicas])
        ),
      );
    }
  }

  async #openOne(slot: number, voters: string[]): Promise<void> {
    const { config, raft, logger } = this.#options;
    const groupId = slotGroupId(slot);
    let host: RaftHost<unknown> | null = null;
    const seed = this.#options.seedOf?.(slot);
    host = await RaftHost.open<unknown>({
      nodeId: config.id,
      groupId,
      bootstrap: { voters: voters.sort(), learners: [] },
      wal: raft.log.group(groupId),
      machine: this.#options.machineOf(slot),
      send: (message) => raft.outbox.enqueue(message),
      quorumReachable: () => host !== null && this.#quorumReachable(host),
      logger: logger.with({ component: "slots" }),
      random: new SeededRandom(seedOf(config.id, groupId)).fn(),
      raft: {
        electionTimeoutTicks: config.electionTicks,
        heartbeatTimeoutTicks: 1,
        quiesceAfterTicks: config.quiesceAfterTicks,
        entryBytesMax: this.#options.entryBytesMax,
      },
      snapshotEntriesMax: SLOT_SNAPSHOT_ENTRIES_MAX,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(seed === undefined ? {} : { seed }),
    });
    raft.groups.add(groupId, host);
    this.#hosts.set(slot, host);
  }

  /** True when this node and the peers it sees up form a majority of the group's voters. */
  quorumReachable(slot: number): boolean {
    const host = this.#hosts.get(slot);
    return host !== undefined && this.#quorumReachable(host);
  }

  #quorumReachable(host: RaftHost<unknown>): boolean {
    const voters = host.status().confState.voters;
    const me = this.#options.config.id;
    const up = voters.filter((id) => id === me || this.#options.isUp(id)).length;
    return up * 2 > voters.length;
  }

  /**
   * Moves each slot group this node leads one step towards `placement` (nextGroupStep: add a
   * learner, promote it once caught up, remove a replica the placement dropped, hand leadership to
   * the preferred leader), one step in flight per group and at most STEPS_IN_FLIGHT_MAX at once
   * on this node; a refused step is retried at a later call. Called periodically.
   */
  reconcile(placement: Placement): void {
    for (const [slot, host] of this.#hosts) {
      if (this.#stepping.size >= STEPS_IN_FLIGHT_MAX) return;
      const target = placement.slots[slot];
      if (target === undefined || !host.leading || this.#stepping.has(slot)) continue;
      const status = host.status();
      const group = {
        voters: status.confState.voters,
        learners: status.confState.learners,
        leader: status.leaderId,
      };
      const step = nextGroupStep(group, target);
      if (step === null) continue;
      if (!this.#ready(step, status)) continue;
      this.#stepping.add(slot);
      this.#run(host, step)
        .then(() => this.#options.logger.info("slot group changed", { slot, ...step }))
        .catch((error) =>
          this.#options.logger.debug("slot group change deferred", {
            slot,
            ...step,
            error: String(error),
          })
        )
        .finally(() => this.#stepping.delete(slot));
    }
  }

  /** A step worth proposing now: its node is up, and a promoted learner has caught up. */
  #ready(step: { type: string; nodeId: string }, status: RaftStatus): boolean {
    if (step.type === "removeNode") return true;
    if (!this.#options.isUp(step.nodeId)) return false;
    if (step.type !== "addVoter" && step.type !== "transferLeader") return true;
    const progress = status.progress.find((each) => each.id === step.nodeId);
    return progress !== undefined && progress.matchIndex >= status.commitIndex;
  }

  #run(host: RaftHost<unknown>, step: { type: string; nodeId: string }): Promise<void> {
    switch (step.type) {
      case "addLearner":
        return host.proposeConfChange({ type: "addLearner", nodeId: step.nodeId });
      case "addVoter":
        return host.proposeConfChange({ type: "addVoter", nodeId: step.nodeId });
      case "removeNode":
        return host.proposeConfChange({ type: "removeNode", nodeId: step.nodeId });
      default:
        return host.transferLeadership(step.nodeId);
    }
  }
}

function seedOf(id: string, groupId: number): number {
  let hash = 2166136261 ^ groupId;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619) >>> 0;
  return (hash ^ Math.floor(performance.timeOrigin)) >>> 0;
}
