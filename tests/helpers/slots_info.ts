import { call } from "./resp_call.ts";
import type { TestNode } from "./node_harness.ts";

/** `INFO slots` field `name` of `node` as a number (0 when the node does not answer). */
export async function slotsField(node: TestNode, name: string): Promise<number> {
  const text = await call(node.clientPort, "INFO", "slots").catch(() => "");
  const match = new RegExp(`^${name}:(\\d+)`, "m").exec(text);
  return match === null ? 0 : Number(match[1]);
}

/**
 * What the wipe rule of the chaos harness reads, from `INFO slots`: every node's placement lists
 * all of `nodes`, the nodes lead `slotCount` slot groups between them, and none is unsettled
 * (a group is settled when its voters are exactly its placed replicas).
 */
export async function allGroupsSettled(nodes: TestNode[], slotCount: number): Promise<boolean> {
  const members = nodes.map((node) => node.id).sort().join(",");
  let led = 0;
  let unsettled = 0;
  for (const node of nodes) {
    const text = await call(node.clientPort, "INFO", "slots").catch(() => "");
    if (!text.includes(`placement_members:${members}\r\n`)) return false;
    led += await slotsField(node, "slots_led");
    unsettled += await slotsField(node, "slots_led_unsettled");
  }
  return led === slotCount && unsettled === 0;
}

/** One slot group line of `CLUSTER GROUPS`. */
export interface GroupLine {
  members: string[];
  commitIndex: number;
}

/** The slot groups `node` hosts, by slot. */
export async function slotGroups(node: TestNode): Promise<Map<number, GroupLine>> {
  const text = await call(node.clientPort, "CLUSTER", "GROUPS");
  const groups = new Map<number, GroupLine>();
  for (const line of text.split(/\r?\n/)) {
    // Single spaces: an empty membership is an empty field.
    const [, purpose, slot, members, , , commit] = line.trim().split(" ");
    if (purpose !== "slot") continue;
    groups.set(Number(slot), {
      members: members === "" ? [] : members!.split(","),
      commitIndex: Number(commit),
    });
  }
  return groups;
}
