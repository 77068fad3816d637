import assert from "node:assert/strict";
import fc from "fast-check";
import { QUEUE_HIGH_PER_NORMAL, type QueueOp, QueueSlot } from "../../src/queues/mod.ts";

const QUEUE = new TextEncoder().encode("jobs");

/** A push of `high` or normal priority, or a pop of `count`. */
type Action = { push: boolean; high: boolean; count: number };

const actionArb = fc.record({
  push: fc.boolean(),
  high: fc.boolean(),
  count: fc.integer({ min: 1, max: 6 }),
});

Deno.test("queue priority: high first, and never more than 4 highs in a row while a normal waits", () => {
  fc.assert(
    fc.property(fc.array(actionArb, { maxLength: 200, size: "max" }), (actions) => {
      const slot = new QueueSlot();
      const priorityOf = new Map<string, boolean>();
      let pendingHigh = 0;
      let pendingNormal = 0;
      let streak = 0;
      let index = 0;
      for (const action of actions) {
        const target = { queue: QUEUE, partition: 0, nowMs: index };
        if (action.push) {
          const op: QueueOp = {
            op: "push",
            ...target,
            payload: new Uint8Array(),
            key: null,
            delayMs: 0,
            ttlMs: null,
            priority: action.high ? "high" : "normal",
            dedupId: null,
          };
          const out = slot.apply(++index, op);
          assert.ok(out.kind === "pushed");
          priorityOf.set(out.id, action.high);
          if (action.high) pendingHigh += 1;
          else pendingNormal += 1;
          continue;
        }
        const op: QueueOp = {
          op: "deliver",
          ...target,
          countMax: action.count,
          visibilityMs: null,
        };
        const out = slot.apply(++index, op);
        assert.ok(out.kind === "delivered");
        assert.equal(out.messages.length, Math.min(action.count, pendingHigh + pendingNormal));
        for (const message of out.messages) {
          const high = priorityOf.get(message.id)!;
          if (high) {
            // A high one is served only while fewer than 4 were served in a row past a normal.
            assert.ok(pendingNormal === 0 || streak < QUEUE_HIGH_PER_NORMAL, "normal starved");
            streak = pendingNormal > 0 ? streak + 1 : 0;
            pendingHigh -= 1;
          } else {
            // A normal one is served only when no high waits or the highs had their 4.
            assert.ok(pendingHigh === 0 || streak >= QUEUE_HIGH_PER_NORMAL, "high not first");
            streak = 0;
            pendingNormal -= 1;
          }
        }
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("queue priority: 10 high and 3 normal pushed, then popped one by one: 4:1", () => {
  const slot = new QueueSlot();
  const names: string[] = [];
  const pushes = [..."HHHHHHHHHH", ..."NNN"];
  pushes.forEach((p, i) => {
    const out = slot.apply(i + 1, {
      op: "push",
      queue: QUEUE,
      partition: 0,
      nowMs: 0,
      payload: new TextEncoder().encode(p),
      key: null,
      delayMs: 0,
      ttlMs: null,
      priority: p === "H" ? "high" : "normal",
      dedupId: null,
    });
    assert.ok(out.kind === "pushed");
  });
  for (let i = 0; i < pushes.length; i++) {
    const out = slot.apply(100 + i, {
      op: "deliver",
      queue: QUEUE,
      partition: 0,
      nowMs: 0,
      countMax: 1,
      visibilityMs: null,
    });
    assert.ok(out.kind === "delivered");
    names.push(new TextDecoder().decode(out.messages[0]!.payload));
  }
  assert.equal(names.join(""), "HHHHNHHHHNHHN");
});
