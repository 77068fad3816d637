import assert from "node:assert/strict";
import {
  checkFinalReads,
  checkMutualExclusion,
  checkRecovery,
  finalReadsFrom,
  VIOLATIONS_REPORTED_MAX,
} from "./checkers.ts";
import { deriveHolds, type LockHold } from "./lock_holds.ts";
import { lockOps, type Step } from "./test_histories.ts";

function mutex(steps: readonly Step[]) {
  return checkMutualExclusion(deriveHolds(lockOps(steps)));
}

function kinds(report: { violations: readonly { kind: string }[] }): string[] {
  return report.violations.map((v) => v.kind);
}

function hold(overrides: Partial<LockHold>): LockHold {
  return {
    lock: "L",
    owner: "a",
    token: 1,
    mode: "exclusive",
    grantId: 0,
    acquireOpIndex: 0,
    acquireInvokeMs: 0,
    heldFromMs: 10,
    heldUntilMs: 20,
    leaseUntilMs: 1e9,
    leaseFrom: { opIndex: 0, invokeMs: 0, completeMs: 10, ttlMs: 1e9 },
    end: "released",
    goneByMs: 30,
    ...overrides,
  };
}

// --- mutual exclusion ----------------------------------------------------------------------

Deno.test("mutex: holds derive from acquire reply to release invocation", () => {
  const holds = deriveHolds(lockOps([
    [1, "invoke", "ACQUIRE L a TTL 100000"], // 0 ms
    [1, "ok", 4], // 10 ms
    [1, "invoke", "RELEASE L a TOKEN 4"], // 20 ms
    [1, "ok", 1], // 30 ms
    [2, "invoke", "ACQUIRE L b"], // 40 ms
    [2, "ok", 5], // 50 ms
  ]));
  assert.deepEqual(
    holds.map((h) => [h.owner, h.token, h.heldFromMs, h.heldUntilMs, h.end, h.goneByMs]),
    [["a", 4, 10, 20, "released", 30], ["b", 5, 50, 30_030, "open", null]], // 40 + TTL - 10 ms margin
  );
  assert.equal(checkMutualExclusion(holds).valid, true);
});

Deno.test("mutex: two overlapping exclusive grants are rejected", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
  ]);
  assert.deepEqual(kinds(report), ["overlap"]);
  assert.match(report.violations[0]!.message, /lock L: b exclusive token 2 .* began before a/);
});

Deno.test("mutex: a token going backwards in real time is rejected", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 9],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 3],
  ]);
  assert.deepEqual(kinds(report), ["token-order", "overlap"]);
});

Deno.test("mutex: a smaller token may not be granted after a larger one", () => {
  // Shared grants may overlap, but not with their tokens out of real-time order.
  const report = mutex([
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 9],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 3],
  ]);
  assert.deepEqual(kinds(report), ["token-order"]);
  assert.equal(
    mutex([
      [1, "invoke", "ACQUIRE L a SHARED"],
      [2, "invoke", "ACQUIRE L b SHARED"],
      [1, "ok", 9],
      [2, "ok", 3],
    ]).valid,
    true,
  );
});

Deno.test("mutex: a stale release that freed a newer grant shows as an overlap", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a TOKEN 1"],
    [1, "ok", 1],
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 2],
    [3, "invoke", "RELEASE L a TOKEN 1"], // a retried, stale release...
    [3, "ok", 1], // ...that wrongly freed token 2
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 3],
  ]);
  assert.deepEqual(kinds(report), ["overlap"]);
  assert.match(
    report.violations[0]!.message,
    /b exclusive token 3 .* began before a exclusive token 2/,
  );
});

Deno.test("mutex: a duplicated token is rejected", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 1],
  ]);
  assert.ok(kinds(report).includes("duplicate-token"), JSON.stringify(report));
});

