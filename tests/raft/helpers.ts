import assert from "node:assert/strict";
import type { NodeId } from "../../src/raft/mod.ts";
import { type ClusterOptions, SimCluster } from "../sim/cluster.ts";

/** Node ids n1..nCount. */
export function nodeIds(count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

/** A cluster of `count` voters with the given overrides. */
export function cluster(
  count: number,
  options: Partial<ClusterOptions> = {},
): Promise<SimCluster> {
  const ids = nodeIds(count);
  return SimCluster.create({ nodeIds: ids, voters: ids, ...options });
}

/** Runs until some live node leads; returns it. */
export async function waitLeader(c: SimCluster, timeoutMs = 3000): Promise<NodeId> {
  assert.ok(await c.runUntil(() => c.leader() !== null, timeoutMs), "no leader elected");
  return c.leader()!;
}

/** Live nodes that think they lead in the highest term any live node has. */
export function leadersInNewestTerm(c: SimCluster): NodeId[] {
  const live = c.ids.filter((id) => c.isUp(id));
  const term = Math.max(...live.map((id) => c.node(id).term));
  return live.filter((id) => c.node(id).term === term && c.node(id).role === "leader");
}

/** Proposes on the current leader (retrying across leader changes) until `ids` apply it. */
export async function commitEverywhere(
  c: SimCluster,
  text: string,
  ids: NodeId[] = c.ids.filter((id) => c.isUp(id)),
  timeoutMs = 5000,
): Promise<number> {
  let index = 0;
  let leader: NodeId | null = null;
  const ok = await c.runUntil(() => {
    if (index > 0 && c.checker.appliedKeyAt(index)?.endsWith(`/${text}`)) {
      return ids.every((id) => c.host(id).sm.index >= index);
    }
    const current = c.leader();
    if (current !== null && current !== leader) {
      const result = c.propose(current, text);
      if (result.ok) {
        leader = current;
        index = result.index;
      }
    }
    return false;
  }, timeoutMs);
  assert.ok(ok, `"${text}" not applied on ${ids.join(",")}`);
  return index;
}

/** Applied payloads of `id`. */
export function values(c: SimCluster, id: NodeId): string[] {
  return c.host(id).sm.values ?? [];
}
