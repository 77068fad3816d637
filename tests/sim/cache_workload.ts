import { CACHE_TIMING_DEFAULT, type CacheWriteMode } from "../../src/cache/mod.ts";
import { ClusterError } from "../../src/consensus/cluster_error.ts";
import { keySlot } from "../../src/placement/key_slot.ts";
import { type NodeId, SeededRandom } from "../../src/raft/mod.ts";
import {
  HistoryRecorder,
  type JsonValue,
  outcomeOfError,
  pairOperations,
} from "../chaos/history.ts";
import { checkKvHistory, type KvCheckResult } from "../chaos/kv_check.ts";
import type { SimAppFactory } from "./app.ts";
import { checkSingleWriter } from "./cache_checks.ts";
import { type NodeClock, SimCacheHost, type SimCacheSetup } from "./cache_host.ts";
import type { SimCluster } from "./cluster.ts";
import { KvApp } from "./kv_app.ts";
import { runSeed, type SeedResult, type SeedWorkload } from "./random_run.ts";
import { checkWriteBackHistory, type WriteBackCheckResult } from "../chaos/write_back_check.ts";

/**
 * Cache timing in the simulator: production's shape (margin a quarter of the lease) scaled down
 * to the few virtual seconds a seed runs, so leases lapse and new homes wait many times a run.
 */
export const SIM_CACHE_TIMING = {
  ...CACHE_TIMING_DEFAULT,
  leaseMs: 200,
  holderMarginMs: 50,
  expiryMarginMs: 10,
  // Not used by write-through; pinned so the seeds replay as they did before the default moved.
  writeBackMs: 100,
};

/**
 * Node clocks run at 1 ± this rate against virtual time (and from random origins). The lease
 * rule tolerates a ratio of clock rates up to 1 + holderMarginMs / leaseMs = 1.25; at ±5 % the
 * worst ratio is 1.105, so a violation is a protocol bug, not a clock out of its assumption.
 */
export const SIM_CACHE_CLOCK_DRIFT = 0.05;

/** Every node's cache setup. */
export const SIM_CACHE_SETUP: SimCacheSetup = {
  timing: SIM_CACHE_TIMING,
  requestTimeoutMs: 1000,
  tickMs: 25,
  entryBytesMax: 64 * 1024,
  maxEntries: 2,
};

/**
 * The setup of a write-back run: a WriteBack at most a quarter lease after a write (production:
 * 100 ms against a 2 s lease; here the window is wider against the lease, so write-backs still
 * race revocations, lapses and home changes many times a run).
 */
export const SIM_CACHE_WRITE_BACK_SETUP: SimCacheSetup = {
  ...SIM_CACHE_SETUP,
  timing: { ...SIM_CACHE_TIMING, writeBackMs: 50 },
  writeMode: "back",
};

/** Virtual time the write-back workload's fault-free phase runs clients for, after the heal. */
export const CALM_PHASE_MS = 500;
/** Clients may start an operation this often in that phase (a step of the fault phase). */
const CALM_STEP_MS = 10;
/** Chance that an idle client starts an operation at a step of that phase. */
const CALM_START_CHANCE = 0.25;
/**
 * Virtual time before that phase: a request's timeout, then a new home's startup wait and a
 * holder's lapse (a lease and its margin each), with room to spare.
 */
const CALM_SETTLE_MS = SIM_CACHE_SETUP.requestTimeoutMs +
  4 * (SIM_CACHE_TIMING.leaseMs + SIM_CACHE_TIMING.holderMarginMs);

/** Request ids of an incarnation start below this (production: below 2^52, at random). */
const REQUEST_ID_START_MAX = 2 ** 40;