Deno.test("mutex: a grant reported gone before its lease is a lost grant", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a TTL 600000"],
    [1, "ok", 1],
    [1, "invoke", "REFRESH L a 600000"],
    [1, "ok", 0],
  ]);
  assert.deepEqual(kinds(report), ["lost-grant"]);
  // With a short lease, expiry explains the 0.
  assert.equal(
    mutex([
      [1, "invoke", "ACQUIRE L a TTL 5"],
      [1, "ok", 1],
      [1, "invoke", "RELEASE L a"],
      [1, "ok", 0],
    ]).valid,
    true,
  );
});

Deno.test("mutex: an unknown release ends the certain hold at its invocation", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "info", "TIMEOUT"],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
  ]);
  assert.equal(report.valid, true, JSON.stringify(report));
});

Deno.test("mutex: a failed release does not end the hold", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "fail", "NOQUORUM"],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
  ]);
  assert.deepEqual(kinds(report), ["overlap"]);
});

Deno.test("mutex: a lease bounds the certain hold; a repeated acquire keeps it", () => {
  // a's lease (TTL 15 from 0 ms) is over before b's grant at 30 ms.
  assert.equal(
    mutex([
      [1, "invoke", "ACQUIRE L a TTL 15"],
      [1, "ok", 1],
      [2, "invoke", "ACQUIRE L b"],
      [2, "ok", 2],
    ]).valid,
    true,
  );
  assert.equal(
    mutex([
      [1, "invoke", "ACQUIRE L a"],
      [1, "ok", 1],
      [1, "invoke", "ACQUIRE L a"],
      [1, "ok", 1],
      [1, "invoke", "RELEASE L a TOKEN 1"],
      [1, "ok", 1],
      [2, "invoke", "ACQUIRE L b"],
      [2, "ok", 2],
    ]).valid,
    true,
  );
});

Deno.test("mutex: an upgrade is fenced by a new token; keeping the old one is flagged", () => {
  const upgrade = (token: number): Step[] => [
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 2],
    [2, "invoke", "RELEASE L b"],
    [2, "ok", 1],
    [1, "invoke", "ACQUIRE L a EXCLUSIVE"],
    [1, "ok", token],
  ];
  assert.equal(mutex(upgrade(3)).valid, true);
  // Exclusive under token 1 after b wrote under token 2: a fenced store would refuse a.
  assert.deepEqual(kinds(mutex(upgrade(1))), ["overlap"]);
  // With no larger token handed out meanwhile, keeping the token is harmless.
  const alone = mutex([
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 1],
    [1, "invoke", "ACQUIRE L a EXCLUSIVE"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", null],
  ]);
  assert.equal(alone.valid, true, JSON.stringify(alone));
});

Deno.test("mutex: a downgrade in place ends the exclusive hold", () => {
  const report = mutex([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 4],
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 4],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 5],
  ]);
  assert.equal(report.valid, true, JSON.stringify(report));
});

Deno.test("mutex: violations are counted past the reported maximum", () => {
  const holds = Array.from(
    { length: VIOLATIONS_REPORTED_MAX + 5 },
    (_, i) => hold({ owner: `o${i}`, token: i + 1, grantId: i, heldFromMs: 10, heldUntilMs: 1000 }),
  );
  const report = checkMutualExclusion(holds);
  assert.equal(report.valid, false);
  assert.equal(report.violationCount, VIOLATIONS_REPORTED_MAX + 4);
  assert.equal(report.violations.length, VIOLATIONS_REPORTED_MAX);
});

Deno.test("mutex: equal times are concurrent, never a violation", () => {
  const report = checkMutualExclusion([
    hold({ token: 1, heldFromMs: 10, heldUntilMs: 20 }),
    hold({ owner: "b", token: 2, grantId: 1, acquireInvokeMs: 15, heldFromMs: 20 }),
  ]);
  assert.equal(report.valid, true);
});

// --- after-heal visibility -----------------------------------------------------------------

