import { type NodeId, type RaftConfigInput, SeededRandom } from "../../src/raft/mod.ts";
import type { SimAppFactory } from "./app.ts";
import { type ChurnKnobs, churnShape, drawChurnKnobs, injectChurn } from "./churn_schedule.ts";
import { type ClusterOptions, SimCluster } from "./cluster.ts";
import { otherGroupTurns, pickGroup } from "./group_pick.ts";

/** Budget of one seeded run. */
export interface SeedOptions {
  /** Virtual time with faults injected. */
  faultPhaseMs: number;
  /** After healing, a leader must commit a new entry everywhere within this time. */
  livenessTimeoutMs: number;
  /** Raft groups per node; drawn per seed (`drawGroupsPerNode`) when absent. */
  groupsPerNode?: number;
}

/**
 * Fault schedules. `mixed`: random crashes, restarts, partitions, network changes, transfers and
 * membership changes. `churn`: leaders crashed or cut off right after clients propose, with small
 * append batches, so entries reach only some followers and short terms pile up
 * (`churn_schedule.ts`).
 */
export type ScheduleMode = "mixed" | "churn";

/** Share of seeds that run the churn schedule. */
export const CHURN_SEED_SHARE = 0.5;

/** Share of text-workload seeds whose nodes host several Raft groups (2..GROUPS_PER_NODE_MAX). */
export const MULTI_GROUP_SEED_SHARE = 0.3;

/** Most Raft groups per node a seed draws. */
export const GROUPS_PER_NODE_MAX = 4;

/**
 * Groups per node for `seed`, from its own random stream (so single-group seeds replay as before
 * groups existed). The lock workload stays single-group.
 */
export function drawGroupsPerNode(seed: number, workload: SeedWorkload): number {
  if (workload.name !== "text") return 1;
  const groupPick = new SeededRandom(seed * 15_485_863 + 29);
  if (!groupPick.chance(MULTI_GROUP_SEED_SHARE)) return 1;
  return 2 + groupPick.int(GROUPS_PER_NODE_MAX - 1);
}

/** Defaults tuned so 500 seeds finish well under a minute on 2 cores. */
export const DEFAULT_SEED_OPTIONS: SeedOptions = { faultPhaseMs: 3000, livenessTimeoutMs: 10_000 };

/** Outcome of one seeded run. */
export interface SeedResult {
  /** The seed. */
  seed: number;
  /** Null when every invariant and the liveness check held. */
  error: string | null;
  /** The last events before the end (or failure). */
  trace: string[];
  /** Events processed. */
  eventCount: number;
  /** Entries applied by the most advanced node. */
  appliedIndex: number;
  /** Virtual time at the end. */
  virtualMs: number;
  /** A short description of the generated cluster. */
  shape: string;
  /** The fault schedule the seed ran. */
  mode: ScheduleMode;
  /** Raft groups per node. */
  groups: number;
  /** Per group (in id order): entries applied by its most advanced node. */
  appliedByGroup: number[];
}

/** What clients do while the fault schedule runs; one instance per seed. */
export interface SeedWorkload {
  /** Short name shown in the run's shape. */
  readonly name: string;
  /** True when it runs over several groups per node (`SeedOptions.groupsPerNode`). */
  readonly multiGroup?: boolean;
  /** Replicated application for every host, or null for the hash-only state machine. */
  readonly app: SimAppFactory | null;
  /** Called once, right after the cluster is built. */
  start(cluster: SimCluster): void;
  /** A client turn (45 % of fault-schedule steps) while `leader` leads `group` (default first). */
  clientTurn(cluster: SimCluster, leader: NodeId, pick: SeededRandom, group?: number): void;
  /** After every fault-schedule step (leader timers, cheap checks). */
  afterStep(cluster: SimCluster): void;
  /** After healing and the Raft liveness check: the workload's own end checks (error or null). */
  finish(cluster: SimCluster): Promise<string | null> | string | null;
}

/** The default workload: 1-4 short text proposals per client turn. */
export function textWorkload(): SeedWorkload {
  let proposals = 0;
  return {
    name: "text",
    app: null,
    start: () => {},
    clientTurn: (cluster, leader, pick, group) => {
      for (let i = pick.int(4); i >= 0; i--) cluster.propose(leader, `p${proposals++}`, group);
    },
    afterStep: () => {},
    finish: () => null,
  };
}

/** A seed's random cluster: hosts, initial voters, options, and a one-line description. */
interface DrawnCluster {
  ids: NodeId[];
  voters: NodeId[];
  options: Partial<ClusterOptions>;
  shape: string;
}

/**
 * Draws the cluster from `pick` in a fixed order; a churn run overrides some draws afterwards
 * (so mixed-mode seeds replay exactly as before churn mode existed).
 */