/** Clients per node, each with at most one operation in flight. */
export const CLIENTS_PER_NODE = 2;
/** Chance that an idle client starts an operation at a step. */
const START_CHANCE = 0.5;
/** After healing, the clients' operations and the final reads must end within this time. */
export const CACHE_DRAIN_TIMEOUT_MS = 10_000;
/** Keys a seed uses at once, at most (placed on distinct slots where there are enough). */
export const SIM_CACHE_KEYS_MAX = 3;
/**
 * A key whose writes ended with an unknown outcome this many times is replaced by a fresh key of
 * the same slot: each unknown write may take effect at any later point, so the linearizability
 * search grows with their number per key (as Jepsen's independent keys bound it).
 */
export const UNKNOWN_WRITES_PER_KEY_MAX = 6;

const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

type CacheOp =
  | { kind: "get"; key: string }
  | { kind: "set"; key: string; value: string }
  | { kind: "del"; key: string };

interface Client {
  node: NodeId;
  process: number;
  /** The operation in flight (its token), or null. */
  inFlight: object | null;
}

/** What a run exercised, summed over every incarnation of every node. */
export interface CacheRunStats {
  hits: number;
  misses: number;
  evictions: number;
  invalidationsSent: number;
  invalidationsReceived: number;
  /** Write-back: writes acknowledged locally, and WriteBacks sent. */
  localWrites: number;
  writeBacksSent: number;
  homesMade: number;
  homeRetries: number;
  framesSent: number;
  /** Epoch fences a new home sent, and fences this node acknowledged. */
  fencesStarted: number;
  fencesAcked: number;
  /** RenewRequests nodes sent, and leadership barriers homes ran to answer them. */
  renewals: number;
  storeBarriers: number;
  /** Incarnations that crashed holding live lines (their cache lost). */
  cachesLost: number;
  readsOk: number;
  writesOk: number;
  failed: number;
  unknown: number;
  /** Keys replaced after too many unknown writes. */
  keysReplaced: number;
  checks: number;
}

/**
 * The cache workload: every node runs the production cache (`SimCacheHost`) over slot groups
 * whose machines are the production `KvMachine`; clients on every node GET/SET/DEL 1-3 keys
 * while the fault schedule runs. After every simulated event the single-writer invariant is
 * checked over the live lines of every node; at the end (network healed, every node up) each
 * node reads every key, and the recorded history is checked per key for linearizability.
 */
export class CacheWorkload implements SeedWorkload {
  /** Workload name. */
  readonly name = "cache";
  /** Runs over several slot groups per node. */
  readonly multiGroup = true;
  /** Creates each host's KvApp. */
  readonly app: SimAppFactory;
  /** Invocations and completions, on virtual time. */
  readonly history: HistoryRecorder;
  /** What the run exercised. */
  readonly stats: CacheRunStats = {
    hits: 0,
    misses: 0,
    evictions: 0,
    invalidationsSent: 0,
    invalidationsReceived: 0,
    localWrites: 0,
    writeBacksSent: 0,
    homesMade: 0,
    homeRetries: 0,
    framesSent: 0,
    fencesStarted: 0,
    fencesAcked: 0,
    renewals: 0,
    storeBarriers: 0,
    cachesLost: 0,
    readsOk: 0,
    writesOk: 0,
    failed: 0,
    unknown: 0,
    keysReplaced: 0,
    checks: 0,
  };
  /** The linearizability check once `finish` ran (write-through). */
  result: KvCheckResult | null = null;
  /** The write-back check once `finish` ran (write-back: not linearizable under faults). */
  writeBackResult: WriteBackCheckResult | null = null;
  /** `--cache-write` of every node. */
  readonly writeMode: CacheWriteMode;
  readonly #setup: SimCacheSetup;
  readonly #pick: SeededRandom;
  /** Each incarnation's first cache request id (its own stream: the rest of a seed replays). */
  readonly #requestIds: SeededRandom;
  readonly #clocks = new Map<NodeId, NodeClock>();
  readonly #hosts = new Map<NodeId, SimCacheHost>();
  readonly #clients: Client[] = [];
  readonly #unexpected: string[] = [];
  /** Each client's operation in flight: name and key. */
  readonly #openOps = new Map<Client, [string, string]>();
  /** The keys in use (key i on slot i mod the slot count). */
  #keys: string[] = [];
  /** Unknown writes per key in use. */
  readonly #unknownWrites = new Map<string, number>();
  /** Where the search for a key's next replacement goes on. */
  #keyNames = 0;
  #cluster: SimCluster | null = null;
  #values = 0;

