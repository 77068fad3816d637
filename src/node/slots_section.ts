import type { MetaGroup } from "../meta/meta_group.ts";
import type { RaftStatus } from "../raft/mod.ts";
import { lostVoters, type SlotGroups } from "./slot_groups.ts";

/**
 * INFO `slots`: the slot count, the placement epoch, slot groups hosted and led here, and per
 * member of the ring the slots it replicates and the slots it is the preferred leader of
 * (`slots_replicas_<id>`, `slots_preferred_<id>`); how the groups without state here started
 * (as founders, or empty) and how many were dropped after this node left them.
 * `slots_led_unsettled`: groups led here whose voters are not exactly the placement's replicas,
 * that still have a learner (a member being added or removed), a voter not caught up (not
 * holding this leader's first entry, or everything it held when the voter said it lost its state),
 * a voter that lost its state and is still to be removed (`lostVoters`), or a replica whose incarnation the
 * meta group has not recorded yet (added back, not registered).
 */
export function slotsSection(
  nodeId: string,
  meta: MetaGroup,
  slotGroups: SlotGroups | null,
): Array<[string, string | number]> {
  const placement = meta.state.placement;
  let led = 0;
  let unsettled = 0;
  for (const [slot, host] of slotGroups?.entries() ?? []) {
    if (!host.leading) continue;
    led++;
    const target = placement?.slots[slot];
    if (target === undefined) continue;
    const status = host.status();
    const registered = target.replicas.every((id) => meta.state.member(id)?.incarnationId);
    if (
      !registered || !settled(status.confState, target.replicas) || !caughtUp(status) ||
      lostVoters(status).length > 0
    ) unsettled++;
  }
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
    ["slots_led_unsettled", unsettled],
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

/** Every voter but the leader holds what the leader asks of it (ProgressStatus.caughtUp). */
function caughtUp(status: RaftStatus): boolean {
  return status.progress.every((pr) => pr.isLearner || pr.id === status.id || pr.caughtUp);
}

/** The group's voters are exactly `replicas` and it has no learner. */
function settled(
  conf: { voters: readonly string[]; learners: readonly string[] },
  replicas: readonly string[],
): boolean {
  return conf.learners.length === 0 && conf.voters.length === replicas.length &&
    replicas.every((id) => conf.voters.includes(id));
}
