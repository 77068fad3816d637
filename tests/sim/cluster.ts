import type { HostClock, HostTimer } from "../../src/consensus/host_clock.ts";
import { Logger } from "../../src/log/logger.ts";
import {
  decodeRaftMessage,
  encodeRaftMessage,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfigInput,
  type RaftNode,
  type RaftResult,
  SeededRandom,
} from "../../src/raft/mod.ts";
import type { SimAppFactory } from "./app.ts";
import { EventQueue } from "./event_queue.ts";
import { InvariantChecker, InvariantError } from "./invariants.ts";
import { drainMicrotasks } from "./microtasks.ts";
import { SimNetwork } from "./network.ts";
import { SimNode, type SimReplica } from "./sim_node.ts";
import { Trace } from "./trace.ts";

type SimEvent =
  | { kind: "tick"; id: NodeId; incarnation: number }
  | { kind: "sync"; id: NodeId; incarnation: number }
  | { kind: "timer"; id: NodeId; incarnation: number; timer: number }
  | { kind: "deliver"; to: NodeId; bytes: Uint8Array | null; message: Message }
  | { kind: "frame"; from: NodeId; to: NodeId; incarnation: number; deliver: () => void };

/** Cluster shape and timing. */
export interface ClusterOptions {
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
  /** Round-trip messages through the binary codec (and route them through RaftGroups). */
  encodeMessages: boolean;
  /** Raft groups per node (ids 1..G; with 1, `raft.groupId` or 1), sharing one disk per node. */
  groupsPerNode: number;
  /** Raft config overrides (id, groupId and random are filled in). */
  raft: Partial<RaftConfigInput>;
  /** Upper bound of the simulated fsync latency. */
  syncDelayMaxMs: number;
  /** Compact once this many entries were applied since the last snapshot (0 = never). */
  compactEveryEntries: number;
  /** Filler bytes in snapshot images. */
  snapshotPaddingBytes: number;
  /** Keep applied payloads for inspection. */
  recordValues: boolean;
  /** Replicated application plugged into every host (its image rides in snapshots), or null. */
  app: SimAppFactory | null;
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
 * runs the production stack below the services: a `NodeLog` on a simulated disk, one `RaftHost`
 * per group (`groupsPerNode`, same initial membership) and `RaftGroups`. Time is virtual: host
 * timers, ticks, message deliveries and fsync completions are events of one seeded queue, and
 * after each event every microtask the hosts started runs before the next one, so a seed replays
 * exactly. Methods taking `group` default to the first group.
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
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #checkers: InvariantChecker[];
  readonly #tickMs = new Map<NodeId, number>();
  /** Nodes with a sync event scheduled. */
  readonly #syncScheduled = new Set<NodeId>();
  /** Pending host timers by id. */
  readonly #timers = new Map<number, () => void>();
  #nextTimer = 1;
  #nowMs = 0;
  /** The first failed check, raised after the event that caused it. */
  #failure: unknown = null;
  /** Checks run after every event (applications' invariants). */
  readonly #eventChecks: Array<() => void> = [];

  /** Builds and starts every node; see `SimCluster.create`. */
  private constructor(options: Partial<ClusterOptions>) {
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
    const logger = new Logger({
      level: "error",
      format: "text",
      sink: (line) => this.#fail(new Error(`host failure: ${line}`)),
    });
    const ctx = {
      random: this.random,
      clock: (id: NodeId, incarnation: number) => this.#clock(id, incarnation),
      requestSync: (id: NodeId) => this.#requestSync(id),
      send: (message: Message) => this.#send(message),
      logger,
      group: (g: number) => ({
        checker: this.#checkers[g]!,
        machine: {
          checker: this.#checkers[g]!,
          checkCommitDurable: (id: NodeId, entry: Entry) =>
            this.#checkCommitDurable(this.groupIds[g]!, id, entry),
          fail: (error: unknown) => this.#fail(error),
        },
      }),
      fail: (error: unknown) => this.#fail(error),
    };
    for (const id of o.nodeIds) {
      const member = o.voters.includes(id) || o.learners.includes(id);
      const bootstrap = member
        ? { voters: o.voters, learners: o.learners }
        : { voters: [], learners: [] };
      this.#nodes.set(id, new SimNode(id, ctx, { ...o, groupIds: this.groupIds, bootstrap }));
      const drift = 1 + (this.random.next() * 2 - 1) * o.clockDriftRatio;
      this.#tickMs.set(id, o.tickMs * drift);
    }
  }

