import assert from "node:assert/strict";
import { LockTable } from "../../src/locks/mod.ts";
import { Driver } from "./helpers.ts";

Deno.test("exclusive: a second owner is busy or queued; release grants the waiter", () => {
  const d = new Driver();
  assert.deepEqual(d.acquire("x", "a", { ttlMs: 1_000 }), { kind: "granted", token: 1 });
  assert.deepEqual(d.acquire("x", "b", { wait: false }), { kind: "busy" });
  assert.deepEqual(d.acquire("x", "b", { waiterId: 7, ttlMs: 2_000 }), {
    kind: "queued",
    replacedWaiterId: null,
  });
  assert.deepEqual(d.release("x", "a"), {
    outcome: true,
    grants: [{ name: "x", owner: "b", mode: "exclusive", token: 2, waiterId: 7, ttlMs: 2_000 }],
  });
  assert.deepEqual(d.table.info("x"), {
    mode: "exclusive",
    holders: [{ owner: "b", token: 2, ttlMs: 2_000, leaseIndex: 4 }],
    waiters: [],
  });
});

Deno.test("fairness: a waiting exclusive request is not overtaken by later shared ones", () => {
  const d = new Driver();
  d.grant("x", "a", { mode: "shared" });
  assert.equal(d.acquire("x", "b").kind, "queued");
  assert.deepEqual(d.acquire("x", "c", { mode: "shared", wait: false }), { kind: "busy" });
  assert.equal(d.acquire("x", "c", { mode: "shared" }).kind, "queued");
  assert.deepEqual(d.release("x", "a").grants.map((grant) => grant.owner), ["b"]);
  assert.deepEqual(d.release("x", "b").grants.map((grant) => grant.owner), ["c"]);
});

Deno.test("promotion grants a run of shared waiters at once, stopping at an exclusive one", () => {
  const d = new Driver();
  d.grant("x", "a");
  for (const [owner, mode] of [["b", "shared"], ["c", "shared"], ["d", "exclusive"]] as const) {
    assert.equal(d.acquire("x", owner, { mode }).kind, "queued");
  }
  assert.equal(d.acquire("x", "e", { mode: "shared" }).kind, "queued");
  const grants = d.release("x", "a").grants;
  assert.deepEqual(grants.map((grant) => [grant.owner, grant.mode, grant.token]), [
    ["b", "shared", 2],
    ["c", "shared", 3],
  ]);
  assert.deepEqual(d.table.info("x").waiters.map((waiter) => waiter.owner), ["d", "e"]);
});

Deno.test("idempotent re-acquire returns the same token and sets the new ttl", () => {
  const d = new Driver();
  const token = d.grant("x", "a", { ttlMs: 1_000 });
  assert.deepEqual(d.acquire("x", "a", { ttlMs: 5_000, wait: false }), { kind: "granted", token });
  assert.deepEqual(d.table.info("x").holders, [{ owner: "a", token, ttlMs: 5_000, leaseIndex: 2 }]);
  d.grant("y", "a", { mode: "shared" });
  d.grant("y", "b", { mode: "shared" });
  assert.deepEqual(d.acquire("y", "b", { mode: "shared" }), { kind: "granted", token: 3 });
  assert.equal(d.table.stats().lastToken, 3);
});

Deno.test("upgrade by the sole shared holder is in place with a new token", () => {
  const d = new Driver();
  const shared = d.grant("x", "a", { mode: "shared" });
  d.acquire("x", "b"); // waits; the upgrade does not wait for it
  const exclusive = d.grant("x", "a", { wait: false });
  assert.ok(exclusive > shared);
  assert.equal(d.table.info("x").mode, "exclusive");
  assert.equal(d.release("x", "a", shared).outcome, false, "the shared token is gone");
  assert.equal(d.release("x", "a", exclusive).outcome, true);
});

Deno.test("upgrade with other holders: busy, or waits at the front of the queue", () => {
  const d = new Driver();
  d.grant("x", "a", { mode: "shared" });
  d.grant("x", "b", { mode: "shared" });
  assert.equal(d.acquire("x", "c").kind, "queued");
  assert.deepEqual(d.acquire("x", "a", { wait: false }), { kind: "busy" });
  assert.equal(d.acquire("x", "a", { waiterId: 9 }).kind, "queued");
  assert.deepEqual(d.table.info("x").waiters.map((waiter) => waiter.owner), ["a", "c"]);
  assert.equal(d.table.info("x").holders.length, 2, "a keeps its shared grant while waiting");
  const { grants } = d.release("x", "b");
  assert.deepEqual(grants, [
    { name: "x", owner: "a", mode: "exclusive", token: 3, waiterId: 9, ttlMs: 30_000 },
  ]);
  assert.deepEqual(d.table.info("x").holders, [
    { owner: "a", token: 3, ttlMs: 30_000, leaseIndex: d.index },
  ]);
});

