/**
 * Watches who leads the load's Raft groups on a chaos cluster (the meta group holds the locks, a
 * slot group the key-value keys): samples every serving node's `CLUSTER GROUPS` at a fixed
 * interval and keeps, per group, the view with the highest term. Used to wait until leadership
 * settled (a slot group hands leadership to its preferred leader a few seconds after an election)
 * and to mark every leader change on a timeline.
 */
import type { ChaosCluster } from "../../../../tests/chaos/runner/harness.ts";
import { parseGroup } from "../../../load/slot_group.ts";
import type { LeaderSample } from "./timeline.ts";

/** Time between two samples. */
export const LEADER_SAMPLE_INTERVAL_MS = 200;
/** Most samples one watch keeps per group (at 200 ms: 100 minutes). */
export const LEADER_SAMPLE_COUNT_MAX = 30_000;

/** One sample of each group now: the highest-term view among the serving nodes. */
export async function sampleLeaders(
  cluster: ChaosCluster,
  groupIds: readonly number[],
): Promise<LeaderSample[]> {
  const texts = await Promise.all(
    cluster.ids.filter((id) => cluster.isServing(id)).map((id) =>
      cluster.admin(id, ["CLUSTER", "GROUPS"]).catch(() => "")
    ),
  );
  const atMs = performance.now();
  return groupIds.map((groupId) => {
    let best: LeaderSample = { atMs, leaderId: null, term: -1 };
    for (const text of texts) {
      const view = parseGroup(text, groupId);
      if (view === null) continue;
      if (view.term > best.term || (view.term === best.term && best.leaderId === null)) {
        best = { atMs, leaderId: view.leaderId, term: view.term };
      }
    }
    return best;
  });
}

/** Samples until `stop()`; `stop()` resolves with every group's samples, in time order. */
export function watchLeaders(
  cluster: ChaosCluster,
  groupIds: readonly number[],
): { stop(): Promise<LeaderSample[][]> } {
  const samples: LeaderSample[][] = groupIds.map(() => []);
  let stopped = false;
  const loop = (async () => {
    while (!stopped && samples[0]!.length < LEADER_SAMPLE_COUNT_MAX) {
      const now = await sampleLeaders(cluster, groupIds);
      now.forEach((sample, i) => samples[i]!.push(sample));
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
 * Waits until the same node has led group `groupId` for `stableMs`; returns it. Throws after
 * `timeoutMs` without such a stretch.
 */
export async function waitSettledLeader(
  cluster: ChaosCluster,
  groupId: number,
  stableMs: number,
  timeoutMs: number,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let leader: string | null = null;
  let sinceMs = performance.now();
  while (performance.now() < deadline) {
    const [sample] = await sampleLeaders(cluster, [groupId]);
    if (sample!.leaderId !== leader) {
      leader = sample!.leaderId;
      sinceMs = sample!.atMs;
    } else if (leader !== null && sample!.atMs - sinceMs >= stableMs) {
      return leader;
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_SAMPLE_INTERVAL_MS));
  }
  throw new Error(`Group ${groupId}: no leader held on for ${stableMs} ms within ${timeoutMs} ms`);
}

/** Makes `nodeId` the meta group's leader (`CLUSTER TRANSFER`), if it is not already. */
export async function leadMetaFrom(
  cluster: ChaosCluster,
  nodeId: string,
  metaGroupId: number,
): Promise<void> {
  const [meta] = await sampleLeaders(cluster, [metaGroupId]);
  if (meta!.leaderId === nodeId) return;
  const reply = await cluster.admin(nodeId, ["CLUSTER", "TRANSFER", nodeId]);
  if (reply !== "OK") throw new Error(`CLUSTER TRANSFER ${nodeId} answered ${reply}`);
}
