import { decodeFrame, encodeFrame } from "../../protocol/peer/mod.ts";
import type { CacheTiming, CacheWriteMode } from "../../src/cache/mod.ts";
import { CacheService } from "../../src/cache_service/cache_service.ts";
import type { RaftHost } from "../../src/consensus/raft_host.ts";
import { KvService } from "../../src/kv_service/kv_service.ts";
import type { KvMachine } from "../../src/kv_service/kv_machine.ts";
import { Logger } from "../../src/log/logger.ts";
import type { NodeId } from "../../src/raft/mod.ts";
import type { SimCluster } from "./cluster.ts";
import { KvApp } from "./kv_app.ts";

/** How every simulated node runs its cache. */
export interface SimCacheSetup {
  timing: CacheTiming;
  /** A client waiting on a request longer than this (node clock) gets an error. */
  requestTimeoutMs: number;
  /** Period of the cache's timer (node clock), as the node's CACHE_TICK_MS. */
  tickMs: number;
  /** Largest Raft entry of a slot group. */
  entryBytesMax: number;
  /** Lines a node holds at most (small: evictions happen). */
  maxEntries: number;
  /** `--cache-write`: through (the default) or back. */
  writeMode?: CacheWriteMode;
}

/** A node's monotonic clock: its own origin and rate against virtual time. */
export interface NodeClock {
  originMs: number;
  /** Node ms per virtual ms. */
  rate: number;
}

/**
 * One incarnation of one simulated node's cache: the production `CacheService` (its `CacheNode`
 * and `CacheHomes`) with the production `KvService` over the node's slot groups as the store of
 * record. Frames go through the production peer frame codec over the simulated network; time is
 * the node's clock (drifting from virtual time), and the cache's timer is a virtual timer that
 * dies with the incarnation. A crashed incarnation sends nothing more (`alive` turns false).
 */
export class SimCacheHost {
  /** Node id. */
  readonly id: NodeId;
  /** The cluster incarnation this cache belongs to. */
  readonly incarnation: number;
  /** The production cache service. */
  readonly service: CacheService;
  /** The production key-value service its homes read and commit through. */
  readonly kv: KvService;
  /** Error lines the services logged (a bug: the run fails on any). */
  readonly errorLines: string[] = [];
  readonly #cluster: SimCluster;
  readonly #clock: NodeClock;
  readonly #setup: SimCacheSetup;
  /** Per slot: how many homes this node was refused by (it then asks the next up node). */
  readonly #homeTurns = new Map<number, number>();

