import {
  deadQueueName,
  encodeQueueOp,
  parseMessageId,
  partitionOfKey,
  type QueueOp,
} from "../../src/queues/mod.ts";
import type { NodeId, SeededRandom } from "../../src/raft/mod.ts";
import type { SimAppFactory } from "./app.ts";
import type { SimCluster } from "./cluster.ts";
import { QueueApp, type QueueAppContext, type QueueMutant } from "./queue_app.ts";
import { checkQueueHistory, type QueueCheckResult } from "./queue_sim_check.ts";
import { QueueSimHistory } from "./queue_sim_history.ts";
import { DEFAULT_SEED_OPTIONS, runSeed, type SeedOptions, type SeedResult } from "./random_run.ts";
import type { SeedWorkload } from "./random_run.ts";

/** The workload's queue and its partitions. */
export const SIM_QUEUE = "q";
/** Partitions of the queue. */
export const SIM_QUEUE_PARTITIONS = 2;
/** Keys of keyed pushes (few, so per-key order is exercised). */
export const SIM_QUEUE_KEYS: readonly string[] = ["k0", "k1", "k2"];
/** MAXDELIVER the workload configures (small, so dead letters happen). */
export const SIM_MAX_DELIVER = 3;
/** Client ops proposed in one client turn, at most. */
export const QUEUE_OPS_PER_TURN_MAX = 3;
/** Delivered messages a client holds before acting on them, at most. */
export const HELD_MAX = 64;
/** After healing, every message must be taken and acked within this virtual time. */
export const QUEUE_DRAIN_TIMEOUT_MS = 20_000;
/** Visibility of a drain POP: longer than the drain. */
const DRAIN_VISIBILITY_MS = 60_000;
/** COUNT of a drain POP. */
const DRAIN_COUNT = 32;

/** Counters of one run. */
export interface QueueWorkloadStats {
  clientProposals: number;
  refused: number;
  acknowledged: number;
  unknown: number;
}

const TEXT = new TextEncoder();
const QUEUE_BYTES = TEXT.encode(SIM_QUEUE);
const DEAD_BYTES = TEXT.encode(deadQueueName(SIM_QUEUE)!);

/**
 * The queue workload: simulated producers and consumers propose encoded queue ops through the
 * current leader's production host (pushes with and without keys, delays, TTLs, priorities,
 * dedup ids; pops with short visibilities; acks, nacks, touches, and messages left to lapse),
 * with the leader's log time from its production QueueTimer, which also proposes the ticks.
 * Every host applies the committed entries to its own production QueueSlot (snapshots
 * included). After healing, a drain takes and acks everything; `checkQueueHistory` then judges
 * the committed log, the acknowledgements and the final state.
 */
export class QueueWorkload implements SeedWorkload {
  /** Workload name. */
  readonly name = "queues";
  /** Applied outcomes and acknowledgements. */
  readonly history = new QueueSimHistory();
  /** Creates each host's QueueApp. */
  readonly app: SimAppFactory;
  /** Counters. */
  readonly stats: QueueWorkloadStats = {
    clientProposals: 0,
    refused: 0,
    acknowledged: 0,
    unknown: 0,
  };
  /** The checker's result once `finish` ran. */
  result: QueueCheckResult | null = null;
  #cluster: SimCluster | null = null;
  /** Delivered messages not acted on yet: queue and id. */
  readonly #held: Array<{ queue: Uint8Array; id: string }> = [];
  #pushes = 0;
  #drainInFlight = false;

  /** A workload for one seed; `mutant` replaces the state machine's apply (mutation tests). */
  constructor(mutant: QueueMutant | null = null) {
    const ctx: QueueAppContext = {
      history: this.history,
      nowMs: () => this.#cluster?.nowMs ?? 0,
      isLeader: (id) => this.#cluster?.host(id).raft?.role === "leader",
      propose: (id, bytes) => this.#proposeVia(id, bytes),
      mutant,
    };
    this.app = { create: (id, index, image) => new QueueApp(id, index, image, ctx) };
  }

  /** Binds the cluster. */
  start(cluster: SimCluster): void {
    this.#cluster = cluster;
  }

  /** Proposes 1..QUEUE_OPS_PER_TURN_MAX client ops through `leader`. */
  clientTurn(cluster: SimCluster, leader: NodeId, pick: SeededRandom): void {
    const app = queueAppOf(cluster, leader);
    if (app === null || !app.ensureLeading()) return;
    for (let i = pick.int(QUEUE_OPS_PER_TURN_MAX); i >= 0; i--) {
      const nowMs = app.timer.nowMs(cluster.nowMs);
      const op = this.#clientOp(pick, nowMs);
      this.stats.clientProposals++;
      void this.#submit(leader, op);
    }
  }

