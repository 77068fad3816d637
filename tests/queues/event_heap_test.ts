import assert from "node:assert/strict";
import fc from "fast-check";
import { EventHeap, type TimedItem } from "../../src/queues/event_heap.ts";

const items = fc.uniqueArray(
  fc.record({
    deadlineMs: fc.integer({ min: 0, max: 5 }),
    sequence: fc.integer({ min: 0, max: 20 }),
    kind: fc.constantFrom(0 as const, 1 as const),
  }),
  { selector: (item) => `${item.sequence}/${item.kind}`, maxLength: 40 },
);

function drain(heap: EventHeap<TimedItem>): string[] {
  const order: string[] = [];
  for (let item = heap.peek(); item !== undefined; item = heap.peek()) {
    heap.remove(item);
    order.push(`${item.deadlineMs}/${item.sequence}/${item.kind}`);
  }
  return order;
}

Deno.test("event heap: the same items leave in (deadline, sequence, kind) order whatever the push order", () => {
  fc.assert(fc.property(items, fc.nat(), (specs, seed) => {
    const heapOf = (list: typeof specs) => {
      const heap = new EventHeap<TimedItem>();
      for (const spec of list) heap.push({ ...spec, heapSlot: -1 });
      return heap;
    };
    const shuffled = [...specs].sort((a, b) =>
      ((a.sequence * 31 + a.kind + seed) % 7) - ((b.sequence * 31 + b.kind + seed) % 7)
    );
    const expected = [...specs]
      .sort((a, b) => a.deadlineMs - b.deadlineMs || a.sequence - b.sequence || a.kind - b.kind)
      .map((item) => `${item.deadlineMs}/${item.sequence}/${item.kind}`);
    assert.deepEqual(drain(heapOf(specs)), expected);
    assert.deepEqual(drain(heapOf(shuffled)), expected);
  }));
});

Deno.test("event heap: reschedule moves an item, and null takes it out", () => {
  const heap = new EventHeap<TimedItem>();
  const a: TimedItem = { deadlineMs: 5, sequence: 1, kind: 0, heapSlot: -1 };
  const b: TimedItem = { deadlineMs: 7, sequence: 2, kind: 0, heapSlot: -1 };
  heap.push(a);
  heap.push(b);
  heap.reschedule(a, 9);
  assert.equal(heap.peek(), b);
  heap.reschedule(b, null);
  assert.equal(heap.size, 1);
  assert.equal(b.heapSlot, -1);
  heap.reschedule(b, 1);
  assert.deepEqual(drain(heap), ["1/2/0", "9/1/0"]);
});