  /** A cluster with every node started. */
  static async create(options: Partial<ClusterOptions> = {}): Promise<SimCluster> {
    const cluster = new SimCluster(options);
    for (const id of cluster.ids) await cluster.restart(id);
    return cluster;
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

  /** Every node id. */
  get ids(): NodeId[] {
    return [...this.#nodes.keys()];
  }

  /** The replica of `group` on node `id`. */
  host(id: NodeId, group: number = this.groupIds[0]!): SimReplica {
    return this.#node(id).replicas[this.#groupIndex(group)]!;
  }

  /** The incarnation of node `id` (bumped by each crash). */
  incarnation(id: NodeId): number {
    return this.#node(id).incarnation;
  }

  /** The live Raft core of `group` on `id` (throws when down). */
  node(id: NodeId, group?: number): RaftNode {
    const raft = this.host(id, group).raft;
    if (raft === null) throw new Error(`Host ${id} is crashed`);
    return raft;
  }

  /** The live leader of `group` with the highest term, or null. */
  leader(group?: number): NodeId | null {
    let best: NodeId | null = null;
    let bestTerm = -1;
    for (const id of this.#nodes.keys()) {
      const raft = this.host(id, group).raft;
      if (raft !== null && raft.role === "leader" && raft.term > bestTerm) {
        best = id;
        bestTerm = raft.term;
      }
    }
    return best;
  }

  /**
   * The virtual clock of node `id`'s current incarnation: its timers are events of the seeded
   * queue and are dropped once the node crashes.
   */
  clockOf(id: NodeId): HostClock {
    return this.#clock(id, this.#node(id).incarnation);
  }

  /**
   * Sends an application frame (encoded by the caller) from `from` to `to` over the simulated
   * network: loss, delay (so reordering) and partitions apply, duplication does not (a peer link
   * is TCP). `deliver` runs at arrival unless `to` crashed meanwhile (its connections closed with
   * it) or a partition cuts the pair then. False when `to` is down: nothing was queued.
   */
  sendFrame(from: NodeId, to: NodeId, deliver: () => void): boolean {
    const node = this.#node(to);
    if (!node.up) return false;
    const delays = this.net.deliveryDelaysMs(from, to, this.random);
    const delay = delays[0];
    if (delay === undefined) return true;
    const incarnation = node.incarnation;
    this.#queue.push(this.#nowMs + delay, { kind: "frame", from, to, incarnation, deliver });
    return true;
  }

  /** Runs `check` after every event (after its microtasks); what it throws fails the run. */
  checkAfterEvents(check: () => void): void {
    this.#eventChecks.push(check);
  }

  /** Crashes node `id`: every group stops, and the disk's unsynced pages may be lost. */
  crash(id: NodeId): void {
    const node = this.#node(id);
    if (!node.up) return;
    this.trace.note(this.#nowMs, `${id} CRASH`);
    node.crash();
    this.#syncScheduled.delete(id);
    // Peers see the crashed node's connections close (RaftGroups tells every group).
    for (const other of this.#nodes.values()) {
      if (other !== node) other.groups?.peerDisconnected(id);
    }
  }

  /** Wipes crashed node `id`'s disk; it restarts with `bootstrap` as its groups' membership. */
  wipe(id: NodeId, bootstrap: { voters: NodeId[]; learners: NodeId[] }): void {
    this.trace.note(this.#nowMs, `${id} WIPE`);
    this.#node(id).wipe(bootstrap);
  }

  /** Restarts node `id` from its disk (recovery, then every group); no-op when running. */
  async restart(id: NodeId): Promise<void> {
    const node = this.#node(id);
    if (node.up) return;
    this.trace.note(this.#nowMs, `${id} START`);
    await node.start();
    for (const checker of this.#checkers) checker.onRestart(id);
    const incarnation = node.incarnation;
    this.#queue.push(this.#nowMs + this.#tickMs.get(id)!, { kind: "tick", id, incarnation });
    this.#raiseFailure();
  }

  /** True when `id` runs. */
  isUp(id: NodeId): boolean {
    return this.#node(id).up;
  }

  /** Proposes `text` to `group` on `id` (usually its leader). */
  propose(id: NodeId, text: string, group?: number): RaftResult {
    return this.act(id, (raft) => raft.propose(new TextEncoder().encode(text)), group);
  }

  /**
   * A linearizable read through the production host's ReadIndex barrier on `id`: when it is
   * served, the state machine must hold every write acknowledged before it started.
   */
  read(id: NodeId, requestId: number, group: number = this.groupIds[0]!): void {
    const replica = this.host(id, group);
    const host = replica.host;
    if (host === null) return;
    const checker = this.checkerOf(group);
    const floor = checker.maxAppliedIndex;
    const machine = replica.machine;
    host.readBarrier().then(() => {
      replica.readsServed.push(requestId);
      try {
        checker.onRead(id, requestId, machine.sm.index, floor);
      } catch (error) {
        this.#fail(error);
      }
    }, () => replica.readsRefused.push(requestId));
  }

  /** Runs `action` on the live core of `group` on `id`, then lets its host drive the result. */
  act<T>(id: NodeId, action: (raft: RaftNode) => T, group?: number): T {
    const host = this.host(id, group).host;
    if (host === null) throw new Error(`Host ${id} is crashed`);
    const result = action(host.core);
    host.wake();
    return result;
  }

  /** Advances virtual time by `durationMs`. */
  async runFor(durationMs: number): Promise<void> {
    await this.runUntil(() => false, durationMs);
  }

  /** Runs until `done()` holds (checked after each event) or `timeoutMs` passes. */
  async runUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = this.#nowMs + timeoutMs;
    // What scripted steps started before this call runs first.
    await drainMicrotasks();
    this.#raiseFailure();
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
      await drainMicrotasks();
      this.#raiseFailure();
      this.#checkAll();
      for (const check of this.#eventChecks) check();
    }
    throw new Error(`Run exceeded maximum of ${RUN_EVENTS_MAX} events`);
  }

  #node(id: NodeId): SimNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`Unknown host ${id}`);
    return node;
  }

  #groupIndex(group: number): number {
    const index = this.groupIds.indexOf(group);
    if (index < 0) throw new Error(`Unknown group ${group}`);
    return index;
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
  }

  #raiseFailure(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  /** Node `id`'s virtual clock: its timers are events, dropped once the node crashed. */
  #clock(id: NodeId, incarnation: number): HostClock {
    return {
      nowMs: () => this.#nowMs,
      setTimer: (callback, delayMs) => {
        const timer = this.#nextTimer++;
        this.#timers.set(timer, callback);
        this.#queue.push(this.#nowMs + delayMs, { kind: "timer", id, incarnation, timer });
        return timer;
      },
      clearTimer: (timer: HostTimer) => {
        this.#timers.delete(timer as number);
      },
    };
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
      this.#nodes.has(v) && this.host(v, group).durable.holds(entry.index, entry.term);
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

  /** Group commit: a sync waits for the node's next sync event, scheduled if none is. */
  #requestSync(id: NodeId): void {
    if (this.#syncScheduled.has(id)) return;
    this.#syncScheduled.add(id);
    const delay = this.random.next() * this.#options.syncDelayMaxMs;
    const incarnation = this.#node(id).incarnation;
    this.#queue.push(this.#nowMs + delay, { kind: "sync", id, incarnation });
  }

  #process(event: SimEvent): void {
    const node = this.#node(
      event.kind === "deliver" || event.kind === "frame" ? event.to : event.id,
    );
    const groups = node.groups;
    if (groups === null) return;
    switch (event.kind) {
      case "tick":
        if (event.incarnation !== node.incarnation) return;
        groups.tickActive();
        for (const replica of node.replicas) replica.app?.tick?.();
        this.#queue.push(this.#nowMs + this.#tickMs.get(node.id)!, event);
        return;
      case "sync":
        if (event.incarnation !== node.incarnation) return;
        this.#syncScheduled.delete(node.id);
        node.disk.syncAll();
        return;
      case "timer": {
        const callback = this.#timers.get(event.timer);
        this.#timers.delete(event.timer);
        if (event.incarnation === node.incarnation) callback?.();
        return;
      }
      case "frame":
        if (event.incarnation !== node.incarnation) return;
        if (this.net.isBlocked(event.from, event.to)) return;
        event.deliver();
        return;
      case "deliver": {
        const message = event.message;
        if (this.net.isBlocked(message.from, message.to)) return;
        this.trace.message(this.#nowMs, message);
        if (event.bytes !== null) {
          groups.receive(message.from, message.groupId, event.bytes);
        } else {
          groups.get(message.groupId)?.receive(message);
        }
        return;
      }
    }
  }

  /** After every event: election safety, leader completeness and committed prefixes. */
  #checkAll(): void {
    for (const [g, group] of this.groupIds.entries()) {
      const checker = this.#checkers[g]!;
      for (const id of this.#nodes.keys()) {
        const raft = this.host(id, group).raft;
        if (raft === null) continue;
        checker.onCommitIndex(id, raft.commitIndex, (index) => raft.termAt(index));
        if (raft.role === "leader") {
          checker.onLeader(id, raft.term, (index) => raft.termAt(index));
        }
      }
    }
  }

  #send(message: Message): void {
    this.messagesSent++;
    this.sentByType.set(message.type, (this.sentByType.get(message.type) ?? 0) + 1);
    let bytes: Uint8Array | null = null;
    if (this.#options.encodeMessages) {
      bytes = encodeRaftMessage(message);
      this.bytesSent += bytes.length;
      // The receiver decodes the bytes; the copy is what the trace shows.
      message = decodeRaftMessage(bytes);
    }
    if (!this.#nodes.has(message.to)) return;
    const delays = this.net.deliveryDelaysMs(message.from, message.to, this.random, message.type);
    for (const delay of delays) {
      this.#queue.push(this.#nowMs + delay, { kind: "deliver", to: message.to, bytes, message });
    }
  }
}