  /** A workload for `seed` (its own random stream: clients, keys, clocks), in `writeMode`. */
  constructor(seed: number, writeMode: CacheWriteMode = "through") {
    this.writeMode = writeMode;
    this.#setup = writeMode === "back" ? SIM_CACHE_WRITE_BACK_SETUP : SIM_CACHE_SETUP;
    this.#pick = new SeededRandom(seed * 2_654_435 + 97);
    this.#requestIds = new SeededRandom(seed * 7_368_787 + 13);
    this.history = new HistoryRecorder(() => this.#cluster?.nowMs ?? 0);
    this.app = {
      create: (id, _index, image) => new KvApp(image, () => this.#nodeNowMs(id)),
    };
  }

  /** Binds the cluster, picks the keys, starts every node's cache and the per-event check. */
  start(cluster: SimCluster): void {
    this.#cluster = cluster;
    const keyCount = 1 + this.#pick.int(SIM_CACHE_KEYS_MAX);
    for (let i = 0; i < keyCount; i++) {
      this.#keys.push(this.#keyOfSlot(i % cluster.groupIds.length));
    }
    for (const [n, node] of cluster.ids.entries()) {
      for (let c = 0; c < CLIENTS_PER_NODE; c++) {
        this.#clients.push({ node, process: n * CLIENTS_PER_NODE + c, inFlight: null });
      }
    }
    cluster.checkAfterEvents(() => this.#afterEvent(cluster));
    this.#sync(cluster);
  }

  /** Nothing: clients act on every node in `afterStep`, not only through leaders. */
  clientTurn(): void {}

  /** Idle clients of running nodes start an operation with some chance. */
  afterStep(cluster: SimCluster): void {
    this.#sync(cluster);
    for (const client of this.#clients) {
      if (client.inFlight !== null || !this.#pick.chance(START_CHANCE)) continue;
      const host = this.#hosts.get(client.node);
      if (host !== undefined) this.#start(client, host, this.#randomOp(client));
    }
  }

  /** Lets every operation end, reads every key on every node, then checks the history. */
  async finish(cluster: SimCluster): Promise<string | null> {
    const problems: string[] = [];
    const finalReads = await this.#readEveryKey(cluster, problems);
    // Write-back: a fault-free phase after the faults, whose operations must be linearizable.
    const calmFrom = this.writeMode === "back" && problems.length === 0
      ? await this.#calmPhase(cluster, problems)
      : null;
    for (const host of this.#hosts.values()) this.#retire(host, false);
    this.#hosts.clear();
    const ops = pairOperations(this.history.events());
    if (this.writeMode === "back") {
      this.writeBackResult = checkWriteBackHistory(ops, finalReads);
      const found = this.writeBackResult.problems;
      if (found.length > 0) problems.push(`Cache history: ${this.writeBackResult.text}`);
      if (calmFrom !== null) {
        this.result = checkKvHistory(ops.filter((op) => op.invokeIndex >= calmFrom));
        if (this.result.verdict.valid !== "yes") {
          problems.push(`Cache history after the faults: ${this.result.text}`);
        }
      }
    } else {
      this.result = checkKvHistory(ops);
      if (this.result.verdict.valid !== "yes") problems.push(`Cache history: ${this.result.text}`);
    }
    problems.unshift(...this.#unexpected);
    return problems.length === 0 ? null : problems.join("\n");
  }

  /**
   * Lets every operation end, then has every node read every key; the events of those reads
   * (null when the operations did not end: a liveness problem is added).
   */
  async #readEveryKey(
    cluster: SimCluster,
    problems: string[],
  ): Promise<{ fromEvent: number; toEvent: number } | null> {
    if (!await cluster.runUntil(() => this.#idle(), CACHE_DRAIN_TIMEOUT_MS)) {
      problems.push(
        `Cache liveness: operations still open ${CACHE_DRAIN_TIMEOUT_MS} ms after the heal`,
      );
      return null;
    }
    this.#sync(cluster);
    const fromEvent = this.history.events().length;
    for (const client of this.#clients.filter((c) => c.process % CLIENTS_PER_NODE === 0)) {
      const host = this.#hosts.get(client.node);
      if (host !== undefined) this.#finalReads(client, host, [...this.#keys]);
    }
    if (!await cluster.runUntil(() => this.#idle(), CACHE_DRAIN_TIMEOUT_MS)) {
      problems.push("Cache liveness: final reads still open after the drain");
      return null;
    }
    return { fromEvent, toEvent: this.history.events().length };
  }

  /**
   * The phase after the faults (network healed, every node up): after CALM_SETTLE_MS each key is
   * SET on one node, then one client per node runs the random mix for CALM_PHASE_MS, then every
   * node reads every key. Whatever the faults left behind (write-backs still in flight, lines and homes of
   * old epochs) must not break linearizability from the first of those SETs on. Returns the
   * event the phase starts at, or null (a liveness problem is added).
   */
  async #calmPhase(cluster: SimCluster, problems: string[]): Promise<number | null> {
    // A write whose client already had its answer (TIMEOUT) may still wait at a home (for a new
    // home's startup wait, then for holders to lapse) and commit later: let that pass first.
    await cluster.runFor(CALM_SETTLE_MS);
    const calmFrom = this.history.events().length;
    const firsts = this.#clients.filter((c) => c.process % CLIENTS_PER_NODE === 0);
    for (const [index, key] of this.#keys.entries()) {
      // Tried on each node in turn until one is acknowledged (a node whose replica of the slot
      // knows no leader, e.g. one removed without learning it, refuses it as unroutable).
      let written = false;
      for (let turn = 0; turn < firsts.length && !written; turn++) {
        const client = firsts[(index + turn) % firsts.length]!;
        const host = this.#hosts.get(client.node);
        if (host === undefined) continue;
        const setOp: CacheOp = { kind: "set", key, value: `v${this.#values++}` };
        this.#start(client, host, setOp);
        if (!await cluster.runUntil(() => this.#idle(), CACHE_DRAIN_TIMEOUT_MS)) {
          problems.push("Cache liveness: a SET after the faults did not end");
          return null;
        }
        written = this.history.events().findLast((e) => e.process === client.process)?.type ===
          "ok";
      }
      if (!written) {
        problems.push(`Cache liveness: no node took a SET of ${key} after the faults`);
        return null;
      }
    }
    // One client per node, starting less often than in the fault phase: up to nine nodes on
    // one key keep the linearizability search within its bound.
    const endMs = cluster.nowMs + CALM_PHASE_MS;
    while (cluster.nowMs < endMs) {
      this.#sync(cluster);
      for (const client of firsts) {
        if (client.inFlight !== null || !this.#pick.chance(CALM_START_CHANCE)) continue;
        const host = this.#hosts.get(client.node);
        if (host !== undefined) this.#start(client, host, this.#randomOp(client));
      }
      await cluster.runFor(CALM_STEP_MS);
    }
    return await this.#readEveryKey(cluster, problems) === null ? null : calmFrom;
  }

  #idle(): boolean {
    return this.#clients.every((c) => c.inFlight === null);
  }

  /** Reads `keys` one after another on `client` (the end check every node takes part in). */
  #finalReads(client: Client, host: SimCacheHost, keys: string[]): void {
    const key = keys.shift();
    if (key === undefined) return;
    this.#start(client, host, { kind: "get", key }, () => this.#finalReads(client, host, keys));
  }

  #afterEvent(cluster: SimCluster): void {
    this.#sync(cluster);
    const nodes = [...this.#hosts.values()].map((host) => ({
      node: host.id,
      lines: host.service.node.liveLines(host.nowMs()),
    }));
    this.stats.checks++;
    checkSingleWriter(nodes, cluster.nowMs);
  }

  /** Retires the caches of crashed incarnations and starts one for every running node. */
  #sync(cluster: SimCluster): void {
    for (const id of cluster.ids) {
      const host = this.#hosts.get(id);
      if (host !== undefined && !host.alive) {
        this.#retire(host, true);
        this.#hosts.delete(id);
      }
      if (!this.#hosts.has(id) && cluster.isUp(id)) {
        const made = new SimCacheHost(
          cluster,
          id,
          this.#clockOf(id),
          this.#setup,
          (from, to, bytes) => this.#hosts.get(to)?.receive(from, bytes),
          this.#requestIds.int(REQUEST_ID_START_MAX),
        );
        this.#hosts.set(id, made);
        made.start();
      }
    }
  }

  /** Adds a cache's counters; a crashed one's clients get an unknown outcome. */
  #retire(host: SimCacheHost, crashed: boolean): void {
    const service = host.service;
    const node = service.node.stats(host.nowMs());
    const s = this.stats;
    s.hits += node.hits;
    s.misses += node.misses;
    s.evictions += node.evictions;
    s.invalidationsReceived += node.invalidationsReceived;
    s.localWrites += node.localWrites;
    s.writeBacksSent += node.writeBacksSent;
    s.invalidationsSent += service.homes.invalidationsSent;
    s.homesMade += service.homes.stats.homesMade;
    s.homeRetries += service.stats.homeRetries;
    s.framesSent += service.stats.framesSent;
    s.fencesStarted += service.homes.stats.fencesStarted;
    s.fencesAcked += service.stats.fencesAcked;
    s.renewals += service.stats.renewals;
    s.storeBarriers += service.homes.stats.storeBarriers;
    for (const line of host.errorLines) this.#unexpected.push(`Cache ${host.id} logged: ${line}`);
    if (!crashed) return;
    if (service.node.lineCount > 0) s.cachesLost++;
    for (const client of this.#clients) {
      if (client.node !== host.id || client.inFlight === null) continue;
      client.inFlight = null;
      this.stats.unknown++;
      this.history.info(client.process, "node crashed");
      const [op, key] = this.#openOps.get(client) ?? [];
      if (op !== "GET" && key !== undefined) this.#countUnknownWrite(key);
    }
  }

  #start(client: Client, host: SimCacheHost, op: CacheOp, then?: () => void): void {
    const token = {};
    client.inFlight = token;
    const args = op.kind === "set" ? [op.key, op.value] : [op.key];
    this.history.invoke(client.process, op.kind.toUpperCase(), args);
    this.#openOps.set(client, [op.kind.toUpperCase(), op.key]);
    const settle = (record: () => void) => {
      if (client.inFlight !== token) return; // its node crashed: already unknown
      client.inFlight = null;
      record();
      if (then !== undefined && this.#hosts.get(client.node) === host) then();
    };
    call(host, op).then(
      (result) =>
        settle(() => {
          if (op.kind === "get") this.stats.readsOk++;
          else this.stats.writesOk++;
          this.history.ok(client.process, result);
        }),
      (error) =>
        settle(() => {
          if (!(error instanceof ClusterError)) {
            this.#unexpected.push(`Cache client: ${op.kind} threw ${String(error)}`);
          }
          const text = error instanceof Error ? error.message : String(error);
          if (outcomeOfError(text) === "fail") {
            this.stats.failed++;
            this.history.fail(client.process, text);
          } else {
            this.stats.unknown++;
            this.history.info(client.process, text);
            if (op.kind !== "get") this.#countUnknownWrite(op.key);
          }
        }),
    );
  }

  /**
   * A random GET (65 %), SET or DEL of a random key. With write-back, half GETs, and the key is
   * the client's node's own one (node index mod the key count) four times in five: lines stay M
   * on their writer for a while, so writes are acknowledged locally and read back from the dirty
   * line, while reads from other nodes revoke them.
   */
  #randomOp(client: Client): CacheOp {
    let key = this.#keys[this.#pick.int(this.#keys.length)]!;
    const back = this.writeMode === "back";
    if (back && this.#pick.chance(0.8)) {
      const nodeIndex = Math.floor(client.process / CLIENTS_PER_NODE);
      key = this.#keys[nodeIndex % this.#keys.length]!;
    }
    const roll = this.#pick.int(100);
    if (roll < (back ? 50 : 65)) return { kind: "get", key };
    if (roll < 92) return { kind: "set", key, value: `v${this.#values++}` };
    return { kind: "del", key };
  }

