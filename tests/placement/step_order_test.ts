import assert from "node:assert/strict";
import { orderSteps, type PlacementStep } from "../../src/placement/mod.ts";

function transfer(slot: number): PlacementStep {
  return { slot, type: "transferLeader", nodeId: "n1" };
}

Deno.test("step order: a re-add is started although earlier slots always want transfers", () => {
  // After each kill the leader of many groups moved: slots 0..39 want a transfer back to their
  // preferred leader, and slot 48 still lacks the wiped node n1. In slot order with 4 places,
  // slot 48 would wait behind transfers that a fault every few seconds keeps creating.
  const steps = [
    ...Array.from({ length: 40 }, (_, slot) => transfer(slot)),
    { slot: 48, type: "addLearner", nodeId: "n1" } as const,
  ];
  const picked = orderSteps(steps, 0, 4);
  assert.deepEqual(picked[0], { slot: 48, type: "addLearner", nodeId: "n1" });
  assert.equal(picked.length, 4);
});

Deno.test("step order: membership changes of every kind come before transfers", () => {
  const steps: PlacementStep[] = [
    transfer(1),
    { slot: 2, type: "addVoter", nodeId: "n3" },
    { slot: 3, type: "removeNode", nodeId: "n4" },
    transfer(4),
  ];
  assert.deepEqual(orderSteps(steps, 0, 3).map((s) => s.slot), [2, 3, 1]);
});

Deno.test("step order: round robin from the cursor, so no slot of a kind starves", () => {
  const steps = Array.from({ length: 10 }, (_, slot) => transfer(slot));
  assert.deepEqual(orderSteps(steps, 0, 4).map((s) => s.slot), [0, 1, 2, 3]);
  assert.deepEqual(orderSteps(steps, 4, 4).map((s) => s.slot), [4, 5, 6, 7]);
  assert.deepEqual(orderSteps(steps, 8, 4).map((s) => s.slot), [8, 9, 0, 1]);
  // Every slot is picked within ceil(10 / 4) calls when the caller moves the cursor on.
  const seen = new Set<number>();
  let cursor = 0;
  for (let call = 0; call < 3; call++) {
    const picked = orderSteps(steps, cursor, 4);
    for (const step of picked) seen.add(step.slot);
    cursor = picked[picked.length - 1]!.slot + 1;
  }
  assert.equal(seen.size, 10);
});

Deno.test("step order: no free place, no step", () => {
  assert.deepEqual(orderSteps([transfer(0)], 0, 0), []);
});
