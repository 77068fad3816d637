import type { Redis } from "ioredis";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";

/**
 * Every node (one client per node, in `ids` order) applied the placement over `ids`, and every
 * slot group settled: its leader sees 3 members, and each of them hosts the group.
 */
export async function slotsSettled(
  clients: Redis[],
  ids: string[],
  slotCount: number,
): Promise<boolean> {
  // Every node has applied the placement over exactly these members.
  for (const redis of clients) {
    const info = await redis.info("slots");
    const members = /placement_members:(\S*)/.exec(info)?.[1];
    if (members !== [...ids].sort().join(",")) return false;
  }
  const hosts = new Map<number, string[]>();
  const members = new Map<number, string[]>();
  for (const [index, redis] of clients.entries()) {
    for (const group of parseClusterGroups(await redis.call("CLUSTER", "GROUPS") as string)) {
      if (group.purpose !== "slot") continue;
      const slot = group.slot!;
      hosts.set(slot, [...hosts.get(slot) ?? [], ids[index]!]);
      if (group.leaderId === ids[index]) members.set(slot, group.members);
    }
  }
  for (let slot = 0; slot < slotCount; slot++) {
    const memberList = members.get(slot);
    if (memberList === undefined || memberList.length !== 3) return false;
    const hosting = hosts.get(slot) ?? [];
    if (!memberList.every((id) => hosting.includes(id))) return false;
  }
  return true;
}
