import assert from "node:assert/strict";
import { checkMutualExclusion } from "./checkers.ts";
import { pairOperations } from "./history.ts";
import { checkLockHistory } from "./lock_check.ts";
import { deriveHolds, leaseBound } from "./lock_holds.ts";
import { judgeRun } from "./runner/verdict.ts";
import { timedLockHistory, type TimedStep } from "./test_histories.ts";

// Lease margin 10 ms (the default). A lease renewed by a refresh invoked at R with TTL T lasts at
// least until R + T on the server; the checkers judge it until R + T - 10.
const judge = { healMs: 0, recoveryMsMax: 10_000, unknownEffectWindowMs: 10_000 };

function verdicts(steps: readonly TimedStep[]) {
  const events = timedLockHistory(steps);
  const ops = pairOperations(events);
  return {
    linear: checkLockHistory(ops).verdict.valid,
    mutex: checkMutualExclusion(deriveHolds(ops)),
    run: judgeRun(events, judge),
  };
}

/** a holds L (TTL 200 from 0 ms) and refreshes it at 180 ms; b waits and is granted at `grantMs`. */
function refreshThenGrant(grantMs: number): TimedStep[] {
  return [
    [0, 1, "invoke", "ACQUIRE L a EXCLUSIVE TTL 200 WAIT 0"],
    [5, 1, "ok", 1],
    [20, 2, "invoke", "ACQUIRE L b EXCLUSIVE TTL 200 WAIT 2000"],
    [180, 1, "invoke", "REFRESH L a 200 TOKEN 1"],
    [186, 1, "ok", 1],
    [grantMs, 2, "ok", 2],
  ];
}