Deno.test("an upgrade wait whose shared grant ends stays first as a plain exclusive wait", () => {
  const d = new Driver();
  const aToken = d.grant("x", "a", { mode: "shared" });
  d.grant("x", "b", { mode: "shared" });
  d.acquire("x", "c");
  d.acquire("x", "a");
  assert.equal(d.expire("x", "a", aToken).outcome, true);
  assert.deepEqual(d.table.info("x").waiters.map((waiter) => waiter.owner), ["a", "c"]);
  assert.deepEqual(d.release("x", "b").grants.map((grant) => grant.owner), ["a"]);
});

Deno.test("downgrade keeps the token and lets shared waiters at the head in", () => {
  const d = new Driver();
  const token = d.grant("x", "a", { ttlMs: 1_000 });
  d.acquire("x", "b", { mode: "shared" });
  d.acquire("x", "c", { mode: "shared" });
  d.acquire("x", "d");
  const result = d.acquireResult("x", "a", { mode: "shared", ttlMs: 2_000, wait: false });
  assert.deepEqual(result.outcome, { kind: "granted", token });
  assert.deepEqual(result.grants.map((grant) => grant.owner), ["b", "c"]);
  const info = d.table.info("x");
  assert.equal(info.mode, "shared");
  assert.deepEqual(info.holders[0], { owner: "a", token, ttlMs: 2_000, leaseIndex: d.index });
  assert.deepEqual(info.waiters.map((waiter) => waiter.owner), ["d"]);
});

Deno.test("one wait per owner and lock: a retry takes over the place, another mode is refused", () => {
  const d = new Driver();
  d.grant("x", "h");
  d.acquire("x", "a", { waiterId: 1 });
  d.acquire("x", "b", { waiterId: 2 });
  assert.deepEqual(d.acquire("x", "a", { waiterId: 3, ttlMs: 4_000 }), {
    kind: "queued",
    replacedWaiterId: 1,
  });
  assert.deepEqual(d.table.info("x").waiters.map((w) => [w.owner, w.waiterId, w.ttlMs]), [
    ["a", 3, 4_000],
    ["b", 2, 30_000],
  ]);
  assert.deepEqual(d.acquire("x", "a", { waiterId: 3 }), {
    kind: "queued",
    replacedWaiterId: null,
  });
  assert.deepEqual(d.acquire("x", "a", { wait: false }), { kind: "busy" });
  const other = d.acquire("x", "a", { mode: "shared" });
  assert.equal(other.kind, "limit");
  assert.match(
    (other as { message: string }).message,
    /^Cannot acquire lock: owner already waits for it in exclusive mode/,
  );
  assert.equal(d.apply({ op: "cancelWait", name: "x", owner: "a", waiterId: 1 }).outcome, false);
  assert.equal(d.apply({ op: "cancelWait", name: "x", owner: "a", waiterId: 3 }).outcome, true);
});

Deno.test("release: by token only frees that grant; false when not held", () => {
  const d = new Driver();
  const old = d.grant("x", "a");
  d.release("x", "a");
  const newer = d.grant("x", "a");
  assert.deepEqual(d.release("x", "a", old), { outcome: false, grants: [] });
  assert.equal(d.table.info("x").holders[0]?.token, newer);
  assert.equal(d.release("x", "b").outcome, false);
  assert.equal(d.release("nope", "a").outcome, false);
  assert.equal(d.release("x", "a", newer).outcome, true);
  assert.equal(d.release("x", "a").outcome, false);
});

Deno.test("refresh sets the ttl when held and the token matches", () => {
  const d = new Driver();
  const token = d.grant("x", "a", { ttlMs: 1_000 });
  const refresh = (owner: string, ttlMs: number, t: number | null) =>
    d.apply({ op: "refresh", name: "x", owner, ttlMs, token: t }).outcome;
  assert.equal(refresh("a", 2_000, null), true);
  assert.equal(refresh("a", 3_000, token), true);
  assert.equal(refresh("a", 4_000, token + 1), false);
  assert.equal(refresh("b", 4_000, null), false);
  assert.equal(d.table.info("x").holders[0]?.ttlMs, 3_000);
});

