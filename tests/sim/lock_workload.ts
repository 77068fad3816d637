import { encodeLockOp, type LockOp, type LockTable } from "../../src/locks/mod.ts";
import type { NodeId, SeededRandom } from "../../src/raft/mod.ts";
import type { SimAppFactory } from "./app.ts";
import type { SimCluster } from "./cluster.ts";
import { LockApp, type LockAppContext } from "./lock_app.ts";
import { LockHistory } from "./lock_history.ts";
import { DEFAULT_SEED_OPTIONS, runSeed, type SeedOptions, type SeedResult } from "./random_run.ts";
import type { SeedWorkload } from "./random_run.ts";

/** Lock names the clients use (few, so they contend). */
export const LOCK_NAMES: readonly string[] = ["a", "b", "c"];
/** Owners the clients act for (several locks each, so waits can form cycles). */
export const LOCK_OWNERS: readonly string[] = ["o1", "o2", "o3", "o4", "o5"];
/** Lease lengths are drawn from TTL_MS_MIN .. TTL_MS_MIN + TTL_MS_SPAN - 1. */
export const TTL_MS_MIN = 30;
/** See TTL_MS_MIN. */
export const TTL_MS_SPAN = 400;
/** Waits are drawn from WAIT_MS_MIN .. WAIT_MS_MAX. */
export const WAIT_MS_MIN = 20;
/** Longest client wait; a new leader gives every parked wait this long. */
export const WAIT_MS_MAX = 320;
/** Client ops proposed in one client turn, at most. */
export const CLIENT_OPS_PER_TURN_MAX = 3;
/** Recent proposals a client may retry verbatim (a lost reply, a leader change). */
export const RETRY_PROPOSALS_MAX = 16;
/** After healing, every lease and wait must end everywhere within this virtual time. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** Counters of one run. */
export interface LockWorkloadStats {
  /** Client ops accepted by a leader (not necessarily committed). */
  clientProposals: number;
  /** Of those, verbatim retries of an earlier proposal. */
  retries: number;
  /** Expiries and wait cancels proposed by a leader's timers. */
  timerProposals: number;
  /** Of those, proposals that failed (refused, leadership lost, timed out). */
  timerFailures: number;
  /** Proposals a leader refused (not leader any more, too many uncommitted entries). */
  refused: number;
  /** Leader changes that reset the lease deadlines. */
  trackerResets: number;
}

/**
 * The lock workload: simulated clients propose encoded lock ops through the current leader,
 * whose production expiry timer (`LeaseExpiry`) proposes expiries and wait cancels by its clock
 * through the production host; every host applies the committed entries to its own `LockTable`
 * (snapshots included), and `LockHistory` checks every application (see lock_history.ts,
 * grant_checker.ts). At the end, with the network healed, every lease and wait must run out and
 * every member must hold the same, empty table.
 */
export class LockWorkload implements SeedWorkload {
  /** Workload name. */
  readonly name = "locks";
  /** The cross-node record and grant checker. */
  readonly history = new LockHistory();
  /** Creates each host's LockApp. */
  readonly app: SimAppFactory;
  /** Counters. */
  readonly stats: LockWorkloadStats = {
    clientProposals: 0,
    retries: 0,
    timerProposals: 0,
    timerFailures: 0,
    refused: 0,
    trackerResets: 0,
  };
  #cluster: SimCluster | null = null;
  readonly #waitMsById = new Map<number, number>();
  readonly #recent: Uint8Array[] = [];
  #nextWaiterId = 1;

  /** A workload for one seed. */
  constructor() {
    const ctx: LockAppContext = {
      history: this.history,
      nowMs: () => this.#cluster?.nowMs ?? 0,
      waitMs: (waiterId: number) => this.#waitMsById.get(waiterId) ?? 0,
      isLeader: (id) => this.#cluster?.host(id).raft?.role === "leader",
      propose: (id, bytes) => {
        const host = this.#cluster?.host(id).host ?? null;
        if (host === null) return Promise.reject(new Error(`${id} is down`));
        return host.propose(bytes);
      },
      waitMaxMs: WAIT_MS_MAX,
      count: (what) => {
        if (what === "timerProposal") this.stats.timerProposals++;
        else if (what === "timerFailure") this.stats.timerFailures++;
        else this.stats.trackerResets++;
      },
    };
    this.app = { create: (id, index, image) => new LockApp(id, index, image, ctx) };
  }

  /** Binds the cluster (virtual clock, trace). */
  start(cluster: SimCluster): void {
    this.#cluster = cluster;
    this.history.note = (text) => cluster.trace.note(cluster.nowMs, text);
  }

