import {
  bootstrapStorage,
  decodeRaftMessage,
  encodeRaftMessage,
  type Entry,
  type Message,
  type NodeId,
  type RaftNode,
  type RaftResult,
  SeededRandom,
} from "../../src/raft/mod.ts";
import { EventQueue } from "./event_queue.ts";
import { FakeStorage, NodeDisk } from "./fake_storage.ts";
import { InvariantChecker, InvariantError } from "./invariants.ts";
import { SimNetwork } from "./network.ts";
import { type HostContext, type HostOptions, SimHost } from "./sim_host.ts";
import { Trace } from "./trace.ts";

type SimEvent =
  | { kind: "tick"; id: NodeId; incarnation: number }
  | { kind: "sync"; id: NodeId; incarnation: number }
  | { kind: "deliver"; to: NodeId; bytes: Uint8Array | null; message: Message };

/** Cluster shape and timing. */
export interface ClusterOptions extends HostOptions {
  /** Seed of every random choice. */
  seed: number;
  /** Every host, including spares that join later. */
  nodeIds: NodeId[];
  /** Initial voters (spares start with an empty membership). */
  voters: NodeId[];
  /** Initial learners. */
  learners: NodeId[];
  /** Nominal tick interval. */
  tickMs: number;
  /** Each host's tick interval differs from nominal by up to this ratio (clock drift). */
  clockDriftRatio: number;
  /** Round-trip messages through the binary codec. */
  encodeMessages: boolean;
  /** Raft groups per node (ids 1..G; with 1, `raft.groupId` or 1), sharing one disk per node. */
  groupsPerNode: number;
}

/** Reasonable defaults for scenario tests: 3 voters, reliable network. */
export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  seed: 1,
  nodeIds: ["n1", "n2", "n3"],
  voters: ["n1", "n2", "n3"],
  learners: [],
  tickMs: 10,
  clockDriftRatio: 0.02,
  encodeMessages: true,
  groupsPerNode: 1,
  raft: {},
  syncDelayMaxMs: 1,
  compactEveryEntries: 0,
  snapshotPaddingBytes: 0,
  recordValues: true,
  app: null,
};

/** Maximum events processed by one `runUntil` call; exceeding it fails the run. */
export const RUN_EVENTS_MAX = 5_000_000;

/**
 * A deterministic simulated cluster: virtual time, faulty network, crashable nodes. Each node
 * hosts `groupsPerNode` Raft groups (same initial membership) writing through one shared disk:
 * one sync event makes every group's pending writes durable, and a crash hits every group.
 * Methods taking `group` default to the first group.
 */
export class SimCluster {
  /** Shared randomness (seeded). */
  readonly random: SeededRandom;
  /** The network (set faults and partitions here). */
  readonly net = new SimNetwork();
  /** Group ids, in order. */
  readonly groupIds: readonly number[];
  /** Recent events for failure reports. */
  readonly trace = new Trace(200);
  /** Messages handed to the network. */
  messagesSent = 0;
  /** Encoded bytes handed to the network. */
  bytesSent = 0;
  /** Messages handed to the network, by type. */
  readonly sentByType = new Map<string, number>();
  /** Events processed. */
  eventCount = 0;
  readonly #options: ClusterOptions;
  readonly #queue = new EventQueue<SimEvent>();
  /** One host per group, aligned with `groupIds`, per node. */
  readonly #hosts = new Map<NodeId, SimHost[]>();
  readonly #disks = new Map<NodeId, NodeDisk>();
  readonly #checkers: InvariantChecker[];
  readonly #tickMs = new Map<NodeId, number>();
  /** Nodes with a shared fsync scheduled. */
  readonly #syncScheduled = new Set<NodeId>();
  /** "group/requestId" -> read floor. */
  readonly #readFloors = new Map<string, number>();
  #nowMs = 0;

  /** Builds and starts every host. */
  constructor(options: Partial<ClusterOptions> = {}) {
    this.#options = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
    const o = this.#options;
    if (!Number.isSafeInteger(o.groupsPerNode) || o.groupsPerNode < 1) {
      throw new Error(`Invalid groupsPerNode ${o.groupsPerNode}`);
    }
    this.random = new SeededRandom(o.seed);
    this.groupIds = o.groupsPerNode === 1
      ? [o.raft.groupId ?? 1]
      : Array.from({ length: o.groupsPerNode }, (_, i) => i + 1);
    this.#checkers = this.groupIds.map(() => new InvariantChecker());
    const contexts = this.groupIds.map((groupId, g): HostContext => ({
      nowMs: () => this.#nowMs,
      random: this.random,
      checker: this.#checkers[g]!,
      send: (messages) => this.#send(messages),
      requestSync: (id) => this.#requestSync(id),
      readFloor: (requestId) => this.#readFloors.get(`${groupId}/${requestId}`),
      checkCommitDurable: (id, entry) => this.#checkCommitDurable(groupId, id, entry),
    }));
    for (const id of o.nodeIds) {
      const member = o.voters.includes(id) || o.learners.includes(id);
      const disk = new NodeDisk();
      this.#disks.set(id, disk);
      const hosts = this.groupIds.map((groupId, g) => {
        const storage = new FakeStorage(
          member ? bootstrapStorage(o.voters, o.learners) : bootstrapStorage([]),
          disk,
        );
        return new SimHost(id, groupId, storage, contexts[g]!, o);
      });
      this.#hosts.set(id, hosts);
      const drift = 1 + (this.random.next() * 2 - 1) * o.clockDriftRatio;
      this.#tickMs.set(id, o.tickMs * drift);
      this.restart(id);
    }
  }

