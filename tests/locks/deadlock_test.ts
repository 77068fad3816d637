import assert from "node:assert/strict";
import { Driver } from "./helpers.ts";

/** Everything observable of the table except the applied index. */
function observe(d: Driver, names: readonly string[]) {
  const { locks, holders, waiters, lastToken } = d.table.stats();
  return {
    infos: names.map((name) => d.table.info(name)),
    stats: { locks, holders, waiters, lastToken },
  };
}

Deno.test("deadlock: two owners, the cycle starts and ends with the requester", () => {
  const d = new Driver();
  d.grant("x", "a");
  d.grant("y", "b");
  assert.equal(d.acquire("y", "a").kind, "queued");
  const before = observe(d, ["x", "y"]);
  assert.deepEqual(d.acquire("x", "b"), { kind: "deadlock", cycle: ["b", "a", "b"] });
  assert.deepEqual(observe(d, ["x", "y"]), before, "nothing changed");
  assert.deepEqual(d.acquire("x", "b", { wait: false }), { kind: "busy" });
});

Deno.test("deadlock: three owners, cycle text in wait order", () => {
  const d = new Driver();
  d.grant("x", "a");
  d.grant("y", "b");
  d.grant("z", "c");
  d.acquire("y", "a");
  d.acquire("z", "b");
  assert.deepEqual(d.acquire("x", "c"), { kind: "deadlock", cycle: ["c", "a", "b", "c"] });
});

Deno.test("upgrade deadlock: the second shared holder asking for exclusive is refused", () => {
  const d = new Driver();
  d.grant("x", "a", { mode: "shared" });
  d.grant("x", "b", { mode: "shared" });
  d.acquire("x", "c", { mode: "shared" }); // granted: nobody waits
  assert.equal(d.acquire("x", "a").kind, "queued");
  const before = observe(d, ["x"]);
  assert.deepEqual(d.acquire("x", "b"), { kind: "deadlock", cycle: ["b", "a", "b"] });
  assert.deepEqual(observe(d, ["x"]), before);
  assert.deepEqual(d.acquire("x", "b", { wait: false }), { kind: "busy" });
});

Deno.test("deadlock through the queue: a waiter waits for incompatible waiters ahead", () => {
  const d = new Driver();
  d.grant("x", "h");
  d.acquire("x", "a");
  d.grant("z", "b");
  assert.equal(d.acquire("x", "b").kind, "queued"); // b waits for h and for a (ahead)
  assert.deepEqual(d.acquire("z", "a"), { kind: "deadlock", cycle: ["a", "b", "a"] });
});

Deno.test("no false deadlock: a shared waiter does not wait for a shared waiter ahead", () => {
  const d = new Driver();
  d.grant("x", "h");
  d.acquire("x", "a", { mode: "shared" });
  d.acquire("x", "b", { mode: "shared" });
  d.grant("y", "b");
  assert.equal(d.acquire("y", "a").kind, "queued");
  // Shared holders do not wait for each other either.
  d.grant("s", "p", { mode: "shared" });
  d.grant("s", "q", { mode: "shared" });
  d.grant("t", "q");
  assert.equal(d.acquire("t", "p").kind, "queued");
});

Deno.test("deadlock: the cycle does not depend on the order an owner's waits were parked", () => {
  // r asks for w (held by a); a waits for y (b) and z (c); b and c wait for locks r holds.
  // Two cycles close: r-a-b-r and r-a-c-r. An owner's waits are searched in name order.
  for (const order of [["y", "z"], ["z", "y"]]) {
    const d = new Driver();
    d.grant("q1", "r");
    d.grant("q2", "r");
    d.grant("w", "a");
    d.grant("y", "b");
    d.grant("z", "c");
    d.acquire("q1", "b");
    d.acquire("q2", "c");
    for (const name of order) assert.equal(d.acquire(name, "a").kind, "queued");
    assert.deepEqual(d.acquire("w", "r"), { kind: "deadlock", cycle: ["r", "a", "b", "r"] });
  }
});

Deno.test("deadlock search is bounded: over the step budget the wait is refused with limit", () => {
  const chain = (length: number, stepsMax: number) => {
    const d = new Driver({ deadlockSearchStepsMax: stepsMax });
    // owner i holds lock i and waits for lock i + 1; the last owner then asks for lock 0.
    for (let i = 0; i < length; i++) d.grant(`l${i}`, `o${i}`);
    for (let i = 0; i + 1 < length; i++) {
      assert.equal(d.acquire(`l${i + 1}`, `o${i}`).kind, "queued");
    }
    const before = observe(d, [`l0`]);
    const outcome = d.acquire("l0", `o${length - 1}`);
    assert.deepEqual(observe(d, [`l0`]), before);
    return outcome;
  };
  const found = chain(50, 1_000);
  assert.equal(found.kind, "deadlock");
  const cycle = (found as { cycle: string[] }).cycle;
  assert.deepEqual(cycle, ["o49", ...Array.from({ length: 49 }, (_, i) => `o${i}`), "o49"]);
  assert.deepEqual(chain(50, 60), {
    kind: "limit",
    message: "Cannot acquire lock: deadlock search exceeded the maximum of 60 steps",
  });
});
