import assert from "node:assert/strict";
import { type LockOp, LockTable } from "../../src/locks/mod.ts";
import { LeaseTracker } from "../../src/lock_service/lease_tracker.ts";

function run(
  table: LockTable,
  tracker: LeaseTracker,
  index: number,
  op: LockOp,
  waitMs: number,
  nowMs: number,
) {
  const result = table.apply(index, op);
  tracker.applied(op, waitMs, result, table, nowMs);
  return result;
}

const acquire = (owner: string, ttlMs: number, wait = false, waiterId = 1): LockOp => ({
  op: "acquire",
  name: "a",
  owner,
  mode: "exclusive",
  ttlMs,
  wait,
  waiterId,
});

Deno.test("a lease falls due ttl after its grant, once, and a refresh pushes it back", () => {
  const table = new LockTable();
  const tracker = new LeaseTracker();
  run(table, tracker, 1, acquire("me", 1_000), 0, 0);
  assert.deepEqual(tracker.due(999), []);
  assert.equal(tracker.remainingMs("a", "me", 1, 400), 600);
  run(
    table,
    tracker,
    2,
    { op: "refresh", name: "a", owner: "me", ttlMs: 1_000, token: null },
    0,
    900,
  );
  assert.deepEqual(tracker.due(1_500), []);
  const due = tracker.due(1_900);
  assert.deepEqual(due, [{ op: "expire", name: "a", owner: "me", token: 1 }]);
  assert.deepEqual(tracker.due(2_000), [], "an expiry is proposed once until settled");
  tracker.settled(due[0]! as Extract<LockOp, { op: "expire" }>);
  assert.equal(tracker.due(2_000).length, 1, "still due after a failed proposal");
});

Deno.test("a parked wait falls due WAIT after it queued; a grant ends it and starts a lease", () => {
  const table = new LockTable();
  const tracker = new LeaseTracker();
  run(table, tracker, 1, acquire("me", 1_000), 0, 0);
  run(table, tracker, 2, acquire("you", 5_000, true, 42), 300, 10);
  assert.deepEqual(tracker.due(400), [{ op: "cancelWait", name: "a", owner: "you", waiterId: 42 }]);
  const released = run(
    table,
    tracker,
    3,
    { op: "release", name: "a", owner: "me", token: null },
    0,
    500,
  );
  assert.equal(released.grants[0]?.waiterId, 42);
  assert.equal(tracker.remainingMs("a", "you", 2, 500), 5_000);
  assert.equal(tracker.remainingMs("a", "me", 1, 500), null, "a released lease is forgotten");
});

Deno.test("a new leader counts every lease from its own start", () => {
  const table = new LockTable();
  const old = new LeaseTracker();
  run(table, old, 1, acquire("me", 1_000), 0, 0);
  const fresh = new LeaseTracker();
  fresh.reset(table, 50_000, 10_000);
  assert.deepEqual(fresh.due(50_999), []);
  assert.equal(fresh.remainingMs("a", "me", 1, 50_000), 1_000);
  assert.equal(fresh.due(51_000).length, 1);
});
