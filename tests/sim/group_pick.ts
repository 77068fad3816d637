import type { SeededRandom } from "../../src/raft/mod.ts";
import type { SimCluster } from "./cluster.ts";
import type { SeedWorkload } from "./random_run.ts";

/** A random group of the cluster; draws nothing with one group, so single-group seeds replay. */
export function pickGroup(cluster: SimCluster, pick: SeededRandom): number {
  const groups = cluster.groupIds;
  return groups.length === 1 ? groups[0]! : groups[pick.int(groups.length)]!;
}

/** A client turn on the leader of every group after the first (the caller served the first). */
export function otherGroupTurns(
  cluster: SimCluster,
  pick: SeededRandom,
  workload: SeedWorkload,
): void {
  for (const group of cluster.groupIds.slice(1)) {
    const leader = cluster.leader(group);
    if (leader !== null) workload.clientTurn(cluster, leader, pick, group);
  }
}
