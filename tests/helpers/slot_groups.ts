import { type ClusterGroup, parseClusterGroups } from "../../src/client/cluster_groups.ts";
import { call } from "./resp_call.ts";

/** The slot groups the node on `port` hosts (CLUSTER GROUPS), by slot. */
export async function slotGroupsAt(port: number): Promise<Map<number, ClusterGroup>> {
  const groups = parseClusterGroups(await call(port, "CLUSTER", "GROUPS"));
  return new Map(
    groups.filter((group) => group.purpose === "slot").map((group) => [group.slot!, group]),
  );
}
