import type { Redis } from "ioredis";
import { type ClusterGroup, parseClusterGroups } from "../../src/client/cluster_groups.ts";
import { call } from "./resp_call.ts";

/** The slot groups the node on `port` hosts (CLUSTER GROUPS), by slot. */
export async function slotGroupsAt(port: number): Promise<Map<number, ClusterGroup>> {
  const groups = parseClusterGroups(await call(port, "CLUSTER", "GROUPS"));
  return new Map(
    groups.filter((group) => group.purpose === "slot").map((group) => [group.slot!, group]),
  );
}

/** The leader of each slot group, as the node behind `redis` sees it: slot → node id ("-" while none). */
export async function slotLeaders(redis: Redis): Promise<Map<number, string>> {
  const groups = parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string);
  return new Map(
    groups.filter((group) => group.purpose === "slot")
      .map((group) => [group.slot!, group.leaderId ?? "-"]),
  );
}
