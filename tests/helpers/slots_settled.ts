import type { Redis } from "ioredis";

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
  const members = new Map<number, string>();
  for (const [index, redis] of clients.entries()) {
    const text = await redis.call("CLUSTER", "GROUPS") as string;
    for (const line of text.trim().split("\n")) {
      const [, purpose, slot, memberList, leader] = line.split(" ");
      if (purpose !== "slot") continue;
      const list = hosts.get(Number(slot)) ?? [];
      list.push(ids[index]!);
      hosts.set(Number(slot), list);
      if (leader === ids[index]) members.set(Number(slot), memberList!);
    }
  }
  for (let slot = 0; slot < slotCount; slot++) {
    const memberList = members.get(slot);
    if (memberList === undefined || memberList.split(",").length !== 3) return false;
    const hosting = hosts.get(slot) ?? [];
    if (!memberList.split(",").every((id) => hosting.includes(id))) return false;
  }
  return true;
}