Deno.test("lease: a grant to another inside a refreshed lease is rejected by every checker", () => {
  // The refresh at 180 ms keeps a's lease until >= 380 ms; b's grant came back at 215 ms (the
  // old lease's expiry freed the lock anyway: the bug a refresh near the end of a lease hits).
  const { linear, mutex, run } = verdicts(refreshThenGrant(215));
  assert.equal(linear, "no");
  assert.equal(mutex.valid, false);
  assert.equal(mutex.violations[0]?.kind, "overlap");
  assert.match(mutex.violations[0]!.message, /lease until >= 370 ms: op #2 invoked at 180 ms/);
  assert.equal(run.status, "fail");
  assert.match(run.text, /lease margin 10 ms/);
  // The counterexample: once b is granted, a's acknowledged refresh has no place.
  assert.match(run.text, /refresh L a token 1 -> 1: a does not hold the lock/);
});

Deno.test("lease: a grant after the refreshed lease plus the margin is accepted", () => {
  for (const grantMs of [371, 380, 900]) {
    const { linear, mutex, run } = verdicts(refreshThenGrant(grantMs));
    assert.equal(linear, "yes", `grant at ${grantMs} ms`);
    assert.equal(mutex.valid, true, `grant at ${grantMs} ms`);
    assert.equal(run.status, "pass", run.text);
  }
  // Inside the margin the benefit of the doubt goes to the server; just before it, it does not.
  assert.equal(verdicts(refreshThenGrant(369)).linear, "no");
});

Deno.test("lease: without the refresh the same grant is a plain expiry and accepted", () => {
  const steps = refreshThenGrant(215).filter((step) => step[0] !== 180 && step[0] !== 186);
  const { linear, mutex } = verdicts(steps);
  assert.equal(linear, "yes");
  assert.equal(mutex.valid, true);
});

Deno.test("lease: a later refresh with a shorter TTL shortens the lease", () => {
  const steps: TimedStep[] = [
    [0, 1, "invoke", "ACQUIRE L a TTL 2000"],
    [5, 1, "ok", 1],
    [50, 1, "invoke", "REFRESH L a 100 TOKEN 1"],
    [55, 1, "ok", 1],
    [200, 2, "invoke", "ACQUIRE L b TTL 2000"],
    [205, 2, "ok", 2],
  ];
  const { linear, mutex } = verdicts(steps);
  assert.equal(linear, "yes");
  assert.equal(mutex.valid, true, JSON.stringify(mutex.violations));
});

Deno.test("lease: a same-token re-acquire renews; a shared lease excludes exclusive grants", () => {
  const renewed: TimedStep[] = [
    [0, 1, "invoke", "ACQUIRE L a SHARED TTL 200"],
    [5, 1, "ok", 1],
    [150, 1, "invoke", "ACQUIRE L a SHARED TTL 200"],
    [155, 1, "ok", 1],
    [160, 3, "invoke", "ACQUIRE L c SHARED TTL 200"],
    [165, 3, "ok", 2], // shared with a: fine
    [260, 2, "invoke", "ACQUIRE L b EXCLUSIVE TTL 200 WAIT 500"],
    [300, 2, "ok", 3], // a's lease lasts until >= 340 ms, c's until >= 350 ms
  ];
  const bad = verdicts(renewed);
  assert.equal(bad.linear, "no");
  assert.equal(bad.mutex.valid, false);
  const late = renewed.map((step): TimedStep => step[0] === 300 ? [400, 2, "ok", 3] : step);
  assert.equal(verdicts(late).linear, "yes");
  assert.equal(verdicts(late).mutex.valid, true);
});

Deno.test("lease: a refresh answered 0 inside the lease is a lost grant; after it, expiry", () => {
  const steps = (refreshMs: number): TimedStep[] => [
    [0, 1, "invoke", "ACQUIRE L a TTL 300"],
    [5, 1, "ok", 1],
    [refreshMs, 1, "invoke", "REFRESH L a 300 TOKEN 1"],
    [refreshMs + 5, 1, "ok", 0],
  ];
  const early = verdicts(steps(250));
  assert.equal(early.linear, "no");
  assert.deepEqual(early.mutex.violations.map((v) => v.kind), ["lost-grant"]);
  const late = verdicts(steps(292)); // reply at 297 ms: past 300 - 10 ms
  assert.equal(late.linear, "yes");
  assert.equal(late.mutex.valid, true);
});

Deno.test("lease: a read may miss a holder only once its lease may have ended", () => {
  const steps = (readMs: number): TimedStep[] => [
    [0, 1, "invoke", "ACQUIRE L a TTL 100"],
    [5, 1, "ok", 7],
    [readMs, 2, "invoke", "INFO L"],
    [readMs + 2, 2, "ok", ["none", [], []]],
  ];
  assert.equal(verdicts(steps(50)).linear, "no");
  assert.equal(verdicts(steps(95)).linear, "yes");
});

Deno.test("lease: waits may time out; a disconnected wait's grant is revealed later", () => {
  const steps: TimedStep[] = [
    [0, 1, "invoke", "ACQUIRE L a TTL 1000"],
    [5, 1, "ok", 1],
    [10, 2, "invoke", "ACQUIRE L b TTL 1000 WAIT 300"],
    [320, 2, "ok", null], // WAIT ran out
    [330, 2, "invoke", "ACQUIRE L b TTL 1000 WAIT 2000"],
    [400, 2, "info", "connection closed mid-wait"], // the client left; the grant may still come
    [420, 1, "invoke", "RELEASE L a TOKEN 1"],
    [425, 1, "ok", 1],
    [450, 3, "invoke", "INFO L"],
    [452, 3, "ok", ["exclusive", [["b", 2, 900]], []]],
    [460, 2, "invoke", "ACQUIRE L b TTL 1000"],
    [465, 2, "ok", 2], // the same owner gets its grant back
  ];
  const { linear, mutex, run } = verdicts(steps);
  assert.equal(linear, "yes");
  assert.equal(mutex.valid, true);
  assert.equal(run.status, "pass", run.text);
});

Deno.test("lease: the bound takes every renewal that may have been applied last", () => {
  const acquire = { opIndex: 0, invokeMs: 0, completeMs: 5, ttlMs: 200 };
  const refresh = { opIndex: 1, invokeMs: 150, completeMs: 155, ttlMs: 200 };
  assert.deepEqual(leaseBound([acquire, refresh]), refresh);
  // An unknown refresh invoked earlier may be applied after the acknowledged one.
  const lost = { opIndex: 2, invokeMs: 100, completeMs: null, ttlMs: 200 };
  assert.deepEqual(leaseBound([acquire, lost, refresh]), lost);
  // Two acknowledged refreshes overlapping in time: either may have been applied last.
  const overlapping = { opIndex: 3, invokeMs: 140, completeMs: 160, ttlMs: 100 };
  assert.deepEqual(leaseBound([acquire, refresh, overlapping]), overlapping);
});

Deno.test("lease: a former holder's try-once re-acquire may be refused once its lease is over", () => {
  // a's shared lease (TTL 300 from 0 ms) is over by 400 ms; b holds the lock shared and c waits
  // for it exclusively, so a, now a newcomer, queues behind c (fairness): null.
  const steps = (askMs: number): TimedStep[] => [
    [0, 1, "invoke", "ACQUIRE L a SHARED TTL 300"],
    [5, 1, "ok", 1],
    [10, 2, "invoke", "ACQUIRE L b SHARED TTL 5000"],
    [15, 2, "ok", 2],
    [20, 3, "invoke", "ACQUIRE L c EXCLUSIVE TTL 5000 WAIT 2000"],
    [askMs, 1, "invoke", "ACQUIRE L a SHARED TTL 300"],
    [askMs + 5, 1, "ok", null],
    [2100, 3, "ok", null],
  ];
  assert.equal(verdicts(steps(400)).linear, "yes");
  // Inside a's lease the same request is a re-acquire and must return a's token.
  assert.equal(verdicts(steps(100)).linear, "no");
});
