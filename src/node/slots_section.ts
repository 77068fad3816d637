import type { MetaGroup } from "../meta/meta_group.ts";
import type { SlotGroups } from "./slot_groups.ts";

/**
 * INFO `slots`: the slot count, the placement epoch, slot groups hosted and led here, and per
 * member of the ring the slots it replicates and the slots it is the preferred leader of
 * (`slots_replicas_<id>`, `slots_preferred_<id>`); how the groups without state here started
 * (as founders, or empty) and how many were dropped after this node left them.
 */
export function slotsSection(
  nodeId: string,
  meta: MetaGroup,
  slotGroups: SlotGroups | null,
): Array<[string, string | number]> {
  const placement = meta.state.placement;
  let led = 0;
  for (const [, host] of slotGroups?.entries() ?? []) if (host.leading) led++;
  const fields: Array<[string, string | number]> = [
    ["slot_count", meta.slotCount()],
    ["placement_epoch", meta.state.placementEpoch],
    ["placement_members", placement?.members.join(",") ?? ""],
    ["vnodes", placement?.vnodes ?? 0],
    ["replicas", placement?.replicas ?? 0],
    [
      "slots_placed_here",
      placement?.slots.filter((slot) => slot.replicas.includes(nodeId)).length ?? 0,
    ],
    ["slots_hosted", slotGroups?.size ?? 0],
    ["slots_led", led],
    ["slot_groups_started_founder", slotGroups?.started.founder ?? 0],
    ["slot_groups_started_empty", slotGroups?.started.empty ?? 0],
    ["slot_groups_dropped", slotGroups?.started.dropped ?? 0],
  ];
  for (const member of placement?.members ?? []) {
    const replicas = placement!.slots.filter((slot) => slot.replicas.includes(member)).length;
    const preferred = placement!.slots.filter((slot) => slot.leader === member).length;
    fields.push([`slots_replicas_${member}`, replicas], [`slots_preferred_${member}`, preferred]);
  }
  return fields;
}