function drawCluster(pick: SeededRandom, churn: ChurnKnobs | null): DrawnCluster {
  const voterCount = churn?.voterCount ?? [3, 3, 5, 5, 7][pick.int(5)]!;
  const spareCount = pick.chance(0.4) ? 1 + pick.int(2) : 0;
  const ids = Array.from({ length: voterCount + spareCount }, (_, i) => `n${i + 1}`);
  const flags = [[true, true], [true, false], [false, true]][pick.int(3)]!;
  const preVote = churn?.preVote ?? flags[0]!;
  const checkQuorum = churn?.checkQuorum ?? flags[1]!;
  const leaseReads = checkQuorum && pick.chance(0.3);
  const compactEvery = pick.chance(0.6) ? 3 + pick.int(40) : 0;
  let shape = `voters=${voterCount} spares=${spareCount} preVote=${preVote} ` +
    `checkQuorum=${checkQuorum} lease=${leaseReads} compactEvery=${compactEvery}`;
  const syncDelayMaxMs = 1 + pick.int(4);
  const snapshotPaddingBytes = pick.int(3000);
  const raft: Partial<RaftConfigInput> = {
    preVote,
    checkQuorum,
    readOnly: leaseReads ? "leaseBased" : "safe",
    heartbeatTimeoutTicks: 1 + pick.int(2),
    appendEntriesMax: 1 + pick.int(32),
    appendBytesMax: 64 + pick.int(4096),
    inflightAppendsMax: 1 + pick.int(8),
    snapshotChunkBytes: 16 + pick.int(1024),
    uncommittedEntriesMax: 50 + pick.int(200),
  };
  if (churn !== null) {
    raft.appendEntriesMax = churn.appendEntriesMax;
    raft.electionTimeoutTicks = churn.electionTimeoutTicks;
    shape += ` ${churnShape(churn)}`;
  }
  const options = {
    nodeIds: ids,
    voters: ids.slice(0, voterCount),
    clockDriftRatio: 0.02,
    syncDelayMaxMs,
    compactEveryEntries: compactEvery,
    snapshotPaddingBytes,
    recordValues: false,
    raft,
  };
  return { ids, voters: options.voters, options, shape };
}

/** Builds a random cluster for `seed`, injects faults, heals, and checks liveness. */
export async function runSeed(
  seed: number,
  options: SeedOptions = DEFAULT_SEED_OPTIONS,
  workload: SeedWorkload = textWorkload(),
): Promise<SeedResult> {
  const pick = new SeededRandom(seed * 7919 + 17);
  const modePick = new SeededRandom(seed * 104_729 + 7);
  const churn = modePick.chance(CHURN_SEED_SHARE) ? drawChurnKnobs(modePick) : null;
  const drawn = drawCluster(pick, churn);
  const groupsPerNode = options.groupsPerNode ?? drawGroupsPerNode(seed, workload);
  if (groupsPerNode > 1 && workload.name !== "text" && workload.multiGroup !== true) {
    throw new Error(`The ${workload.name} workload runs one group per node`);
  }
  let shape = drawn.shape;
  if (groupsPerNode > 1) shape += ` groups=${groupsPerNode}`;
  if (workload.name !== "text") shape += ` workload=${workload.name}`;
  const cluster = await SimCluster.create({
    ...drawn.options,
    seed,
    app: workload.app,
    groupsPerNode,
  });
  const result = (error: string | null): SeedResult => ({
    seed,
    error,
    trace: cluster.trace.lines(),
    eventCount: cluster.eventCount,
    appliedIndex: cluster.checker.maxAppliedIndex,
    virtualMs: cluster.nowMs,
    shape,
    mode: churn === null ? "mixed" : "churn",
    groups: groupsPerNode,
    appliedByGroup: cluster.groupIds.map((g) => cluster.checkerOf(g).maxAppliedIndex),
  });
  try {
    workload.start(cluster);
    if (churn === null) await injectFaults(cluster, pick, options.faultPhaseMs, workload);
    else await injectChurn(cluster, pick, options.faultPhaseMs, workload, churn, drawn.voters);
    await healAll(cluster);
    let error: string | null = null;
    for (const group of cluster.groupIds) {
      error ??= await checkLiveness(cluster, options.livenessTimeoutMs, group);
    }
    error ??= await workload.finish(cluster);
    return result(error);
  } catch (error) {
    return result(
      error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error),
    );
  }
}

