import assert from "node:assert/strict";
import { InvariantChecker } from "./invariants.ts";

/** A log given as terms by index (index 1 first); undefined past its end. */
function termsOf(terms: number[]): (index: number) => number | undefined {
  return (index) => terms[index - 1];
}

Deno.test("invariants: a committed index whose term changes on another node fails", () => {
  const checker = new InvariantChecker();
  checker.onCommitIndex("n1", 3, termsOf([1, 1, 2]));
  checker.onCommitIndex("n2", 2, termsOf([1, 1, 3]));
  assert.throws(
    () => checker.onCommitIndex("n2", 3, termsOf([1, 1, 3])),
    /committed entry changed: n2 committed term 3 at index 3, committed before with term 2/,
  );
});

Deno.test("invariants: a restarted node's committed prefix is checked again", () => {
  const checker = new InvariantChecker();
  checker.onCommitIndex("n1", 2, termsOf([1, 2]));
  checker.onCommitIndex("n1", 2, termsOf([1, 5])); // Already checked: not re-read.
  checker.onRestart("n1");
  assert.throws(() => checker.onCommitIndex("n1", 2, termsOf([1, 5])), /committed entry changed/);
});

Deno.test("invariants: a new leader must hold every committed entry, applied or not", () => {
  const checker = new InvariantChecker();
  checker.onCommitIndex("n1", 2, termsOf([1, 2]));
  checker.onLeader("n1", 3, termsOf([1, 2, 3]));
  assert.throws(
    () => checker.onLeader("n2", 4, termsOf([1, 3])),
    /leader completeness: n2 leads term 4 but holds term 3 at committed index 2/,
  );
});

Deno.test("invariants: compacted indexes are skipped, not failed", () => {
  const checker = new InvariantChecker();
  checker.onCommitIndex("n1", 3, termsOf([1, 1, 1]));
  checker.onCommitIndex("n2", 3, (index) => index <= 2 ? undefined : 1);
  checker.onLeader("n2", 2, (index) => index <= 2 ? undefined : 1);
});
