import assert from "node:assert/strict";
import { checkLockHistory } from "./lock_check.ts";
import { checkLinearizability } from "./linearizability.ts";
import { lockOperations } from "./lock_call.ts";
import { LOCK_MODEL } from "./lock_model.ts";
import { lockOps, type Step } from "./test_histories.ts";

function verdictOf(steps: readonly Step[]) {
  return checkLockHistory(lockOps(steps));
}

function assertValid(steps: readonly Step[]): void {
  const { verdict, text } = verdictOf(steps);
  assert.equal(verdict.valid, "yes", text);
}

function assertInvalid(steps: readonly Step[]): string {
  const { verdict, text } = verdictOf(steps);
  assert.equal(verdict.valid, "no", text);
  return text;
}

// --- histories that must be rejected ---------------------------------------------------------

Deno.test("linearizability: two exclusive grants held at once are rejected", () => {
  const text = assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
  ]);
  assert.match(text, /#1 p2 acquire L b exclusive -> 2: .*exclusive \[a:1\].* cannot be granted/);
});

Deno.test("linearizability: a token going backwards is rejected", () => {
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 5],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 3],
  ]);
});

Deno.test("linearizability: a read seeing a released lock as held is rejected", () => {
  const text = assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a TOKEN 1"],
    [1, "ok", 1],
    [2, "invoke", "INFO L"],
    [2, "ok", ["exclusive", [["a", 1, 29000]], []]],
  ]);
  assert.match(text, /read exclusive \[a:1\] but the lock is free/);
});

Deno.test("linearizability: a stale release that frees a newer grant is rejected", () => {
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a TOKEN 1"],
    [1, "ok", 1],
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 2],
    [1, "invoke", "RELEASE L a TOKEN 1"],
    [1, "ok", 1],
  ]);
});

Deno.test("linearizability: a grant contradicting real-time order is rejected", () => {
  // b's acquire starts after a released, so b's token must exceed a's.
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 7],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 6],
  ]);
  // A refusal after the lock was released in real time is wrong too.
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", null],
  ]);
});

Deno.test("linearizability: release of a lock not held returning 1 is rejected", () => {
  assertInvalid([
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
  ]);
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 3],
    [1, "invoke", "REFRESH L a 1000 TOKEN 2"],
    [1, "ok", 1],
  ]);
});

Deno.test("linearizability: shared grants exclude an exclusive one", () => {
  assertInvalid([
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 2],
    [3, "invoke", "ACQUIRE L c EXCLUSIVE"],
    [3, "ok", 3],
  ]);
});

// --- histories that must be accepted ---------------------------------------------------------

Deno.test("linearizability: concurrent acquires are accepted in either order", () => {
  for (const [first, second] of [[null, 1], [1, null]] as const) {
    assertValid([
      [1, "invoke", "ACQUIRE L a"],
      [2, "invoke", "ACQUIRE L b"],
      [1, "ok", first],
      [2, "ok", second],
    ]);
  }
  // The later reply may carry the smaller token when the calls overlapped.
  assertValid([
    [1, "invoke", "ACQUIRE L a SHARED"],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", 9],
    [1, "ok", 4],
  ]);
});

Deno.test("linearizability: an unknown acquire may have happened", () => {
  assertValid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "info", "TIMEOUT no reply"],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", null],
    [2, "invoke", "INFO L"],
    [2, "ok", ["exclusive", [["a", 12, 25000]], []]],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", null],
  ]);
});

Deno.test("linearizability: an unknown acquire may never have happened", () => {
  assertValid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "info", "TIMEOUT no reply"],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 1],
    [2, "invoke", "INFO L"],
    [2, "ok", ["exclusive", [["b", 1, 25000]], []]],
  ]);
});

Deno.test("linearizability: an unknown acquire consumes a token even unseen", () => {
  // a's lost grant took some token >= 2, released later, so b's later token must exceed it: 3+.
  assertValid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [1, "invoke", "ACQUIRE L a"],
    [1, "info", "TIMEOUT"],
    [3, "invoke", "RELEASE L a"],
    [3, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 3],
  ]);
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "ok", 1],
    [1, "invoke", "ACQUIRE L a"],
    [1, "info", "TIMEOUT"],
    [3, "invoke", "RELEASE L a"],
    [3, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
  ]);
});

Deno.test("linearizability: an unknown release may or may not have happened", () => {
  for (const [firstTry, secondTry] of [[null, 2], [2, 2]] as const) {
    assertValid([
      [1, "invoke", "ACQUIRE L a"],
      [1, "ok", 1],
      [1, "invoke", "RELEASE L a TOKEN 1"],
      [1, "info", "connection reset"],
      [2, "invoke", "ACQUIRE L b"],
      [2, "ok", firstTry],
      [2, "invoke", "ACQUIRE L b"],
      [2, "ok", secondTry],
    ]);
  }
});

Deno.test("linearizability: failed operations never happened", () => {
  assertValid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a"],
    [1, "fail", "NOQUORUM no majority"],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", null],
  ]);
});

