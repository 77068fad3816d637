import assert from "node:assert/strict";
import {
  APPLY_LAG_ENTRIES_MAX,
  judgeReadiness,
  LEADERLESS_GRACE_MS,
  type ReadinessGroup,
  type ReadinessInput,
} from "../../src/metrics/readiness.ts";

const META: ReadinessGroup = {
  groupId: 0,
  purpose: "meta",
  leaderId: "n2",
  commitIndex: 100,
  appliedIndex: 100,
  voter: true,
};

function input(
  change: Partial<ReadinessInput> = {},
  meta: Partial<ReadinessGroup> = {},
): ReadinessInput {
  return {
    nodeId: "n1",
    groups: [{ ...META, ...meta }],
    metaQuorumReachable: true,
    isUp: () => true,
    diskFull: false,
    slotsPlacedHere: 0,
    ...change,
  };
}

Deno.test("readiness: a caught-up voter with a quorum and a connected leader is ready", () => {
  assert.deepEqual(judgeReadiness(input()), { ready: true, reasons: [] });
  assert.equal(judgeReadiness(input({}, { leaderId: "n1" })).ready, true);
  assert.equal(
    judgeReadiness(input({}, { appliedIndex: 100 - APPLY_LAG_ENTRIES_MAX })).ready,
    true,
    "a lag of up to APPLY_LAG_ENTRIES_MAX counts as caught up",
  );
});

Deno.test("readiness: each failed condition is a reason", () => {
  const cases: Array<[ReadinessInput, RegExp]> = [
    [input({ groups: [] }), /meta group is not open/],
    [input({}, { voter: false }), /not a voting member/],
    [input({ metaQuorumReachable: false }), /no quorum/],
    [input({}, { leaderId: null }), /no known leader/],
    [input({ isUp: () => false }), /meta leader n2 is not connected/],
    [input({}, { appliedIndex: 100 - APPLY_LAG_ENTRIES_MAX - 1 }), /applied 35 of 100/],
    [input({ diskFull: true }), /disk full/],
    [
      input({
        groups: [META, { ...META, groupId: 1000, purpose: "slot", leaderId: null }],
      }),
      /1 hosted slot group\(s\) without a known leader/,
    ],
    [
      input({
        groups: [META, { ...META, groupId: 1000, purpose: "slot", appliedIndex: 0 }],
      }),
      /1 hosted slot group\(s\) not caught up/,
    ],
  ];
  for (const [given, reason] of cases) {
    const verdict = judgeReadiness(given);
    assert.equal(verdict.ready, false, String(reason));
    assert.equal(verdict.reasons.length, 1, verdict.reasons.join("; "));
    assert.match(verdict.reasons[0]!, reason);
  }
});

Deno.test("readiness: slots placed on this node that it does not yet vote in are a reason", () => {
  const slot = (groupId: number, voter: boolean): ReadinessGroup => ({
    groupId,
    purpose: "slot",
    leaderId: "n2",
    commitIndex: 5,
    appliedIndex: 5,
    voter,
  });
  const groups = [META, slot(1000, true), slot(1001, false)];
  const waiting = judgeReadiness(input({ groups, slotsPlacedHere: 3 }));
  assert.deepEqual(waiting.reasons, ["2 slot group(s) placed here not joined yet"]);
  const joined = [META, slot(1000, true), slot(1001, true), slot(1002, true)];
  assert.equal(judgeReadiness(input({ groups: joined, slotsPlacedHere: 3 })).ready, true);
  // Before the first placement is recorded nothing is placed anywhere: not ready yet (a node
  // that said ready then would take it back once the placement lists its slots).
  assert.deepEqual(judgeReadiness(input({ groups: [META], slotsPlacedHere: null })).reasons, [
    "no slot placement recorded yet",
  ]);
});

Deno.test("readiness: a slot group between leaders counts only after the grace period", () => {
  const slot = (leaderlessForMs: number): ReadinessGroup => ({
    groupId: 1000,
    purpose: "slot",
    leaderId: null,
    commitIndex: 5,
    appliedIndex: 5,
    voter: true,
    leaderlessForMs,
  });
  assert.equal(
    judgeReadiness(input({ groups: [META, slot(LEADERLESS_GRACE_MS - 1)] })).ready,
    true,
  );
  assert.deepEqual(judgeReadiness(input({ groups: [META, slot(LEADERLESS_GRACE_MS)] })).reasons, [
    "1 hosted slot group(s) without a known leader",
  ]);
});
