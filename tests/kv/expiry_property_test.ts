import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type KvCondition,
  type KvExpireOp,
  KvExpiryTracker,
  type KvOp,
  KvSlot,
} from "../../src/kv/mod.ts";

const KEYS = ["a", "b", "c"].map((name) => new TextEncoder().encode(name));

type Step =
  | {
    kind: "write";
    op: "set" | "mset" | "del";
    keys: number[];
    ttlMs: number | null;
    condition: KvCondition;
  }
  | { kind: "advance"; ms: number }
  | { kind: "deliver"; pick: number; lose: boolean }
  | { kind: "read"; keys: number[] }
  | { kind: "failover" }
  | { kind: "flush" };

const keyPicks = fc.array(fc.nat(KEYS.length - 1), { minLength: 1, maxLength: 3 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("write" as const),
      op: fc.constantFrom("set" as const, "set" as const, "mset" as const, "del" as const),
      keys: keyPicks,
      ttlMs: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null, freq: 4 }),
      condition: fc.constantFrom("always" as const, "ifMissing" as const, "ifExists" as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.nat(25) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("deliver" as const),
      pick: fc.nat(),
      lose: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("read" as const), keys: keyPicks }) },
  { weight: 1, arbitrary: fc.constant({ kind: "failover" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
);

/**
 * One slot and its leader's tracker, driven as the node will: expiries proposed by due() wait in
 * flight and are applied later, in any order, or lost (a failed proposal); before a command the
 * leader applies the expiries dueAmong() names; a failover resets a new tracker.
 */
class ExpirySim {
  readonly slot = new KvSlot();
  tracker = new KvExpiryTracker(2);
  nowMs = 0;
  #index = 0;
  inFlight: KvExpireOp[] = [];
  /** Original deadline (apply time + TTL) of every write with a TTL, by revision. */
  readonly #deadlineOf = new Map<number, number>();
  /** Apply time of every write, by revision. */
  readonly #writtenAt = new Map<number, number>();
  #lastFailoverMs = -Infinity;
  removedByExpiry = 0;

  apply(op: KvOp): void {
    this.#index += 1;
    const before = op.op === "expire" ? this.slot.entry(op.key) : undefined;
    const outcome = this.slot.apply(this.#index, op);
    this.tracker.applied(op, this.slot, this.nowMs);
    if (op.op === "expire") {
      this.tracker.settled(op);
      if (outcome.kind === "expired" && outcome.removed) {
        this.removedByExpiry += 1;
        // Safety: never before the TTL ran out, counted from the write.
        assert.ok(before !== undefined);
        assert.ok(this.nowMs >= this.#deadlineOf.get(before.revision)!, "expired early");
      }
      return;
    }
    for (const key of KEYS) {
      const entry = this.slot.entry(key);
      if (entry === undefined || this.#writtenAt.has(entry.revision)) continue;
      this.#writtenAt.set(entry.revision, this.nowMs);
      if (entry.ttlMs !== null) this.#deadlineOf.set(entry.revision, this.nowMs + entry.ttlMs);
    }
  }

  /** The expiry-before-command rule: the command's due keys are expired first, in log order. */
  beforeCommand(keys: Uint8Array[]): void {
    for (const op of this.tracker.dueAmong(keys, this.slot, this.nowMs)) this.apply(op);
  }

  /** What a read may see: no key past its deadline (TTL from the write or from the failover). */
  checkVisible(keys: Uint8Array[]): void {
    for (const key of keys) {
      const entry = this.slot.entry(key);
      if (entry === undefined || entry.ttlMs === null) continue;
      const writtenAt = this.#writtenAt.get(entry.revision)!;
      const from = Math.max(writtenAt, this.#lastFailoverMs);
      assert.ok(this.nowMs < from + entry.ttlMs, `key visible ${this.nowMs - from} ms after`);
    }
  }

  step(step: Step): void {
    switch (step.kind) {
      case "write": {
        const keys = step.keys.map((i) => KEYS[i]!);
        this.beforeCommand(keys);
        if (step.op === "set") {
          const value = new Uint8Array([this.#index & 255]);
          this.apply({
            op: "set",
            key: keys[0]!,
            value,
            ttlMs: step.ttlMs,
            condition: step.condition,
          });
        } else if (step.op === "mset") {
          this.apply({ op: "mset", pairs: keys.map((key) => ({ key, value: new Uint8Array() })) });
        } else this.apply({ op: "del", keys });
        return;
      }
      case "advance":
        this.nowMs += step.ms;
        this.inFlight.push(...this.tracker.due(this.nowMs));
        return;
      case "deliver": {
        if (this.inFlight.length === 0) return;
        const [op] = this.inFlight.splice(step.pick % this.inFlight.length, 1);
        if (step.lose) this.tracker.settled(op!);
        else this.apply(op!);
        return;
      }
      case "read": {
        const keys = step.keys.map((i) => KEYS[i]!);
        this.beforeCommand(keys);
        this.checkVisible(keys);
        return;
      }
      case "failover":
        this.tracker = new KvExpiryTracker(2);
        this.tracker.reset(this.slot, this.nowMs);
        this.#lastFailoverMs = this.nowMs;
        return;
      case "flush":
        this.flush();
        return;
    }
  }

  /** Liveness: with every proposal applied and the timer run, no key outlives its deadline. */
  flush(): void {
    for (const op of this.inFlight.splice(0)) this.apply(op);
    // Bounded: each pass either applies due expiries or advances the reset walk (3 keys).
    for (let pass = 0; pass < 10; pass++) {
      for (const op of this.tracker.due(this.nowMs)) this.apply(op);
    }
    assert.equal(this.tracker.resetting, false);
    this.checkVisible(KEYS);
  }
}

Deno.test("kv expiry: never early, never late, reads never see a key past its deadline", () => {
  let removed = 0;
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 80, size: "max" }), (steps) => {
      const sim = new ExpirySim();
      for (const step of steps) sim.step(step);
      sim.flush();
      sim.slot.checkInvariants();
      removed += sim.removedByExpiry;
    }),
    { numRuns: 300 },
  );
  assert.ok(removed > 100, `the runs expired only ${removed} keys`);
});