  /** Nothing: every host's production timer runs on its ticks (queue_app.ts). */
  afterStep(): void {}

  /** Drains the queue, then checks the history (drained or not); error text or null. */
  async finish(cluster: SimCluster): Promise<string | null> {
    const drained = await cluster.runUntil(() => this.#drainStep(cluster), QUEUE_DRAIN_TIMEOUT_MS);
    const leader = cluster.leader();
    const app = leader === null ? null : queueAppOf(cluster, leader);
    const problems: string[] = [];
    if (app !== null) {
      const livePayloads = new Set<string>();
      for (const queue of [QUEUE_BYTES, DEAD_BYTES]) {
        for (let p = 0; p < SIM_QUEUE_PARTITIONS; p++) {
          for (const m of app.slot.messages(queue, p)) {
            livePayloads.add(new TextDecoder().decode(m.payload));
          }
        }
      }
      this.result = checkQueueHistory(
        this.history.log(),
        (index) => this.history.acknowledged(index),
        { livePayloads, partitions: partitionStats(app), queue: SIM_QUEUE },
      );
      if (this.result.violations.length > 0) {
        problems.push(`Queue checker: ${this.result.violations.join("; ")}`);
      }
    }
    if (!drained || app === null) {
      const lag = cluster.ids.map((id) => `${id}@${cluster.host(id).sm.index}`).join(" ");
      const stats = app === null ? null : partitionStats(app);
      problems.push(
        `Queue liveness: not drained within ${QUEUE_DRAIN_TIMEOUT_MS}ms (leader ${leader}, ` +
          `applied ${lag}, stats ${JSON.stringify(stats)})`,
      );
    }
    return problems.length === 0 ? null : problems.join("\n");
  }

  /** One drain step (a POP or ACKs through the leader, one at a time); true once drained. */
  #drainStep(cluster: SimCluster): boolean {
    const leader = cluster.leader();
    if (leader === null) return false;
    const app = queueAppOf(cluster, leader);
    if (app === null || !app.ensureLeading()) return false;
    const live = partitionStats(app).reduce(
      (sum, { stats: s }) => sum + s.ready + s.inflight + s.delayed,
      0,
    );
    const index = cluster.host(leader).sm.index;
    const { voters, learners } = cluster.node(leader).status().confState;
    const caughtUp = [...voters, ...learners].every((id) =>
      queueAppOf(cluster, id) !== null && cluster.host(id).sm.index === index
    );
    if (live === 0 && this.#held.length === 0 && !this.#drainInFlight) return caughtUp;
    if (this.#drainInFlight) return false;
    const nowMs = app.timer.nowMs(cluster.nowMs);
    const held = this.#held.shift();
    const op = held !== undefined ? ackOf(held, nowMs) : this.#drainPop(app, nowMs);
    if (op === null) return false;
    this.#drainInFlight = true;
    void this.#submit(leader, op).finally(() => this.#drainInFlight = false);
    return false;
  }

  /** A POP of a partition with deliverable messages, or null (wait for the timer). */
  #drainPop(app: QueueApp, nowMs: number): QueueOp | null {
    for (const queue of [QUEUE_BYTES, DEAD_BYTES]) {
      for (let partition = 0; partition < SIM_QUEUE_PARTITIONS; partition++) {
        if (app.slot.deliverableCount(queue, partition) === 0) continue;
        return {
          op: "deliver",
          queue,
          partition,
          nowMs,
          countMax: DRAIN_COUNT,
          visibilityMs: DRAIN_VISIBILITY_MS,
        };
      }
    }
    return null;
  }

  /** Proposes `op` through `leader`; records the acknowledgement and keeps delivered ids. */
  async #submit(leader: NodeId, op: QueueOp): Promise<void> {
    let index: number;
    try {
      index = Number(await this.#proposeVia(leader, encodeQueueOp(op)));
    } catch {
      this.stats.unknown++;
      return;
    }
    this.stats.acknowledged++;
    this.history.onAcknowledged(index);
    const outcome = this.history.at(index)?.outcome;
    if (op.op !== "deliver" || outcome?.kind !== "delivered") return;
    for (const message of outcome.messages) {
      if (this.#held.length < HELD_MAX) this.#held.push({ queue: op.queue, id: message.id });
    }
  }

  #proposeVia(id: NodeId, bytes: Uint8Array): Promise<unknown> {
    const host = this.#cluster?.host(id).host ?? null;
    if (host === null) return Promise.reject(new Error(`${id} is down`));
    return host.propose(bytes).catch((error) => {
      this.stats.refused++;
      throw error;
    });
  }

  /** A client op: pushes, pops, and actions on held messages (ack, nack, touch, lapse). */
  #clientOp(pick: SeededRandom, nowMs: number): QueueOp {
    const roll = pick.int(100);
    if (roll < 45) return this.#push(pick, nowMs);
    if (roll < 50) {
      const partition = pick.int(SIM_QUEUE_PARTITIONS);
      const visibilityMs = 50 + pick.int(300);
      return {
        op: "config",
        queue: QUEUE_BYTES,
        partition,
        nowMs,
        maxDeliver: SIM_MAX_DELIVER,
        visibilityMs,
      };
    }
    const held = this.#held.length > 0 && roll >= 70 ? this.#held.shift()! : null;
    if (held === null) {
      const queue = pick.chance(0.15) ? DEAD_BYTES : QUEUE_BYTES;
      const partition = pick.int(SIM_QUEUE_PARTITIONS);
      const visibilityMs = 20 + pick.int(200);
      return { op: "deliver", queue, partition, nowMs, countMax: 1 + pick.int(4), visibilityMs };
    }
    const action = pick.int(100);
    if (action < 60) return ackOf(held, nowMs);
    const { partition, sequence } = parseMessageId(TEXT.encode(held.id), SIM_QUEUE_PARTITIONS)!;
    if (action < 75) {
      return { op: "nack", queue: held.queue, partition, sequence, nowMs, delayMs: pick.int(100) };
    }
    if (action < 90) {
      const visibilityMs = 20 + pick.int(200);
      return { op: "touch", queue: held.queue, partition, sequence, nowMs, visibilityMs };
    }
    // Lapse: nothing is sent; the message comes back after its visibility.
    return this.#push(pick, nowMs);
  }

