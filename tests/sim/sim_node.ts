import { RaftGroups } from "../../src/consensus/raft_groups.ts";
import { RaftHost } from "../../src/consensus/raft_host.ts";
import type { HostClock } from "../../src/consensus/host_clock.ts";
import type { Logger } from "../../src/log/logger.ts";
import type { Message, NodeId, RaftConfigInput, RaftNode } from "../../src/raft/mod.ts";
import type { SeededRandom } from "../../src/raft/mod.ts";
import { type GroupLog, NodeLog } from "../../src/storage/mod.ts";
import type { SimApp } from "./app.ts";
import { CheckedLog, DurableLog } from "./checked_log.ts";
import type { InvariantChecker } from "./invariants.ts";
import { type MachineContext, type MachineOptions, SimMachine } from "./sim_machine.ts";
import { SimDisk } from "./sim_disk.ts";
import type { SimStateMachine } from "./state_machine.ts";

/** Segment size of a simulated node log (small: every sync copies the segment's pages). */
const SIM_SEGMENT_BYTES = 32 * 1024;
/** Largest record and batch of a simulated node log. */
const SIM_BATCH_BYTES = 16 * 1024;
/** Longest wait of a host's proposal, read or transfer, in virtual ms. */
export const SIM_REQUEST_TIMEOUT_MS = 2000;

/** One Raft group on a simulated node: its production host (null while down) and machine. */
export class SimReplica {
  /** Node id. */
  readonly id: NodeId;
  /** Group id. */
  readonly groupId: number;
  /** What the group's log acknowledged as durable (survives crashes). */
  readonly durable = new DurableLog();
  /** The group's view of the node log (current incarnation), or null while down. */
  log: GroupLog | null = null;
  /** The production host of the current incarnation, or null while down. */
  host: RaftHost<unknown> | null = null;
  /** The state machine of the current incarnation. */
  machine: SimMachine;
  /** Request ids of reads served (this incarnation). */
  readsServed: number[] = [];
  /** Request ids of reads the host refused or timed out (this incarnation). */
  readsRefused: number[] = [];

  /** A replica that is down until its node starts. */
  constructor(id: NodeId, groupId: number, machine: SimMachine) {
    this.id = id;
    this.groupId = groupId;
    this.machine = machine;
  }

  /** The host's pure core, or null while down. */
  get raft(): RaftNode | null {
    return this.host?.core ?? null;
  }

  /** The hash state machine. */
  get sm(): SimStateMachine {
    return this.machine.sm;
  }

  /** The application (null without one, or before the first start). */
  get app(): SimApp | null {
    return this.machine.app;
  }
}

/** What a node needs from the cluster. */
export interface NodeContext {
  /** Shared randomness. */
  random: SeededRandom;
  /** The node's clock and timers (virtual, per incarnation). */
  clock(id: NodeId, incarnation: number): HostClock;
  /** Asks for the node's next sync event. */
  requestSync(id: NodeId): void;
  /** Hands a message to the network. */
  send(message: Message): void;
  /** Logger whose error lines fail the run. */
  logger: Logger;
  /** The checker and machine context of group index `g`. */
  group(g: number): { checker: InvariantChecker; machine: MachineContext };
  /** Records a failed check. */
  fail(error: unknown): void;
}

/** How every node is set up. */
export interface NodeSetup extends MachineOptions {
  /** Raft config overrides (id, groupId and random are filled in). */
  raft: Partial<RaftConfigInput>;
  /** Compact once this many entries were applied since the last snapshot (0 = never). */
  compactEveryEntries: number;
  /** Group ids hosted by every node. */
  groupIds: readonly number[];
  /** Initial membership of this node's groups (empty for a spare). */
  bootstrap: { voters: NodeId[]; learners: NodeId[] };
}

/**
 * A simulated server: the production `NodeLog` on a `SimDisk`, one production `RaftHost` per
 * group writing through it, and the production `RaftGroups` ticking and routing to them.
 */
