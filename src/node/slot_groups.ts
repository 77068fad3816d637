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
import { nextGroupStep, orderSteps, type Placement, type PlacementStep } from "../placement/mod.ts";
import type { RaftStatus } from "../raft/mod.ts";
import { type LeftNotice, LeftNotices } from "./left_notices.ts";

/** Slot group ids are SLOT_GROUP_ID_BASE + slot (the meta group is 0, debug groups 1,000,000+). */
export const SLOT_GROUP_ID_BASE = 1000;
/** Groups opened at once. */
const OPEN_CONCURRENCY = 16;
/** Slot group changes in flight at once on this node (bounds catch-up traffic). */
const STEPS_IN_FLIGHT_MAX = 4;
/** Applied entries after which a slot group compacts its log into a snapshot. */
const SLOT_SNAPSHOT_ENTRIES_MAX = 10_000;
/**
 * File in the data directory written (durably) before this node first drops a slot group's
 * state: from then on it bootstraps no slot group as a voter of the first placement again, as it
 * may have voted in the group it dropped.
 */
export const SLOT_GROUPS_DROPPED_FILE = "slot-groups-dropped";
/** Reconcile calls between repeats of the GroupLeft notices (200 ms each: 2 s). */
const NOTICE_REPEAT_CALLS = 10;

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
  /** Slot `slot`'s group was dropped: its state machine is no longer used. */
  machineDropped(slot: number): void;
  /** True while the connection to peer `id` is up. */
  isUp(id: string): boolean;
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** A restored node's image of `slot` (RaftHostOptions.seed), if it was restored. */
  seedOf?(slot: number): { index: number; image: Uint8Array } | undefined;
  /** This node's data-directory incarnation. */
  incarnationId(): string;
  /** The first incarnation the meta group recorded for member `id` (MetaState). */
  firstIncarnation(id: string): string | undefined;
  /** Sends a GroupLeft notice to a member this node removed from a group it leads. */
  sendLeft(notice: LeftNotice): void;
}

/** How a slot group without state on this node starts (see `SlotGroups.follow`). */
export type SlotStart = "founder" | "empty" | "wait";

/**
 * How this node starts slot `slot`'s group when it holds no state for it: as a voter of the first
 * placement ("founder") only if that placement lists it, its data directory is the incarnation
 * the cluster first recorded for its id, and it never dropped a slot group; "wait" while its first
 * incarnation is not recorded yet; else "empty": no membership at all, so it neither campaigns nor
 * votes until the leader's configuration entries (or a snapshot) make it a member.
 */
export function slotStart(
  me: string,
  firstReplicas: readonly string[],
  incarnationId: string,
  firstIncarnation: string | undefined,
  droppedBefore: boolean,
): SlotStart {
  if (!firstReplicas.includes(me)) return "empty";
  if (firstIncarnation === undefined) return "wait";
  return firstIncarnation === incarnationId && !droppedBefore ? "founder" : "empty";
}

/** Slot groups hosted on this node, opened as the placement names the node. */
export class SlotGroups {
  readonly #options: SlotGroupsOptions;
  readonly #hosts = new Map<number, RaftHost<unknown>>();
  #following: Promise<void> = Promise.resolve();
  /** Slots with a membership change or leadership transfer in flight. */
  readonly #stepping = new Set<number>();
  /** Whether this node dropped a slot group before (the marker file); read on first open. */
  #dropped: boolean | null = null;
  /** Slots the placement lists here that wait for this node's first incarnation record. */
  #waiting = 0;
  readonly #notices: LeftNotices;
  #reconcileCalls = 0;
  /** Where the next reconcile starts its round robin over the slots (orderSteps). */
  #stepCursor = 0;
  /** How the hosted groups started, for INFO: as founders, or empty. */
  readonly started = { founder: 0, empty: 0, dropped: 0 };

  constructor(options: SlotGroupsOptions) {
    this.#options = options;
    this.#notices = new LeftNotices((notice) => options.sendLeft(notice));
  }

