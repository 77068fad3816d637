import assert from "node:assert/strict";
import { META_GROUP_ID, parseGroup, slotGroupId } from "../../bench/load/slot_group.ts";

const GROUPS = [
  "0 meta - n1,n2,n3 n2 3 41",
  "1005 slot 5 n1,n2,n3 - 0 0",
  "1055 slot 55 n1,n2,n3 n3 2 17",
].join("\n");

Deno.test("parseGroup: a group's leader and term; '-' is no leader; an absent group is null", () => {
  assert.deepEqual(parseGroup(GROUPS, META_GROUP_ID), { leaderId: "n2", term: 3 });
  assert.deepEqual(parseGroup(GROUPS, slotGroupId(55)), { leaderId: "n3", term: 2 });
  assert.deepEqual(parseGroup(GROUPS, slotGroupId(5)), { leaderId: null, term: 0 });
  assert.equal(parseGroup(GROUPS, slotGroupId(6)), null);
  assert.equal(parseGroup(GROUPS, 55), null); // a slot number is not a group id
});

Deno.test("parseGroup: a truncated line is an error, not a leaderless group", () => {
  assert.throws(() => parseGroup("1007 slot 7 n1,n2", 1007), /Cannot read CLUSTER GROUPS/);
});
