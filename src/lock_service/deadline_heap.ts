import { assert } from "../util/assert.ts";

/** An item of a DeadlineHeap: its deadline and its slot in the heap (-1 when not in one). */
export interface HeapItem {
  readonly deadlineMs: number;
  heapSlot: number;
}

/**
 * A binary min-heap of items by `deadlineMs` that knows each item's slot, so an item is removed
 * in O(log n) without a search. Lets a leader find what falls due without scanning every lease.
 */
export class DeadlineHeap<T extends HeapItem> {
  #items: T[] = [];

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The item with the earliest deadline, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item that is in no heap. */
  push(item: T): void {
    assert(item.heapSlot === -1, "item is already in a heap");
    item.heapSlot = this.#items.length;
    this.#items.push(item);
    this.#siftUp(item.heapSlot);
  }

  /** Removes an item that is in this heap. */
  remove(item: T): void {
    const slot = item.heapSlot;
    assert(this.#items[slot] === item, "item is not in this heap");
    const last = this.#items.pop()!;
    item.heapSlot = -1;
    if (last === item) return;
    this.#items[slot] = last;
    last.heapSlot = slot;
    this.#siftDown(slot);
    this.#siftUp(last.heapSlot);
  }

  /** Empties the heap. */
  clear(): void {
    for (const item of this.#items) item.heapSlot = -1;
    this.#items = [];
  }

  #siftUp(slot: number): void {
    const items = this.#items;
    const item = items[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = items[parentSlot]!;
      if (parent.deadlineMs <= item.deadlineMs) break;
      items[slot] = parent;
      parent.heapSlot = slot;
      slot = parentSlot;
    }
    items[slot] = item;
    item.heapSlot = slot;
  }

  #siftDown(slot: number): void {
    const items = this.#items;
    const item = items[slot]!;
    for (;;) {
      const leftSlot = 2 * slot + 1;
      if (leftSlot >= items.length) break;
      const rightSlot = leftSlot + 1;
      const childSlot = rightSlot < items.length &&
          items[rightSlot]!.deadlineMs < items[leftSlot]!.deadlineMs
        ? rightSlot
        : leftSlot;
      const child = items[childSlot]!;
      if (child.deadlineMs >= item.deadlineMs) break;
      items[slot] = child;
      child.heapSlot = slot;
      slot = childSlot;
    }
    items[slot] = item;
    item.heapSlot = slot;
  }
}