Deno.test("expire frees only the current grant and promotes; a stale expiry is a no-op", () => {
  const d = new Driver();
  const first = d.grant("x", "a");
  d.release("x", "a");
  const second = d.grant("x", "a");
  d.acquire("x", "b", { waiterId: 5 });
  assert.equal(d.expire("x", "a", first).outcome, false);
  const result = d.expire("x", "a", second);
  assert.equal(result.outcome, true);
  assert.deepEqual(result.grants.map((grant) => [grant.owner, grant.waiterId]), [["b", 5]]);
});

Deno.test("cancelWait removes the waiter and promotes those it held back", () => {
  const d = new Driver();
  d.grant("x", "a", { mode: "shared" });
  d.acquire("x", "b", { waiterId: 1 });
  d.acquire("x", "c", { mode: "shared", waiterId: 2 });
  assert.equal(d.apply({ op: "cancelWait", name: "x", owner: "b", waiterId: 9 }).outcome, false);
  const result = d.apply({ op: "cancelWait", name: "x", owner: "b", waiterId: 1 });
  assert.equal(result.outcome, true);
  assert.deepEqual(result.grants.map((grant) => grant.owner), ["c"]);
  assert.deepEqual(d.release("x", "a").grants, [], "the cancelled waiter is never granted");
  assert.equal(d.apply({ op: "cancelWait", name: "y", owner: "b", waiterId: 1 }).outcome, false);
});

Deno.test("empty locks are removed; the token counter stays; stats and iterators", () => {
  const d = new Driver();
  d.grant("x", "a", { ttlMs: 1_000 });
  d.grant("y", "b", { mode: "shared" });
  d.acquire("y", "c", { waiterId: 4 });
  assert.deepEqual(d.table.stats(), {
    locks: 2,
    holders: 2,
    waiters: 1,
    lastToken: 2,
    appliedIndex: 3,
  });
  assert.deepEqual([...d.table.holders()], [
    { name: "x", mode: "exclusive", owner: "a", token: 1, ttlMs: 1_000, leaseIndex: 1 },
    { name: "y", mode: "shared", owner: "b", token: 2, ttlMs: 30_000, leaseIndex: 2 },
  ]);
  assert.deepEqual([...d.table.waiters()], [
    { name: "y", owner: "c", mode: "exclusive", waiterId: 4, ttlMs: 30_000 },
  ]);
  d.release("x", "a");
  assert.deepEqual(d.table.info("x"), { mode: "none", holders: [], waiters: [] });
  assert.equal(d.table.stats().locks, 1);
  assert.equal(d.grant("x", "a"), 3, "tokens continue after the lock was removed");
});

Deno.test("apply: the index must not decrease; malformed ops are refused, not thrown", () => {
  const table = new LockTable();
  const acquire = {
    op: "acquire",
    name: "x",
    owner: "a",
    mode: "exclusive",
    ttlMs: 10,
    wait: false,
    waiterId: 0,
  } as const;
  table.apply(5, acquire);
  table.apply(5, { ...acquire, owner: "b" });
  assert.throws(() => table.apply(4, acquire), /index 4 is below the applied index 5/);
  assert.deepEqual(table.apply(6, { ...acquire, ttlMs: 0 }).outcome, {
    kind: "invalid",
    message: "Cannot acquire lock: ttlMs 0 is not an integer in 1..2147483647",
  });
  assert.deepEqual(table.apply(6, { ...acquire, waiterId: -1 }).outcome, {
    kind: "invalid",
    message: "Cannot acquire lock: waiterId -1 is not a non-negative safe integer",
  });
  assert.deepEqual(table.apply(6, { ...acquire, name: "\ud800" }).outcome, {
    kind: "invalid",
    message: "Cannot acquire lock: name is not well-formed Unicode (lone surrogate)",
  });
  assert.equal(table.apply(6, { op: "release", name: "x", owner: "a", token: 0 }).outcome, false);
  assert.equal(
    table.apply(6, { op: "expire", name: "x", owner: "a", token: 1.5, leaseIndex: 0 }).outcome,
    false,
  );
  const refresh = { op: "refresh", name: "x", owner: "a", ttlMs: -1, token: null } as const;
  assert.equal(table.apply(6, refresh).outcome, false);
  assert.equal(table.info("x").holders[0]?.ttlMs, 10);
});