  /** True while some slot waits to open (call `follow` again once meta records more). */
  get waiting(): boolean {
    return this.#waiting > 0;
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
   * serialized with each other and with drops. A group with state on this node's log reopens
   * from it; one without starts as `slotStart` decides: only the cluster's founding replicas
   * bootstrap it with the first placement's voters, every other start (a replica added later, a
   * wiped disk, a group dropped before) has no membership until the leader's configuration
   * entries reach it (configuration entries carry the whole membership). docs/slots.md.
   */
  follow(placement: Placement, first: Placement): Promise<void> {
    this.#following = this.#following.then(() => this.#open(placement, first)).catch((error) =>
      this.#options.logger.error("slot groups failed to open", { error: String(error) })
    );
    return this.#following;
  }

  async #open(placement: Placement, first: Placement): Promise<void> {
    const options = this.#options;
    const me = options.config.id;
    this.#dropped ??= await fileExists(`${options.config.dataDir}/${SLOT_GROUPS_DROPPED_FILE}`);
    const opening: Array<{ slot: number; voters: string[] }> = [];
    let waiting = 0;
    placement.slots.forEach((slot, index) => {
      if (!slot.replicas.includes(me) || this.#hosts.has(index)) return;
      const firstReplicas = first.slots[index]!.replicas;
      const start = this.#options.raft.log.hasGroup(slotGroupId(index)) ? "founder" : slotStart(
        me,
        firstReplicas,
        options.incarnationId(),
        options.firstIncarnation(me),
        this.#dropped!,
      );
      if (start === "wait") waiting++;
      else opening.push({ slot: index, voters: start === "founder" ? [...firstReplicas] : [] });
    });
    this.#waiting = waiting;
    for (let start = 0; start < opening.length; start += OPEN_CONCURRENCY) {
      await Promise.all(
        opening.slice(start, start + OPEN_CONCURRENCY).map(({ slot, voters }) =>
          this.#openOne(slot, voters)
        ),
      );
    }
  }

  /** `voters`: the bootstrap membership, used only when the log holds no state for the group. */
  async #openOne(slot: number, voters: string[]): Promise<void> {
    const { config, raft, logger } = this.#options;
    const groupId = slotGroupId(slot);
    const fresh = !raft.log.hasGroup(groupId);
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
    // A member removed while it could not be told (down, cut off, or this group's leader then
    // crashed) keeps campaigning with its old membership: its next message to the leader gets
    // the notice. The receiver checks the placement and its own log before it drops anything.
    host.onNonMember = (to, configIndex) => this.#options.sendLeft({ to, groupId, configIndex });
    raft.groups.add(groupId, host);
    this.#hosts.set(slot, host);
    if (fresh) this.started[voters.length > 0 ? "founder" : "empty"]++;
  }

  /**
   * A leader says this node left slot `slot`'s group through the committed entry at
   * `configIndex` (GroupLeft): stops the group and deletes its state, unless the placement lists
   * this node for the slot again or its log reaches `configIndex` (it was added back since).
   * The marker file is written first (see SLOT_GROUPS_DROPPED_FILE). Serialized with `follow`.
   */
  left(slot: number, configIndex: number, placement: Placement | null): Promise<void> {
    this.#following = this.#following.then(() => this.#drop(slot, configIndex, placement))
      .catch((error) =>
        this.#options.logger.error("slot group not dropped", { slot, error: String(error) })
      );
    return this.#following;
  }

  async #drop(slot: number, configIndex: number, placement: Placement | null): Promise<void> {
    const { config, raft, logger } = this.#options;
    const host = this.#hosts.get(slot);
    if (host === undefined || placement === null) return;
    if (placement.slots[slot]?.replicas.includes(config.id) ?? true) return;
    const status = host.status();
    if (status.lastIndex >= configIndex || status.role === "leader") return;
    if (this.#dropped !== true) {
      const path = `${config.dataDir}/${SLOT_GROUPS_DROPPED_FILE}`;
      const file = await Deno.open(path, { write: true, create: true });
      try {
        await file.write(new TextEncoder().encode("dropped\n"));
        await file.sync();
      } finally {
        file.close();
      }
      this.#dropped = true;
    }
    const groupId = slotGroupId(slot);
    this.#hosts.delete(slot);
    this.#stepping.delete(slot);
    raft.groups.remove(groupId);
    this.#options.machineDropped(slot);
    await raft.log.removeGroup(groupId);
    this.started.dropped++;
    logger.info("slot group left and dropped", { slot, config_index: configIndex });
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
   * Moves each slot group this node leads one step towards `placement` (nextGroupStep: remove a
   * voter that lost its state, add a learner, promote it once caught up, remove a replica the placement dropped, hand leadership to
   * the preferred leader), one step in flight per group and at most STEPS_IN_FLIGHT_MAX at once
   * on this node, membership changes first and round robin over the slots (orderSteps); a
   * refused step is retried at a later call. Called periodically.
   */
  reconcile(placement: Placement): void {
    if (++this.#reconcileCalls % NOTICE_REPEAT_CALLS === 0) {
      this.#notices.repeat();
      // A group started empty here (new, or this disk was wiped) wakes its quiet leader, whose
      // heartbeat answer then tells it this node is no member (docs/slots.md, Rejoined replicas).
      for (const [slot, host] of this.#hosts) {
        const replicas = placement.slots[slot]?.replicas;
        if (replicas?.includes(this.#options.config.id)) host.announceNotMember(replicas);
      }
    }
    const slotsFree = STEPS_IN_FLIGHT_MAX - this.#stepping.size;
    if (slotsFree <= 0) return;
    const ready: PlacementStep[] = [];
    for (const [slot, host] of this.#hosts) {
      const target = placement.slots[slot];
      if (target === undefined || !host.leading || this.#stepping.has(slot)) continue;
      const status = host.status();
      const group = {
        voters: status.confState.voters,
        learners: status.confState.learners,
        leader: status.leaderId,
        lost: lostVoters(status),
      };
      const step = nextGroupStep(group, target);
      if (step !== null && this.#ready(step, status)) ready.push({ slot, ...step });
    }
    const picked = orderSteps(ready, this.#stepCursor, slotsFree);
    if (picked.length > 0) this.#stepCursor = picked[picked.length - 1]!.slot + 1;
    for (const step of picked) this.#start(this.#hosts.get(step.slot)!, step);
  }

  #start(host: RaftHost<unknown>, step: PlacementStep): void {
    const slot = step.slot;
    this.#stepping.add(slot);
    const lost = step.type === "removeNode" && lostVoters(host.status()).includes(step.nodeId);
    this.#run(host, step)
      .then((index) => {
        this.#options.logger.info("slot group changed", { ...step, ...(lost ? { lost } : {}) });
        if (step.type !== "removeNode" || index === 0) return;
        this.#notices.add({ to: step.nodeId, groupId: slotGroupId(slot), configIndex: index });
      })
      .catch((error) =>
        this.#options.logger.debug("slot group change deferred", {
          ...step,
          error: String(error),
        })
      )
      .finally(() => this.#stepping.delete(slot));
  }

  /** A step worth proposing now: its node is up, and a promoted learner has caught up. */
  #ready(step: { type: string; nodeId: string }, status: RaftStatus): boolean {
    if (step.type === "removeNode") return true;
    if (!this.#options.isUp(step.nodeId)) return false;
    if (step.type !== "addVoter" && step.type !== "transferLeader") return true;
    const progress = status.progress.find((each) => each.id === step.nodeId);
    return progress !== undefined && progress.matchIndex >= status.commitIndex;
  }

  /** Runs one step; resolves with a membership change's log index (0 for a transfer). */
  #run(host: RaftHost<unknown>, step: { type: string; nodeId: string }): Promise<number> {
    switch (step.type) {
      case "addLearner":
        return host.proposeConfChange({ type: "addLearner", nodeId: step.nodeId });
      case "addVoter":
        return host.proposeConfChange({ type: "addVoter", nodeId: step.nodeId });
      case "removeNode":
        return host.proposeConfChange({ type: "removeNode", nodeId: step.nodeId });
      default:
        return host.transferLeadership(step.nodeId).then(() => 0);
    }
  }
}

/**
 * Voters of a group led here that said they are no member of their own membership: they lost
 * their state (a wiped disk back under the same id) and are removed, then added back as learners.
 * The leader learns it from the replica's answers, so a leader that restarted since the wipe
 * finds it too. docs/slots.md, "Rejoined replicas".
 */
export function lostVoters(status: RaftStatus): string[] {
  return status.progress.filter((each) => each.lostState && !each.isLearner).map((each) => each.id);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function seedOf(id: string, groupId: number): number {
  let hash = 2166136261 ^ groupId;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619) >>> 0;
  return (hash ^ Math.floor(performance.timeOrigin)) >>> 0;
}
