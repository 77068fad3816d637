import assert from "node:assert/strict";
import fc from "fast-check";
import { DeadlineHeap, type HeapItem } from "../../src/util/indexed_heap.ts";

interface Item extends HeapItem {
  id: number;
}

type Step = { kind: "push"; deadlineMs: number } | { kind: "remove"; pick: number } | {
  kind: "popDue";
  nowMs: number;
};

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("push" as const), deadlineMs: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("popDue" as const), nowMs: fc.integer({ min: 0, max: 50 }) }),
  ),
  { maxLength: 200 },
);

Deno.test("deadline heap: takes exactly the due items, earliest first, as a plain list would", () => {
  fc.assert(fc.property(steps, (script: Step[]) => {
    const heap = new DeadlineHeap<Item>();
    let model: Item[] = [];
    let nextId = 0;
    for (const step of script) {
      if (step.kind === "push") {
        const item = { id: nextId++, deadlineMs: step.deadlineMs, heapSlot: -1 };
        heap.push(item);
        model.push(item);
      } else if (step.kind === "remove") {
        if (model.length === 0) continue;
        const item = model[step.pick % model.length]!;
        heap.remove(item);
        assert.equal(item.heapSlot, -1);
        model = model.filter((other) => other !== item);
      } else {
        const taken: number[] = [];
        for (let item = heap.peek(); item !== undefined && item.deadlineMs <= step.nowMs;) {
          heap.remove(item);
          taken.push(item.deadlineMs);
          item = heap.peek();
        }
        const due = model.filter((item) => item.deadlineMs <= step.nowMs);
        assert.deepEqual(taken, due.map((item) => item.deadlineMs).sort((a, b) => a - b));
        model = model.filter((item) => item.deadlineMs > step.nowMs);
      }
      assert.equal(heap.size, model.length);
      const earliest = Math.min(...model.map((item) => item.deadlineMs));
      assert.equal(heap.peek()?.deadlineMs ?? Infinity, earliest);
    }
  }));
});

Deno.test("deadline heap: an item in a heap cannot be pushed again", () => {
  const heap = new DeadlineHeap<Item>();
  const item = { id: 1, deadlineMs: 5, heapSlot: -1 };
  heap.push(item);
  assert.throws(() => heap.push(item), /already in a heap/);
  heap.clear();
  assert.equal(item.heapSlot, -1);
  assert.equal(heap.size, 0);
});