  /** The safety checker of the first group. */
  get checker(): InvariantChecker {
    return this.#checkers[0]!;
  }

  /** The safety checker of `group`. */
  checkerOf(group: number): InvariantChecker {
    return this.#checkers[this.#groupIndex(group)]!;
  }

  /** Virtual time in ms. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** Every host id. */
  get ids(): NodeId[] {
    return [...this.#hosts.keys()];
  }

  /** The host of `group` on node `id`. */
  host(id: NodeId, group: number = this.groupIds[0]!): SimHost {
    const host = this.#hosts.get(id)?.[this.#groupIndex(group)];
    if (host === undefined) throw new Error(`Unknown host ${id}`);
    return host;
  }

  /** The live Raft node of `group` on `id` (throws when crashed). */
  node(id: NodeId, group?: number): RaftNode {
    const raft = this.host(id, group).raft;
    if (raft === null) throw new Error(`Host ${id} is crashed`);
    return raft;
  }

  /** The live leader of `group` with the highest term, or null. */
  leader(group?: number): NodeId | null {
    let best: NodeId | null = null;
    let bestTerm = -1;
    for (const id of this.#hosts.keys()) {
      const host = this.host(id, group);
      const raft = host.raft;
      if (raft !== null && raft.role === "leader" && raft.term > bestTerm) {
        best = host.id;
        bestTerm = raft.term;
      }
    }
    return best;
  }

  /** Crashes node `id`: every group stops, and the disk's unsynced writes are lost or torn. */
  crash(id: NodeId): void {
    this.trace.note(this.#nowMs, `${id} CRASH`);
    for (const host of this.#hostsOf(id)) host.crash();
    this.#syncScheduled.delete(id);
    this.#disks.get(id)!.crash(this.random);
    // Peers see the crashed node's connections close (the node's leaderUnreachable hint).
    for (const other of this.ids) {
      if (other === id) continue;
      for (const host of this.#hostsOf(other)) host.raft?.leaderUnreachable(id);
    }
  }

  /**
   * Commit durability: an entry applied for the first time is on disk on a majority of the
   * voters (the applying node's latest configuration, or the one before it when that differs by
   * the single voter a change added or removed). A leader that counted its own unpersisted copy
   * would break this.
   */
  #checkCommitDurable(group: number, id: NodeId, entry: Entry): void {
    const voters = this.node(id, group).status().confState.voters;
    const durable = (v: NodeId) =>
      this.#hosts.has(v) && this.host(v, group).storage.holdsDurably(entry.index, entry.term);
    const holders = (ids: readonly NodeId[]) => ids.filter(durable).length;
    const majority = (count: number) => Math.floor(count / 2) + 1;
    if (holders(voters) >= majority(voters.length)) return;
    // Single-server changes: the entry may have committed just before the latest config was
    // appended; the previous config is the current one with one voter more or less.
    const lacking = voters.find((v) => !durable(v));
    if (lacking !== undefined && voters.length > 1) {
      const before = voters.filter((v) => v !== lacking);
      if (holders(before) >= majority(before.length)) return;
    }
    const others = this.ids.filter((v) => !voters.includes(v));
    for (const extra of others) {
      if (holders([...voters, extra]) >= majority(voters.length + 1)) return;
    }
    const durableOn = this.ids.filter(durable);
    throw new InvariantError(
      "commit durability",
      `${id} (group ${group}) applies ${entry.index}/${entry.term} durable only on [${durableOn}] of voters [${voters}]`,
    );
  }

  /** Restarts every group of node `id` from its durable storage (no-op when running). */
  restart(id: NodeId): void {
    const host = this.host(id);
    if (host.raft !== null) return;
    this.trace.note(this.#nowMs, `${id} START`);
    this.#hostsOf(id).forEach((h, g) => {
      h.start();
      this.#checkers[g]!.onRestart(id);
    });
    this.#queue.push(this.#nowMs + this.#tickMs.get(id)!, {
      kind: "tick",
      id,
      incarnation: host.incarnation,
    });
  }

  /** True when `id` runs. */
  isUp(id: NodeId): boolean {
    return this.host(id).raft !== null;
  }

