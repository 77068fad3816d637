import assert from "node:assert/strict";
import fc from "fast-check";
import {
  computePlacement,
  type GroupState,
  nextGroupStep,
  type Placement,
  type PlacementStep,
  planPlacementSteps,
  type SlotPlacement,
} from "../../src/placement/mod.ts";
import { applyConfChange } from "../../src/raft/membership.ts";
import { memberIdsArbitrary } from "./arbitraries.ts";

const CONFIG = { slotCount: 16, vnodes: 16, replicas: 3 };

/** Applies one step as the Raft core would; fails the test on a step it would refuse. */
function applyStep(group: GroupState, step: Omit<PlacementStep, "slot">): GroupState {
  if (step.type === "transferLeader") {
    assert.ok(group.voters.includes(step.nodeId), `transfer to non-voter ${step.nodeId}`);
    assert.notEqual(step.nodeId, group.leader, "transfer to the current leader");
    return { ...group, leader: step.nodeId };
  }
  assert.notEqual(step.nodeId, group.leader, "the leader is never removed or re-added");
  if (step.type === "addVoter") {
    assert.ok(group.learners.includes(step.nodeId), "only a learner is promoted");
  }
  const conf = applyConfChange({ voters: [...group.voters], learners: [...group.learners] }, {
    type: step.type,
    nodeId: step.nodeId,
  });
  assert.ok(typeof conf !== "string", conf as string);
  return { ...conf, leader: group.leader };
}

/**
 * Runs one group's steps to the end, checking after each one that it has at least
 * min(t, voters at start) and at most max(t + 1, voters at start) voters (t = target replicas).
 */
function settle(start: GroupState, target: SlotPlacement): { group: GroupState; steps: number } {
  const t = target.replicas.length;
  const votersMin = Math.min(t, start.voters.length);
  const votersMax = Math.max(t + 1, start.voters.length);
  let group = start;
  for (let steps = 0; steps <= 4 * (t + start.voters.length + start.learners.length); steps++) {
    const step = nextGroupStep(group, target);
    if (step === null) return { group, steps };
    group = applyStep(group, step);
    assert.ok(group.voters.length >= votersMin, `${group.voters.length} voters < ${votersMin}`);
    assert.ok(group.voters.length <= votersMax, `${group.voters.length} voters > ${votersMax}`);
    assert.ok(group.learners.length <= start.learners.length + 1, "one learner at a time");
  }
  assert.fail("the group did not settle");
}

function assertSettled(group: GroupState, target: SlotPlacement): void {
  assert.deepEqual([...group.voters].sort(), [...target.replicas].sort());
  assert.deepEqual(group.learners, []);
  assert.equal(group.leader, target.leader);
}

/** The groups as a settled `placement` left them, leaders at the preferred ones. */
function groupsOf(placement: Placement): GroupState[] {
  return placement.slots.map((slot) => ({
    voters: [...slot.replicas],
    learners: [],
    leader: slot.leader,
  }));
}

Deno.test("planner: join, leave and replace reach the target one single change at a time", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }).chain((count) => memberIdsArbitrary(count + 2)),
      fc.constantFrom("join", "leave", "replace"),
      (ids, change) => {
        const members = ids.slice(0, ids.length - 1);
        const before = computePlacement(members, CONFIG);
        const after = change === "join"
          ? computePlacement(ids, CONFIG, before)
          : change === "leave"
          ? computePlacement(members.slice(1), CONFIG, before)
          : computePlacement([...members.slice(1), ids.at(-1)!], CONFIG, before);
        groupsOf(before).forEach((group, slot) => {
          const { group: end } = settle(group, after.slots[slot]!);
          assertSettled(end, after.slots[slot]!);
        });
      },
    ),
    { numRuns: 60 },
  );
});

/** Any group: some voters, some learners, a leader among the voters or unknown. */
const groupArbitrary = fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), {
  minLength: 1,
  maxLength: 7,
}).chain((ids) =>
  fc.record({
    voterCount: fc.integer({ min: 1, max: ids.length }),
    leaderIndex: fc.nat(),
  }).map(({ voterCount, leaderIndex }) => ({
    voters: ids.slice(0, voterCount),
    learners: ids.slice(voterCount),
    leader: ids[leaderIndex % voterCount]!,
  }))
);

Deno.test("planner: from any membership the steps reach the target within bounds", () => {
  fc.assert(
    fc.property(
      groupArbitrary,
      fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.nat(),
      (group, replicas, leaderIndex) => {
        const target = { replicas, leader: replicas[leaderIndex % replicas.length]! };
        const { group: end } = settle(group, target);
        assertSettled(end, target);
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("planner: an unknown leader gets no step; the leader is moved before removal", () => {
  const target = { replicas: ["b", "c", "d"], leader: "c" };
  assert.equal(
    nextGroupStep({ voters: ["a", "b", "c"], learners: [], leader: null }, target),
    null,
  );
  // "a" leads and must go: d is added as a learner, promoted, then a hands over before removal.
  let group: GroupState = { voters: ["a", "b", "c"], learners: [], leader: "a" };
  const taken: string[] = [];
  for (
    let step = nextGroupStep(group, target);
    step !== null;
    step = nextGroupStep(group, target)
  ) {
    taken.push(`${step.type} ${step.nodeId}`);
    group = applyStep(group, step);
  }
  assert.deepEqual(taken, ["addLearner d", "addVoter d", "transferLeader c", "removeNode a"]);
});

Deno.test("planner: a voter that lost its state is removed first and added back; never the leader", () => {
  const target = { replicas: ["a", "b", "c"], leader: "a" };
  // Settled but for c, which lost its state: removed before anything else, then re-added.
  let group: GroupState = { voters: ["a", "b", "c"], learners: [], leader: "a", lost: ["c"] };
  const taken: string[] = [];
  for (
    let step = nextGroupStep(group, target);
    step !== null;
    step = nextGroupStep(group, target)
  ) {
    taken.push(`${step.type} ${step.nodeId}`);
    group = applyStep(group, step);
    group = { ...group, lost: (group.lost ?? []).filter((id) => group.voters.includes(id)) };
  }
  assert.deepEqual(taken, ["removeNode c", "addLearner c", "addVoter c"]);
  // A lost mark on the leader itself or on a learner asks for nothing.
  const settled = { voters: ["a", "b", "c"], learners: [], leader: "a" };
  assert.equal(nextGroupStep({ ...settled, lost: ["a"] }, target), null);
  assert.equal(
    nextGroupStep({ voters: ["a", "b"], learners: ["c"], leader: "a", lost: ["c"] }, target)?.type,
    "addVoter",
  );
});

Deno.test("planner: at most stepsMax steps, one per group, in slot order", () => {
  const before = computePlacement(["a", "b", "c"], CONFIG);
  const after = computePlacement(["a", "b", "c", "d"], CONFIG, before);
  const groups = groupsOf(before);
  const all = planPlacementSteps(groups, after, CONFIG.slotCount);
  const changed = after.slots.filter((slot, i) =>
    slot.replicas.includes("d") || slot.leader !== before.slots[i]!.leader
  );
  assert.equal(all.length, changed.length);
  assert.deepEqual(
    all.map((s) => s.slot),
    [...new Set(all.map((s) => s.slot))].sort((x, y) => x - y),
  );
  assert.deepEqual(planPlacementSteps(groups, after, 2), all.slice(0, 2));
  assert.deepEqual(planPlacementSteps(groupsOf(after), after, 100), []);
  assert.throws(() => planPlacementSteps(groups.slice(1), after, 1), { name: "RangeError" });
});