  /** Replaces `key` by a fresh key of its slot once it has too many unknown writes. */
  #countUnknownWrite(key: string): void {
    const count = (this.#unknownWrites.get(key) ?? 0) + 1;
    this.#unknownWrites.set(key, count);
    const index = this.#keys.indexOf(key);
    if (count < UNKNOWN_WRITES_PER_KEY_MAX || index < 0) return;
    this.#keys[index] = this.#keyOfSlot(index % this.#cluster!.groupIds.length);
    this.stats.keysReplaced++;
  }

  /** The next unused key name whose slot is `slot`. */
  #keyOfSlot(slot: number): string {
    const slotCount = this.#cluster!.groupIds.length;
    for (let tries = 0; tries < 100_000; tries++) {
      const key = `k${this.#keyNames++}`;
      if (keySlot(TEXT.encode(key), slotCount) === slot) return key;
    }
    throw new Error(`Cannot find a key of slot ${slot}`);
  }

  #clockOf(id: NodeId): NodeClock {
    let clock = this.#clocks.get(id);
    if (clock === undefined) {
      const rate = 1 + (this.#pick.next() * 2 - 1) * SIM_CACHE_CLOCK_DRIFT;
      clock = { originMs: this.#pick.int(100_000), rate };
      this.#clocks.set(id, clock);
    }
    return clock;
  }

  #nodeNowMs(id: NodeId): number {
    const clock = this.#clockOf(id);
    return clock.originMs + (this.#cluster?.nowMs ?? 0) * clock.rate;
  }
}

