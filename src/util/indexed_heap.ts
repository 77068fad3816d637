import { assert } from "./assert.ts";

/** Something an IndexedHeap can hold: it records its own slot (-1 when in no heap). */
export interface HeapSlotted {
  heapSlot: number;
}

/** True when `a` must leave the heap before `b`. */
export type HeapOrder<T> = (a: T, b: T) => boolean;

/**
 * A binary min-heap that knows each item's slot, so an item is removed in O(log n) without a
 * search. Lease trackers, key expiry and the queue's event clock use it to find what falls due
 * without scanning everything they hold.
 */
export class IndexedHeap<T extends HeapSlotted> {
  readonly #before: HeapOrder<T>;
  #items: T[] = [];

  constructor(before: HeapOrder<T>) {
    this.#before = before;
  }

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item in the heap's order, or undefined when empty. */
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
      if (!this.#before(item, parent)) break;
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
      const childSlot =
        rightSlot < items.length && this.#before(items[rightSlot]!, items[leftSlot]!)
          ? rightSlot
          : leftSlot;
      const child = items[childSlot]!;
      if (!this.#before(child, item)) break;
      items[slot] = child;
      child.heapSlot = slot;
      slot = childSlot;
    }
    items[slot] = item;
    item.heapSlot = slot;
  }
}

/** An item of a DeadlineHeap: its deadline and its slot in the heap. */
export interface HeapItem extends HeapSlotted {
  readonly deadlineMs: number;
}

/** An IndexedHeap by `deadlineMs`, earliest first (ties in no particular order). */
export class DeadlineHeap<T extends HeapItem> extends IndexedHeap<T> {
  constructor() {
    super((a, b) => a.deadlineMs < b.deadlineMs);
  }
}