  /** Proposes `text` to `group` on `id` (usually its leader). */
  propose(id: NodeId, text: string, group?: number): RaftResult {
    const result = this.node(id, group).propose(new TextEncoder().encode(text));
    this.host(id, group).pump();
    return result;
  }

  /** Starts a ReadIndex in `group` on `id`, remembering the acknowledged writes it must observe. */
  read(id: NodeId, requestId: number, group: number = this.groupIds[0]!): RaftResult {
    this.#readFloors.set(`${group}/${requestId}`, this.checkerOf(group).maxAppliedIndex);
    const result = this.node(id, group).readIndex(requestId);
    this.host(id, group).pump();
    return result;
  }

  /** Runs `action` on a live node of `group`, then lets the host collect its output. */
  act<T>(id: NodeId, action: (raft: RaftNode) => T, group?: number): T {
    const result = action(this.node(id, group));
    this.host(id, group).pump();
    return result;
  }

  /** Advances virtual time by `durationMs`. */
  runFor(durationMs: number): void {
    this.runUntil(() => false, durationMs);
  }

  /** Runs until `done()` holds (checked after each event) or `timeoutMs` passes. */
  runUntil(done: () => boolean, timeoutMs: number): boolean {
    const deadline = this.#nowMs + timeoutMs;
    for (let i = 0; i < RUN_EVENTS_MAX; i++) {
      if (done()) return true;
      if (this.#queue.peekTimeMs() > deadline) {
        this.#nowMs = deadline;
        return done();
      }
      const item = this.#queue.pop()!;
      this.#nowMs = item.timeMs;
      this.eventCount++;
      this.#process(item.event);
    }
    throw new Error(`Run exceeded maximum of ${RUN_EVENTS_MAX} events`);
  }

  #groupIndex(group: number): number {
    const index = this.groupIds.indexOf(group);
    if (index < 0) throw new Error(`Unknown group ${group}`);
    return index;
  }

  #hostsOf(id: NodeId): SimHost[] {
    const hosts = this.#hosts.get(id);
    if (hosts === undefined) throw new Error(`Unknown host ${id}`);
    return hosts;
  }

  /** Group commit: a write waits for the node's next shared fsync, scheduled if none is. */
  #requestSync(id: NodeId): void {
    if (this.#syncScheduled.has(id)) return;
    this.#syncScheduled.add(id);
    const delay = this.random.next() * this.#options.syncDelayMaxMs;
    const incarnation = this.host(id).incarnation;
    this.#queue.push(this.#nowMs + delay, { kind: "sync", id, incarnation });
  }

  #process(event: SimEvent): void {
    const id = event.kind === "deliver" ? event.to : event.id;
    const first = this.host(id);
    if (first.raft === null) return;
    let touched: SimHost[];
    switch (event.kind) {
      case "tick":
        if (event.incarnation !== first.incarnation) return;
        touched = this.#hostsOf(id);
        for (const host of touched) host.raft!.tick();
        this.#queue.push(this.#nowMs + this.#tickMs.get(id)!, event);
        break;
      case "sync":
        if (event.incarnation !== first.incarnation) return;
        this.#syncScheduled.delete(id);
        this.#disks.get(id)!.sync();
        touched = this.#hostsOf(id);
        for (const host of touched) host.onSynced();
        break;
      case "deliver": {
        const message = event.bytes === null ? event.message : decodeRaftMessage(event.bytes);
        if (this.net.isBlocked(message.from, message.to)) return;
        const index = this.groupIds.indexOf(message.groupId);
        if (index < 0) throw new Error(`Message for unknown group ${message.groupId}`);
        touched = [this.#hostsOf(id)[index]!];
        this.trace.message(this.#nowMs, message);
        touched[0]!.raft!.step(message);
        break;
      }
    }
    for (const host of touched) this.#afterEvent(host);
  }

  /** Feeds the group's checker and lets the host take its next Ready. */
  #afterEvent(host: SimHost): void {
    const raft = host.raft;
    if (raft === null) return;
    const checker = this.checkerOf(host.groupId);
    checker.onCommitIndex(host.id, raft.commitIndex, (index) => raft.termAt(index));
    if (raft.role === "leader") {
      checker.onLeader(host.id, raft.term, (index) => raft.termAt(index));
    }
    host.pump();
  }

  #send(messages: Message[]): void {
    for (const message of messages) {
      this.messagesSent++;
      this.sentByType.set(message.type, (this.sentByType.get(message.type) ?? 0) + 1);
      let bytes: Uint8Array | null = null;
      if (this.#options.encodeMessages) {
        bytes = encodeRaftMessage(message);
        this.bytesSent += bytes.length;
      }
      if (!this.#hosts.has(message.to)) continue;
      for (
        const delay of this.net.deliveryDelaysMs(
          message.from,
          message.to,
          this.random,
          message.type,
        )
      ) {
        this.#queue.push(this.#nowMs + delay, { kind: "deliver", to: message.to, bytes, message });
      }
    }
  }
}
