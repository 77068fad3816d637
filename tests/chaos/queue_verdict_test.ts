import assert from "node:assert/strict";
import { prefixedEvents, type Step } from "./test_histories.ts";
import { judgeQueueRun } from "./runner/queue_verdict.ts";

const JUDGE = { queue: "q", healMs: 0, recoveryMsMax: 1_000, unknownEffectWindowMs: 10_000 };
const pushPop: Step[] = [
  [0, "invoke", "PUSH q m1"],
  [0, "ok", "0-1"],
  [1, "invoke", "POP q"],
  [1, "ok", [["0-1", "m1", 1]]],
  [1, "invoke", "ACK q 0-1"],
  [1, "ok", 1],
];

Deno.test("queue verdict: a good history passes; without final stats a loss is unprovable", () => {
  const stats: Step[] = [
    [2, "invoke", "STATS q"],
    [2, "ok", ["ready", 0, "inflight", 0, "delayed", 0]],
    [2, "invoke", "STATS q:dead"],
    [2, "ok", ["ready", 0, "inflight", 0, "delayed", 0]],
  ];
  const good = judgeQueueRun(prefixedEvents("QUEUE.", [...pushPop, ...stats]), JUDGE);
  assert.equal(good.status, "pass", good.text);
  assert.match(good.text, /checks: queue-deliveries pass, .*, recovery pass/);
  // A second push never delivered, and no stats read: inconclusive, not pass, not fail.
  const open = judgeQueueRun(
    prefixedEvents("QUEUE.", [[0, "invoke", "PUSH q m2"], [0, "ok", "0-2"], ...pushPop]),
    JUDGE,
  );
  assert.equal(open.status, "inconclusive", open.text);
  assert.equal(open.checks["queue-no-loss"], "unknown");
});

Deno.test("queue verdict: a reply a command cannot give fails the run without crashing it", () => {
  const verdict = judgeQueueRun(
    prefixedEvents("QUEUE.", [[0, "invoke", "POP q"], [0, "ok", 42]]),
    JUDGE,
  );
  assert.equal(verdict.status, "fail");
  assert.equal(verdict.checks["queue-reply-shape"], "fail");
  assert.match(verdict.text, /reply-shape: Cannot check op #0: QUEUE.POP answered 42/);
});