  /**
   * Builds the node's cache; `deliver` hands an arriving frame to the receiver's host, and
   * `requestIdStart` stands for the random start production draws (seeded here).
   */
  constructor(
    cluster: SimCluster,
    id: NodeId,
    clock: NodeClock,
    setup: SimCacheSetup,
    deliver: (from: NodeId, to: NodeId, bytes: Uint8Array) => void,
    requestIdStart: number,
  ) {
    this.#cluster = cluster;
    this.id = id;
    this.incarnation = cluster.incarnation(id);
    this.#clock = clock;
    this.#setup = setup;
    const nowMs = () => this.nowMs();
    const logger = new Logger({
      level: "error",
      format: "text",
      sink: (line) => this.errorLines.push(line),
    });
    const slotCount = cluster.groupIds.length;
    this.kv = new KvService({
      entryBytesMax: setup.entryBytesMax,
      expiryCheckMs: setup.tickMs,
      nowMs,
      clock: cluster.clockOf(id),
      logger,
      slotOf: (slot) => this.#kvSlot(slot),
      hosted: () =>
        this.#slots().flatMap(([slot]) => {
          const hosted = this.#kvSlot(slot);
          return hosted === undefined ? [] : [[slot, hosted] as const];
        }),
    });
    this.service = new CacheService({
      nodeId: id,
      cache: {
        writeMode: setup.writeMode ?? "through",
        timing: setup.timing,
        maxBytes: 1 << 20,
        maxEntries: setup.maxEntries,
        requestIdStart,
      },
      homes: {
        slotHost: (slot) => this.#slotHost(slot),
        slotHosts: () => this.#slots(),
        leaderBarrier: (slot) => this.kv.confirmLead(slot),
        store: {
          readKey: (slot, key) => this.kv.readKey(slot, key),
          writeKey: (slot, key, write) => this.kv.writeKey(slot, key, write),
          writePairs: (slot, pairs) => this.kv.writePairs(slot, pairs),
        },
      },
      slotCount: () => slotCount,
      homeOf: (slot) => this.#homeOf(slot),
      homeRefused: (slot) => this.#homeTurns.set(slot, (this.#homeTurns.get(slot) ?? 0) + 1),
      quorumReachable: () => true,
      send: (to, frame) => {
        if (!this.alive) return false;
        const bytes = encodeFrame(frame);
        return cluster.sendFrame(id, to, () => deliver(id, to, bytes));
      },
      isUp: (other) => this.#reaches(other),
      // Membership is fixed in a run: every host, so the epoch fence runs here too.
      memberIds: () => cluster.ids,
      requestTimeoutMs: setup.requestTimeoutMs,
      tickMs: setup.tickMs,
      nowMs,
      logger,
    });
  }

  /** True while this incarnation runs. */
  get alive(): boolean {
    return this.#cluster.isUp(this.id) && this.#cluster.incarnation(this.id) === this.incarnation;
  }

  /** The node's clock now. */
  nowMs(): number {
    return this.#clock.originMs + this.#cluster.nowMs * this.#clock.rate;
  }

  /** Starts the cache's timer (a virtual timer of this incarnation). */
  start(): void {
    const timers = this.#cluster.clockOf(this.id);
    const periodMs = this.#setup.tickMs / this.#clock.rate;
    const tick = () => {
      if (!this.alive) return;
      this.service.tick();
      timers.setTimer(tick, periodMs);
    };
    timers.setTimer(tick, periodMs);
  }

  /** Hands an arriving frame to the service (the cluster checked incarnation and partition). */
  receive(from: NodeId, bytes: Uint8Array): void {
    if (this.alive) this.service.onFrame(from, decodeFrame(bytes));
  }

  /** The host of slot `slot` if this node is a member of its group. */
  #slotHost(slot: number): RaftHost<unknown> | undefined {
    const group = this.#cluster.groupIds[slot];
    if (group === undefined || !this.alive) return undefined;
    const host = this.#cluster.host(this.id, group).host;
    if (host === null) return undefined;
    const { voters, learners } = host.core.status().confState;
    return voters.includes(this.id) || learners.includes(this.id) ? host : undefined;
  }

  #slots(): Array<[number, RaftHost<unknown>]> {
    const slots: Array<[number, RaftHost<unknown>]> = [];
    for (let slot = 0; slot < this.#cluster.groupIds.length; slot++) {
      const host = this.#slotHost(slot);
      if (host !== undefined) slots.push([slot, host]);
    }
    return slots;
  }

  #kvSlot(slot: number): { host: RaftHost<unknown>; machine: KvMachine } | undefined {
    const host = this.#slotHost(slot);
    const app = host === undefined
      ? null
      : this.#cluster.host(this.id, this.#cluster.groupIds[slot]!).app;
    return host === undefined || !(app instanceof KvApp)
      ? undefined
      : { host, machine: app.machine };
  }

  /**
   * As the node does: a member asks the leader its replica knows; a non-member asks the up nodes
   * in turn, moving on after each refusal.
   */
  #homeOf(slot: number): NodeId | null {
    const host = this.#slotHost(slot);
    if (host !== undefined) return host.leading ? this.id : host.leaderId;
    const up = this.#cluster.ids.filter((id) => id !== this.id && this.#reaches(id));
    if (up.length === 0) return null;
    return up[(this.#homeTurns.get(slot) ?? 0) % up.length]!;
  }

  /** The transport's view: the peer runs and no partition cuts the link. */
  #reaches(other: NodeId): boolean {
    if (other === this.id) return true;
    const net = this.#cluster.net;
    return this.#cluster.isUp(other) && !net.isBlocked(this.id, other) &&
      !net.isBlocked(other, this.id);
  }
}
