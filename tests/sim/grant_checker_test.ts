import assert from "node:assert/strict";
import {
  type AcquireOutcome,
  type Grant,
  type LockApplyResult,
  type LockOp,
  LockTable,
} from "../../src/locks/mod.ts";
import { GrantChecker } from "./grant_checker.ts";
import { LockHistory } from "./lock_history.ts";

type Step = [LockOp, LockApplyResult];

function acquire(
  name: string,
  owner: string,
  mode: "shared" | "exclusive",
  outcome: AcquireOutcome,
  waiterId = 0,
): Step {
  const wait = outcome.kind === "queued";
  return [{ op: "acquire", name, owner, mode, ttlMs: 100, wait, waiterId }, {
    outcome,
    grants: [],
  }];
}

function granted(token: number): AcquireOutcome {
  return { kind: "granted", token };
}

function release(name: string, owner: string, token: number | null, grants: Grant[] = []): Step {
  return [{ op: "release", name, owner, token }, { outcome: true, grants }];
}

function grant(name: string, owner: string, token: number, waiterId: number): Grant {
  return { name, owner, mode: "exclusive", token, waiterId, ttlMs: 100 };
}

/** Feeds `steps` at indexes 1, 2, ... and virtual times 1 s, 2 s, ...; returns the checker. */
function feed(steps: Step[]): GrantChecker {
  const checker = new GrantChecker();
  steps.forEach(([op, result], i) => checker.onApply(i + 1, op, result, (i + 1) * 1_000));
  return checker;
}

Deno.test("grant checker: a correct history passes and ends with the right holders", () => {
  const checker = feed([
    acquire("a", "o1", "shared", granted(1)),
    acquire("a", "o2", "shared", granted(2)),
    acquire("a", "o3", "exclusive", { kind: "queued", replacedWaiterId: null }, 7),
    acquire("a", "o1", "shared", granted(1)), // re-acquire: same token
    release("a", "o1", 1),
    release("a", "o2", null, [grant("a", "o3", 3, 7)]),
    acquire("a", "o3", "shared", granted(3)), // downgrade keeps the token
    acquire("a", "o3", "exclusive", granted(4)), // upgrade in place: new token
    [{ op: "expire", name: "a", owner: "o3", token: 3, leaseIndex: 7 }, {
      outcome: false,
      grants: [],
    }],
    [{ op: "expire", name: "a", owner: "o3", token: 4, leaseIndex: 8 }, {
      outcome: true,
      grants: [],
    }],
  ]);
  assert.deepEqual(checker.holdersOf("a"), []);
  assert.equal(checker.grantCount, 4);
  assert.equal(checker.promotionCount, 1);
});

Deno.test("grant checker: two overlapping exclusive grants fail mutual exclusion", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "exclusive", granted(2)),
      ]),
    {
      name: "InvariantError",
      message: "mutual exclusion: exclusive grant of a to o2 with token 2 at index 2 while o1 " +
        "holds it exclusive with token 1 since index 1",
    },
  );
});

Deno.test("grant checker: a shared grant beside an exclusive one fails mutual exclusion", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "shared", granted(2)),
      ]),
    /mutual exclusion/,
  );
});

Deno.test("grant checker: an exclusive grant overlapping until its release is applied", () => {
  // o2 is promoted by o1's release, but the result promotes it one op too early.
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "exclusive", { kind: "queued", replacedWaiterId: null }, 5),
        [{ op: "refresh", name: "a", owner: "o1", ttlMs: 50, token: 1 }, {
          outcome: true,
          grants: [grant("a", "o2", 2, 5)],
        }],
      ]),
    /mutual exclusion/,
  );
});

Deno.test("grant checker: a token handed out twice fails, on another lock too", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        release("a", "o1", 1),
        acquire("b", "o2", "exclusive", granted(1)),
      ]),
    {
      name: "InvariantError",
      message: "fencing token reuse: exclusive grant of b to o2 with token 1 at index 3; " +
        "already exclusive grant of a to o1 at index 1",
    },
  );
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        release("a", "o1", 1),
        acquire("a", "o2", "exclusive", granted(1)),
      ]),
    /fencing token reuse/,
  );
});

Deno.test("grant checker: tokens of one lock must strictly increase", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(5)),
        release("a", "o1", 5),
        acquire("a", "o2", "exclusive", granted(3)),
      ]),
    {
      name: "InvariantError",
      message: "fencing token order: exclusive grant of a to o2 with token 3 at index 3 does not " +
        "exceed token 5 of index 1",
    },
  );
});

Deno.test("grant checker: an upgrade that keeps its token fails", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "shared", granted(1)),
        acquire("a", "o1", "exclusive", granted(1)),
      ]),
    /fencing token order: upgrade of a by o1 at index 2 kept token 1/,
  );
});

Deno.test("grant checker: a cancelled waiter in a later grant fails", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "exclusive", { kind: "queued", replacedWaiterId: null }, 7),
        [{ op: "cancelWait", name: "a", owner: "o2", waiterId: 7 }, { outcome: true, grants: [] }],
        release("a", "o1", 1, [grant("a", "o2", 2, 7)]),
      ]),
    {
      name: "InvariantError",
      message: "grant to a parked wait: grant of a to o2 (waiter 7, token 2) at index 4: that " +
        "wait was cancelled at index 3",
    },
  );
});

