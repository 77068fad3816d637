import assert from "node:assert/strict";
import {
  answerRead,
  type KvExpireOp,
  KvExpiryTracker,
  type KvOp,
  KvSlot,
} from "../../src/kv/mod.ts";

const encoder = new TextEncoder();
const key = (text: string) => encoder.encode(text);
const value = (text: string) => encoder.encode(text);

/** A slot on a leader: every op is applied and followed by the tracker at the time given. */
class Leader {
  readonly slot = new KvSlot();
  tracker = new KvExpiryTracker();
  #index = 0;

  apply(op: KvOp, nowMs: number) {
    this.#index += 1;
    const outcome = this.slot.apply(this.#index, op);
    this.tracker.applied(op, this.slot, nowMs);
    if (op.op === "expire") this.tracker.settled(op);
    return outcome;
  }

  set(name: string, ttlMs: number | null, nowMs: number, text = "v") {
    return this.apply(
      { op: "set", key: key(name), value: value(text), ttlMs, condition: "always" },
      nowMs,
    );
  }

  pttl(name: string, nowMs: number) {
    return answerRead({ command: "pttl", key: key(name) }, this.slot, this.tracker, nowMs);
  }
}

const expire = (name: string, revision: number): KvExpireOp => ({
  op: "expire",
  key: key(name),
  revision,
});

Deno.test("kv expiry: a key falls due its TTL after the leader applied the write, not before", () => {
  const leader = new Leader();
  leader.set("k", 100, 10);
  assert.deepEqual(leader.tracker.due(109), []);
  assert.deepEqual(leader.pttl("k", 109), { kind: "integer", value: 1 });
  assert.deepEqual(leader.tracker.due(110), [expire("k", 1)]);
  assert.deepEqual(leader.tracker.due(500), [], "proposed once until settled");
  assert.deepEqual(leader.apply(expire("k", 1), 111), { kind: "expired", removed: true });
  assert.equal(leader.slot.get(key("k")), null);
  assert.equal(leader.tracker.trackedCount, 0);
  assert.deepEqual(leader.pttl("k", 111), { kind: "integer", value: -2 });
});

Deno.test("kv expiry: any write committed ahead of an in-flight expiry wins", () => {
  const writes: [string, (leader: Leader, nowMs: number) => void, string | null][] = [
    ["SET with a TTL", (l, now) => l.set("k", 100, now, "v2"), "v2"],
    ["SET without a TTL", (l, now) => l.set("k", null, now, "v2"), "v2"],
    [
      "MSET",
      (l, now) => l.apply({ op: "mset", pairs: [{ key: key("k"), value: value("v2") }] }, now),
      "v2",
    ],
    [
      "SET XX",
      (l, now) =>
        l.apply(
          { op: "set", key: key("k"), value: value("v2"), ttlMs: 100, condition: "ifExists" },
          now,
        ),
      "v2",
    ],
    ["DEL then SET", (l, now) => {
      l.apply({ op: "del", keys: [key("k")] }, now);
      l.set("k", 100, now, "v2");
    }, "v2"],
  ];
  for (const [what, write, expected] of writes) {
    const leader = new Leader();
    leader.set("k", 100, 0);
    const [due] = leader.tracker.due(100);
    assert.deepEqual(due, expire("k", 1), what);
    write(leader, 101); // committed ahead of the expiry
    assert.deepEqual(leader.apply(due!, 102), { kind: "expired", removed: false }, what);
    assert.deepEqual(leader.slot.get(key("k")), expected === null ? null : value(expected), what);
    // The new write's own deadline, if it has one, counts from its application at 101.
    const ttlMs = leader.slot.entry(key("k"))?.ttlMs ?? null;
    assert.deepEqual(leader.tracker.due(200), [], what);
    const later = leader.tracker.due(201);
    assert.equal(later.length, ttlMs === null ? 0 : 1, what);
  }
});

Deno.test("kv expiry: a failed proposal is proposed again; a settled stale one is not", () => {
  const leader = new Leader();
  leader.set("k", 50, 0);
  const [first] = leader.tracker.due(50);
  leader.tracker.settled(first!); // e.g. the proposal was refused: not leader any more
  assert.deepEqual(leader.tracker.due(51), [first]);
  leader.set("k", 50, 52);
  leader.tracker.settled(first!); // the old expiry's fate is known, the key moved on
  assert.deepEqual(leader.tracker.due(101), []);
  assert.deepEqual(leader.tracker.due(102), [expire("k", 2)]);
});

Deno.test("kv expiry: dueAmong gives a command's due keys, already proposed or not", () => {
  const leader = new Leader();
  leader.set("a", 10, 0);
  leader.set("b", 1_000, 0);
  leader.set("c", null, 0);
  assert.deepEqual(leader.tracker.due(10), [expire("a", 1)]);
  const keys = ["a", "b", "c", "missing", "a"].map(key);
  assert.deepEqual(leader.tracker.dueAmong(keys, leader.slot, 10), [expire("a", 1)]);
  assert.deepEqual(leader.tracker.dueAmong(keys, leader.slot, 1_000), [
    expire("a", 1),
    expire("b", 2),
  ]);
  assert.deepEqual(leader.tracker.due(5_000), [], "b is in flight through dueAmong");
});

Deno.test("kv expiry: a new leader counts every key from its start, walking a bounded step", () => {
  const old = new Leader();
  for (const name of ["k1", "k2", "k3", "k4", "k5"]) old.set(name, 100, 0);
  old.set("plain", null, 0);
  old.tracker = new KvExpiryTracker(2);
  old.tracker.reset(old.slot, 1_000);
  assert.equal(old.tracker.resetting, true);
  assert.equal(old.tracker.trackedCount, 2);
  // A key the walk has not reached is tracked on demand, from the reset.
  assert.deepEqual(old.pttl("k5", 1_040), { kind: "integer", value: 60 });
  // A refused write to a key not reached yet leaves its deadline at reset + TTL.
  old.apply(
    { op: "set", key: key("k4"), value: value("x"), ttlMs: 5, condition: "ifMissing" },
    1_050,
  );
  // A write after the reset counts from its own application.
  old.set("late", 100, 1_050);
  // Each due() walks two more keys (k3 k4, k5 late, then the end), proposing nothing early.
  for (let call = 0; call < 3; call++) assert.deepEqual(old.tracker.due(1_099), []);
  assert.equal(old.tracker.resetting, false);
  const due = old.tracker.due(1_100).map((op) => new TextDecoder().decode(op.key)).sort();
  assert.deepEqual(due, ["k1", "k2", "k3", "k4", "k5"]);
  assert.deepEqual(old.tracker.due(1_149), []);
  assert.equal(old.tracker.due(1_150).length, 1);
});

Deno.test("kv expiry: PTTL is -2 for a missing key, -1 without a TTL, else the ms left", () => {
  const leader = new Leader();
  leader.set("plain", null, 0);
  leader.set("ttl", 2_500, 0);
  assert.deepEqual(leader.pttl("nothing", 0), { kind: "integer", value: -2 });
  assert.deepEqual(leader.pttl("plain", 0), { kind: "integer", value: -1 });
  assert.deepEqual(leader.pttl("ttl", 0.5), { kind: "integer", value: 2_500 });
  assert.deepEqual(leader.pttl("ttl", 2_000), { kind: "integer", value: 500 });
  assert.deepEqual(leader.pttl("ttl", 3_000), { kind: "integer", value: 0 });
});
