import assert from "node:assert/strict";
import { parseClusterGroups } from "../../src/client/cluster_groups.ts";

Deno.test("CLUSTER GROUPS: each line as values; '-' is no slot or no leader; no members is empty", () => {
  const text = "0 meta - n1,n2,n3 n2 3 41\n1005 slot 5 n1,n2 - 0 0\n1006 slot 6  - 4 9\n";
  assert.deepEqual(parseClusterGroups(text), [
    {
      groupId: 0,
      purpose: "meta",
      slot: null,
      members: ["n1", "n2", "n3"],
      leaderId: "n2",
      term: 3,
      commitIndex: 41,
    },
    {
      groupId: 1005,
      purpose: "slot",
      slot: 5,
      members: ["n1", "n2"],
      leaderId: null,
      term: 0,
      commitIndex: 0,
    },
    {
      groupId: 1006,
      purpose: "slot",
      slot: 6,
      members: [],
      leaderId: null,
      term: 4,
      commitIndex: 9,
    },
  ]);
  assert.deepEqual(parseClusterGroups(""), []);
});

Deno.test("CLUSTER GROUPS: a truncated or garbled line is an error naming it", () => {
  assert.throws(() => parseClusterGroups("1007 slot 7 n1,n2"), /Cannot read CLUSTER GROUPS line/);
  assert.throws(() => parseClusterGroups("x slot 7 n1 n1 1 1"), /"x slot 7 n1 n1 1 1"/);
  assert.throws(() => parseClusterGroups("7 slot 7 n1 n1 one 1"), /Cannot read/);
});