  /** Proposes 1..CLIENT_OPS_PER_TURN_MAX client ops through `leader`. */
  clientTurn(cluster: SimCluster, leader: NodeId, pick: SeededRandom): void {
    const app = lockAppOf(cluster, leader);
    if (app === null) return;
    for (let i = pick.int(CLIENT_OPS_PER_TURN_MAX); i >= 0; i--) {
      const retry = this.#recent.length > 0 && pick.chance(0.1);
      const bytes = retry
        ? this.#recent[pick.int(this.#recent.length)]!
        : encodeLockOp(this.#clientOp(app.table, pick));
      if (!this.#propose(cluster, leader, bytes)) continue;
      this.stats.clientProposals++;
      if (retry) this.stats.retries++;
      this.#recent.push(bytes);
      if (this.#recent.length > RETRY_PROPOSALS_MAX) this.#recent.shift();
    }
  }

  /** Nothing: every host's production expiry timer runs on its ticks (lock_app.ts). */
  afterStep(): void {}

  /** Every lease and wait ends and every member applies the same log; error text or null. */
  async finish(cluster: SimCluster): Promise<string | null> {
    const drained = await cluster.runUntil(() => drainedEverywhere(cluster), DRAIN_TIMEOUT_MS);
    if (drained) return null;
    const leader = cluster.leader();
    const stats = leader === null ? null : lockAppOf(cluster, leader)?.table.stats();
    const lag = cluster.ids.map((id) => `${id}@${cluster.host(id).sm.index}`).join(" ");
    return `Lock liveness: leases and waits did not all end everywhere within ` +
      `${DRAIN_TIMEOUT_MS}ms (leader ${leader}, table ${JSON.stringify(stats)}, applied ${lag})`;
  }

  #propose(cluster: SimCluster, leader: NodeId, bytes: Uint8Array): boolean {
    const result = cluster.act(leader, (raft) => raft.propose(bytes));
    if (!result.ok) this.stats.refused++;
    return result.ok;
  }

  /** A client op chosen from what the leader's table shows, sometimes stale or wrong. */
  #clientOp(table: LockTable, pick: SeededRandom): LockOp {
    const roll = pick.int(100);
    if (roll < 50) return this.#acquire(pick);
    const name = LOCK_NAMES[pick.int(LOCK_NAMES.length)]!;
    const owner = LOCK_OWNERS[pick.int(LOCK_OWNERS.length)]!;
    const ttlMs = TTL_MS_MIN + pick.int(TTL_MS_SPAN);
    if (roll < 90) {
      const holders = [...table.holders()];
      const held = holders.length > 0 && pick.chance(0.85)
        ? holders[pick.int(holders.length)]!
        : { name, owner, token: this.#staleToken(pick), leaseIndex: 0 };
      const token = pick.chance(0.8)
        ? held.token
        : pick.chance(0.5)
        ? null
        : this.#staleToken(pick);
      if (roll < 70) return { op: "release", name: held.name, owner: held.owner, token };
      if (roll < 85) return { op: "refresh", name: held.name, owner: held.owner, ttlMs, token };
      // A deposed leader's late expiry, decided before the grant's last renewal (only the
      // leader's lease tracker may expire a current lease: the grant checker holds it to TTL).
      const leaseIndex = Math.max(0, held.leaseIndex - 1 - pick.int(3));
      return {
        op: "expire",
        name: held.name,
        owner: held.owner,
        token: token ?? held.token,
        leaseIndex,
      };
    }
    const waiters = [...table.waiters()];
    const waiting = waiters.length > 0 && pick.chance(0.8)
      ? waiters[pick.int(waiters.length)]!
      : { name, owner, waiterId: pick.int(this.#nextWaiterId) };
    return {
      op: "cancelWait",
      name: waiting.name,
      owner: waiting.owner,
      waiterId: waiting.waiterId,
    };
  }

  #acquire(pick: SeededRandom): LockOp {
    const waiterId = this.#nextWaiterId++;
    const wait = pick.chance(0.5);
    if (wait) this.#waitMsById.set(waiterId, WAIT_MS_MIN + pick.int(WAIT_MS_MAX - WAIT_MS_MIN + 1));
    return {
      op: "acquire",
      name: LOCK_NAMES[pick.int(LOCK_NAMES.length)]!,
      owner: LOCK_OWNERS[pick.int(LOCK_OWNERS.length)]!,
      mode: pick.chance(0.55) ? "exclusive" : "shared",
      ttlMs: TTL_MS_MIN + pick.int(TTL_MS_SPAN),
      wait,
      waiterId,
    };
  }

  /** A token some earlier grant carried (or 1 before any grant). */
  #staleToken(pick: SeededRandom): number {
    const recent = this.history.recentGrants;
    return recent.length === 0 ? 1 : recent[pick.int(recent.length)]!.token;
  }
}

/** The live host's lock app, or null (crashed, or no lock workload). */
export function lockAppOf(cluster: SimCluster, id: NodeId): LockApp | null {
  const app = cluster.host(id).app;
  return app instanceof LockApp ? app : null;
}

/** True when the leader's table is empty and every member applied exactly what it applied. */
function drainedEverywhere(cluster: SimCluster): boolean {
  const leader = cluster.leader();
  if (leader === null) return false;
  const stats = lockAppOf(cluster, leader)?.table.stats();
  if (stats === undefined || stats.holders > 0 || stats.waiters > 0) return false;
  const appliedIndex = cluster.host(leader).sm.index;
  const { voters, learners } = cluster.node(leader).status().confState;
  return [...voters, ...learners].every((id) =>
    lockAppOf(cluster, id) !== null && cluster.host(id).sm.index === appliedIndex
  );
}

/** Runs one seed of the lock workload (same cluster shapes and faults as `runSeed`). */
export function runLockSeed(
  seed: number,
  options: SeedOptions = DEFAULT_SEED_OPTIONS,
  workload: LockWorkload = new LockWorkload(),
): Promise<SeedResult> {
  return runSeed(seed, options, workload);
}