Deno.test("linearizability: re-acquire, upgrade, tokens with gaps and other locks", () => {
  assertValid([
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 10],
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 10],
    [1, "invoke", "ACQUIRE L a EXCLUSIVE"],
    [1, "ok", 25],
    [2, "invoke", "ACQUIRE M b"],
    [2, "ok", 1],
    [1, "invoke", "REFRESH L a 60000 TOKEN 25"],
    [1, "ok", 1],
    [1, "invoke", "RELEASE L a TOKEN 10"],
    [1, "ok", 0],
    [1, "invoke", "INFO L"],
    [1, "ok", ["exclusive", [["a", 25, 59000]], []]],
  ]);
});

Deno.test("linearizability: SHARED by the exclusive holder may downgrade or keep the lock", () => {
  const steps = (other: number | null): Step[] => [
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 4],
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 4],
    [2, "invoke", "ACQUIRE L b SHARED"],
    [2, "ok", other],
  ];
  assertValid(steps(5)); // downgraded in place: b may share
  assertValid(steps(null)); // still exclusive
  assertInvalid([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 4],
    [1, "invoke", "ACQUIRE L a SHARED"],
    [1, "ok", 6],
  ]);
});

Deno.test("linearizability: an effect window bounds when an unknown outcome took effect", () => {
  const ops = lockOps([
    [1, "invoke", "ACQUIRE L a"], // 0 ms
    [1, "info", "TIMEOUT"], // 10
    [2, "invoke", "INFO L"], // 20
    [2, "ok", ["none", [], []]], // 30: a's acquire had not happened yet
    [2, "invoke", "ACQUIRE L b"], // 40
    [2, "ok", null], // 50: so it happened between 20 and 50 ms
  ]);
  assert.equal(checkLockHistory(ops).verdict.valid, "yes");
  assert.equal(checkLockHistory(ops, { unknownEffectWindowMs: 45 }).verdict.valid, "yes");
  const { verdict, text } = checkLockHistory(ops, { unknownEffectWindowMs: 15 });
  assert.equal(verdict.valid, "no", text);
  assert.throws(() => checkLockHistory(ops, { unknownEffectWindowMs: -1 }), /is not a duration/);
});

// --- verdict shape -------------------------------------------------------------------------

Deno.test("linearizability: the counterexample is the smallest failing prefix", () => {
  const ops = lockOps([
    [1, "invoke", "ACQUIRE L a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE L b"],
    [2, "ok", 2],
    [3, "invoke", "ACQUIRE L c"],
    [3, "ok", null],
    [3, "invoke", "INFO L"],
    [3, "ok", ["exclusive", [["b", 2, 1]], []]],
  ]);
  const { verdict } = checkLockHistory(ops);
  assert.equal(verdict.valid, "no");
  if (verdict.valid !== "no") return;
  const c = verdict.counterexample;
  assert.equal(c.partitionKey, "L");
  assert.equal(c.failingOp.id, 1);
  assert.deepEqual(c.prefixOps.map((op) => op.id), [0, 1]);
  assert.deepEqual(c.linearized.map((op) => op.id), [0]);
  assert.deepEqual(c.candidates.map(({ op }) => op.id), [1]);
  assert.match(c.candidates[0]!.why, /exclusive \[a:1\]: exclusive cannot be granted to b/);
});

Deno.test("linearizability: hitting the state bound gives unknown, not a pass", () => {
  const steps: Step[] = [];
  for (let process = 0; process < 12; process++) {
    steps.push([process, "invoke", `ACQUIRE L o${process} SHARED`]);
  }
  for (let process = 0; process < 12; process++) steps.push([process, "info", "TIMEOUT"]);
  steps.push([99, "invoke", "INFO L"], [99, "ok", ["none", [], []]]);
  const ops = lockOps(steps);
  const bounded = checkLinearizability(LOCK_MODEL, lockOperations(ops), { statesExploredMax: 50 });
  assert.equal(bounded.valid, "unknown");
  assert.equal(bounded.statesExplored, 50);
  assert.equal(checkLockHistory(ops).verdict.valid, "yes");
});

Deno.test("linearizability: independent locks are checked separately", () => {
  const { verdict } = verdictOf([
    [1, "invoke", "ACQUIRE A a"],
    [1, "ok", 1],
    [2, "invoke", "ACQUIRE B b"],
    [2, "ok", 1],
    [3, "invoke", "ACQUIRE C c"],
    [3, "ok", 1],
  ]);
  assert.equal(verdict.valid, "yes");
  assert.equal(verdict.partitionCount, 3);
});

Deno.test("linearizability: unsupported or malformed operations are refused clearly", () => {
  assert.throws(
    () => verdictOf([[1, "invoke", "ACQUIRE L a WAIT -5"], [1, "ok", 1]]),
    /Cannot parse LOCK.ACQUIRE: WAIT -5 is negative/,
  );
  assert.throws(
    () => verdictOf([[1, "invoke", "ACQUIRE L a"], [1, "ok", "yes"]]),
    /Cannot parse reply of operation 0 \(acquire\): expected an integer token or null/,
  );
  assert.throws(
    () => verdictOf([[1, "invoke", "RELEASE L a TOKEN x"], [1, "ok", 1]]),
    /Cannot parse LOCK.RELEASE: TOKEN x is not an integer/,
  );
});