export class SimNode {
  /** Node id. */
  readonly id: NodeId;
  /** The disk (survives crashes; replaced by `wipe`). */
  disk: SimDisk;
  /** One replica per group, aligned with `groupIds`. */
  readonly replicas: SimReplica[];
  /** Bumped on every crash; events of an older incarnation are stale. */
  incarnation = 0;
  /** The production group set of the current incarnation, or null while down. */
  groups: RaftGroups | null = null;
  readonly #ctx: NodeContext;
  readonly #setup: NodeSetup;
  #formatted = false;
  /** Initial membership for groups with no state: the setup's, until a wipe replaces it. */
  #bootstrap: { voters: NodeId[]; learners: NodeId[] };

  /** A node that is down; call `start`. */
  constructor(id: NodeId, ctx: NodeContext, setup: NodeSetup) {
    this.id = id;
    this.#ctx = ctx;
    this.#setup = setup;
    this.#bootstrap = setup.bootstrap;
    this.disk = new SimDisk(() => ctx.requestSync(id));
    this.replicas = setup.groupIds.map((groupId, g) =>
      new SimReplica(id, groupId, this.#newMachine(g))
    );
  }

  /** True while running. */
  get up(): boolean {
    return this.groups !== null;
  }

  /** Opens the node log (recovery) and every group's host; syncs complete at once meanwhile. */
  async start(): Promise<void> {
    const disk = this.disk;
    disk.gated = false;
    if (!this.#formatted) {
      await disk.mkdir("/data");
      await disk.syncDir("/");
      this.#formatted = true;
    }
    const log = await NodeLog.open(`/data/${this.id}`, {
      clusterId: "sim",
      nodeId: this.id,
      segmentBytesMax: SIM_SEGMENT_BYTES,
      recordBytesMax: SIM_BATCH_BYTES,
      batchBytesMax: SIM_BATCH_BYTES,
      groupsMax: Math.max(8, this.#setup.groupIds.length),
      log: { info: () => {}, warn: () => {} },
      fileSystem: disk,
    });
    const ctx = this.#ctx;
    const clock = ctx.clock(this.id, this.incarnation);
    const groups = new RaftGroups(this.id, 1, ctx.logger);
    for (const [g, replica] of this.replicas.entries()) {
      const { groupId } = replica;
      const groupLog = log.group(groupId);
      replica.durable.reload(groupLog);
      const { checker } = ctx.group(g);
      const machine = this.#newMachine(g);
      machine.termAt = (index) => groupLog.term(index);
      const { quiesceAfterTicks, ...raft } = this.#setup.raft;
      const host = await RaftHost.open<unknown>({
        nodeId: this.id,
        groupId,
        bootstrap: this.#bootstrap,
        wal: new CheckedLog(this.id, groupLog, replica.durable, checker, ctx.fail),
        machine,
        send: (message) => {
          ctx.send(message);
          return true;
        },
        quorumReachable: () => true,
        logger: ctx.logger.with({ node: this.id }),
        random: ctx.random.fn(),
        raft: { ...raft, quiesceAfterTicks: quiesceAfterTicks ?? 0 },
        snapshotEntriesMax: this.#setup.compactEveryEntries || Infinity,
        requestTimeoutMs: SIM_REQUEST_TIMEOUT_MS,
        readIdStart: ctx.random.int(2 ** 40),
        clock,
      });
      replica.machine = machine;
      replica.host = host;
      replica.log = groupLog;
      replica.readsServed = [];
      replica.readsRefused = [];
      groups.add(groupId, host);
    }
    this.groups = groups;
    disk.gated = true;
  }

  /** Power loss: every host stops, waiting syncs never complete, unsynced pages may vanish. */
  crash(): void {
    this.groups?.stop();
    this.groups = null;
    for (const replica of this.replicas) {
      replica.host = null;
      replica.log = null;
    }
    this.incarnation++;
    this.disk.crash(() => this.#ctx.random.next());
  }

  /**
   * Replaces the disk of this (crashed) node with an empty one, as an operator wiping its data
   * directory would; its groups start next time from `bootstrap`.
   */
  wipe(bootstrap: { voters: NodeId[]; learners: NodeId[] }): void {
    if (this.up) throw new Error(`Cannot wipe ${this.id}: it runs`);
    this.disk = new SimDisk(() => this.#ctx.requestSync(this.id));
    this.#formatted = false;
    this.#bootstrap = bootstrap;
  }

  #newMachine(g: number): SimMachine {
    return new SimMachine(this.id, this.#ctx.group(g).machine, this.#setup);
  }
}
