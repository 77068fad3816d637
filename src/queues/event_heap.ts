import { assert } from "../util/assert.ts";

/** Something with a deadline on the slot's log clock: a message or a dedup id. */
export interface TimedItem {
  /** When the item's next event falls due (log time, ms). */
  deadlineMs: number;
  /** The message sequence: unique per kind in a slot, so the order is total. */
  readonly sequence: number;
  /** 0: a message event, 1: a dedup id expiring. */
  readonly kind: 0 | 1;
  /** Slot in the heap, -1 when not in it. */
  heapSlot: number;
}

/**
 * A binary min-heap by (deadlineMs, sequence, kind), a total order: which events a bounded tick
 * handles depends only on the items, never on the order they were pushed in, so a replica that
 * restored a snapshot ticks exactly like one that applied the log.
 */
export class EventHeap<T extends TimedItem> {
  #items: T[] = [];

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The first item in (deadline, sequence, kind) order, or undefined. */
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

  /** Moves an item (in the heap or not) to `deadlineMs`; null takes it out. */
  reschedule(item: T, deadlineMs: number | null): void {
    if (item.heapSlot !== -1) this.remove(item);
    if (deadlineMs === null) return;
    item.deadlineMs = deadlineMs;
    this.push(item);
  }

  #siftUp(slot: number): void {
    const items = this.#items;
    const item = items[slot]!;
    while (slot > 0) {
      const parentSlot = (slot - 1) >> 1;
      const parent = items[parentSlot]!;
      if (!before(item, parent)) break;
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
      const childSlot = rightSlot < items.length && before(items[rightSlot]!, items[leftSlot]!)
        ? rightSlot
        : leftSlot;
      const child = items[childSlot]!;
      if (!before(child, item)) break;
      items[slot] = child;
      child.heapSlot = slot;
      slot = childSlot;
    }
    items[slot] = item;
    item.heapSlot = slot;
  }
}

function before(a: TimedItem, b: TimedItem): boolean {
  if (a.deadlineMs !== b.deadlineMs) return a.deadlineMs < b.deadlineMs;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence;
  return a.kind < b.kind;
}
