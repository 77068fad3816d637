import type { PlacementStep } from "./planner.ts";

/**
 * Which of the steps ready now a slot leader starts, given `slotsFree` free places: membership
 * changes (removeNode, addLearner, addVoter) before leadership transfers, and within each kind
 * round robin from slot `cursor` on (the slot after the last call's first pick), so no group
 * waits behind others that always have a step. A transfer only balances leaders and may take up
 * to a request timeout; a membership change restores a group's replicas (a group re-adding a
 * wiped node keeps its data on a bare majority until it is done).
 */
export function orderSteps(
  steps: readonly PlacementStep[],
  cursor: number,
  slotsFree: number,
): PlacementStep[] {
  if (slotsFree <= 0) return [];
  const fromCursor = (step: PlacementStep) => step.slot >= cursor ? 0 : 1;
  const sorted = [...steps].sort((a, b) =>
    kindRank(a) - kindRank(b) || fromCursor(a) - fromCursor(b) || a.slot - b.slot
  );
  return sorted.slice(0, slotsFree);
}

function kindRank(step: PlacementStep): number {
  return step.type === "transferLeader" ? 1 : 0;
}
