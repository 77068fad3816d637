import assert from "node:assert/strict";
import {
  type AcquireOutcome,
  LOCK_TABLE_LIMITS_DEFAULT,
  LockTable,
  NAME_BYTES_MAX,
  OWNER_BYTES_MAX,
  resolveLockTableLimits,
} from "../../src/locks/mod.ts";
import { Driver } from "./helpers.ts";

function limitMessage(outcome: AcquireOutcome): string {
  assert.equal(outcome.kind, "limit");
  return outcome.message;
}

Deno.test("limit: name and owner at most 256 UTF-8 bytes", () => {
  const d = new Driver();
  assert.equal(NAME_BYTES_MAX, 256);
  assert.equal(OWNER_BYTES_MAX, 256);
  assert.equal(d.acquire("n".repeat(256), "a").kind, "granted");
  assert.equal(d.acquire("é".repeat(128), "a").kind, "granted");
  assert.equal(
    limitMessage(d.acquire("é".repeat(129), "a")),
    "Cannot acquire lock: name length 258 exceeds maximum of 256 bytes",
  );
  assert.equal(
    limitMessage(d.acquire("x", "o".repeat(257))),
    "Cannot acquire lock: owner length 257 exceeds maximum of 256 bytes",
  );
  assert.equal(d.release("n".repeat(300), "a").outcome, false);
  assert.equal(d.table.stats().locks, 2);
});

Deno.test("limit: locksMax", () => {
  const d = new Driver({ locksMax: 2 });
  d.grant("x", "a");
  d.grant("y", "a");
  assert.equal(
    limitMessage(d.acquire("z", "a")),
    "Cannot acquire lock: lock count 2 reached the maximum of 2",
  );
  assert.equal(d.acquire("y", "b", { wait: true }).kind, "queued", "existing locks still work");
  d.release("x", "a");
  assert.equal(d.acquire("z", "a").kind, "granted");
});

Deno.test("limit: entriesPerLockMax counts holders and waiters of one lock", () => {
  const d = new Driver({ entriesPerLockMax: 3 });
  d.grant("x", "a", { mode: "shared" });
  d.grant("x", "b", { mode: "shared" });
  d.acquire("x", "c");
  const before = d.table.info("x");
  assert.equal(
    limitMessage(d.acquire("x", "d", { mode: "shared" })),
    "Cannot acquire lock: holders and waiters of this lock 3 reached the maximum of 3",
  );
  assert.equal(d.acquire("x", "a").kind, "limit", "an upgrade wait is an entry too");
  assert.deepEqual(d.table.info("x"), before);
  // Adding nothing is always allowed: re-acquire, and upgrade/downgrade in place.
  assert.equal(d.acquire("x", "a", { mode: "shared" }).kind, "granted");
  const e = new Driver({ entriesPerLockMax: 1 });
  e.grant("x", "a", { mode: "shared" });
  assert.equal(e.acquire("x", "a").kind, "granted");
  assert.equal(e.acquire("x", "a", { mode: "shared" }).kind, "granted");
  assert.equal(e.acquire("x", "b").kind, "limit");
});

Deno.test("limit: waitersPerLockMax and waitersTotalMax", () => {
  const d = new Driver({ waitersPerLockMax: 2, waitersTotalMax: 3 });
  d.grant("x", "h");
  d.grant("y", "h");
  d.acquire("x", "a");
  d.acquire("x", "b");
  assert.equal(
    limitMessage(d.acquire("x", "c")),
    "Cannot acquire lock: waiters of this lock 2 reached the maximum of 2",
  );
  assert.deepEqual(d.acquire("x", "c", { wait: false }), { kind: "busy" });
  d.acquire("y", "a");
  assert.equal(
    limitMessage(d.acquire("y", "b")),
    "Cannot acquire lock: waiters of all locks 3 reached the maximum of 3",
  );
  assert.equal(d.table.stats().waiters, 3);
});

Deno.test("limit: entriesTotalMax counts holders and waiters of all locks", () => {
  const d = new Driver({ entriesTotalMax: 3 });
  d.grant("x", "a");
  d.grant("y", "a");
  d.acquire("x", "b");
  assert.equal(
    limitMessage(d.acquire("z", "a")),
    "Cannot acquire lock: holders and waiters of all locks 3 reached the maximum of 3",
  );
  assert.equal(d.acquire("y", "b").kind, "limit");
  d.release("y", "a");
  assert.equal(d.acquire("z", "a").kind, "granted");
});

Deno.test("limits: defaults, validation, and a full lock stays under the search budget", () => {
  assert.deepEqual(resolveLockTableLimits(), LOCK_TABLE_LIMITS_DEFAULT);
  assert.throws(
    () => new LockTable({ waitersTotalMax: 0 }),
    /^Error: Invalid lock table limit: waitersTotalMax 0 is not a positive safe integer$/,
  );
  assert.throws(() => new LockTable({ locksMax: 1.5 }), /locksMax 1.5/);
  // One lock filled to its default limits: 1,000 shared holders, an exclusive waiter, 998
  // shared waiters behind it; one more exclusive wait must still pass the deadlock search.
  const d = new Driver();
  for (let i = 0; i < 1_000; i++) d.grant("x", `h${i}`, { mode: "shared" });
  assert.equal(d.acquire("x", "e").kind, "queued");
  for (let i = 0; i < 998; i++) d.acquire("x", `s${i}`, { mode: "shared" });
  assert.equal(d.acquire("x", "last").kind, "queued");
  assert.equal(d.acquire("x", "more", { mode: "shared" }).kind, "limit");
  assert.equal(d.table.stats().waiters, 1_000);
});
