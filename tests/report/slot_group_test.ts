import assert from "node:assert/strict";
import { parseSlotGroup } from "../../bench/load/slot_group.ts";

const GROUPS = [
  "0 meta - n1,n2,n3 n2 3 41",
  "1005 slot 5 n1,n2,n3 - 0 0",
  "1055 slot 55 n1,n2,n3 n3 2 17",
].join("\n");

Deno.test("parseSlotGroup: the slot's leader and term; '-' is no leader; absent slot is null", () => {
  assert.deepEqual(parseSlotGroup(GROUPS, 55), { leaderId: "n3", term: 2 });
  assert.deepEqual(parseSlotGroup(GROUPS, 5), { leaderId: null, term: 0 });
  assert.equal(parseSlotGroup(GROUPS, 0), null); // the meta group is not a slot
  assert.equal(parseSlotGroup(GROUPS, 6), null);
});

Deno.test("parseSlotGroup: a truncated line is an error, not a leaderless group", () => {
  assert.throws(() => parseSlotGroup("1007 slot 7 n1,n2", 7), /Cannot read CLUSTER GROUPS/);
});
