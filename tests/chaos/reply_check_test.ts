import assert from "node:assert/strict";
import { pairOperations } from "./history.ts";
import { checkReplyOwnership } from "./reply_check.ts";
import { judgeRun } from "./runner/verdict.ts";
import { lockHistory, type Step } from "./test_histories.ts";

const judge = { healMs: 0, recoveryMsMax: 10_000, unknownEffectWindowMs: 10_000 };

function kinds(steps: readonly Step[], tokensUniqueAcrossLocks = true): string[] {
  const report = checkReplyOwnership(pairOperations(lockHistory(steps)), {
    tokensUniqueAcrossLocks,
  });
  return report.violations.map((v) => v.kind);
}

// c0 and c1 work on different locks; every reply below is one the server could give.
const GOOD: Step[] = [
  [3, "invoke", "ACQUIRE L1 c2.0 SHARED TTL 1000"],
  [0, "invoke", "ACQUIRE L0 c0.0 TTL 1000"],
  [0, "ok", 5],
  [1, "invoke", "ACQUIRE L1 c1.0 TTL 1000 WAIT 500"],
  [2, "invoke", "INFO L1"],
  [2, "ok", ["shared", [["c2.0", 4, 900]], [["c1.0", "exclusive"]]]],
  [1, "ok", 6],
  [2, "invoke", "INFO L0"],
  [2, "ok", ["exclusive", [["c0.0", 5, 900]], []]],
  [3, "info", "TIMEOUT client-side"], // its token (4) is revealed only by the read of L1
];

Deno.test("reply ownership: replies that fit their requests pass", () => {
  assert.deepEqual(kinds(GOOD), []);
});

Deno.test("reply ownership: a misrouted acquire reply is caught by its token", () => {
  // c1's acquire of L1 received the reply meant for c0's acquire of L0 (token 5).
  const steps: Step[] = [
    [0, "invoke", "ACQUIRE L0 c0.0 TTL 1000"],
    [1, "invoke", "ACQUIRE L1 c1.0 TTL 1000"],
    [1, "ok", 5],
    [0, "ok", 5],
  ];
  assert.deepEqual(kinds(steps), ["token-owner"]);
  assert.deepEqual(kinds(steps, false), []); // per lock, tokens of two locks may coincide
});

Deno.test("reply ownership: a misrouted LOCK.INFO reply is caught by its holders and waiters", () => {
  // The read of L0 received the reply meant for the read of L1 (holder c2.0, waiter c1.0).
  const steps = GOOD.map((step): Step =>
    step[1] === "ok" && JSON.stringify(step[2]).includes("c0.0")
      ? [2, "ok", ["shared", [["c2.0", 4, 900]], [["c1.0", "exclusive"]]]]
      : step
  );
  assert.deepEqual(kinds(steps), ["foreign-holder", "foreign-waiter"]);
});

Deno.test("reply ownership: a reply of the wrong shape fails the verdict without crashing it", () => {
  // c1's acquire received the reading meant for an INFO.
  const steps: Step[] = [
    [0, "invoke", "ACQUIRE L0 c0.0 TTL 1000"],
    [0, "ok", 5],
    [1, "invoke", "ACQUIRE L1 c1.0 TTL 1000"],
    [1, "ok", ["exclusive", [["c0.0", 5, 900]], []]],
  ];
  assert.deepEqual(kinds(steps), ["reply-shape"]);
  const verdict = judgeRun(lockHistory(steps), { ...judge, tokensUniqueAcrossLocks: true });
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["reply-ownership"], "fail");
  assert.equal(verdict.checks["linearizability"], "pass"); // the malformed reply counts as unknown
  assert.match(
    verdict.text,
    /reply-shape: #1 p1 LOCK.ACQUIRE L1 c1.0 TTL 1000: Cannot parse reply/,
  );
});

Deno.test("reply ownership: a holder no acquire of that owner got is foreign", () => {
  const steps: Step[] = [
    [0, "invoke", "INFO L0"],
    [0, "ok", ["exclusive", [["c9.0", 3, 900]], []]],
  ];
  assert.deepEqual(kinds(steps), ["foreign-holder"]);
});