const HEALED: Step[] = [
  [1, "invoke", "ACQUIRE L a TTL 600000"], // 0
  [1, "ok", 1], // 10
  [2, "invoke", "ACQUIRE M b TTL 600000"], // 20
  [2, "ok", 7], // 30
  [2, "invoke", "RELEASE M b"], // 40
  [2, "ok", 1], // 50
];

function visibility(steps: readonly Step[], reads: readonly Step[]) {
  const ops = lockOps([...steps, ...reads]);
  return checkFinalReads(deriveHolds(ops), finalReadsFrom(ops, 60), ops);
}

Deno.test("visibility: acknowledged unreleased grants are seen after the heal", () => {
  const report = visibility(HEALED, [
    [9, "invoke", "INFO L"],
    [9, "ok", ["exclusive", [["a", 1, 590000]], []]],
    [9, "invoke", "INFO M"],
    [9, "ok", ["none", [], []]],
  ]);
  assert.equal(report.valid, true, JSON.stringify(report));
});

Deno.test("visibility: a missing acknowledged grant is rejected", () => {
  const report = visibility(HEALED, [[9, "invoke", "INFO L"], [9, "ok", ["none", [], []]]]);
  assert.deepEqual(kinds(report), ["missing-grant"]);
});

Deno.test("visibility: a read seeing a released lock as held is rejected", () => {
  const report = visibility(HEALED, [
    [9, "invoke", "INFO M"],
    [9, "ok", ["exclusive", [["b", 7, 1000]], []]],
  ]);
  assert.deepEqual(kinds(report), ["released-seen-held"]);
});

Deno.test("visibility: a holder nobody may have been granted is rejected", () => {
  const phantom = visibility(HEALED, [
    [9, "invoke", "INFO M"],
    [9, "ok", ["exclusive", [["c", 8, 1000]], []]],
  ]);
  assert.deepEqual(kinds(phantom), ["phantom-holder"]);
  // After an unknown acquire by c, c may hold the lock.
  const maybe = visibility([...HEALED, [3, "invoke", "ACQUIRE M c"], [3, "info", "TIMEOUT"]], [
    [9, "invoke", "INFO M"],
    [9, "ok", ["exclusive", [["c", 8, 1000]], []]],
  ]);
  assert.equal(maybe.valid, true, JSON.stringify(maybe));
});

Deno.test("visibility: unknown releases and ended leases are exempt", () => {
  const steps: Step[] = [
    [1, "invoke", "ACQUIRE L a TTL 600000"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "info", "TIMEOUT"],
    [2, "invoke", "ACQUIRE M b TTL 20"],
    [2, "ok", 2],
  ];
  const report = visibility(steps, [
    [9, "invoke", "INFO L"],
    [9, "ok", ["none", [], []]],
    [9, "invoke", "INFO M"],
    [9, "ok", ["none", [], []]],
  ]);
  assert.equal(report.valid, true, JSON.stringify(report));
});

// --- recovery ------------------------------------------------------------------------------

Deno.test("recovery: the first success after the heal must come within the bound", () => {
  const ops = lockOps([
    [1, "invoke", "ACQUIRE L a"], // 0
    [1, "info", "TIMEOUT"], // 10
    [2, "invoke", "ACQUIRE L b"], // 20 (before the heal at 25)
    [2, "ok", null], // 30
    [3, "invoke", "ACQUIRE L c"], // 40
    [3, "fail", "TRYAGAIN"], // 50
    [3, "invoke", "ACQUIRE L c"], // 60
    [3, "ok", 1], // 70
  ]);
  const report = checkRecovery(ops, 25, 50);
  assert.equal(report.valid, true, report.message);
  assert.equal(report.recoveryMs, 45);
  assert.equal(report.firstSuccess?.opIndex, 3);
  assert.equal(checkRecovery(ops, 25, 40).valid, false);
  const none = checkRecovery(ops, 65, 1000);
  assert.equal(none.valid, false);
  assert.match(none.message, /no operation invoked after the heal at 65 ms succeeded/);
});