async function injectFaults(
  cluster: SimCluster,
  pick: SeededRandom,
  durationMs: number,
  workload: SeedWorkload,
): Promise<void> {
  const end = cluster.nowMs + durationMs;
  let requestIds = 0;
  while (cluster.nowMs < end) {
    await cluster.runFor(1 + pick.int(40));
    workload.afterStep(cluster);
    const leader = cluster.leader();
    const up = cluster.ids.filter((id) => cluster.isUp(id));
    const down = cluster.ids.filter((id) => !cluster.isUp(id));
    const roll = pick.int(100);
    if (roll < 45) {
      if (leader !== null) workload.clientTurn(cluster, leader, pick);
      otherGroupTurns(cluster, pick, workload);
    } else if (roll < 55) {
      const target = up[pick.int(up.length)];
      if (target !== undefined) cluster.read(target, ++requestIds, pickGroup(cluster, pick));
    } else if (roll < 61) {
      const victim = up[pick.int(up.length)];
      if (victim !== undefined) cluster.crash(victim);
    } else if (roll < 70) {
      const revived = down[pick.int(down.length)];
      if (revived !== undefined) await cluster.restart(revived);
    } else if (roll < 77) {
      randomPartition(cluster, pick);
    } else if (roll < 82) {
      cluster.net.heal();
    } else if (roll < 87) {
      cluster.net.faults = {
        lossRate: pick.chance(0.5) ? 0 : pick.next() * 0.3,
        duplicateRate: pick.chance(0.5) ? 0 : pick.next() * 0.1,
        delayMinMs: 0.5,
        delayMaxMs: 1 + pick.next() * 25,
      };
    } else if (roll < 91) {
      const group = pickGroup(cluster, pick);
      const groupLeader = cluster.leader(group);
      if (groupLeader !== null) {
        const voters = cluster.node(groupLeader, group).status().confState.voters;
        cluster.act(
          groupLeader,
          (raft) => raft.transferLeadership(voters[pick.int(voters.length)]!),
          group,
        );
      }
    } else {
      const group = pickGroup(cluster, pick);
      const groupLeader = cluster.leader(group);
      if (groupLeader !== null) changeMembership(cluster, groupLeader, pick, group);
    }
  }
}

function randomPartition(cluster: SimCluster, pick: SeededRandom): void {
  const ids = cluster.ids;
  const kind = pick.int(3);
  if (kind === 0) {
    const a: NodeId[] = [];
    const b: NodeId[] = [];
    for (const id of ids) (pick.chance(0.5) ? a : b).push(id);
    cluster.net.partition([a, b]);
  } else if (kind === 1) {
    cluster.net.isolate(ids[pick.int(ids.length)]!, ids);
  } else {
    const from = ids[pick.int(ids.length)]!;
    const to = ids[pick.int(ids.length)]!;
    if (from !== to) cluster.net.cutOneWay(from, to);
  }
}

function changeMembership(
  cluster: SimCluster,
  leader: NodeId,
  pick: SeededRandom,
  group: number,
): void {
  const status = cluster.node(leader, group).status();
  const { voters, learners } = status.confState;
  const outsiders = cluster.ids.filter((id) => !voters.includes(id) && !learners.includes(id));
  const choice = pick.int(3);
  cluster.act(leader, (raft) => {
    if (choice === 0 && outsiders.length > 0) {
      return raft.proposeConfChange({ type: "addLearner", nodeId: outsiders[0]! });
    }
    if (choice === 1 && learners.length > 0) {
      return raft.proposeConfChange({ type: "addVoter", nodeId: learners[0]! });
    }
    const removable = voters.length > 3 ? [...voters, ...learners] : learners;
    const victim = removable[pick.int(removable.length)];
    if (victim === undefined) return null;
    return raft.proposeConfChange({ type: "removeNode", nodeId: victim });
  }, group);
}

async function healAll(cluster: SimCluster): Promise<void> {
  cluster.net.heal();
  cluster.net.faults = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 5 };
  for (const id of cluster.ids) await cluster.restart(id);
}

/**
 * After healing: some leader of `group` commits a fresh proposal and every member applies it.
 * Proposals to a stale leader may never commit, so a new one is made whenever leadership changes.
 */
async function checkLiveness(
  cluster: SimCluster,
  timeoutMs: number,
  group: number,
): Promise<string | null> {
  const checker = cluster.checkerOf(group);
  let attempt = 0;
  let pending: { leader: NodeId; term: number; index: number; text: string } | null = null;
  const done = await cluster.runUntil(() => {
    if (pending !== null) {
      const key = checker.appliedKeyAt(pending.index);
      if (key !== undefined && key.endsWith(pending.text)) {
        const conf = cluster.node(pending.leader, group).status().confState;
        const members = [...conf.voters, ...conf.learners];
        return members.every((id) => cluster.host(id, group).sm.index >= pending!.index);
      }
      const raft = cluster.host(pending.leader, group).raft;
      if (raft !== null && raft.role === "leader" && raft.term === pending.term) return false;
      if (key !== undefined) pending = null;
    }
    const leader = cluster.leader(group);
    if (leader === null) return false;
    const text = `liveness${attempt++}`;
    const result = cluster.propose(leader, text, group);
    if (result.ok) {
      pending = { leader, term: cluster.node(leader, group).term, index: result.index, text };
    }
    return false;
  }, timeoutMs);
  if (done) return null;
  const lag = cluster.ids.map((id) => `${id}@${cluster.host(id, group).sm.index}`).join(" ");
  const which = cluster.groupIds.length > 1 ? ` of group ${group}` : "";
  return `Liveness: no proposal${which} was applied by every member within ${timeoutMs}ms (${lag})`;
}
