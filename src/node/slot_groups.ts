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
import type { Placement } from "../placement/mod.ts";

/** Slot group ids are SLOT_GROUP_ID_BASE + slot (the meta group is 0, debug groups 1,000,000+). */
export const SLOT_GROUP_ID_BASE = 1000;
/** Groups opened at once. */
const OPEN_CONCURRENCY = 16;
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
}

/** Slot groups hosted on this node, opened as the placement names the node. */
export class SlotGroups {
  readonly #options: SlotGroupsOptions;
  readonly #hosts = new Map<number, RaftHost<unknown>>();
  #following: Promise<void> = Promise.resolve();
  /** Slots whose leadership is being handed to the preferred leader. */
  readonly #transferring = new Set<number>();

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
   * serialized. `epoch` 1 (the placement the cluster was created with) bootstraps each group
   * with the slot's replicas as voters, as every replica does; a group that appears in a later
   * placement starts empty and waits for its leader to add it (docs/slots.md).
   */
  follow(placement: Placement, epoch: number): Promise<void> {
    this.#following = this.#following.then(() => this.#open(placement, epoch)).catch((error) =>
      this.#options.logger.error("slot groups failed to open", { error: String(error) })
    );
    return this.#following;
  }

  async #open(placement: Placement, epoch: number): Promise<void> {
    const me = this.#options.config.id;
    const wanted: number[] = [];
    placement.slots.forEach((slot, index) => {
      if (slot.replicas.includes(me) && !this.#hosts.has(index)) wanted.push(index);
    });
    for (let first = 0; first < wanted.length; first += OPEN_CONCURRENCY) {
      await Promise.all(
        wanted.slice(first, first + OPEN_CONCURRENCY).map((slot) =>
          this.#openOne(slot, epoch === 1 ? [...placement.slots[slot]!.replicas] : [])
        ),
      );
    }
  }

  async #openOne(slot: number, voters: string[]): Promise<void> {
    const { config, raft, logger } = this.#options;
    const groupId = slotGroupId(slot);
    let host: RaftHost<unknown> | null = null;
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
   * Hands each slot this node leads to the slot's preferred leader once that voter is up and
   * caught up, one transfer per slot at a time, so slot leaders spread as the placement says and
   * a node that is not a replica can forward to the preferred leader.
   */
  settleLeaders(placement: Placement): void {
    const me = this.#options.config.id;
    for (const [slot, host] of this.#hosts) {
      const preferred = placement.slots[slot]?.leader;
      if (preferred === undefined || preferred === me || !host.leading) continue;
      if (this.#transferring.has(slot) || !this.#options.isUp(preferred)) continue;
      const status = host.status();
      const progress = status.progress.find((each) => each.id === preferred);
      if (progress === undefined || progress.isLearner) continue;
      if (progress.matchIndex < status.commitIndex) continue;
      this.#transferring.add(slot);
      host.transferLeadership(preferred)
        .catch((error) =>
          this.#options.logger.debug("slot leadership transfer deferred", {
            slot,
            to: preferred,
            error: String(error),
          })
        )
        .finally(() => this.#transferring.delete(slot));
    }
  }
}

function seedOf(id: string, groupId: number): number {
  let hash = 2166136261 ^ groupId;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619) >>> 0;
  return (hash ^ Math.floor(performance.timeOrigin)) >>> 0;
}