  #push(pick: SeededRandom, nowMs: number): QueueOp {
    const payload = TEXT.encode(`m${this.#pushes++}`);
    const keyed = pick.chance(0.5);
    const key = keyed ? TEXT.encode(SIM_QUEUE_KEYS[pick.int(SIM_QUEUE_KEYS.length)]!) : null;
    const dedupId = !keyed && pick.chance(0.15) ? TEXT.encode(`d${pick.int(8)}`) : null;
    const partition = key !== null
      ? partitionOfKey(key, SIM_QUEUE_PARTITIONS)
      : dedupId !== null
      ? partitionOfKey(dedupId, SIM_QUEUE_PARTITIONS)
      : pick.int(SIM_QUEUE_PARTITIONS);
    return {
      op: "push",
      queue: QUEUE_BYTES,
      partition,
      nowMs,
      payload,
      key,
      delayMs: pick.chance(0.2) ? pick.int(200) : 0,
      ttlMs: pick.chance(0.15) ? 100 + pick.int(1000) : null,
      priority: pick.chance(0.3) ? "high" : "normal",
      dedupId,
    };
  }
}

function ackOf(held: { queue: Uint8Array; id: string }, nowMs: number): QueueOp {
  const { partition, sequence } = parseMessageId(TEXT.encode(held.id), SIM_QUEUE_PARTITIONS)!;
  return { op: "ack", queue: held.queue, partition, sequence, nowMs };
}

/** Counters of every partition of the queue and its dead queue, labelled `queue#p`. */
function partitionStats(app: QueueApp) {
  return [QUEUE_BYTES, DEAD_BYTES].flatMap((queue) =>
    Array.from({ length: SIM_QUEUE_PARTITIONS }, (_, p) => ({
      label: `${new TextDecoder().decode(queue)}#${p}`,
      stats: app.slot.stats(queue, p),
    }))
  );
}

/** The live host's queue app, or null (crashed, or no queue workload). */
export function queueAppOf(cluster: SimCluster, id: NodeId): QueueApp | null {
  const app = cluster.host(id).app;
  return app instanceof QueueApp ? app : null;
}

/** Runs one seed of the queue workload (same cluster shapes and faults as `runSeed`). */
export function runQueueSeed(
  seed: number,
  options: SeedOptions = DEFAULT_SEED_OPTIONS,
  workload: QueueWorkload = new QueueWorkload(),
): Promise<SeedResult> {
  return runSeed(seed, options, workload);
}
