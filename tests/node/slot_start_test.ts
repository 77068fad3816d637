import assert from "node:assert/strict";
import { slotStart } from "../../src/node/slot_groups.ts";

Deno.test("slot start: only the founding incarnation of a first replica bootstraps as a voter", () => {
  const first = ["n1", "n2", "n3"];
  assert.equal(slotStart("n3", first, "inc-a", "inc-a", false), "founder");
  // A wiped disk: a new incarnation under the same id.
  assert.equal(slotStart("n3", first, "inc-b", "inc-a", false), "empty");
  // It dropped a slot group before: it may have voted in the one it opens again.
  assert.equal(slotStart("n3", first, "inc-a", "inc-a", true), "empty");
  // Not a replica of the first placement: a later replica always starts empty.
  assert.equal(slotStart("n4", first, "inc-c", "inc-c", false), "empty");
  // Its first incarnation is not recorded yet: it waits rather than guess.
  assert.equal(slotStart("n3", first, "inc-a", undefined, false), "wait");
});
