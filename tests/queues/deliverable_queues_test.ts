import assert from "node:assert/strict";
import { type QueueOp, QueueSlot } from "../../src/queues/mod.ts";

const encoder = new TextEncoder();

function push(queue: string, partition: number, nowMs: number, options: Partial<QueueOp> = {}) {
  return {
    op: "push",
    queue: encoder.encode(queue),
    partition,
    nowMs,
    payload: encoder.encode("x"),
    key: null,
    delayMs: 0,
    ttlMs: null,
    priority: "normal",
    dedupId: null,
    ...options,
  } as QueueOp;
}

Deno.test("deliverableQueues: counts deliverable messages per queue over partitions, bounded", () => {
  const slot = new QueueSlot();
  let index = 0;
  slot.apply(++index, push("a", 0, 1));
  slot.apply(++index, push("a", 1, 1));
  slot.apply(++index, push("b", 0, 1, { delayMs: 100 } as Partial<QueueOp>));
  slot.apply(++index, push("c", 2, 1, { key: encoder.encode("k") } as Partial<QueueOp>));
  slot.apply(++index, push("c", 2, 1, { key: encoder.encode("k") } as Partial<QueueOp>));
  // b is delayed and c's second message waits behind the first of its key.
  assert.deepEqual([...slot.deliverableQueues(10)], [["a", 2], ["c", 1]]);
  assert.deepEqual([...slot.deliverableQueues(1)], [["a", 2]]);
  // The delay ends with a tick: b becomes deliverable.
  slot.apply(++index, { op: "tick", nowMs: 200, eventsMax: 100 });
  assert.deepEqual(new Map(slot.deliverableQueues(10)).get("b"), 1);
});
