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
  assert.deepEqual(due, [{ op: "expire", name: "a", owner: "me", token: 1, leaseIndex: 2 }]);
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

/** Renewals that keep the token; each must void an expiry decided before it. */
const RENEWALS: Array<{ what: string; setup: LockOp[]; renew: LockOp }> = [
  {
    what: "refresh",
    setup: [],
    renew: { op: "refresh", name: "a", owner: "me", ttlMs: 400, token: 1 },
  },
  { what: "re-acquire", setup: [], renew: acquire("me", 400) },
  {
    what: "downgrade",
    setup: [],
    renew: { ...acquire("me", 400), mode: "shared" } as LockOp,
  },
];

for (const { what, setup, renew } of RENEWALS) {
  Deno.test(`an expiry decided before a ${what} that commits after it frees nothing`, () => {
    // The order the black-box run hit: the leader's timer proposes the expiry, a renewal that
    // was already proposed commits first, then the expiry commits behind it.
    const table = new LockTable();
    const tracker = new LeaseTracker();
    let index = 0;
    run(table, tracker, ++index, acquire("me", 400), 0, 0);
    for (const op of setup) run(table, tracker, ++index, op, 0, 0);
    const [expire] = tracker.due(400);
    assert.equal(expire?.op, "expire");
    assert.equal(run(table, tracker, ++index, renew, 0, 395).outcome !== false, true);
    const late = run(table, tracker, ++index, expire!, 0, 401);
    assert.equal(late.outcome, false, "the renewal must win over the older expiry");
    assert.equal(table.info("a").holders[0]?.owner, "me");
    tracker.settled(expire as Extract<LockOp, { op: "expire" }>);
    assert.deepEqual(tracker.due(794), [], "the renewed lease runs its full TTL");
    const [again] = tracker.due(795);
    assert.equal(run(table, tracker, ++index, again!, 0, 795).outcome, true);
    assert.equal(table.info("a").mode, "none");
  });
}

Deno.test("an expiry for a shared grant upgraded meanwhile frees nothing (new token)", () => {
  const table = new LockTable();
  const tracker = new LeaseTracker();
  run(table, tracker, 1, { ...acquire("me", 400), mode: "shared" } as LockOp, 0, 0);
  const [expire] = tracker.due(400);
  assert.equal(run(table, tracker, 2, acquire("me", 400), 0, 395).outcome !== false, true);
  assert.equal(run(table, tracker, 3, expire!, 0, 401).outcome, false);
  assert.equal(table.info("a").mode, "exclusive");
});

Deno.test("a new leader's reset restarts deadlines; an expiry it proposes names the lease", () => {
  const table = new LockTable();
  const old = new LeaseTracker();
  run(table, old, 1, acquire("me", 400), 0, 0);
  run(table, old, 2, { op: "refresh", name: "a", owner: "me", ttlMs: 400, token: 1 }, 0, 300);
  const successor = new LeaseTracker();
  successor.reset(table, 1_000, 5_000);
  assert.deepEqual(successor.due(1_399), [], "counted from the new leader's start");
  assert.deepEqual(successor.due(1_400), [{
    op: "expire",
    name: "a",
    owner: "me",
    token: 1,
    leaseIndex: 2,
  }]);
});

Deno.test("a reset walks the table in steps; a lease renewed meanwhile is tracked once", () => {
  const table = new LockTable();
  const follower = new LeaseTracker();
  const names = ["l0", "l1", "l2", "l3", "l4"];
  names.forEach((name, i) => {
    const op: LockOp = {
      op: "acquire",
      name,
      owner: "me",
      mode: "shared",
      ttlMs: 1_000,
      wait: false,
      waiterId: i,
    };
    run(table, follower, i + 1, op, 0, 0);
  });
  const tracker = new LeaseTracker(2);
  tracker.reset(table, 10_000, 10_000);
  assert.equal(tracker.resetting, true);
  assert.deepEqual(tracker.counts(), { leases: 2, waits: 0 }, "the first step only");
  assert.equal(tracker.remainingMs("l4", "me", 5, 10_000), null, "not reached yet");
  // l4 is refreshed before the walk reaches it: applied() tracks it from the refresh.
  const refresh: LockOp = { op: "refresh", name: "l4", owner: "me", ttlMs: 3_000, token: 5 };
  run(table, tracker, 6, refresh, 0, 10_500);
  assert.deepEqual(tracker.due(10_600), []);
  assert.deepEqual(tracker.due(10_700), []);
  assert.equal(tracker.resetting, false);
  assert.deepEqual(tracker.counts(), { leases: 5, waits: 0 }, "each lease once");
  assert.equal(tracker.remainingMs("l0", "me", 1, 10_000), 1_000);
  assert.equal(tracker.remainingMs("l3", "me", 4, 10_000), 1_000, "reached by a later step");
  assert.equal(tracker.remainingMs("l4", "me", 5, 10_500), 3_000, "from the refresh");
  const due = tracker.due(11_000).map((op) => op.name).sort();
  assert.deepEqual(due, ["l0", "l1", "l2", "l3"]);
  assert.deepEqual(tracker.due(13_500).map((op) => op.name), ["l4"]);
});

Deno.test("a lock with many shared holders: a refresh or release touches only that lease", () => {
  const table = new LockTable();
  const tracker = new LeaseTracker();
  const ownerCount = 20;
  for (let i = 0; i < ownerCount; i++) {
    const op: LockOp = {
      op: "acquire",
      name: "wide",
      owner: `r${i}`,
      mode: "shared",
      ttlMs: 1_000,
      wait: false,
      waiterId: i,
    };
    run(table, tracker, i + 1, op, 0, 0);
  }
  const refresh: LockOp = { op: "refresh", name: "wide", owner: "r7", ttlMs: 5_000, token: 8 };
  run(table, tracker, 30, refresh, 0, 100);
  run(table, tracker, 31, { op: "release", name: "wide", owner: "r3", token: null }, 0, 200);
  assert.deepEqual(tracker.counts(), { leases: ownerCount - 1, waits: 0 });
  assert.equal(tracker.remainingMs("wide", "r7", 8, 100), 5_000);
  assert.equal(tracker.remainingMs("wide", "r8", 9, 100), 900, "kept its deadline");
  assert.equal(tracker.remainingMs("wide", "r3", 4, 100), null);
  assert.equal(tracker.due(1_000).length, ownerCount - 2, "all but the released and the refreshed");
});