Deno.test("grant checker: a replaced or refused wait is never granted", () => {
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "exclusive", { kind: "queued", replacedWaiterId: null }, 7),
        acquire("a", "o2", "exclusive", { kind: "queued", replacedWaiterId: 7 }, 8),
        release("a", "o1", 1, [grant("a", "o2", 2, 7)]),
      ]),
    /that wait was replaced at index 3/,
  );
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        acquire("a", "o2", "exclusive", { kind: "busy" }, 9),
        release("a", "o1", 1, [grant("a", "o2", 2, 9)]),
      ]),
    /that wait was never parked/,
  );
});

Deno.test("grant checker: results that contradict the history fail", () => {
  assert.throws(
    () => feed([release("a", "o1", null)]),
    /lock result: release a by o1 at index 1 answered true, history says false/,
  );
  assert.throws(
    () =>
      feed([
        acquire("a", "o1", "exclusive", granted(1)),
        [{ op: "release", name: "a", owner: "o1", token: 1 }, { outcome: false, grants: [] }],
      ]),
    /answered false, history says true/,
  );
  assert.throws(
    () =>
      feed([[{
        op: "acquire",
        name: "a",
        owner: "o1",
        mode: "shared",
        ttlMs: 1,
        wait: false,
        waiterId: 0,
      }, { outcome: true, grants: [] }]]),
    /acquire a by o1 at index 1 got a boolean/,
  );
});

Deno.test("grant checker: indexes must increase; the record limit is an explicit error", () => {
  const checker = new GrantChecker(2);
  checker.onApply(1, ...acquire("a", "o1", "exclusive", granted(1)), 1_000);
  assert.throws(
    () => checker.onApply(1, ...release("a", "o1", 1), 1_000),
    /Cannot check lock history: index 1 after 1/,
  );
  checker.onApply(2, ...release("a", "o1", 1), 2_000);
  checker.onApply(3, ...acquire("a", "o1", "exclusive", granted(2)), 3_000);
  assert.throws(
    () => checker.onApply(4, ...acquire("b", "o1", "exclusive", granted(3)), 4_000),
    /Cannot check lock history: it holds the maximum of 2 records/,
  );
});

Deno.test("lock history: diverging nodes and a foreign snapshot are caught", () => {
  const history = new LockHistory();
  const op: LockOp = {
    op: "acquire",
    name: "a",
    owner: "o1",
    mode: "exclusive",
    ttlMs: 100,
    wait: false,
    waiterId: 0,
  };
  const tableA = new LockTable();
  const resultA = tableA.apply(1, op);
  const keyA = String.fromCharCode(...tableA.snapshot());
  history.onApply("n1", 1, keyA, { op, result: resultA }, tableA, 1_000);
  history.onApply("n2", 1, keyA, { op, result: resultA }, tableA, 1_000);
  assert.equal(history.replayCount, 1);
  const tableB = new LockTable();
  const resultB = tableB.apply(1, { ...op, ttlMs: 200 });
  const keyB = String.fromCharCode(...tableB.snapshot());
  assert.throws(
    () => history.onApply("n3", 1, keyB, { op, result: resultB }, tableB, 1_000),
    /lock state machine safety: n3 table after index 1/,
  );
  assert.throws(() => history.onRestore("n3", 1, keyB), /lock snapshot safety: n3 restored/);
  assert.throws(() => history.onRestore("n3", 9, keyA), /index 9, never applied/);
  history.onRestore("n3", 1, keyA);
});

Deno.test("grant checker: an expiry inside a renewed lease is a lease violation", () => {
  const checker = new GrantChecker();
  const refresh: LockOp = { op: "refresh", name: "a", owner: "o1", ttlMs: 100, token: 1 };
  const expire: LockOp = { op: "expire", name: "a", owner: "o1", token: 1, leaseIndex: 1 };
  checker.onApply(1, ...acquire("a", "o1", "exclusive", granted(1)), 0);
  checker.onApply(2, refresh, { outcome: true, grants: [] }, 90);
  // The table would answer false (lease index 1 was renewed at 2): the model says so too.
  assert.throws(
    () => checker.onApply(3, expire, { outcome: true, grants: [] }, 95),
    /lock result: expire a by o1 at index 3 answered true, history says false/,
  );
});

Deno.test("grant checker: a current expiry must wait out the TTL since the last renewal", () => {
  const early = new GrantChecker();
  const refresh: LockOp = { op: "refresh", name: "a", owner: "o1", ttlMs: 100, token: 1 };
  const expire: LockOp = { op: "expire", name: "a", owner: "o1", token: 1, leaseIndex: 2 };
  early.onApply(1, ...acquire("a", "o1", "exclusive", granted(1)), 0);
  early.onApply(2, refresh, { outcome: true, grants: [] }, 90);
  assert.throws(
    () => early.onApply(3, expire, { outcome: true, grants: [] }, 189),
    /lease: expire of a by o1 \(token 1\) at index 3, 189 ms: the lease renewed at index 2 lasts until 190 ms/,
  );
  const onTime = new GrantChecker();
  onTime.onApply(1, ...acquire("a", "o1", "exclusive", granted(1)), 0);
  onTime.onApply(2, refresh, { outcome: true, grants: [] }, 90);
  onTime.onApply(3, expire, { outcome: true, grants: [] }, 190);
  assert.equal(onTime.expireCount, 1);
  assert.deepEqual(onTime.holdersOf("a"), []);
});
