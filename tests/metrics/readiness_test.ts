import assert from "node:assert/strict";
import {
  APPLY_LAG_ENTRIES_MAX,
  judgeReadiness,
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

function input(change: Partial<ReadinessInput> = {}, meta: Partial<ReadinessGroup> = {}) {
  return {
    nodeId: "n1",
    groups: [{ ...META, ...meta }],
    metaQuorumReachable: true,
    isUp: () => true,
    diskFull: false,
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