/** GET, SET or DEL through the node's cache, answered as the cache's commands answer. */
async function call(host: SimCacheHost, op: CacheOp): Promise<JsonValue> {
  const service = host.service;
  const key = TEXT.encode(op.key);
  switch (op.kind) {
    case "get": {
      const read = service.hit(key) ?? await service.read(key);
      return read.value === null ? null : UTF8.decode(read.value);
    }
    case "set": {
      const write = { value: TEXT.encode(op.value), ttlMs: null, condition: "always" as const };
      return await service.write(key, write) ? "OK" : null;
    }
    case "del": {
      const write = { value: null, ttlMs: null, condition: "always" as const };
      return await service.write(key, write) ? 1 : 0;
    }
  }
}

/** Fault phase and liveness bound of a cache seed (the shapes and faults of `runSeed`). */
export const CACHE_SEED_OPTIONS = { faultPhaseMs: 3000, livenessTimeoutMs: 10_000 } as const;

/** Slot groups per node of `seed`: 2 or 3. */
export function cacheGroupsOf(seed: number): number {
  return 2 + (seed % 2);
}

/** Runs one seed of the cache workload; the result and what the workload recorded. */
export async function runCacheSeed(
  seed: number,
  writeMode: CacheWriteMode = "through",
): Promise<{ result: SeedResult; workload: CacheWorkload }> {
  const workload = new CacheWorkload(seed, writeMode);
  const options = { ...CACHE_SEED_OPTIONS, groupsPerNode: cacheGroupsOf(seed) };
  const result = await runSeed(seed, options, workload);
  return { result, workload };
}
