import assert from "node:assert/strict";
import fc from "fast-check";
import {
  answerOfOutcome,
  answerRead,
  gatherAnswers,
  type KvAnswer,
  KvExpiryTracker,
  type KvRequest,
  KvSlot,
  opOf,
  splitBySlot,
} from "../../src/kv/mod.ts";

const POOL = ["a", "b", "c", "d", "e", "f", "g", "h"].map((name) => new TextEncoder().encode(name));

/** Answers `request` on `slot` as the slot leader would (no TTLs here: the tracker stays empty). */
function answer(slot: KvSlot, request: KvRequest, index: number): KvAnswer {
  const op = opOf(request);
  if (op !== null) return answerOfOutcome(slot.apply(index, op));
  return answerRead(request, slot, new KvExpiryTracker(), 0)!;
}

const picks = fc.array(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 12, size: "max" });
const requestArb: fc.Arbitrary<KvRequest> = fc.oneof(
  picks.map((p) => ({ command: "del" as const, keys: p.map((i) => POOL[i]!) })),
  picks.map((p) => ({ command: "exists" as const, keys: p.map((i) => POOL[i]!) })),
  picks.map((p) => ({ command: "mget" as const, keys: p.map((i) => POOL[i]!) })),
  picks.map((p) => ({
    command: "mset" as const,
    pairs: p.map((i, n) => ({ key: POOL[i]!, value: new Uint8Array([n]) })),
  })),
  fc.nat(POOL.length - 1).map((i) => ({ command: "get" as const, key: POOL[i]! })),
);

Deno.test("kv split: split by slot then gathered equals the command on one store", () => {
  fc.assert(
    fc.property(
      requestArb,
      fc.array(fc.nat(3), { minLength: POOL.length, maxLength: POOL.length }),
      fc.array(fc.boolean(), { minLength: POOL.length, maxLength: POOL.length }),
      (request, slotOfKey, present) => {
        const slotOf = (key: Uint8Array) => slotOfKey[POOL.findIndex((k) => k[0] === key[0])]!;
        const whole = new KvSlot();
        const slots = [0, 1, 2, 3].map(() => new KvSlot());
        POOL.forEach((key, i) => {
          if (!present[i]) return;
          const op = {
            op: "set" as const,
            key,
            value: new Uint8Array([100 + i]),
            ttlMs: null,
            condition: "always" as const,
          };
          whole.apply(1, op);
          slots[slotOf(key)]!.apply(1, op);
        });
        const shares = splitBySlot(request, slotOf);
        // Every item lands in exactly one share, in the share of its slot, in request order.
        const positions = shares.flatMap((share) => share.positions).sort((x, y) => x - y);
        const count = "keys" in request
          ? request.keys.length
          : "pairs" in request
          ? request.pairs.length
          : 1;
        assert.deepEqual(positions, [...Array(count).keys()]);
        for (const share of shares) {
          assert.deepEqual(share.positions, [...share.positions].sort((x, y) => x - y));
          const keys = "keys" in share.request
            ? share.request.keys
            : "pairs" in share.request
            ? share.request.pairs.map((p) => p.key)
            : [share.request.key];
          for (const key of keys) assert.equal(slotOf(key), share.slot);
        }
        const answers = shares.map((share) => answer(slots[share.slot]!, share.request, 2));
        assert.deepEqual(gatherAnswers(request, shares, answers), answer(whole, request, 2));
        for (const key of POOL) assert.deepEqual(slots[slotOf(key)]!.get(key), whole.get(key));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("kv split: MGET values come back in request order across slots", () => {
  const keys = ["x", "y", "z", "x"].map((t) => new TextEncoder().encode(t));
  const slotOf = (key: Uint8Array) => (key[0] === 121 ? 1 : 0); // "y" in slot 1
  const shares = splitBySlot({ command: "mget", keys }, slotOf);
  assert.deepEqual(shares.map((s) => [s.slot, s.positions]), [[0, [0, 2, 3]], [1, [1]]]);
  const v = (n: number) => new Uint8Array([n]);
  const gathered = gatherAnswers({ command: "mget", keys }, shares, [
    { kind: "array", values: [v(1), null, v(1)] },
    { kind: "array", values: [v(2)] },
  ]);
  assert.deepEqual(gathered, { kind: "array", values: [v(1), v(2), null, v(1)] });
});

Deno.test("kv split: one share's error is the answer; the other shares stay applied", () => {
  const keys = ["x", "y"].map((t) => new TextEncoder().encode(t));
  const request: KvRequest = {
    command: "mset",
    pairs: keys.map((key) => ({ key, value: new Uint8Array(8) })),
  };
  const slotOf = (key: Uint8Array) => (key[0] === 121 ? 1 : 0);
  const slots = [new KvSlot(), new KvSlot({ valueBytesMax: 4 })];
  const shares = splitBySlot(request, slotOf);
  const answers = shares.map((share) => answer(slots[share.slot]!, share.request, 1));
  assert.deepEqual(gatherAnswers(request, shares, answers), {
    kind: "error",
    line: "LIMIT value length in bytes 8 would exceed maximum of 4",
  });
  assert.deepEqual(slots[0]!.get(keys[0]!), new Uint8Array(8), "not atomic across slots");
  assert.equal(slots[1]!.get(keys[1]!), null);
});
