import assert from "node:assert/strict";
import { type LockOp, LockTable } from "../../src/locks/mod.ts";
import { LeaseExpiry } from "../../src/lock_service/lease_expiry.ts";
import type { DueOp } from "../../src/lock_service/lease_tracker.ts";

/** A LeaseExpiry on a hand-moved clock whose proposals the test settles. */
function setup() {
  const table = new LockTable();
  const world = { nowMs: 0, leader: false };
  const proposals: { op: DueOp; settle: (ok: boolean) => void }[] = [];
  const errors: unknown[] = [];
  const expiry = new LeaseExpiry({
    isLeader: () => world.leader,
    table: () => table,
    propose: (op) =>
      new Promise((resolve, reject) => {
        proposals.push({ op, settle: (ok) => ok ? resolve(null) : reject(new Error("lost")) });
      }),
    nowMs: () => world.nowMs,
    waitMaxMs: 500,
    onProposeError: (error) => errors.push(error),
  });
  const apply = (index: number, op: LockOp) => {
    const result = table.apply(index, op);
    expiry.applied(op, 0, result);
  };
  return { table, world, proposals, errors, expiry, apply };
}

const grant: LockOp = {
  op: "acquire",
  name: "a",
  owner: "me",
  mode: "exclusive",
  ttlMs: 1_000,
  wait: false,
  waiterId: 1,
};

Deno.test("lease expiry: a new leader counts every lease from its own start", () => {
  const { world, proposals, expiry, apply } = setup();
  apply(1, grant); // Granted at 0 while this node followed.
  world.nowMs = 900;
  world.leader = true;
  expiry.check(); // Becomes leader at 900: the lease runs to 1900 by this clock.
  world.nowMs = 1_500;
  expiry.check();
  assert.equal(proposals.length, 0);
  world.nowMs = 1_900;
  expiry.check();
  assert.deepEqual(proposals.map((p) => p.op.op), ["expire"]);
});

Deno.test("lease expiry: a failed proposal is retried once due, a pending one is not", async () => {
  const { world, proposals, errors, expiry, apply } = setup();
  world.leader = true;
  expiry.check();
  apply(1, grant);
  world.nowMs = 1_000;
  expiry.check();
  expiry.check(); // Still pending: not proposed twice.
  assert.equal(proposals.length, 1);
  proposals[0]!.settle(false);
  await new Promise((resolve) => setTimeout(resolve, 0)); // a task: every microtask ran
  assert.equal(errors.length, 1);
  expiry.check();
  assert.equal(proposals.length, 2);
});

Deno.test("lease expiry: a follower proposes nothing, whatever is due", () => {
  const { world, proposals, expiry, apply } = setup();
  apply(1, grant);
  world.nowMs = 10_000;
  expiry.check();
  assert.equal(proposals.length, 0);
});
