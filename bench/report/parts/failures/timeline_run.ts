/**
 * One timeline of the failures section: a steady load on a 3-node chaos cluster (every peer link
 * through a fault proxy), then a fault on the leader of the load's Raft group and its heal:
 * kill -9 then restart (rejoin), SIGSTOP then SIGCONT, or cut off from both peers then healed.
 * Records every completion and the moment of every fault and heal.
 */
import type { ChaosCluster } from "../../../../tests/chaos/runner/harness.ts";
import { keySlotOf, META_GROUP_ID, slotGroupId, slotLeaderOf } from "../../../load/slot_group.ts";
import { leadMetaFrom, sampleLeaders, waitSettledLeader, watchLeaders } from "./leader_watch.ts";
import { SteadyLoad, type SteadyLoadResult } from "./steady_load.ts";
import { leaderChanges, type TimelineEvent } from "./timeline.ts";

/** The faults a timeline can show. */
export type FaultKind = "kill" | "pause" | "partition";

/** Durations of one timeline, in ms. */
export interface TimelinePlan {
  kind: FaultKind;
  /** Steady load before the fault (the baseline). */
  beforeMs: number;
  /** From the fault to its heal (restart, SIGCONT, links healed). */
  faultMs: number;
  /** False: no heal inside the timeline (a killed node stays down until the timeline ends). */
  heal: boolean;
  /** Load after the heal. */
  afterMs: number;
  lockClientCount: number;
  setClientCount: number;
}

/** What one timeline recorded (times on the `performance.now()` clock). */
export interface TimelineRun {
  plan: TimelinePlan;
  /** The node the fault hit: the SETs' slot leader, made the locks' (meta) leader too. */
  victim: string;
  /** The groups (`locks`, `SETs`) the victim led just before the fault. */
  victimLed: string[];
  startMs: number;
  faultAtMs: number;
  healAtMs: number;
  endMs: number;
  /** Faults and heals, in order. */
  events: TimelineEvent[];
  /** Every leader change of the load's groups seen while it ran (`n2 leads locks`). */
  leaderEvents: TimelineEvent[];
  load: SteadyLoadResult;
}

/** Every lock name and key of the timelines carries this hash tag (one slot, one group). */
export const TIMELINE_HASH_TAG = "{timeline}";
const LEADER_TIMEOUT_MS = 20_000;
/** Before the load, the slot group's leader must have held on this long. */
const SETTLED_LEADER_MS = 2_000;
/**
 * This long before the fault the victim is chosen again (a slot group may still hand itself to its
 * preferred leader during the baseline) and given the meta leadership if it lacks it.
 */
const ALIGN_BEFORE_FAULT_MS = 1_000;
/** Names of the load's groups, in the order of `groupIds`: meta (locks), then the slot (SETs). */
const GROUP_NAMES = ["locks", "SETs"] as const;
const REQUEST_TIMEOUT_MS = 1_000;
const RETRY_DELAY_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Runs `plan` on `cluster` (every node serving on entry). With `restore`, every node serves again
 * on return, for the next timeline; without, a killed node may stay down (the cluster is closed).
 */
export async function runTimeline(
  cluster: ChaosCluster,
  plan: TimelinePlan,
  restore: boolean,
): Promise<TimelineRun> {
  const ports = cluster.ids.map((id) => cluster.clientPort(id));
  const slot = await keySlotOf(ports[0]!, `${TIMELINE_HASH_TAG}warm`);
  await slotLeaderOf(ports, slot, `${TIMELINE_HASH_TAG}warm`, LEADER_TIMEOUT_MS);
  const groupIds = [META_GROUP_ID, slotGroupId(slot)];
  let victim = await waitSettledLeader(cluster, groupIds[1]!, SETTLED_LEADER_MS, LEADER_TIMEOUT_MS);
  await leadMetaFrom(cluster, victim, META_GROUP_ID);
  const watch = watchLeaders(cluster, groupIds);
  const load = SteadyLoad.start({
    ports,
    lockClientCount: plan.lockClientCount,
    setClientCount: plan.setClientCount,
    hashTag: TIMELINE_HASH_TAG,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    retryDelayMs: RETRY_DELAY_MS,
  });
  const events: TimelineEvent[] = [];
  const startMs = performance.now();
  let faultAtMs = startMs;
  let healAtMs = startMs;
  let endMs = startMs;
  let recorded: SteadyLoadResult;
  let samples;
  let victimLed: string[] = [];
  try {
    await sleep(startMs + plan.beforeMs - ALIGN_BEFORE_FAULT_MS - performance.now());
    victim = await alignLeaders(cluster, groupIds, victim);
    await sleep(startMs + plan.beforeMs - performance.now());
    const atFault = await sampleLeaders(cluster, groupIds);
    victimLed = GROUP_NAMES.filter((_, i) => atFault[i]!.leaderId === victim);
    faultAtMs = performance.now();
    events.push({ atMs: faultAtMs, label: faultLabel(plan.kind, victim) });
    await injectFault(cluster, plan.kind, victim);
    await sleep(faultAtMs + plan.faultMs - performance.now());
    healAtMs = performance.now();
    if (plan.heal) {
      events.push({ atMs: healAtMs, label: healLabel(plan.kind, victim) });
      await healFault(cluster, plan.kind, victim);
      if (plan.kind === "kill") events.push({ atMs: performance.now(), label: `${victim} up` });
    }
    await sleep(plan.afterMs);
  } finally {
    endMs = performance.now();
    [recorded, samples] = await Promise.all([load.stop(), watch.stop()]);
    cluster.healLinks();
    if (cluster.isPaused(victim)) cluster.resumeNode(victim);
    if (restore && !cluster.isServing(victim)) await cluster.startNode(victim);
  }
  const leaderEvents = GROUP_NAMES.flatMap((name, i) => leaderChanges(samples[i]!, name))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    plan,
    victim,
    victimLed,
    startMs,
    faultAtMs,
    healAtMs,
    endMs,
    events,
    leaderEvents,
    load: recorded,
  };
}

/** The slot group's leader now (or `fallback`), made the meta group's leader too. */
async function alignLeaders(
  cluster: ChaosCluster,
  groupIds: readonly number[],
  fallback: string,
): Promise<string> {
  const [, slotLeader] = await sampleLeaders(cluster, groupIds);
  const victim = slotLeader!.leaderId ?? fallback;
  await leadMetaFrom(cluster, victim, groupIds[0]!);
  return victim;
}

function faultLabel(kind: FaultKind, victim: string): string {
  if (kind === "kill") return `kill -9 ${victim}`;
  if (kind === "pause") return `SIGSTOP ${victim}`;
  return `${victim} cut off`;
}

function healLabel(kind: FaultKind, victim: string): string {
  if (kind === "kill") return `restart ${victim}`;
  if (kind === "pause") return `SIGCONT ${victim}`;
  return "links healed";
}

async function injectFault(cluster: ChaosCluster, kind: FaultKind, victim: string) {
  if (kind === "kill") await cluster.killNode(victim);
  else if (kind === "pause") cluster.pauseNode(victim);
  else for (const other of cluster.ids) if (other !== victim) cluster.cutLink(victim, other);
}

async function healFault(cluster: ChaosCluster, kind: FaultKind, victim: string) {
  if (kind === "kill") await cluster.startNode(victim);
  else if (kind === "pause") cluster.resumeNode(victim);
  else cluster.healLinks();
}
