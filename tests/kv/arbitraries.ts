import fc from "fast-check";
import { KV_KEY_BYTES_MAX, type KvCondition, type KvOp } from "../../src/kv/mod.ts";
import { hexOf, type KvModel } from "./model.ts";

const encoder = new TextEncoder();

/** A small pool, so that ops collide: the empty key, text, binary bytes, one long key. */
export const KEY_POOL: readonly Uint8Array[] = [
  new Uint8Array(),
  encoder.encode("a"),
  encoder.encode("b"),
  new Uint8Array([0, 255, 128, 10]),
  new Uint8Array(300).fill(7),
];
/** One byte longer than any key may be. */
export const KEY_TOO_LONG = new Uint8Array(KV_KEY_BYTES_MAX + 1).fill(1);

/** A step whose expiry revision is resolved against the model when it runs. */
export interface Step {
  kind: "set" | "mset" | "del" | "expire";
  keys: Uint8Array[];
  values: Uint8Array[];
  ttlMs: number | null;
  condition: KvCondition;
  /** 0 mod 3: a stale revision; else the key's current one (when it exists). */
  pick: number;
}

const keyArb = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...KEY_POOL) },
  { weight: 1, arbitrary: fc.constant(KEY_TOO_LONG) },
);

/** Steps over KEY_POOL with values of 0..24 bytes. */
export const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom("set", "set", "set", "mset", "del", "expire", "expire"),
  keys: fc.array(keyArb, { minLength: 1, maxLength: 4 }),
  values: fc.array(fc.uint8Array({ maxLength: 24, size: "max" }), { minLength: 4, maxLength: 4 }),
  ttlMs: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
  condition: fc.constantFrom("always", "ifMissing", "ifExists"),
  pick: fc.nat(30),
});

/** The op of `step` given the model's state now. */
export function opOfStep(step: Step, model: KvModel): KvOp {
  const key = step.keys[0]!;
  switch (step.kind) {
    case "set":
      return {
        op: "set",
        key,
        value: step.values[0]!,
        ttlMs: step.ttlMs,
        condition: step.condition,
      };
    case "mset":
      return { op: "mset", pairs: step.keys.map((k, i) => ({ key: k, value: step.values[i]! })) };
    case "del":
      return { op: "del", keys: step.keys };
    case "expire": {
      const current = model.entries.get(hexOf(key))?.revision;
      const revision = step.pick % 3 === 0 || current === undefined ? step.pick + 1 : current;
      return { op: "expire", key, revision };
    }
  }
}
