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
import { FakeStorage } from "./fake_storage.ts";
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
  raft: {},
  syncDelayMaxMs: 1,
  compactEveryEntries: 0,
  snapshotPaddingBytes: 0,
  recordValues: true,
  app: null,
};

/** Maximum events processed by one `runUntil` call; exceeding it fails the run. */
export const RUN_EVENTS_MAX = 5_000_000;

/** A deterministic simulated cluster: virtual time, faulty network, crashable hosts. */
export class SimCluster {
  /** Shared randomness (seeded). */
  readonly random: SeededRandom;
  /** The network (set faults and partitions here). */
  readonly net = new SimNetwork();
  /** The safety checker. */
  readonly checker = new InvariantChecker();
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
  readonly #hosts = new Map<NodeId, SimHost>();
  readonly #tickMs = new Map<NodeId, number>();
  readonly #readFloors = new Map<number, number>();
  #nowMs = 0;

  /** Builds and starts every host. */
  constructor(options: Partial<ClusterOptions> = {}) {
    this.#options = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
    this.random = new SeededRandom(this.#options.seed);
    const ctx: HostContext = {
      nowMs: () => this.#nowMs,
      random: this.random,
      checker: this.checker,
      send: (messages) => this.#send(messages),
      scheduleSync: (id, incarnation, delayMs) =>
        this.#queue.push(this.#nowMs + delayMs, { kind: "sync", id, incarnation }),
      readFloor: (requestId) => this.#readFloors.get(requestId),
      checkCommitDurable: (id, entry) => this.#checkCommitDurable(id, entry),
    };
    const o = this.#options;
    for (const id of o.nodeIds) {
      const member = o.voters.includes(id) || o.learners.includes(id);
      const storage = new FakeStorage(
        member ? bootstrapStorage(o.voters, o.learners) : bootstrapStorage([]),
      );
      this.#hosts.set(id, new SimHost(id, storage, ctx, o));
      const drift = 1 + (this.random.next() * 2 - 1) * o.clockDriftRatio;
      this.#tickMs.set(id, o.tickMs * drift);
      this.restart(id);
    }
  }

  /** Virtual time in ms. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** Every host id. */
  get ids(): NodeId[] {
    return [...this.#hosts.keys()];
  }

  /** The host `id`. */
  host(id: NodeId): SimHost {
    const host = this.#hosts.get(id);
    if (host === undefined) throw new Error(`Unknown host ${id}`);
    return host;
  }

  /** The live node `id` (throws when crashed). */
  node(id: NodeId): RaftNode {
    const raft = this.host(id).raft;
    if (raft === null) throw new Error(`Host ${id} is crashed`);
    return raft;
  }

  /** The live leader with the highest term, or null. */
  leader(): NodeId | null {
    let best: NodeId | null = null;
    let bestTerm = -1;
    for (const host of this.#hosts.values()) {
      const raft = host.raft;
      if (raft !== null && raft.role === "leader" && raft.term > bestTerm) {
        best = host.id;
        bestTerm = raft.term;
      }
    }
    return best;
  }

  /** Crashes `id`: it stops, and its unsynced writes are lost or torn. */
  crash(id: NodeId): void {
    this.trace.note(this.#nowMs, `${id} CRASH`);
    this.host(id).crash();
    // Peers see the crashed node's connections close (the node's leaderUnreachable hint).
    for (const other of this.ids) {
      if (other !== id) this.host(other).raft?.leaderUnreachable(id);
    }
  }

  /**
   * Commit durability: an entry applied for the first time is on disk on a majority of the
   * voters (the applying node's latest configuration, or the one before it when that differs by
   * the single voter a change added or removed). A leader that counted its own unpersisted copy
   * would break this.
   */
  #checkCommitDurable(id: NodeId, entry: Entry): void {
    const voters = this.node(id).status().confState.voters;
    const holders = (ids: readonly NodeId[]) =>
      ids.filter((v) => this.#hosts.get(v)?.storage.holdsDurably(entry.index, entry.term)).length;
    const majority = (count: number) => Math.floor(count / 2) + 1;
    if (holders(voters) >= majority(voters.length)) return;
    // Single-server changes: the entry may have committed just before the latest config was
    // appended; the previous config is the current one with one voter more or less.
    const lacking = voters.find((v) =>
      !this.#hosts.get(v)?.storage.holdsDurably(entry.index, entry.term)
    );
    if (lacking !== undefined && voters.length > 1) {
      const before = voters.filter((v) => v !== lacking);
      if (holders(before) >= majority(before.length)) return;
    }
    const others = this.ids.filter((v) => !voters.includes(v));
    for (const extra of others) {
      if (holders([...voters, extra]) >= majority(voters.length + 1)) return;
    }
    const durableOn = this.ids.filter((v) =>
      this.#hosts.get(v)?.storage.holdsDurably(entry.index, entry.term)
    );
    throw new InvariantError(
      "commit durability",
      `${id} applies ${entry.index}/${entry.term} durable only on [${durableOn}] of voters [${voters}]`,
    );
  }

  /** Restarts `id` from its durable storage (no-op when running). */
  restart(id: NodeId): void {
    const host = this.host(id);
    if (host.raft !== null) return;
    this.trace.note(this.#nowMs, `${id} START`);
    host.start();
    this.checker.onRestart(id);
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

  /** Proposes `text` on `id` (usually the leader). */
  propose(id: NodeId, text: string): RaftResult {
    const result = this.node(id).propose(new TextEncoder().encode(text));
    this.host(id).pump();
    return result;
  }

  /** Starts a ReadIndex on `id`, remembering the acknowledged writes it must observe. */
  read(id: NodeId, requestId: number): RaftResult {
    this.#readFloors.set(requestId, this.checker.maxAppliedIndex);
    const result = this.node(id).readIndex(requestId);
    this.host(id).pump();
    return result;
  }

  /** Runs `action` on a live node, then lets the host collect its output. */
  act<T>(id: NodeId, action: (raft: RaftNode) => T): T {
    const result = action(this.node(id));
    this.host(id).pump();
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

  #process(event: SimEvent): void {
    const id = event.kind === "deliver" ? event.to : event.id;
    const host = this.host(id);
    const raft = host.raft;
    if (raft === null) return;
    switch (event.kind) {
      case "tick":
        if (event.incarnation !== host.incarnation) return;
        raft.tick();
        this.#queue.push(this.#nowMs + this.#tickMs.get(id)!, event);
        break;
      case "sync":
        if (event.incarnation !== host.incarnation) return;
        host.onSynced();
        break;
      case "deliver": {
        const message = event.bytes === null ? event.message : decodeRaftMessage(event.bytes);
        if (this.net.isBlocked(message.from, message.to)) return;
        this.trace.message(this.#nowMs, message);
        raft.step(message);
        break;
      }
    }
    if (host.raft === raft) {
      this.checker.onCommitIndex(id, raft.commitIndex, (index) => raft.termAt(index));
      if (raft.role === "leader") {
        this.checker.onLeader(id, raft.term, (index) => raft.termAt(index));
      }
      host.pump();
    }
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
