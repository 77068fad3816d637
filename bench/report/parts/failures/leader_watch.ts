/**
 * Watches who leads the load's slot group on a chaos cluster: samples every serving node's
 * `CLUSTER GROUPS` at a fixed interval and keeps the view with the highest term. Used to wait
 * until leadership has settled (slot groups hand leadership to their preferred leader a few
 * seconds after an election) and to mark every leader change on a timeline.
 */
import type { ChaosCluster } from "../../../../tests/chaos/runner/harness.ts";
import { parseSlotGroup } from "../../../load/slot_group.ts";
import type { LeaderSample } from "./timeline.ts";

/** Time between two samples. */
export const LEADER_SAMPLE_INTERVAL_MS = 200;
/** Most samples one watch keeps (at 200 ms: 100 minutes). */
export const LEADER_SAMPLE_COUNT_MAX = 30_000;

/** One sample now: the highest-term view among the serving nodes. */
export async function sampleLeader(cluster: ChaosCluster, slot: number): Promise<LeaderSample> {
  const views = await Promise.all(
    cluster.ids.filter((id) => cluster.isServing(id)).map(async (id) => {
      const text = await cluster.admin(id, ["CLUSTER", "GROUPS"]).catch(() => "");
      return parseSlotGroup(text, slot);
    }),
  );
  let best: LeaderSample = { atMs: performance.now(), leaderId: null, term: -1 };
  for (const view of views) {
    if (view === null) continue;
    if (view.term > best.term || (view.term === best.term && best.leaderId === null)) {
      best = { atMs: best.atMs, leaderId: view.leaderId, term: view.term };
    }
  }
  return best;
}

/** Samples until `stop()`; `stop()` resolves with every sample, in time order. */
export function watchLeader(
  cluster: ChaosCluster,
  slot: number,
): { stop(): Promise<LeaderSample[]> } {
  const samples: LeaderSample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped && samples.length < LEADER_SAMPLE_COUNT_MAX) {
      samples.push(await sampleLeader(cluster, slot));
      await new Promise((resolve) => setTimeout(resolve, LEADER_SAMPLE_INTERVAL_MS));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/**
 * Waits until the same node has led the group for `stableMs`; returns it. Throws after
 * `timeoutMs` without such a stretch.
 */
export async function waitSettledLeader(
  cluster: ChaosCluster,
  slot: number,
  stableMs: number,
  timeoutMs: number,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let leader: string | null = null;
  let sinceMs = performance.now();
  while (performance.now() < deadline) {
    const sample = await sampleLeader(cluster, slot);
    if (sample.leaderId !== leader) {
      leader = sample.leaderId;
      sinceMs = sample.atMs;
    } else if (leader !== null && sample.atMs - sinceMs >= stableMs) {
      return leader;
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_SAMPLE_INTERVAL_MS));
  }
  throw new Error(`Slot ${slot}: no leader held on for ${stableMs} ms within ${timeoutMs} ms`);
}
