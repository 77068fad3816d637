/**
 * The "leader churn" fault schedule, after the Figure 8 (unreliable) test of MIT 6.5840: clients
 * propose to the leader, and shortly after, the leader is crashed or cut off, so its entries reach
 * only some followers; crashed nodes restart; messages are lost, duplicated, reordered and some
 * held back for hundreds of ms. Terms are short and logs diverge at their uncommitted tails, which
 * is where a commit rule that counts replicas of old-term entries (Raft paper, Figure 8) breaks.
 * @module
 */
import { otherGroupTurns, pickGroup } from "./group_pick.ts";
import type { NodeId, SeededRandom } from "../../src/raft/mod.ts";
import type { SimCluster } from "./cluster.ts";
import type { NetworkFaults } from "./network.ts";
import type { SeedWorkload } from "./random_run.ts";

/** Knobs of one churn run, drawn per seed. */
export interface ChurnKnobs {
  /** Voters (3 or 5: the fewer, the likelier a minority tail meets a quorum later). */
  voterCount: number;
  /** Raft PreVote. */
  preVote: boolean;
  /** Raft CheckQuorum (its lease slows elections down, so it is off in half the runs). */
  checkQuorum: boolean;
  /** Entries per append: small, so a new leader's old-term tail travels before its no-op. */
  appendEntriesMax: number;
  /** Election timeout in ticks: short, for many terms per virtual second. */
  electionTimeoutTicks: number;
  /** Probability that the current leader is crashed or cut off after each step. */
  leaderKillRate: number;
  /**
   * The same for a leader that has not yet committed an entry of its own term: it is still
   * replicating its predecessors' entries, the moment Figure 8 is about.
   */
  freshLeaderKillRate: number;
  /** Of leader kills, the share done by isolating it instead of crashing it (it keeps running). */
  isolateShare: number;
  /** Probability per step that a crashed node restarts (a quorum is always kept up). */
  restartRate: number;
  /** Probability a step runs long (up to `longStepMsMax`), letting a new leader settle. */
  longStepRate: number;
  /** Maximum virtual time of a long step in ms. */
  longStepMsMax: number;
  /** Maximum virtual time of a short step in ms. */
  shortStepMsMax: number;
}

/** Draws the knobs of a churn run. */
export function drawChurnKnobs(pick: SeededRandom): ChurnKnobs {
  return {
    voterCount: pick.chance(0.75) ? 3 : 5,
    preVote: pick.chance(0.5),
    checkQuorum: pick.chance(0.5),
    appendEntriesMax: 1 + pick.int(2),
    electionTimeoutTicks: 4 + pick.int(4),
    leaderKillRate: 0.05 + pick.next() * 0.5,
    freshLeaderKillRate: 0.3 + pick.next() * 0.6,
    isolateShare: pick.next() * 0.5,
    restartRate: pick.next() * 0.3,
    longStepRate: 0.05 + pick.next() * 0.15,
    longStepMsMax: 100 + pick.int(400),
    shortStepMsMax: 2 + pick.int(8),
  };
}

/** Short description for the run's shape line. */
export function churnShape(k: ChurnKnobs): string {
  const kill = `${k.leaderKillRate.toFixed(2)}/${k.freshLeaderKillRate.toFixed(2)}`;
  const long = `${k.longStepRate.toFixed(2)}/${k.longStepMsMax}ms`;
  return `churn(append=${k.appendEntriesMax} election=${k.electionTimeoutTicks}t kill=${kill} ` +
    `isolate=${k.isolateShare.toFixed(2)} restart=${k.restartRate.toFixed(2)} long=${long} ` +
    `short=${k.shortStepMsMax}ms)`;
}

/** Runs the churn schedule for `durationMs` of virtual time; membership stays fixed. */
export async function injectChurn(
  cluster: SimCluster,
  pick: SeededRandom,
  durationMs: number,
  workload: SeedWorkload,
  knobs: ChurnKnobs,
  voters: NodeId[],
): Promise<void> {
  const isolated = new Set<NodeId>();
  cluster.net.faults = unreliableFaults(pick);
  const end = cluster.nowMs + durationMs;
  let requestIds = 0;
  while (cluster.nowMs < end) {
    const leader = cluster.leader();
    if (leader !== null && pick.chance(0.85)) workload.clientTurn(cluster, leader, pick);
    otherGroupTurns(cluster, pick, workload);
    if (pick.chance(0.25)) {
      // Half of the reads go to a cut-off node: a deposed leader must not answer them alone.
      const cut = [...isolated].filter((id) => cluster.isUp(id));
      const up = cut.length > 0 && pick.chance(0.5)
        ? cut
        : cluster.ids.filter((id) => cluster.isUp(id));
      const target = up[pick.int(up.length)];
      if (target !== undefined) cluster.read(target, ++requestIds, pickGroup(cluster, pick));
    }
    const long = pick.chance(knobs.longStepRate);
    await cluster.runFor(
      long ? 1 + pick.int(knobs.longStepMsMax) : 1 + pick.int(knobs.shortStepMsMax),
    );
    workload.afterStep(cluster);
    // With several groups, the leader of a random group is the target (its node: all groups).
    const group = pickGroup(cluster, pick);
    const current = cluster.leader(group);
    if (current !== null && pick.chance(killRate(cluster, current, group, knobs))) {
      if (pick.chance(knobs.isolateShare)) {
        isolated.add(current);
        cluster.net.isolate(current, cluster.ids);
      } else {
        cluster.crash(current);
      }
    }
    await keepQuorum(cluster, voters, isolated, pick);
    if (pick.chance(knobs.restartRate)) {
      const down = cluster.ids.filter((id) => !cluster.isUp(id));
      const back = down[pick.int(down.length)];
      if (back !== undefined) await cluster.restart(back);
    }
    if (pick.chance(0.02)) cluster.net.faults = unreliableFaults(pick);
  }
}

/** The kill rate for `leader`: higher while it has not committed an entry of its own term. */
function killRate(
  cluster: SimCluster,
  leader: NodeId,
  group: number,
  knobs: ChurnKnobs,
): number {
  const raft = cluster.node(leader, group);
  const fresh = raft.termAt(raft.commitIndex) !== raft.term;
  return fresh ? knobs.freshLeaderKillRate : knobs.leaderKillRate;
}

/** Light loss and duplication, reordering, and 30-70 % of appends held back by up to 300 ms. */
function unreliableFaults(pick: SeededRandom): NetworkFaults {
  return {
    lossRate: pick.next() * 0.05,
    duplicateRate: pick.next() * 0.05,
    delayMinMs: 0.5,
    delayMaxMs: 2 + pick.next() * 10,
    longDelayRate: 0.3 + pick.next() * 0.4,
    longDelayMaxMs: 50 + pick.next() * 250,
    longDelayTypes: ["append"],
  };
}

/** Brings back one crashed or isolated voter while fewer than a quorum are up and connected. */
async function keepQuorum(
  cluster: SimCluster,
  voters: NodeId[],
  isolated: Set<NodeId>,
  pick: SeededRandom,
): Promise<void> {
  const out = voters.filter((id) => !cluster.isUp(id) || isolated.has(id));
  if (voters.length - out.length > voters.length / 2) return;
  const back = out[pick.int(out.length)]!;
  if (!cluster.isUp(back)) {
    await cluster.restart(back);
    return;
  }
  isolated.delete(back);
  cluster.net.heal();
  for (const id of isolated) cluster.net.isolate(id, cluster.ids);
}
